//! The generated demo region: a fictional region of buurten, wijken and gemeenten in RD New with
//! an indicator table for the nl-cbs profile, written entirely by mdi-atlas. Nothing in it is a
//! real place or a real figure.
//!
//! # Geometry
//!
//! The buurten are the cells of a grid of `cols × rows` lattice squares, visited in the order of
//! a generalised Hilbert curve (after J. Červený's "gilbert" construction, which handles
//! rectangles of any size; with an even number of columns every step is to a side neighbour).
//! The region is the first `C` cells of that curve, so it is one piece without holes, and every
//! wijk and gemeente, being a run of consecutive cells of the curve, is one piece as well.
//! Lattice corners are jittered by at most 0.12 cell in each axis, and every edge between two
//! corners gets 1–3 wiggle points (at most 5% of the edge length to either side) computed from
//! the edge's two corners in sorted order, so both neighbours build the same coordinates and
//! borders are shared exactly. Coordinates are rounded to the millimetre. Rings are
//! counter-clockwise (holes clockwise) and simple. About one buurt in 200 is a lake: a small
//! water-only buurt (`water = "JA"`, population 0) that lies inside another buurt of the same
//! wijk, which has the lake's ring as a hole.
//!
//! The cells are 1,600 m squares up to about 12,500 buurten; beyond that they shrink so that
//! the region stays within 180 × 180 km around RD (190,000, 450,000). For the default 600
//! buurten the region spans about x 169,000–211,000 and y 431,000–469,000.
//!
//! # Codes and names
//!
//! About 150 buurten per gemeente (at most 999 gemeenten) and 15 per wijk. Gemeente codes are
//! `GM99gg` (`gg` = 01–99) up to 99 gemeenten and `GM9ggg` beyond; wijk codes `WK` + the four
//! gemeente digits + two characters; buurt codes `BU` + the wijk's six characters + two
//! characters. Wijk and buurt numbers are 01–99 and then, like Amsterdam's codes, a letter and
//! a digit or letter (`A0`…`ZZ`), so `WK` + `buurtcode[2..8]` is the wijk and `GM` +
//! `code[2..6]` the gemeente at every size. Real CBS gemeente codes stay below 2000, so these
//! codes cannot collide with them. Names are built from Dutch-sounding syllables; gemeente
//! names end with " (synthetisch)".
//!
//! # Data
//!
//! A latent deprivation field over space (Gaussian hotspots on a jittered lattice plus smooth
//! value noise and a little white noise), so that deprivation clusters. Each of the seven
//! domains mixes the latent with a domain-specific spatial field; each indicator adds its own
//! persistent and yearly noise to its domain and is mapped to a plausible range in the
//! direction of the profile (e.g. income per inhabitant falls as deprivation rises). Over the
//! years the region improves slowly, but the more deprived a buurt is, the less it improves
//! (the most deprived slowly worsen): deprivation persists in the hotspots and diverges
//! (β > 0 in a β-convergence regression on pooled scores). Domain values also drift by a small
//! random walk from the first year.
//!
//! Three comparison indicators that are not in the profile, `opkomst` (turnout, %),
//! `energiearmoede` (% of households) and `ongezonde_leefstijl` (%), are built per year from an
//! approximation of the MDI (the domain values ranked, exponentially transformed and weighted as
//! in the profile) plus noise that is made exactly uncorrelated with that approximation, so that
//! their Pearson correlations with the MDI score that mdi-core computes are −0.8, 0.6 and 0.5
//! to within about 0.005 in every year (the approximation correlates at about 0.999 with the
//! real score).
//!
//! Populations are 100–4,000 for ordinary buurten. About 2% are small (below 100 inhabitants,
//! so the profile excludes them; as in CBS tables their income, health and comparison cells are
//! empty) and the lakes have 0 inhabitants and empty cells except the counts.
//!
//! # Determinism and cost
//!
//! All randomness comes from splitmix64 hashes of integers, and parallel work is collected in
//! order, so the same [`DemoOptions`] give byte-identical output (on the same platform: the
//! values pass through `exp`, `ln` and `cos`). Generation is parallel with rayon.
//!
//! Measured on 2 cores (release build): 600 buurten × 10 years in 0.07 s; 1,000,000 buurten
//! × 1 year in about 10 s with a peak of 1.8 GB; 1,000,000 × 10 years in about 65–75 s with a
//! peak of 3.1 GB. The features take about 1.3 KB per buurt (13 coordinates, seven text
//! attributes); the table takes about 126 bytes per buurt per year, so each further year costs
//! about 130 MB per million buurten (it is one `String`); the working data (about 0.4 KB per
//! buurt) is freed on return.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use mdi_core::stats::exp_transform;
use rayon::prelude::*;

use crate::crs::Crs;
use crate::error::{GeoError, Result};
use crate::model::{Feature, Source, Value};

/// The `path` of the generated [`Source`].
pub const DEMO_PATH: &str = "synthetic:demo";

/// The largest number of buurten [`generate`] accepts (about 3.6 GB for one year; the codes
/// would allow about 15 million).
pub const MAX_AREAS: usize = 2_000_000;

