//! The generated demo region: a fictional region of buurten, wijken and gemeenten in RD New
//! (EPSG:28992) with an indicator table for the nl-cbs profile, written entirely by mdi-atlas.
//! Nothing in it is a real place or a real figure. How it is made (geometry, codes, data,
//! determinism and cost) is described in docs/DEMO.md.

mod fields;
mod geometry;
mod names;
mod random;
mod tables;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use anyhow::{Result, bail};
use mdi_geo::{Crs, Source};

use fields::cell_data;
use geometry::{Layout, build_features};
use tables::build_table;

/// The `path` of the generated [`Source`].
pub const DEMO_PATH: &str = "synthetic:demo";

/// The largest number of buurten [`generate`] accepts (about 3.6 GB for one year; the codes
/// would allow about 15 million).
pub const MAX_AREAS: usize = 2_000_000;

/// The largest side [`DemoOptions::side_km`] accepts, km: room for a large country, well within
/// the range where RD New's stereographic projection stays well behaved.
pub const MAX_SIDE_KM: u32 = 1_000;

/// The smallest cell that a side may give, metres: below it, jitter and wiggles in millimetres
/// and the tiler's grid would make degenerate buurten.
pub const MIN_CELL_M: f64 = 20.0;

/// The columns of the table after `buurtcode,jaar` that the nl-cbs profile reads (KWB short
/// codes), in table order.
pub const INDICATOR_COLUMNS: [&str; 24] = [
    "a_inw",
    "a_15_24",
    "a_25_44",
    "a_45_64",
    "a_65_oo",
    "p_hh_li",
    "p_hh_osm",
    "p_ink_ar",
    "a_soz_wb",
    "g_ink_pi",
    "a_soz_ww",
    "a_soz_ao",
    "p_arb_pp",
    "a_opl_lg",
    "rivm_goed_ervaren_gezondheid",
    "rivm_beperkt_gezondheid",
    "rivm_angst_depressie",
    "misdrijven_per_1000",
    "lbm_onv",
    "lbm_won",
    "g_afs_hp",
    "g_afs_gs",
    "g_afs_sc",
    "lbm_fys",
];

/// The comparison indicators at the end of the table, which are not in the profile: voter
/// turnout (%), households in energy poverty (%) and unhealthy lifestyle (%).
pub const COMPARATOR_COLUMNS: [&str; 3] = ["opkomst", "energiearmoede", "ongezonde_leefstijl"];

/// The target Pearson correlations of [`COMPARATOR_COLUMNS`] with the MDI score (per year,
/// over the buurten that the nl-cbs profile ranks).
pub const COMPARATOR_TARGETS: [f64; 3] = [-0.8, 0.6, 0.5];

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of buurten (1 to [`MAX_AREAS`]); default 600.
    pub areas: usize,
    /// The first year of the table; default 2015.
    pub first_year: i32,
    /// The last year of the table (at least `first_year`); default 2024.
    pub last_year: i32,
    /// The region's largest side, km (1 to [`MAX_SIDE_KM`]): the cells are sized to fill it.
    /// `None` (the default): cells of 1.6 km, shrunk beyond about 12,500 buurten so that the
    /// region stays within 180 km.
    pub side_km: Option<u32>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            areas: 600,
            first_year: 2015,
            last_year: 2024,
            side_km: None,
        }
    }
}

/// The generated region.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    /// The buurten: RD New polygons with the text attributes `buurtcode`, `buurtnaam`,
    /// `wijkcode`, `wijknaam`, `gemeentecode`, `gemeentenaam` and `water` (`"NEE"`, or `"JA"`
    /// for the water-only buurten). Path [`DEMO_PATH`], layer `buurten`, in code order.
    pub buurten: Source,
    /// The indicator table: a header `buurtcode,jaar,`[`INDICATOR_COLUMNS`]`,`
    /// [`COMPARATOR_COLUMNS`], then one row per year and buurt (years ascending, buurten in
    /// code order); comma-separated, decimal point, empty = missing.
    pub table_csv: String,
    /// The years of the table, ascending.
    pub years: Vec<i32>,
    /// The region's name.
    pub name: String,
    /// A description of the region, in Dutch.
    pub description: String,
    /// The attribution line.
    pub attribution: String,
}

/// Generate the demo region.
///
/// # Errors
/// An error naming [`DEMO_PATH`] when `areas` is 0 or above [`MAX_AREAS`], the years are not
/// 4-digit years with `first_year ≤ last_year`, or `side_km` is outside 1 to [`MAX_SIDE_KM`]
/// or gives cells smaller than [`MIN_CELL_M`].
pub fn generate(options: &DemoOptions) -> Result<Demo> {
    let n = options.areas;
    if n == 0 || n > MAX_AREAS {
        bail!("{DEMO_PATH}: the demo region needs 1 to {MAX_AREAS} buurten, not {n}");
    }
    let (first, last) = (options.first_year, options.last_year);
    if !(1000..=9999).contains(&first) || !(1000..=9999).contains(&last) || first > last {
        bail!(
            "{DEMO_PATH}: the demo years must be 4-digit years with first ≤ last, not \
             {first}–{last}"
        );
    }
    let years: Vec<i32> = (first..=last).collect();

    if let Some(km) = options.side_km
        && !(1..=MAX_SIDE_KM).contains(&km)
    {
        bail!("{DEMO_PATH}: the side of the demo region must be 1 to {MAX_SIDE_KM} km, not {km}");
    }
    let layout = Layout::new(n, options.side_km.map(|km| f64::from(km) * 1000.0));
    if let Some(km) = options.side_km
        && layout.cell_size() < MIN_CELL_M
    {
        bail!(
            "{DEMO_PATH}: a side of {km} km leaves cells of {} m for {n} buurten, below the \
             {MIN_CELL_M} m that the generator needs; ask for a larger side or fewer buurten",
            layout.cell_size()
        );
    }
    let cells = cell_data(&layout);
    let features = build_features(&layout);
    let table_csv = build_table(&layout, &cells, &years);

    let name = "Synthetische demoregio (mdi-atlas)".to_string();
    let description = format!(
        "Verzonnen regio van {} buurten in {} wijken en {} gemeenten, {first}–{last}, volledig \
         gegenereerd door mdi-atlas: geen echte plaatsen en geen echte cijfers. De achterstand \
         concentreert zich in brandhaarden, neemt in de regio langzaam af, maar het minst in de \
         meest achtergestelde buurten. Bedoeld om de atlas te tonen en te testen.",
        n,
        layout.wijken.len(),
        layout.gemeenten,
    );
    let attribution =
        "Synthetische gegevens, gegenereerd door mdi-atlas; geen bron, vrij te gebruiken."
            .to_string();
    Ok(Demo {
        buurten: Source {
            path: PathBuf::from(DEMO_PATH),
            layer: Some("buurten".to_string()),
            crs: Crs::RdNew,
            features,
        },
        table_csv,
        years,
        name,
        description,
        attribution,
    })
}
