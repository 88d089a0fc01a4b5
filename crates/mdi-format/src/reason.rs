//! Why an area has no MDI in a year: the reason behind every grey area on the map.
//!
//! One short code per reason, the same in `scores.csv` (`reason`), `areas.fgb` and the tiles
//! (`reason_<year>`), the API (`reason`) and the client, which says it in words. The codes are
//! stable: clients key their texts on them.

use mdi_core::Exclusion;
use serde::{Deserialize, Serialize};

/// Why an area-year has no MDI (or, for [`Reason::NoPolygon`] and [`Reason::Collapsed`], why it
/// is not drawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The year's tables have no row for this code (often: the code changed between editions).
    NoRow,
    /// The row has no population.
    NoPopulation,
    /// Fewer inhabitants than the profile's minimum.
    PopulationBelow,
    /// Data in fewer domains than the profile's minimum.
    TooFewDomains,
    /// Scores without a polygon in the area files: in the API, not on the map.
    NoPolygon,
    /// The polygon collapses to nothing at the resolution of the area file.
    Collapsed,
    /// A water part (CBS `water` = JA): no inhabitants by design.
    Water,
    /// A parent area (wijk, gemeente) without a single ranked area of the index unit.
    NoRankedAreas,
}

impl Reason {
    /// Every reason, in the order of the list above.
    pub const ALL: [Reason; 8] = [
        Reason::NoRow,
        Reason::NoPopulation,
        Reason::PopulationBelow,
        Reason::TooFewDomains,
        Reason::NoPolygon,
        Reason::Collapsed,
        Reason::Water,
        Reason::NoRankedAreas,
    ];

    /// The short code (`no-row`, `too-few-domains`, …).
    pub fn code(self) -> &'static str {
        match self {
            Reason::NoRow => "no-row",
            Reason::NoPopulation => "no-population",
            Reason::PopulationBelow => "population-below",
            Reason::TooFewDomains => "too-few-domains",
            Reason::NoPolygon => "no-polygon",
            Reason::Collapsed => "collapsed",
            Reason::Water => "water",
            Reason::NoRankedAreas => "no-ranked-areas",
        }
    }

    /// The reason of a short code.
    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// The reason in Dutch words, for reports and the QGIS style.
    pub fn describe_nl(self) -> &'static str {
        match self {
            Reason::NoRow => "geen rij voor deze code in de tabellen van dit jaar",
            Reason::NoPopulation => "aantal inwoners onbekend",
            Reason::PopulationBelow => "minder inwoners dan het minimum",
            Reason::TooFewDomains => "te weinig domeinen met gegevens",
            Reason::NoPolygon => "gegevens zonder vlak in de gebiedsbestanden",
            Reason::Collapsed => "het vlak valt weg op deze resolutie",
            Reason::Water => "water",
            Reason::NoRankedAreas => "geen enkele buurt met een score",
        }
    }

    /// The reason in English words.
    pub fn describe_en(self) -> &'static str {
        match self {
            Reason::NoRow => "no row for this code in this year's tables",
            Reason::NoPopulation => "population unknown",
            Reason::PopulationBelow => "fewer inhabitants than the minimum",
            Reason::TooFewDomains => "too few domains with data",
            Reason::NoPolygon => "scores without a polygon in the area files",
            Reason::Collapsed => "the polygon collapses at this resolution",
            Reason::Water => "water",
            Reason::NoRankedAreas => "no ranked area inside",
        }
    }
}

impl From<&Exclusion> for Reason {
    fn from(e: &Exclusion) -> Reason {
        match e {
            Exclusion::PopulationMissing => Reason::NoPopulation,
            Exclusion::PopulationBelow { .. } => Reason::PopulationBelow,
            Exclusion::TooFewDomains { .. } => Reason::TooFewDomains,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.code()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
        }
        assert_eq!(Reason::parse("no such"), None);
    }

    #[test]
    fn exclusions_map_to_their_reason() {
        assert_eq!(
            Reason::from(&Exclusion::PopulationBelow {
                population: 40.0,
                min: 100.0
            }),
            Reason::PopulationBelow
        );
        assert_eq!(
            Reason::from(&Exclusion::PopulationMissing),
            Reason::NoPopulation
        );
    }
}