/// The columns of the table after `buurtcode,jaar` that the nl-cbs profile reads (KWB short
/// codes), in table order.
pub const INDICATOR_COLUMNS: [&str; 22] = [
    "a_inw",
    "a_15_24",
    "a_25_44",
    "a_45_64",
    "a_65_oo",
    "p_hh_li",
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
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            areas: 600,
            first_year: 2015,
            last_year: 2024,
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
/// [`GeoError::Format`] (path [`DEMO_PATH`]) when `areas` is 0 or above [`MAX_AREAS`], or the
/// years are not 4-digit years with `first_year ≤ last_year`.
pub fn generate(options: &DemoOptions) -> Result<Demo> {
    let err = |message: String| GeoError::Format {
        path: PathBuf::from(DEMO_PATH),
        message,
    };
    let n = options.areas;
    if n == 0 || n > MAX_AREAS {
        return Err(err(format!(
            "the demo region needs 1 to {MAX_AREAS} buurten, not {n}"
        )));
    }
    let (first, last) = (options.first_year, options.last_year);
    if !(1000..=9999).contains(&first) || !(1000..=9999).contains(&last) || first > last {
        return Err(err(format!(
            "the demo years must be 4-digit years with first ≤ last, not {first}–{last}"
        )));
    }
    let years: Vec<i32> = (first..=last).collect();

    let layout = Layout::new(n);
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

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-randomness.

/// Hash streams, one per purpose.
mod stream {
    pub const JITTER_X: u64 = 1;
    pub const JITTER_Y: u64 = 2;
    pub const EDGE: u64 = 3;
    pub const HOT: u64 = 4;
    pub const FIELD: u64 = 5;
    pub const WHITE: u64 = 6;
    pub const LAKE: u64 = 7;
    pub const SMALL: u64 = 8;
    pub const POP: u64 = 9;
    pub const ETA: u64 = 10;
    pub const IND_PERSIST: u64 = 11;
    pub const IND_YEAR: u64 = 12;
    pub const CMP_PERSIST: u64 = 13;
    pub const CMP_YEAR: u64 = 14;
    pub const WIJK_SIZE: u64 = 15;
    pub const NAME: u64 = 16;
}

/// The splitmix64 finaliser.
fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of a stream, two integers and a sub-key.
fn hash(stream: u64, a: u64, b: u64, k: u64) -> u64 {
    mix(mix(mix(mix(stream) ^ a) ^ b) ^ k)
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// A uniform number in [0, 1).
fn uniform(stream: u64, a: u64, b: u64, k: u64) -> f64 {
    unit(hash(stream, a, b, k))
}

/// A standard normal number (Box–Muller).
fn normal(stream: u64, a: u64, b: u64, k: u64) -> f64 {
    let h = hash(stream, a, b, k);
    let u1 = 1.0 - unit(h);
    let u2 = unit(mix(h ^ 0x5851_F42D_4C95_7F2D));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An integer coordinate as a hash input (negative values wrap).
fn key(i: i64) -> u64 {
    i as u64
}

// ---------------------------------------------------------------------------------------------
// Layout: grid, curve, hierarchy.

/// Cell size for small regions, metres.
const CELL_SIZE: f64 = 1_600.0;
/// The largest side of the region, metres.
const MAX_SIDE: f64 = 180_000.0;
/// Centre of the region in RD New.
const CENTRE: (f64, f64) = (190_000.0, 450_000.0);
/// Largest corner jitter, as a fraction of the cell size, per axis.
const JITTER: f64 = 0.12;
/// Largest sideways wiggle of an edge point, as a fraction of the edge length.
const WIGGLE: f64 = 0.05;

/// One buurt of the plan: a grid cell or the lake inside one.
#[derive(Debug, Clone, Copy)]
struct Buurt {
    /// The cell (position on the curve).
    cell: u32,
    /// True for the lake inside the cell.
    water: bool,
    /// The wijk (global index).
    wijk: u32,
    /// The buurt's number within its wijk (0-based).
    local: u32,
}

/// One wijk of the plan.
#[derive(Debug, Clone)]
struct Wijk {
    /// The gemeente (index).
    gemeente: u32,
    /// The wijk's number within its gemeente (0-based).
    local: u32,
}

/// Where everything goes.
struct Layout {
    cols: usize,
    cell: f64,
    origin: (f64, f64),
    /// Grid position of each cell, in curve order.
    cells: Vec<(u32, u32)>,
    /// Whether each cell holds a lake.
    host: Vec<bool>,
    /// Whether each cell is a small buurt (below 100 inhabitants).
    small: Vec<bool>,
    /// The buurten, in code order.
    buurten: Vec<Buurt>,
    wijken: Vec<Wijk>,
    gemeenten: usize,
    /// Gemeente numbers (9901…, or 9001… beyond 99 gemeenten).
    gemeente_base: u32,
}

impl Layout {
    fn new(n: usize) -> Layout {
        let lakes = if n >= 200 { n / 200 } else { 0 };
        let c = n - lakes;
        // An even number of columns, at least as many as rows: the curve then only takes side
        // steps.
        let side = (c as f64).sqrt().ceil() as usize;
        let cols = side + (side & 1);
        let rows = c.div_ceil(cols);
        let cell = CELL_SIZE.min((MAX_SIDE / cols as f64).floor());
        let origin = (
            (CENTRE.0 - cols as f64 * cell / 2.0).round(),
            (CENTRE.1 - rows as f64 * cell / 2.0).round(),
        );
        let mut cells = gilbert(cols, rows);
        cells.truncate(c);

        let mut host = vec![false; c];
        for k in 0..lakes {
            let p = ((k as f64 + 0.25 + 0.5 * uniform(stream::LAKE, k as u64, 0, 0)) * c as f64
                / lakes as f64) as usize;
            host[p.min(c - 1)] = true;
        }
        let small: Vec<bool> = (0..c)
            .map(|i| !host[i] && uniform(stream::SMALL, i as u64, 0, 0) < 0.02)
            .collect();

        let n_wijken = ((n as f64 / 15.0).round() as usize).clamp(1, c);
        let gemeenten = ((n as f64 / 150.0).round() as usize).clamp(1, 999.min(n_wijken));
        // Wijk sizes vary between about 0.7 and 1.3 times the mean.
        let weights: Vec<f64> = (0..n_wijken)
            .map(|k| 0.7 + 0.6 * uniform(stream::WIJK_SIZE, k as u64, 0, 0))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut bounds = Vec::with_capacity(n_wijken + 1);
        bounds.push(0usize);
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w;
            let b = if k + 1 == n_wijken {
                c
            } else {
                ((acc / total * c as f64).round() as usize)
                    .max(bounds[k] + 1)
                    .min(c - (n_wijken - k - 1))
            };
            bounds.push(b);
        }
        let mut buurten = Vec::with_capacity(n);
        let mut wijken = Vec::with_capacity(n_wijken);
        for k in 0..n_wijken {
            let gemeente = k * gemeenten / n_wijken;
            let first_of_gemeente = (gemeente * n_wijken).div_ceil(gemeenten);
            wijken.push(Wijk {
                gemeente: gemeente as u32,
                local: (k - first_of_gemeente) as u32,
            });
            let mut local = 0u32;
            for (cell, &has_lake) in host.iter().enumerate().take(bounds[k + 1]).skip(bounds[k]) {
                for water in [false, true] {
                    if water && !has_lake {
                        continue;
                    }
                    buurten.push(Buurt {
                        cell: cell as u32,
                        water,
                        wijk: k as u32,
                        local,
                    });
                    local += 1;
                }
            }
        }
        Layout {
            cols,
            cell,
            origin,
            cells,
            host,
            small,
            buurten,
            wijken,
            gemeenten,
            gemeente_base: if gemeenten <= 99 { 9901 } else { 9001 },
        }
    }

    /// The jittered lattice corner `(ix, iy)`, in RD metres rounded to the millimetre.
    fn corner(&self, ix: u32, iy: u32) -> Coord<f64> {
        let id = u64::from(iy) * (self.cols as u64 + 1) + u64::from(ix);
        let jx = (uniform(stream::JITTER_X, id, 0, 0) - 0.5) * 2.0 * JITTER;
        let jy = (uniform(stream::JITTER_Y, id, 0, 0) - 0.5) * 2.0 * JITTER;
        Coord {
            x: mm(self.origin.0 + (f64::from(ix) + jx) * self.cell),
            y: mm(self.origin.1 + (f64::from(iy) + jy) * self.cell),
        }
    }

    /// The wiggle points of the edge from corner `a` to corner `b` (`a` before `b` in lattice
    /// order), appended in that direction or reversed.
    fn edge(&self, a: (u32, u32), b: (u32, u32), reverse: bool, out: &mut Vec<Coord<f64>>) {
        let id = |p: (u32, u32)| u64::from(p.1) * (self.cols as u64 + 1) + u64::from(p.0);
        let (pa, pb) = (self.corner(a.0, a.1), self.corner(b.0, b.1));
        let h = hash(stream::EDGE, id(a), id(b), 0);
        let k = 1 + (h % 3) as usize;
        let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
        let start = out.len();
        for j in 0..k {
            let t = (j + 1) as f64 / (k + 1) as f64
                + (uniform(stream::EDGE, id(a), id(b), 1 + 2 * j as u64) - 0.5) * 0.1;
            let o = (uniform(stream::EDGE, id(a), id(b), 2 + 2 * j as u64) - 0.5) * 2.0 * WIGGLE;
            out.push(Coord {
                x: mm(pa.x + t * dx - o * dy),
                y: mm(pa.y + t * dy + o * dx),
            });
        }
        if reverse {
            out[start..].reverse();
        }
    }

    /// The exterior ring of a cell, counter-clockwise and closed.
    fn cell_ring(&self, cell: usize) -> LineString<f64> {
        let (x, y) = self.cells[cell];
        let mut ring = Vec::with_capacity(17);
        ring.push(self.corner(x, y));
        self.edge((x, y), (x + 1, y), false, &mut ring);
        ring.push(self.corner(x + 1, y));
        self.edge((x + 1, y), (x + 1, y + 1), false, &mut ring);
        ring.push(self.corner(x + 1, y + 1));
        self.edge((x, y + 1), (x + 1, y + 1), true, &mut ring);
        ring.push(self.corner(x, y + 1));
        self.edge((x, y), (x, y + 1), true, &mut ring);
        ring.push(ring[0]);
        LineString(ring)
    }

    /// The ring of the lake in a cell, counter-clockwise and closed.
    fn lake_ring(&self, cell: usize) -> LineString<f64> {
        let (x, y) = self.cells[cell];
        let cs = [
            self.corner(x, y),
            self.corner(x + 1, y),
            self.corner(x + 1, y + 1),
            self.corner(x, y + 1),
        ];
        let cx = cs.iter().map(|c| c.x).sum::<f64>() / 4.0;
        let cy = cs.iter().map(|c| c.y).sum::<f64>() / 4.0;
        let c = cell as u64;
        let r0 = self.cell * (0.15 + 0.05 * uniform(stream::LAKE, c, 1, 0));
        const M: usize = 10;
        let step = std::f64::consts::TAU / M as f64;
        let mut ring: Vec<Coord<f64>> = (0..M)
            .map(|j| {
                let a = step * (j as f64 + (uniform(stream::LAKE, c, 2, j as u64) - 0.5) * 0.3);
                let r = r0 * (0.85 + 0.3 * uniform(stream::LAKE, c, 3, j as u64));
                Coord {
                    x: mm(cx + r * a.cos()),
                    y: mm(cy + r * a.sin()),
                }
            })
            .collect();
        ring.push(ring[0]);
        LineString(ring)
    }

    /// The gemeente number of a wijk (e.g. 9901).
    fn gemeente_number(&self, gemeente: u32) -> u32 {
        self.gemeente_base + gemeente
    }
}

/// Round to the millimetre.
fn mm(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The cells of a `width × height` grid in the order of a generalised Hilbert curve starting
/// at (0, 0) (after Červený's "gilbert" algorithm).
fn gilbert(width: usize, height: usize) -> Vec<(u32, u32)> {
    fn go(x: i64, y: i64, ax: i64, ay: i64, bx: i64, by: i64, out: &mut Vec<(u32, u32)>) {
        let w = (ax + ay).abs();
        let h = (bx + by).abs();
        let (dax, day) = (ax.signum(), ay.signum());
        let (dbx, dby) = (bx.signum(), by.signum());
        let push = |out: &mut Vec<(u32, u32)>, x: i64, y: i64| out.push((x as u32, y as u32));
        if h == 1 {
            for i in 0..w {
                push(out, x + i * dax, y + i * day);
            }
            return;
        }
        if w == 1 {
            for i in 0..h {
                push(out, x + i * dbx, y + i * dby);
            }
            return;
        }
        let (mut ax2, mut ay2) = (ax.div_euclid(2), ay.div_euclid(2));
        let (mut bx2, mut by2) = (bx.div_euclid(2), by.div_euclid(2));
        let w2 = (ax2 + ay2).abs();
        let h2 = (bx2 + by2).abs();
        if 2 * w > 3 * h {
            if w2 % 2 != 0 && w > 2 {
                ax2 += dax;
                ay2 += day;
            }
            go(x, y, ax2, ay2, bx, by, out);
            go(x + ax2, y + ay2, ax - ax2, ay - ay2, bx, by, out);
        } else {
            if h2 % 2 != 0 && h > 2 {
                bx2 += dbx;
                by2 += dby;
            }
            go(x, y, bx2, by2, ax2, ay2, out);
            go(x + bx2, y + by2, ax, ay, bx - bx2, by - by2, out);
            go(
                x + (ax - dax) + (bx2 - dbx),
                y + (ay - day) + (by2 - dby),
                -bx2,
                -by2,
                -(ax - ax2),
                -(ay - ay2),
                out,
            );
        }
    }
    let mut out = Vec::with_capacity(width * height);
    let (w, h) = (width as i64, height as i64);
    if w >= h {
        go(0, 0, w, 0, 0, h, &mut out);
    } else {
        go(0, 0, 0, h, w, 0, &mut out);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Names and codes.

const NAME_HEADS: [&str; 20] = [
    "Noord", "Ooster", "Zuider", "Wester", "Hoog", "Laag", "Oud", "Nieuw", "Groot", "Klein", "Mid",
    "Bree", "Eem", "Vlie", "Lin", "Reu", "Ter", "Wol", "Ber", "Hel",
];
const NAME_JOINS: [&str; 4] = ["", "e", "en", "s"];
const NAME_TAILS: [&str; 20] = [
    "meer", "broek", "veen", "dijk", "wolde", "horst", "donk", "hoven", "dam", "sloot", "gouw",
    "zande", "heem", "loo", "rode", "kerk", "sum", "wier", "hout", "waard",
];
const BUURT_SUFFIXES: [&str; 24] = [
    "Noord", "Oost", "Zuid", "West", "Centrum", "Park", "Haven", "Kwartier", "Veld", "Kade", "Hof",
    "Dorp", "Akker", "Buiten", "Hoek", "Laan", "Molen", "Weide", "Bos", "Es", "Tuinen", "Eiland",
    "Kamp", "Polder",
];
const ARTICLES: [&str; 4] = ["", "", "De ", "Het "];

/// Name number `c` of the 1,600 syllable combinations.
fn combo(c: usize) -> String {
    let c = c % 1600;
    let head = NAME_HEADS[c % 20];
    // After a head ending in "e" ("Bree", "Vlie"), "e" becomes "r" and "en" becomes "n", which
    // keeps the four joins distinct.
    let join = match (head.ends_with('e'), NAME_JOINS[c / 400]) {
        (true, "e") => "r",
        (true, "en") => "n",
        (_, j) => j,
    };
    format!("{head}{join}{}", NAME_TAILS[(c / 20) % 20])
}

/// The base name of gemeente `g` (distinct for all 999 gemeenten: 7919 is prime to 1600).
fn gemeente_base_name(g: usize) -> String {
    combo(g * 7919 + 311)
}

/// The name of wijk `k` (global index) that is number `local` in gemeente `g`.
fn wijk_name(k: usize, local: u32, g: usize) -> String {
    if local == 0 {
        format!("{} Centrum", gemeente_base_name(g))
    } else {
        let h = hash(stream::NAME, k as u64, 0, 0);
        format!("{}{}", ARTICLES[(h % 4) as usize], combo((h >> 8) as usize))
    }
}

/// Two characters for the number `i` (1-based in practice): `00`–`99`, then `A0`…`ZZ`.
fn code2(i: u32) -> [u8; 2] {
    const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 100 {
        [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8]
    } else {
        let j = (i - 100) as usize;
        [b'A' + (j / 36).min(25) as u8, ALNUM[j % 36]]
    }
}

/// The code of a buurt, `BU` + gemeente (4) + wijk (2) + buurt (2).
fn buurt_code(layout: &Layout, b: &Buurt) -> String {
    let w = &layout.wijken[b.wijk as usize];
    let mut s = String::with_capacity(10);
    let _ = write!(s, "BU{:04}", layout.gemeente_number(w.gemeente));
    s.extend(code2(w.local + 1).map(char::from));
    s.extend(code2(b.local + 1).map(char::from));
    s
}

// ---------------------------------------------------------------------------------------------
// Features.

fn build_features(layout: &Layout) -> Vec<Feature> {
    let gemeente_names: Vec<String> = (0..layout.gemeenten)
        .map(|g| format!("{} (synthetisch)", gemeente_base_name(g)))
        .collect();
    let wijk_names: Vec<String> = layout
        .wijken
        .iter()
        .enumerate()
        .map(|(k, w)| wijk_name(k, w.local, w.gemeente as usize))
        .collect();
    layout
        .buurten
        .par_iter()
        .enumerate()
        .map(|(index, b)| {
            let cell = b.cell as usize;
            let polygon = if b.water {
                Polygon::new(layout.lake_ring(cell), Vec::new())
            } else {
                let holes = if layout.host[cell] {
                    let mut lake = layout.lake_ring(cell);
                    lake.0.reverse();
                    vec![lake]
                } else {
                    Vec::new()
                };
                Polygon::new(layout.cell_ring(cell), holes)
            };
            let code = buurt_code(layout, b);
            let wijk = &layout.wijken[b.wijk as usize];
            let wijknaam = &wijk_names[b.wijk as usize];
            let name = if b.water {
                format!("{wijknaam} Plas")
            } else if b.local < 24 {
                let off = (hash(stream::NAME, u64::from(b.wijk), 1, 0) % 24) as u32;
                format!(
                    "{wijknaam} {}",
                    BUURT_SUFFIXES[((b.local + off) % 24) as usize]
                )
            } else {
                format!("{wijknaam} {}", b.local + 1)
            };
            let text = |s: &str| Value::Text(s.to_string());
            let mut properties = BTreeMap::new();
            properties.insert("wijkcode".to_string(), text(&format!("WK{}", &code[2..8])));
            properties.insert(
                "gemeentecode".to_string(),
                text(&format!("GM{}", &code[2..6])),
            );
            properties.insert("buurtcode".to_string(), Value::Text(code));
            properties.insert("buurtnaam".to_string(), Value::Text(name));
            properties.insert("wijknaam".to_string(), text(wijknaam));
            properties.insert(
                "gemeentenaam".to_string(),
                text(&gemeente_names[wijk.gemeente as usize]),
            );
            properties.insert(
                "water".to_string(),
                text(if b.water { "JA" } else { "NEE" }),
            );
            Feature {
                index,
                geometry: MultiPolygon(vec![polygon]),
                properties,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Spatial fields and per-cell data.

/// Domains in profile order: inkomen, werk, opleiding, gezondheid, veiligheid, huisvesting,
/// woonomgeving.
const DOMAINS: usize = 7;
/// The nl-cbs domain weights (used only to approximate the MDI for the comparators).
const WEIGHTS: [f64; DOMAINS] = [0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093];
/// How much of each domain is the shared latent.
const RHO: [f64; DOMAINS] = [0.92, 0.88, 0.82, 0.78, 0.62, 0.35, 0.55];
/// Improvement per year, in latent units, of a buurt at the mean latent…
const TREND_BASE: f64 = 0.045;
/// …less this much per unit of latent deprivation (divergence).
const TREND_SLOPE: f64 = 0.035;
/// The yearly step of the random walk of the domain values.
const ETA_STEP: f64 = 0.05;
/// Spacing of the hotspot lattice, in cells.
const HOT_SPACING: f64 = 10.0;

/// Indicators (other than population and ages), in table order, and their domains.
const INDICATORS: usize = 17;
const INDICATOR_DOMAIN: [usize; INDICATORS] = [0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 5, 5, 5, 5, 6];
/// Persistent and yearly noise of each indicator around its domain.
const IND_PERSIST: f64 = 0.45;
const IND_YEAR: f64 = 0.12;

/// Per-cell data, fixed over the years.
#[derive(Debug, Clone, Copy)]
struct CellData {
    /// Domain values in the first year (about standard normal, higher = more deprived).
    domain: [f64; DOMAINS],
    /// Improvement per year in latent units (negative = worsening).
    trend: f64,
    /// Population in the first year.
    pop0: f64,
    /// Relative population change per year.
    growth: f64,
    /// Shares of 15–24, 25–44, 45–64 and 65+.
    ages: [f64; 4],
}

/// Smooth value noise with lattice spacing `spacing`, in [−1, 1].
fn value_noise(stream: u64, k: u64, x: f64, y: f64, spacing: f64) -> f64 {
    let (fx, fy) = (x / spacing, y / spacing);
    let (ix, iy) = (fx.floor(), fy.floor());
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (tx, ty) = (smooth(fx - ix), smooth(fy - iy));
    let (ix, iy) = (ix as i64, iy as i64);
    let v = |i: i64, j: i64| uniform(stream, key(i), key(j), k) * 2.0 - 1.0;
    let bottom = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
    let top = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
    bottom + (top - bottom) * ty
}

/// The hotspot field: Gaussian bumps at about 60% of the sites of a jittered lattice.
fn hotspots(x: f64, y: f64) -> f64 {
    let gi = (x / HOT_SPACING).floor() as i64;
    let gj = (y / HOT_SPACING).floor() as i64;
    let mut sum = 0.0;
    for i in gi - 1..=gi + 1 {
        for j in gj - 1..=gj + 1 {
            let u = |k: u64| uniform(stream::HOT, key(i), key(j), k);
            if u(0) >= 0.6 {
                continue;
            }
            let px = (i as f64 + 0.15 + 0.7 * u(1)) * HOT_SPACING;
            let py = (j as f64 + 0.15 + 0.7 * u(2)) * HOT_SPACING;
            let r = 1.6 + 2.0 * u(3);
            let a = 0.8 + 1.2 * u(4);
            let d2 = (x - px).powi(2) + (y - py).powi(2);
            sum += a * (-d2 / (2.0 * r * r)).exp();
        }
    }
    sum
}

/// Standardise columns of a row-major array in place (sequential sums: deterministic).
fn standardise<const K: usize>(rows: &mut [[f64; K]]) {
    let n = rows.len().max(1) as f64;
    for k in 0..K {
        let mean = rows.iter().map(|r| r[k]).sum::<f64>() / n;
        let var = rows.iter().map(|r| (r[k] - mean).powi(2)).sum::<f64>() / n;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        for r in rows.iter_mut() {
            r[k] = (r[k] - mean) / sd;
        }
    }
}

fn cell_data(layout: &Layout) -> Vec<CellData> {
    // Fields: hotspots, two scales of value noise, white noise; then per domain a field and
    // white noise.
    const F: usize = 4 + 2 * DOMAINS;
    let mut fields: Vec<[f64; F]> = layout
        .cells
        .par_iter()
        .enumerate()
        .map(|(i, &(cx, cy))| {
            let (x, y) = (f64::from(cx) + 0.5, f64::from(cy) + 0.5);
            let i = i as u64;
            let mut f = [0.0; F];
            f[0] = hotspots(x, y);
            f[1] = value_noise(stream::FIELD, 100, x, y, 16.0);
            f[2] = value_noise(stream::FIELD, 101, x, y, 6.0);
            f[3] = normal(stream::WHITE, i, 100, 0);
            for d in 0..DOMAINS {
                f[4 + 2 * d] = value_noise(stream::FIELD, d as u64, x, y, 9.0);
                f[5 + 2 * d] = normal(stream::WHITE, i, d as u64, 0);
            }
            f
        })
        .collect();
    standardise(&mut fields);
    let mut latent: Vec<[f64; 1]> = fields
        .iter()
        .map(|f| [1.0 * f[0] + 0.55 * f[1] + 0.35 * f[2] + 0.3 * f[3]])
        .collect();
    standardise(&mut latent);
    fields
        .par_iter()
        .zip(latent.par_iter())
        .enumerate()
        .map(|(i, (f, l))| {
            let l = l[0];
            let mut domain = [0.0; DOMAINS];
            for (d, v) in domain.iter_mut().enumerate() {
                let own = (0.75 * f[4 + 2 * d] + 0.66 * f[5 + 2 * d]) / (0.75f64.hypot(0.66));
                *v = RHO[d] * l + (1.0 - RHO[d] * RHO[d]).sqrt() * own;
            }
            let i64 = i as u64;
            let p = |k: u64| normal(stream::POP, i64, k, 0);
            let pop0 = if layout.small[i] {
                (15.0 + 80.0 * uniform(stream::POP, i64, 9, 0)).round()
            } else {
                (1200.0 * (0.5 * p(1)).exp()).clamp(100.0, 4000.0)
            };
            let mut ages = [
                (0.115 + 0.02 * p(2) + 0.012 * l).clamp(0.04, 0.4),
                (0.26 + 0.035 * p(3)).clamp(0.12, 0.45),
                (0.27 + 0.03 * p(4)).clamp(0.15, 0.4),
                (0.19 + 0.05 * p(5)).clamp(0.03, 0.45),
            ];
            let total: f64 = ages.iter().sum();
            if total > 0.95 {
                for a in &mut ages {
                    *a *= 0.95 / total;
                }
            }
            CellData {
                domain,
                trend: TREND_BASE - TREND_SLOPE * l,
                pop0,
                growth: 0.004 + 0.008 * p(6),
                ages,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The table.

/// The oriented indicator values (higher = more deprived) of a cell in a year.
fn indicator_z(
    cell: &CellData,
    i: usize,
    year: i32,
    offset: f64,
    eta: &[f64; DOMAINS],
) -> [f64; INDICATORS] {
    let mut z = [0.0; INDICATORS];
    let i = i as u64;
    for (k, v) in z.iter_mut().enumerate() {
        let d = INDICATOR_DOMAIN[k];
        let dt = cell.domain[d] - cell.trend * offset + eta[d];
        *v = dt
            + IND_PERSIST * normal(stream::IND_PERSIST, i, k as u64, 0)
            + IND_YEAR * normal(stream::IND_YEAR, i, k as u64, year as u64);
    }
    z
}

/// The approximate domain scores of a cell, as the pipeline would combine its indicators.
fn approx_domains(z: &[f64; INDICATORS]) -> [f64; DOMAINS] {
    let mean = |r: std::ops::Range<usize>| {
        let n = r.len() as f64;
        z[r].iter().sum::<f64>() / n
    };
    [
        mean(0..3),
        mean(3..6),
        z[6],
        mean(7..10),
        mean(10..12),
        0.5 * z[12] + 0.5 * mean(13..16),
        z[16],
    ]
}

/// Population of a cell in a year.
fn population(cell: &CellData, small: bool, offset: f64) -> f64 {
    let p = (cell.pop0 * (1.0 + cell.growth).powf(offset)).round();
    if small {
        p.clamp(5.0, 99.0)
    } else {
        p.clamp(100.0, 4000.0)
    }
}

/// Append a number with `decimals` decimals (no "-0").
fn push_fixed(out: &mut String, v: f64, decimals: usize) {
    let scale = 10f64.powi(decimals as i32);
    let r = (v * scale).round();
    let r = if r == 0.0 { 0.0 } else { r };
    let _ = write!(out, "{:.*}", decimals, r / scale);
}

/// Append an integer.
fn push_int(out: &mut String, v: f64) {
    let _ = write!(out, "{}", v.round() as i64);
}

fn build_table(layout: &Layout, cells: &[CellData], years: &[i32]) -> String {
    let mut header = String::from("buurtcode,jaar");
    for c in INDICATOR_COLUMNS.iter().chain(&COMPARATOR_COLUMNS) {
        header.push(',');
        header.push_str(c);
    }
    header.push('\n');
    let n_cells = cells.len();
    let first = years.first().copied().unwrap_or_default();
    let eligible: Vec<u32> = (0..n_cells as u32)
        .filter(|&i| !layout.small[i as usize])
        .collect();
    let codes: Vec<String> = layout
        .buurten
        .par_iter()
        .map(|b| buurt_code(layout, b))
        .collect();
    let mut eta = vec![[0.0; DOMAINS]; n_cells];
    // Rows take about 126 bytes; reserving 160 avoids copying the table as it grows (pages
    // that are never written cost no memory).
    let mut table = String::with_capacity(header.len() + layout.buurten.len() * years.len() * 160);
    table.push_str(&header);
    for &year in years {
        let offset = f64::from(year - first);
        if year > first {
            eta.par_iter_mut().enumerate().for_each(|(i, e)| {
                for (d, v) in e.iter_mut().enumerate() {
                    *v += ETA_STEP * normal(stream::ETA, i as u64, d as u64, year as u64);
                }
            });
        }
        let comparators = comparators(cells, &eta, &eligible, year, offset);
        let chunks: Vec<String> = layout
            .buurten
            .par_chunks(4096)
            .enumerate()
            .map(|(ci, chunk)| {
                let mut out = String::with_capacity(chunk.len() * 200);
                for (j, b) in chunk.iter().enumerate() {
                    let code = &codes[ci * 4096 + j];
                    let c = b.cell as usize;
                    write_row(
                        &mut out,
                        code,
                        year,
                        (!b.water).then(|| (&cells[c], c, layout.small[c])),
                        offset,
                        &eta[c],
                        &comparators[c],
                    );
                }
                out
            })
            .collect();
        for chunk in chunks {
            table.push_str(&chunk);
        }
    }
    table
}

/// The comparison indicators of every cell in a year (NaN for small buurten).
fn comparators(
    cells: &[CellData],
    eta: &[[f64; DOMAINS]],
    eligible: &[u32],
    year: i32,
    offset: f64,
) -> Vec<[f64; 3]> {
    let n = cells.len();
    let scores: Vec<[f64; DOMAINS]> = cells
        .par_iter()
        .enumerate()
        .map(|(i, c)| approx_domains(&indicator_z(c, i, year, offset, &eta[i])))
        .collect();
    let m = eligible.len();
    let x: Vec<Vec<f64>> = (0..DOMAINS)
        .into_par_iter()
        .map(|d| {
            let mut order = eligible.to_vec();
            order.sort_unstable_by(|&a, &b| {
                scores[b as usize][d]
                    .total_cmp(&scores[a as usize][d])
                    .then(a.cmp(&b))
            });
            let mut x = vec![0.0; n];
            for (r, &i) in order.iter().enumerate() {
                x[i as usize] = exp_transform(r + 1, m);
            }
            x
        })
        .collect();
    let mut approx = vec![f64::NAN; n];
    for &i in eligible {
        let i = i as usize;
        approx[i] = (0..DOMAINS).map(|d| WEIGHTS[d] * x[d][i]).sum();
    }
    let mf = m.max(1) as f64;
    let mean = eligible.iter().map(|&i| approx[i as usize]).sum::<f64>() / mf;
    let sd = (eligible
        .iter()
        .map(|&i| (approx[i as usize] - mean).powi(2))
        .sum::<f64>()
        / mf)
        .sqrt()
        .max(1e-12);
    // The noise of each comparator, made exactly uncorrelated with the approximation (and
    // of unit variance) over the ranked cells, so that the comparator's correlation with the
    // approximation is its target; the correlation of the approximation with the real MDI
    // score (about 0.99) then lowers it only a little.
    let z: Vec<f64> = approx.iter().map(|a| (a - mean) / sd).collect();
    let noise: Vec<Vec<f64>> = (0..3u64)
        .map(|k| {
            let mut e: Vec<f64> = (0..n)
                .into_par_iter()
                .map(|i| {
                    0.8 * normal(stream::CMP_PERSIST, i as u64, k, 0)
                        + 0.6 * normal(stream::CMP_YEAR, i as u64, k, year as u64)
                })
                .collect();
            let mean_e = eligible.iter().map(|&i| e[i as usize]).sum::<f64>() / mf;
            let b = eligible
                .iter()
                .map(|&i| (e[i as usize] - mean_e) * z[i as usize])
                .sum::<f64>()
                / mf;
            for (v, zi) in e.iter_mut().zip(&z) {
                *v -= mean_e + b * zi;
            }
            let var = eligible.iter().map(|&i| e[i as usize].powi(2)).sum::<f64>() / mf;
            let s = if var > 0.0 { var.sqrt() } else { 1.0 };
            for v in &mut e {
                *v /= s;
            }
            e
        })
        .collect();
    const SPEC: [(f64, f64, f64, f64); 3] = [
        // (mean, sd, min, max)
        (72.0, 8.5, 25.0, 98.0),
        (7.0, 3.0, 0.2, 40.0),
        (47.0, 7.0, 10.0, 90.0),
    ];
    (0..n)
        .into_par_iter()
        .map(|i| {
            if approx[i].is_nan() {
                return [f64::NAN; 3];
            }
            let mut out = [0.0; 3];
            for (k, o) in out.iter_mut().enumerate() {
                let r = COMPARATOR_TARGETS[k];
                let (mu, s, lo, hi) = SPEC[k];
                *o = (mu + s * (r * z[i] + (1.0 - r * r).sqrt() * noise[k][i])).clamp(lo, hi);
            }
            out
        })
        .collect()
}

/// Append one table row. `cell` is `None` for a lake.
fn write_row(
    out: &mut String,
    code: &str,
    year: i32,
    cell: Option<(&CellData, usize, bool)>,
    offset: f64,
    eta: &[f64; DOMAINS],
    comparators: &[f64; 3],
) {
    out.push_str(code);
    let _ = write!(out, ",{year}");
    let Some((c, i, small)) = cell else {
        // Water: no inhabitants, counts 0, everything else missing.
        out.push_str(",0,0,0,0,0,,0,,0,0,,0,,,,,,,,,,,,,\n");
        return;
    };
    let pop = population(c, small, offset);
    let ages: [f64; 4] = c.ages.map(|a| (pop * a).round());
    let working = ages[0] + ages[1] + ages[2];
    let adults = working + ages[3];
    let z = indicator_z(c, i, year, offset, eta);
    let sep = |out: &mut String| out.push(',');
    sep(out);
    push_int(out, pop);
    for a in ages {
        sep(out);
        push_int(out, a);
    }
    let suppressed = small;
    // Inkomen.
    sep(out);
    if !suppressed {
        push_fixed(out, (7.5 * (0.45 * z[0]).exp()).clamp(0.5, 60.0), 1);
    }
    sep(out);
    push_int(out, (0.03 * (0.65 * z[1]).exp()).min(0.4) * working);
    sep(out);
    if !suppressed {
        push_fixed(out, (31.5 * (-0.16 * z[2]).exp()).clamp(12.0, 90.0), 1);
    }
    // Werk.
    sep(out);
    push_int(out, 0.02 * (0.35 * z[3]).exp() * working);
    sep(out);
    push_int(out, 0.055 * (0.35 * z[4]).exp() * working);
    sep(out);
    push_fixed(out, (68.0 - 4.5 * z[5]).clamp(30.0, 92.0), 1);
    // Opleiding.
    sep(out);
    push_int(out, (0.22 * (0.35 * z[6]).exp()).clamp(0.02, 0.85) * adults);
    // Gezondheid.
    for v in [
        (77.0 - 4.5 * z[7]).clamp(40.0, 97.0),
        (29.0 + 4.0 * z[8]).clamp(8.0, 60.0),
        (6.5 * (0.3 * z[9]).exp()).clamp(1.0, 25.0),
    ] {
        sep(out);
        if !suppressed {
            push_fixed(out, v, 1);
        }
    }
    // Veiligheid.
    sep(out);
    push_fixed(out, (45.0 * (0.45 * z[10]).exp()).clamp(2.0, 600.0), 1);
    sep(out);
    push_fixed(out, 0.02 - 0.08 * z[11], 3);
    // Huisvesting.
    sep(out);
    push_fixed(out, 0.01 - 0.06 * z[12], 3);
    for (base, k) in [(0.9, 13), (0.8, 14), (0.6, 15)] {
        sep(out);
        push_fixed(out, (base * (0.45 * z[k]).exp()).clamp(0.1, 15.0), 1);
    }
    // Woonomgeving.
    sep(out);
    push_fixed(out, -0.05 * z[16], 3);
    // Comparators.
    for v in comparators {
        sep(out);
        if !v.is_nan() {
            push_fixed(out, *v, 1);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    use std::path::Path;

    use geo::{Area, Validation, Winding, unary_union};
    use mdi_core::profile::Ranking;
    use mdi_core::stats::pearson;
    use mdi_core::{Options, Panel, Profile, Table, compute};

    use super::*;

    fn text<'a>(f: &'a Feature, k: &str) -> &'a str {
        match f.properties.get(k) {
            Some(Value::Text(t)) => t,
            other => panic!("{k}: {other:?}"),
        }
    }

    fn profile() -> Profile {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../geodata/profiles/nl-cbs.toml"
        );
        Profile::from_path(Path::new(path)).unwrap()
    }

    /// Table rows by (code, year).
    type Rows = HashMap<(String, i32), Vec<String>>;

    /// The table's header and rows, parsed by hand.
    fn cells(csv: &str) -> (Vec<String>, Rows) {
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let mut rows = HashMap::new();
        for line in lines {
            let f: Vec<String> = line.split(',').map(String::from).collect();
            assert_eq!(f.len(), header.len(), "{line}");
            let y: i32 = f[1].parse().unwrap();
            assert!(rows.insert((f[0].clone(), y), f).is_none());
        }
        (header, rows)
    }

    #[test]
    fn same_options_give_identical_output() {
        let a = generate(&DemoOptions::default()).unwrap();
        let b = generate(&DemoOptions::default()).unwrap();
        assert_eq!(a.table_csv, b.table_csv);
        assert_eq!(a.buurten, b.buurten);
        assert_eq!(a, b);
        // A shorter period is the same region with the same values in its years.
        let short = generate(&DemoOptions {
            last_year: 2016,
            ..DemoOptions::default()
        })
        .unwrap();
        assert_eq!(short.buurten, a.buurten);
        let rows = 1 + 2 * 600;
        let head: Vec<&str> = a.table_csv.lines().take(rows).collect();
        assert_eq!(short.table_csv.lines().collect::<Vec<_>>(), head);
    }

    #[test]
    fn default_counts_codes_and_names() {
        let d = generate(&DemoOptions::default()).unwrap();
        assert_eq!(d.years, (2015..=2024).collect::<Vec<_>>());
        assert_eq!(d.name, "Synthetische demoregio (mdi-atlas)");
        let s = &d.buurten;
        assert_eq!(s.crs, Crs::RdNew);
        assert_eq!(s.path, PathBuf::from("synthetic:demo"));
        assert_eq!(s.layer.as_deref(), Some("buurten"));
        let f = &s.features;
        assert_eq!(f.len(), 600);
        let codes: Vec<&str> = f.iter().map(|x| text(x, "buurtcode")).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "code order");
        let wijken: BTreeSet<&str> = f.iter().map(|x| text(x, "wijkcode")).collect();
        let gemeenten: BTreeSet<&str> = f.iter().map(|x| text(x, "gemeentecode")).collect();
        assert_eq!(wijken.len(), 40);
        assert_eq!(gemeenten.len(), 4);
        for (i, x) in f.iter().enumerate() {
            assert_eq!(x.index, i);
            let code = text(x, "buurtcode");
            assert_eq!(code.len(), 10);
            assert!(code.starts_with("BU99"), "{code}");
            assert!(code[2..].bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert_eq!(text(x, "wijkcode"), format!("WK{}", &code[2..8]));
            assert_eq!(text(x, "gemeentecode"), format!("GM{}", &code[2..6]));
            assert!(text(x, "gemeentenaam").ends_with(" (synthetisch)"));
            assert!(!text(x, "buurtnaam").is_empty() && !text(x, "wijknaam").is_empty());
            assert!(["JA", "NEE"].contains(&text(x, "water")));
            for c in x.geometry.0.iter().flat_map(|p| p.exterior().0.iter()) {
                assert!((160_000.0..220_000.0).contains(&c.x), "{c:?}");
                assert!((420_000.0..480_000.0).contains(&c.y), "{c:?}");
            }
        }
        // One gemeente name per gemeente, all different.
        let names: BTreeMap<&str, &str> = f
            .iter()
            .map(|x| (text(x, "gemeentecode"), text(x, "gemeentenaam")))
            .collect();
        assert_eq!(names.values().collect::<BTreeSet<_>>().len(), 4);

        // The table: a header and one row per buurt and year, 27 fields each.
        let (header, rows) = cells(&d.table_csv);
        let mut want = vec!["buurtcode".to_string(), "jaar".to_string()];
        want.extend(
            INDICATOR_COLUMNS
                .iter()
                .chain(&COMPARATOR_COLUMNS)
                .map(|s| s.to_string()),
        );
        assert_eq!(header, want);
        assert_eq!(rows.len(), 6000);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (inw, small, mut water) = (col("a_inw"), col("p_hh_li"), 0);
        let mut below_100 = BTreeSet::new();
        for x in f {
            let code = text(x, "buurtcode").to_string();
            for y in 2015..=2024 {
                let r = &rows[&(code.clone(), y)];
                let p: i64 = r[inw].parse().unwrap();
                if text(x, "water") == "JA" {
                    assert_eq!(p, 0);
                    water += 1;
                } else if p < 100 {
                    assert!(p > 0 && r[small].is_empty(), "{r:?}");
                    below_100.insert(code.clone());
                } else {
                    assert!(p <= 4000, "{r:?}");
                    assert!(r.iter().all(|c| !c.is_empty()), "{r:?}");
                }
            }
        }
        assert_eq!(water, 3 * 10, "three lakes");
        assert!((3..=30).contains(&below_100.len()), "{below_100:?}");
    }

    #[test]
    fn borders_are_shared_exactly() {
        let d = generate(&DemoOptions::default()).unwrap();
        let f = &d.buurten.features;
        let sum: f64 = f.iter().map(|x| x.geometry.unsigned_area()).sum();
        let union = unary_union(f.iter().map(|x| &x.geometry));
        let area = union.unsigned_area();
        eprintln!(
            "union {area} m², sum {sum} m², relative difference {:e}",
            (area - sum) / sum
        );
        assert!(
            ((area - sum) / sum).abs() < 1e-9,
            "union {area}, sum {sum}, rel {}",
            (area - sum) / sum
        );
        // One polygon without holes: the lakes fill the holes of their host buurten.
        assert_eq!(union.0.len(), 1);
        assert!(union.0[0].interiors().is_empty());
        // Every wijk and every gemeente is one piece.
        for level in ["wijkcode", "gemeentecode"] {
            let mut groups: BTreeMap<&str, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
            for x in f {
                groups.entry(text(x, level)).or_default().push(&x.geometry);
            }
            for (code, parts) in groups {
                let u = unary_union(parts.iter().copied());
                assert_eq!(u.0.len(), 1, "{code} is in {} pieces", u.0.len());
            }
        }
    }

    #[test]
    fn rings_are_valid_and_oriented() {
        for areas in [600, 3_000] {
            let d = generate(&DemoOptions {
                areas,
                first_year: 2024,
                last_year: 2024,
            })
            .unwrap();
            let mut holes = 0;
            for x in &d.buurten.features {
                assert!(
                    x.geometry.is_valid(),
                    "{}: {:?}",
                    text(x, "buurtcode"),
                    x.geometry.validation_errors()
                );
                for p in &x.geometry.0 {
                    assert!(p.exterior().is_ccw());
                    assert!((9..=17).contains(&p.exterior().0.len()) || text(x, "water") == "JA");
                    for h in p.interiors() {
                        assert!(h.is_cw());
                        holes += 1;
                    }
                }
            }
            assert_eq!(holes, areas / 200);
        }
    }

    #[test]
    fn the_curve_takes_only_side_steps() {
        for (w, h) in [
            (2, 1),
            (2, 2),
            (4, 3),
            (26, 23),
            (26, 26),
            (30, 17),
            (142, 141),
            (8, 2),
        ] {
            let c = gilbert(w, h);
            assert_eq!(c.len(), w * h);
            let set: BTreeSet<(u32, u32)> = c.iter().copied().collect();
            assert_eq!(set.len(), w * h, "{w}×{h}");
            assert!(c.iter().all(|&(x, y)| (x as usize) < w && (y as usize) < h));
            for p in c.windows(2) {
                let d = p[0].0.abs_diff(p[1].0) + p[0].1.abs_diff(p[1].1);
                assert_eq!(d, 1, "{w}×{h}: {:?} → {:?}", p[0], p[1]);
            }
        }
    }

    #[test]
    fn the_pipeline_finds_correlations_hotspots_divergence_and_improvement() {
        let d = generate(&DemoOptions::default()).unwrap();
        let profile = profile();
        let table = Table::from_bytes(Path::new(DEMO_PATH), d.table_csv.as_bytes()).unwrap();
        let panel = Panel::build(&profile, &[table], None).unwrap();
        let per_year = compute(&profile, &panel, &Options::default()).unwrap();
        assert_eq!(per_year.ranking, Ranking::PerYear);
        assert!(per_year.missing_indicators.is_empty());
        let (header, rows) = cells(&d.table_csv);
        let cols: Vec<usize> = COMPARATOR_COLUMNS
            .iter()
            .map(|c| header.iter().position(|h| h == c).unwrap())
            .collect();

        // Correlations with the comparators, per year.
        for &year in &d.years {
            let ranked: Vec<_> = per_year
                .rows
                .iter()
                .filter(|r| r.year == year && r.mdi_score.is_some())
                .collect();
            assert!(ranked.len() > 540, "{year}: {} ranked", ranked.len());
            let mdi: Vec<f64> = ranked.iter().filter_map(|r| r.mdi_score).collect();
            for (k, &c) in cols.iter().enumerate() {
                let y: Vec<f64> = ranked
                    .iter()
                    .map(|r| rows[&(r.code.to_string(), year)][c].parse().unwrap())
                    .collect();
                let r = pearson(&mdi, &y);
                eprintln!("{year} {}: r = {r:.3}", COMPARATOR_COLUMNS[k]);
                assert!(
                    (r - COMPARATOR_TARGETS[k]).abs() <= 0.1,
                    "{year} {}: r = {r}",
                    COMPARATOR_COLUMNS[k]
                );
            }
        }

        // Persistent hotspots: in decile 1 in every year.
        let mut worst: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &per_year.rows {
            if r.mdi_decile == Some(1) {
                *worst.entry(&r.code).or_default() += 1;
            }
        }
        let persistent = worst.values().filter(|&&n| n == d.years.len()).count();
        eprintln!("persistent hotspots: {persistent} of {}", worst.len());
        assert!(persistent >= 10, "{persistent}");

        // Pooled: divergence (β > 0) and a falling population-weighted mean.
        let pooled = compute(
            &profile,
            &panel,
            &Options {
                ranking: Some(Ranking::Pooled),
            },
        )
        .unwrap();
        let (first, last) = (d.years[0], d.years[d.years.len() - 1]);
        let score = |y: i32| -> BTreeMap<&str, (f64, f64)> {
            pooled
                .rows
                .iter()
                .filter(|r| r.year == y)
                .filter_map(|r| Some((&*r.code, (r.mdi_score?, r.population?))))
                .collect()
        };
        let (s0, s1) = (score(first), score(last));
        let pairs: Vec<(f64, f64)> = s0
            .iter()
            .filter_map(|(c, (x, _))| s1.get(c).map(|(y, _)| (*x, y - x)))
            .collect();
        let n = pairs.len() as f64;
        let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
        let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let beta = sxy / sxx;
        let weighted = |s: &BTreeMap<&str, (f64, f64)>| {
            s.values().map(|(x, p)| x * p).sum::<f64>() / s.values().map(|(_, p)| p).sum::<f64>()
        };
        let (m0, m1) = (weighted(&s0), weighted(&s1));
        eprintln!(
            "β = {beta:.4} (n = {n}); weighted mean pooled MDI {first}: {m0:.3}, {last}: {m1:.3}"
        );
        assert!(beta > 0.0, "β = {beta}");
        assert!(m1 < m0, "{m0} → {m1}");
    }

    #[test]
    fn twenty_thousand_buurten() {
        let d = generate(&DemoOptions {
            areas: 20_000,
            first_year: 2024,
            last_year: 2024,
        })
        .unwrap();
        let f = &d.buurten.features;
        assert_eq!(f.len(), 20_000);
        let codes: BTreeSet<&str> = f.iter().map(|x| text(x, "buurtcode")).collect();
        let wijken: BTreeSet<&str> = f.iter().map(|x| text(x, "wijkcode")).collect();
        let gemeenten: BTreeSet<&str> = f.iter().map(|x| text(x, "gemeentecode")).collect();
        assert_eq!(codes.len(), 20_000);
        assert_eq!(wijken.len(), 1_333);
        assert_eq!(gemeenten.len(), 133);
        assert_eq!(gemeenten.first().copied(), Some("GM9001"));
        assert_eq!(gemeenten.last().copied(), Some("GM9133"));
        for x in f {
            let code = text(x, "buurtcode");
            assert_eq!(text(x, "wijkcode"), format!("WK{}", &code[2..8]));
            assert_eq!(text(x, "gemeentecode"), format!("GM{}", &code[2..6]));
        }
        assert_eq!(d.table_csv.lines().count(), 20_001);
        assert_eq!(f.iter().filter(|x| text(x, "water") == "JA").count(), 100);
    }

    #[test]
    fn names_are_distinct_per_gemeente() {
        let names: BTreeSet<String> = (0..999).map(gemeente_base_name).collect();
        assert_eq!(names.len(), 999);
        assert_eq!((0..1600).map(combo).collect::<BTreeSet<_>>().len(), 1600);
        assert!(
            names
                .iter()
                .all(|n| !n.contains("eee") && !n.contains("iee"))
        );
    }

    #[test]
    fn codes_widen_to_letters() {
        assert_eq!(code2(1), *b"01");
        assert_eq!(code2(99), *b"99");
        assert_eq!(code2(100), *b"A0");
        assert_eq!(code2(135), *b"AZ");
        assert_eq!(code2(136), *b"B0");
        assert_eq!(code2(1035), *b"ZZ");
    }

    #[test]
    fn bad_options_are_errors() {
        for o in [
            DemoOptions {
                areas: 0,
                ..DemoOptions::default()
            },
            DemoOptions {
                areas: MAX_AREAS + 1,
                ..DemoOptions::default()
            },
            DemoOptions {
                first_year: 2024,
                last_year: 2015,
                ..DemoOptions::default()
            },
        ] {
            assert!(generate(&o).is_err(), "{o:?}");
        }
        // Tiny regions work.
        for areas in [1, 2, 7, 15, 199] {
            let d = generate(&DemoOptions {
                areas,
                ..DemoOptions::default()
            })
            .unwrap();
            assert_eq!(d.buurten.features.len(), areas);
        }
    }
}
