//! The names of the columns of `areas.fgb` and of the tile properties. Per-year values are
//! named `<field>_<year>` and a domain's `<domain>_<field>_<year>` (`docs/ATLAS.md`,
//! `docs/TILES.md`); these functions are the only place that spells them.

use std::fmt::Display;

/// The area code.
pub const CODE: &str = "code";
/// The area name.
pub const NAME: &str = "name";
/// The level's layer name (`buurten`).
pub const LEVEL: &str = "level";
/// The parent's code.
pub const PARENT: &str = "parent";
/// A water-only area.
pub const WATER: &str = "water";
/// An area whose polygons have no extent.
pub const COLLAPSED: &str = "collapsed";
/// Never ranked: drawn as no data.
pub const NODATA: &str = "nodata";
/// The tiles' population: the latest year's count.
pub const POPULATION: &str = "population";

/// `<level>_code`: the code of an area's ancestor at the level `level_id`.
pub fn ancestor_code(level_id: &str) -> String {
    format!("{level_id}_code")
}

/// `population_<year>`.
pub fn population(year: impl Display) -> String {
    format!("population_{year}")
}

/// `eligible_<year>`.
pub fn eligible(year: impl Display) -> String {
    format!("eligible_{year}")
}

/// `mdi_score_<year>`.
pub fn mdi_score(year: impl Display) -> String {
    format!("mdi_score_{year}")
}

/// `mdi_rank_<year>`.
pub fn mdi_rank(year: impl Display) -> String {
    format!("mdi_rank_{year}")
}

/// `mdi_decile_<year>` (1 = most deprived).
pub fn mdi_decile(year: impl Display) -> String {
    format!("mdi_decile_{year}")
}

/// `<domain>_score_<year>`.
pub fn domain_score(domain: &str, year: impl Display) -> String {
    format!("{domain}_score_{year}")
}

/// `<domain>_rank_<year>`.
pub fn domain_rank(domain: &str, year: impl Display) -> String {
    format!("{domain}_rank_{year}")
}

/// `<domain>_decile_<year>` (1 = most deprived).
pub fn domain_decile(domain: &str, year: impl Display) -> String {
    format!("{domain}_decile_{year}")
}

/// `domains_in_worst_decile_<year>`.
pub fn domains_in_worst_decile(year: impl Display) -> String {
    format!("domains_in_worst_decile_{year}")
}

/// `share_worst_decile_<year>`: the share of a parent's inhabitants in MDI decile 1.
pub fn share_worst_decile(year: impl Display) -> String {
    format!("share_worst_decile_{year}")
}

/// `reason_<year>`: why the area has no MDI that year, a [`crate::Reason`] code (empty when
/// it has one).
pub fn reason(year: impl Display) -> String {
    format!("reason_{year}")
}

/// `domains_with_data_<year>`: the number of domains with data behind the area's MDI.
pub fn domains_with_data(year: impl Display) -> String {
    format!("domains_with_data_{year}")
}

/// `cluster_<year>`: the local Moran cluster class of the area's MDI score that year, a
/// `Cluster::code` of `mdi_core::analysis::spatial` (`high-high`, `low-low`, `high-low`,
/// `low-high`, `not-significant`, `island`); empty where the area is not ranked. Since 1.3.
pub fn cluster(year: impl Display) -> String {
    format!("cluster_{year}")
}

/// The per-year prefixes of the tiles' `map` property set (without the domain deciles).
pub const MAP_PREFIXES: [&str; 6] = [
    "mdi_score_",
    "mdi_decile_",
    "domains_in_worst_decile_",
    "share_worst_decile_",
    "reason_",
    "cluster_",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_field_then_year() {
        assert_eq!(mdi_decile(2024), "mdi_decile_2024");
        assert_eq!(domain_score("inkomen", "2015"), "inkomen_score_2015");
        assert_eq!(ancestor_code("gemeente"), "gemeente_code");
        assert!(
            MAP_PREFIXES
                .iter()
                .any(|p| share_worst_decile(1).starts_with(p))
        );
        assert_eq!(cluster(2024), "cluster_2024");
        assert!(MAP_PREFIXES.iter().any(|p| cluster(2024).starts_with(p)));
    }
}
