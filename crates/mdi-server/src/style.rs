//! The map styles the server hands out: `GET /style.json` (MapLibre GL) and
//! `GET /style.json?flavor=qgis` (for QGIS's *Load style from URL*).
//!
//! A style is a [MapLibre style spec v8](https://maplibre.org/maplibre-style-spec/) document for
//! the atlas's vector tiles (`docs/TILES.md`): one vector source `mdi` (the server's TileJSON), a
//! light neutral background, a choropleth of the index unit (`buurten` for the Dutch profile)
//! coloured by one [`Variable`] in one year, and the outlines of every level. [`classes`] is the
//! legend; the paint expression is built from the same table, and the style carries it in its
//! `metadata` (`mdi:legend`) so that a client can draw it.
//!
//! The styles label gemeenten, wijken and buurten by zoom from the `<layer>_labels` point layers,
//! as the web client does, with the glyphs the server serves (`glyphs`:
//! `/fonts/{fontstack}/{range}.pbf`, [`crate::glyphs`]); they have no `sprite`.
//!
//! # Levels by zoom
//!
//! The MDI choropleth follows the level bands of `metadata.json` (`levels[].band`): each level
//! with a band is drawn at its band's zooms (layer `minzoom`/`maxzoom`), the index unit above
//! the coarser levels' bands, and at every zoom when no level has a band. A variable that only
//! the index unit carries (a domain's decile, the domains in the worst decile) stays on the
//! index unit at every zoom.
//!
//! # Which properties are read
//!
//! Every expression reads only properties that the tiles carry. At low zoom the tiles may carry
//! only the `minimal` property set (`nodata`, `mdi_decile_Y`, `share_worst_decile_Y`), so the
//! default view, the MDI decile, reads nothing else: `mdi_decile_Y` and `nodata`. The other
//! variables (a domain's decile, the number of domains in the worst decile) are drawn only from
//! the first zoom whose set carries them, `map` or `full` ([`StyleInput::domains_from_zoom`]);
//! below it the map shows the outlines only and `metadata` → `mdi:minzoom` tells the client from which zoom the choropleth
//! appears.
//!
//! # Flavors
//!
//! [`Flavor::MapLibre`] adds what only MapLibre GL can do: `fill-opacity` rises while the feature
//! state `hover` is true, and for every level a `<layer>-selected` outline that shows while the
//! feature state `selected` is true (feature ids are set in the tiles; the client calls
//! `setFeatureState({source: "mdi", sourceLayer, id}, {hover|selected: true})`).
//!
//! [`Flavor::Qgis`] has the same layers without feature state and without the selection layers,
//! and uses only the expression forms that QGIS's MapBox GL style converter
//! (`QgsMapBoxGlStyleConverter`) translates, in its old releases as well as in current ones.
//!
//! What QGIS's converter supports, and so which expression forms the QGIS flavor is limited
//! to, is set out in `docs/API.md` (*The QGIS flavor*); [`QGIS_OPERATORS`] lists the operator
//! names.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The id of the one vector source of every style.
pub const SOURCE_ID: &str = "mdi";

/// The largest number of domains the domains-in-the-worst-decile scale covers (0 to 7: the seven
/// domains of the Dutch and the English profile).
pub const MAX_DOMAINS: usize = 7;

/// Every expression operator the QGIS flavor uses (`linear` is the interpolation type of
/// `interpolate`), in the forms that `QgsMapBoxGlStyleConverter` translates in QGIS 3.22 (run),
/// 3.28 and master (read): see the module documentation.
pub const QGIS_OPERATORS: [&str; 7] = ["match", "get", "interpolate", "linear", "zoom", "==", "!="];

/// The colours of the styles, from `colours.json`: the one colour file of the server's styles
/// and the web client (`web/src/classes.ts` bundles the same file). Parsed once, on first use.
static COLOURS: LazyLock<Colours> = LazyLock::new(|| {
    serde_json::from_str(include_str!("colours.json"))
        .expect("crates/mdi-server/src/colours.json is compiled in and checked by the tests")
});

/// The part of `colours.json` the styles use (the file also holds the web client's palettes).
#[derive(Debug, Deserialize)]
struct Colours {
    palettes: Palettes,
    /// 0 to [`MAX_DOMAINS`] domains in the worst decile (more is darker): eight even samples of
    /// ColorBrewer's sequential, colour-blind-safe PuRd.
    domains_in_worst_decile: [String; MAX_DOMAINS + 1],
    /// "No data" (`nodata`, or the property missing): a neutral grey, outside every palette.
    nodata: String,
    /// Water-only areas (`water`): a pale blue-grey, outside every palette, lighter than no data.
    water: String,
    /// The background (land outside the areas): a light neutral.
    background: String,
    /// The outline of a selected area (MapLibre): a blue that stands out against the reds.
    selected: String,
    outline: OutlineColours,
}

/// The decile palettes of `colours.json`, decile 1 (most deprived, darkest) first.
#[derive(Debug, Deserialize)]
struct Palettes {
    /// Ten even samples of ColorBrewer's sequential, colour-blind-safe YlOrRd (Cynthia Brewer,
    /// colorbrewer2.org; its 9-class colours as anchors, interpolated linearly in sRGB, since
    /// YlOrRd has no 10-class version).
    ylorrd: [String; 10],
}

/// The outline colours of `colours.json`.
#[derive(Debug, Deserialize)]
struct OutlineColours {
    index_unit: String,
    middle: String,
    top: String,
}

/// The choropleth's opacity, and (MapLibre) while the pointer is over an area.
const FILL_OPACITY: f64 = 0.8;
/// The labels: dark text with a white halo that keeps it readable on the darkest classes (as
/// the web client's).
const LABEL_COLOUR: &str = "#1a1a1a";
const LABEL_HALO: &str = "rgba(255,255,255,0.92)";
const LABEL_HALO_WIDTH: f64 = 1.6;
const HOVER_OPACITY: f64 = 0.95;

const SELECTED_WIDTH: f64 = 3.0;

/// How one level's outline is drawn.
struct Outline {
    colour: fn() -> &'static str,
    opacity: f64,
    /// The first zoom that draws it (`None`: every zoom).
    min_zoom: Option<u8>,
    /// `(zoom, width in pixels)` stops, interpolated linearly.
    widths: &'static [(u8, f64)],
}

/// The index unit (`buurten`): thin and faint, from the zoom where a buurt is some ten pixels
/// wide.
const THIN: Outline = Outline {
    colour: || &COLOURS.outline.index_unit,
    opacity: 0.35,
    min_zoom: Some(11),
    widths: &[(11, 0.25), (16, 1.0)],
};

/// The level above it (`wijken`).
const MEDIUM: Outline = Outline {
    colour: || &COLOURS.outline.middle,
    opacity: 0.7,
    min_zoom: Some(9),
    widths: &[(9, 0.5), (16, 2.0)],
};

/// Every coarser level (`gemeenten`, and COROP and provincies where a profile has them).
const THICK: Outline = Outline {
    colour: || &COLOURS.outline.top,
    opacity: 1.0,
    min_zoom: None,
    widths: &[(0, 0.6), (10, 1.4), (16, 3.0)],
};

/// What the style needs to know of the atlas (the server fills it from the atlas metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleInput {
    /// The atlas title: the style's `name`.
    pub title: String,
    /// The attribution, put on the vector source.
    pub attribution: String,
    /// The absolute URL of the server's `/tiles.json`: the vector source's `url`.
    pub tilejson_url: String,
    /// The years of the atlas, ascending; the default year is the last.
    pub years: Vec<i32>,
    /// The domains: `(id, display name)`, as in `metadata.json` → `domains`.
    pub domains: Vec<(String, String)>,
    /// The polygon layer names, finest (the index unit) first: `["buurten", "wijken",
    /// "gemeenten"]`.
    pub levels: Vec<String>,
    /// The zooms `(first, last)` at which each level of [`StyleInput::levels`] is the
    /// choropleth (`metadata.json` `levels[].band`), in the same order; `None` (or missing):
    /// no band. With no band at all the index unit is the choropleth at every zoom.
    pub bands: Vec<Option<(u8, u8)>>,
    /// The absolute URL template of the glyphs (`…/fonts/{fontstack}/{range}.pbf`): the
    /// style's `glyphs`.
    pub glyphs_url: String,
    /// The font of the labels (`text-font`), one the glyphs URL serves.
    pub font: String,
    /// The first zoom of the tiles.
    pub min_zoom: u8,
    /// The last zoom of the tiles.
    pub max_zoom: u8,
    /// The first zoom whose property set carries the domain deciles and
    /// `domains_in_worst_decile` (set `map` or `full`; `None`: no zoom does). Needed for every
    /// variable except [`Variable::Mdi`].
    pub domains_from_zoom: Option<u8>,
}

/// Which client the style is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// MapLibre GL JS (the web client): with hover and selection through feature state.
    #[default]
    MapLibre,
    /// QGIS's *Load style from URL* (MapBox GL style converter): no feature state, only the
    /// expression forms listed in docs/API.md (*The QGIS flavor*).
    Qgis,
}

impl Flavor {
    /// The flavor named by the `flavor` query parameter: `maplibre` or `qgis` (`None` for
    /// anything else).
    pub fn from_name(name: &str) -> Option<Flavor> {
        match name {
            "maplibre" => Some(Flavor::MapLibre),
            "qgis" => Some(Flavor::Qgis),
            _ => None,
        }
    }

    /// The flavor's name, as [`Flavor::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::MapLibre => "maplibre",
            Flavor::Qgis => "qgis",
        }
    }
}

/// What the choropleth shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Variable {
    /// The MDI decile (`mdi_decile_Y`), 1 = most deprived. Drawn at every zoom.
    #[default]
    Mdi,
    /// A domain's decile (`<id>_decile_Y`), 1 = most deprived. Drawn from [`StyleInput::domains_from_zoom`].
    Domain(String),
    /// The number of domains in decile 1 (`domains_in_worst_decile_Y`). Drawn from
    /// [`StyleInput::domains_from_zoom`].
    DomainsInWorstDecile,
}

impl Variable {
    /// The variable's id: `mdi`, the domain's id, or `domains_in_worst_decile`.
    pub fn id(&self) -> &str {
        match self {
            Variable::Mdi => "mdi",
            Variable::Domain(id) => id,
            Variable::DomainsInWorstDecile => "domains_in_worst_decile",
        }
    }

    /// The variable with this id ([`Variable::id`]); any id but `mdi` and
    /// `domains_in_worst_decile` names a domain ([`style`] checks that it exists).
    pub fn from_id(id: &str) -> Variable {
        match id {
            "mdi" => Variable::Mdi,
            "domains_in_worst_decile" => Variable::DomainsInWorstDecile,
            domain => Variable::Domain(domain.to_string()),
        }
    }

    /// The tile property holding the variable in `year`.
    fn property(&self, year: i32) -> String {
        format!("{}_{year}", self.stem())
    }

    fn stem(&self) -> String {
        match self {
            Variable::Mdi => "mdi_decile".to_string(),
            Variable::Domain(id) => format!("{id}_decile"),
            Variable::DomainsInWorstDecile => "domains_in_worst_decile".to_string(),
        }
    }
}

/// Which view the style shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StyleOptions {
    /// The year (`None`: the last year of the atlas).
    pub year: Option<i32>,
    /// The variable (default: the MDI decile).
    pub variable: Variable,
}

/// One legend entry: a value of the variable, its colour and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    /// The value (a decile, or a number of domains); `None` for "no data" (`nodata`, or the
    /// property missing), always the last class.
    pub value: Option<u8>,
    /// The colour, `#rrggbb`.
    pub color: &'static str,
    /// The label.
    pub label: String,
}

/// Why no style could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StyleError {
    /// The requested year is not in the atlas.
    #[error("unknown year {year}: the atlas has {}", join(.valid))]
    UnknownYear {
        /// The year asked for.
        year: i32,
        /// The years of the atlas.
        valid: Vec<i32>,
    },
    /// The requested domain is not in the atlas.
    #[error("unknown domain {domain:?}: the atlas has {}", join(.valid))]
    UnknownDomain {
        /// The domain asked for.
        domain: String,
        /// The domain ids of the atlas.
        valid: Vec<String>,
    },
    /// The variable needs the `full` property set and no zoom of the tiles carries it.
    #[error(
        "{variable} is drawn from the first zoom with the tiles' full property set, and no \
         zoom of the tiles (up to {max_zoom}) has it"
    )]
    NoFullZoom {
        /// The variable's id.
        variable: String,
        /// The last zoom of the tiles.
        max_zoom: u8,
    },
    /// More domains than the domains-in-the-worst-decile scale covers.
    #[error("domains_in_worst_decile has colours for 0 to {max} domains, the atlas has {count}")]
    TooManyDomains {
        /// The number of domains of the atlas.
        count: usize,
        /// [`MAX_DOMAINS`].
        max: usize,
    },
    /// The atlas has no years.
    #[error("the atlas has no years")]
    NoYears,
    /// The atlas has no levels.
    #[error("the atlas has no levels")]
    NoLevels,
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The legend of a variable: its classes in order of value, then "no data". The paint
/// expression of [`style`] is built from this table (for
/// [`Variable::DomainsInWorstDecile`] cut to the atlas's number of domains).
///
/// Deciles (the MDI and every domain): 1 (most deprived, darkest) to 10 on a ten-class YlOrRd.
/// Domains in the worst decile: 0 to [`MAX_DOMAINS`] on an eight-class PuRd (more is darker).
pub fn classes(variable: &Variable) -> Vec<Class> {
    let mut classes: Vec<Class> = match variable {
        Variable::Mdi | Variable::Domain(_) => (1u8..)
            .zip(&COLOURS.palettes.ylorrd)
            .map(|(decile, color)| Class {
                value: Some(decile),
                color,
                label: match decile {
                    1 => "1 = meeste achterstand (most deprived)".to_string(),
                    10 => "10 = minste achterstand (least deprived)".to_string(),
                    d => d.to_string(),
                },
            })
            .collect(),
        Variable::DomainsInWorstDecile => (0u8..)
            .zip(&COLOURS.domains_in_worst_decile)
            .map(|(count, color)| Class {
                value: Some(count),
                color,
                label: match count {
                    1 => "1 domain".to_string(),
                    n => format!("{n} domains"),
                },
            })
            .collect(),
    };
    classes.push(Class {
        value: None,
        color: &COLOURS.nodata,
        label: "No data".to_string(),
    });
    classes
}

/// The style for `options` (year and variable) in `flavor`, as JSON.
///
/// # Errors
/// [`StyleError::UnknownYear`] or [`StyleError::UnknownDomain`] (naming it and the valid ones),
/// [`StyleError::NoFullZoom`] for a variable other than the MDI when no zoom carries the `full`
/// property set, [`StyleError::TooManyDomains`] for the domains-in-the-worst-decile map of an
/// atlas with more than [`MAX_DOMAINS`] domains, and [`StyleError::NoYears`] /
/// [`StyleError::NoLevels`] for an empty atlas.
pub fn style(
    input: &StyleInput,
    flavor: Flavor,
    options: &StyleOptions,
) -> Result<Value, StyleError> {
    let Some(index_unit) = input.levels.first() else {
        return Err(StyleError::NoLevels);
    };
    let year = style_year(input, options)?;
    let variable = &options.variable;
    let (min_zoom, legend_title) = zoom_and_title(input, variable, year)?;
    let legend = legend(input, variable);
    let property = variable.property(year);
    // The choropleth's first zoom, where it is later than the tiles' first.
    let fill_min_zoom = (min_zoom > input.min_zoom).then_some(min_zoom);

    let mut layers = vec![json!({
        "id": "background",
        "type": "background",
        "paint": {"background-color": COLOURS.background},
    })];
    // Only the MDI figures are on every level; another variable stays on the index unit.
    let fills = if *variable == Variable::Mdi {
        level_fills(input, fill_min_zoom)
    } else {
        vec![(index_unit.clone(), fill_min_zoom, None)]
    };
    for (layer, min, max) in fills {
        layers.extend(choropleth_layers(
            &layer,
            &property,
            &legend,
            flavor,
            (min, max),
        ));
    }
    layers.push(json!({
        "id": format!("{index_unit}-water"),
        "type": "fill",
        "source": SOURCE_ID,
        "source-layer": index_unit,
        "filter": ["==", ["get", "water"], true],
        "paint": {"fill-color": COLOURS.water},
    }));
    layers.extend(outline_layers(input));
    if flavor == Flavor::MapLibre {
        layers.extend(selection_layers(input));
    }
    layers.extend(label_layers(input, flavor));

    Ok(json!({
        "version": 8,
        "name": input.title,
        "metadata": {
            "mdi:flavor": flavor.name(),
            "mdi:year": year,
            "mdi:variable": variable.id(),
            "mdi:property": property,
            "mdi:minzoom": min_zoom,
            "mdi:legend_title": legend_title,
            "mdi:legend": legend,
        },
        "glyphs": input.glyphs_url,
        "sources": {
            SOURCE_ID: {
                "type": "vector",
                "url": input.tilejson_url,
                "attribution": input.attribution,
            },
        },
        "layers": layers,
    }))
}

/// The year of the style: the one asked for, else the atlas's last.
fn style_year(input: &StyleInput, options: &StyleOptions) -> Result<i32, StyleError> {
    match options.year {
        Some(year) if input.years.contains(&year) => Ok(year),
        Some(year) => Err(StyleError::UnknownYear {
            year,
            valid: input.years.clone(),
        }),
        None => input.years.last().copied().ok_or(StyleError::NoYears),
    }
}

/// The direction of every decile, in words (Dutch first, as the web client's legend).
pub const DECILE_SCALE: &str = "1 = meeste achterstand, 10 = minste achterstand; 1 = most deprived";

/// The first zoom at which `variable` is drawn, and the legend's title.
fn zoom_and_title(
    input: &StyleInput,
    variable: &Variable,
    year: i32,
) -> Result<(u8, String), StyleError> {
    Ok(match variable {
        Variable::Mdi => (
            input.min_zoom,
            format!("MDI decile {year} ({DECILE_SCALE})"),
        ),
        Variable::Domain(id) => {
            let Some((_, name)) = input.domains.iter().find(|(d, _)| d == id) else {
                return Err(StyleError::UnknownDomain {
                    domain: id.clone(),
                    valid: input.domains.iter().map(|(d, _)| d.clone()).collect(),
                });
            };
            (
                full_zoom(input, variable)?,
                format!("{name} decile {year} ({DECILE_SCALE})"),
            )
        }
        Variable::DomainsInWorstDecile => {
            if input.domains.len() > MAX_DOMAINS {
                return Err(StyleError::TooManyDomains {
                    count: input.domains.len(),
                    max: MAX_DOMAINS,
                });
            }
            (
                full_zoom(input, variable)?,
                format!("Domains in the worst decile {year}"),
            )
        }
    })
}

/// The fills of the MDI by level: `(layer, minzoom, maxzoom)` (maxzoom exclusive, as MapLibre's).
/// Each level with a band is drawn at its band's zooms; the index unit at every zoom above the
/// bands of the coarser levels (at every zoom when none has a band), from `first` on.
fn level_fills(input: &StyleInput, first: Option<u8>) -> Vec<(String, Option<u8>, Option<u8>)> {
    let band = |i: usize| input.bands.get(i).copied().flatten();
    let mut fills = Vec::new();
    let mut above = None::<u8>;
    // Coarsest first, as they are drawn from the lowest zooms up.
    for (i, layer) in input.levels.iter().enumerate().skip(1).rev() {
        let Some((min, max)) = band(i) else { continue };
        let min = min.max(input.min_zoom);
        if min > max.min(input.max_zoom) {
            continue;
        }
        let from = (min > input.min_zoom).then_some(min);
        let to = (max < input.max_zoom).then_some(max + 1);
        fills.push((layer.clone(), from, to));
        above = Some(above.map_or(max + 1, |a| a.max(max + 1)));
    }
    let unit_from = match (above, first) {
        (Some(a), Some(f)) => Some(a.max(f)),
        (a, f) => a.or(f),
    };
    if let Some(unit) = input.levels.first() {
        fills.push((
            unit.clone(),
            unit_from.filter(|&z| z > input.min_zoom),
            None,
        ));
    }
    fills
}

/// The fills of one level: the choropleth of `property` coloured by `legend` and the no-data
/// grey, at the zooms `(minzoom, maxzoom)`.
fn choropleth_layers(
    layer: &str,
    property: &str,
    legend: &[Class],
    flavor: Flavor,
    zooms: (Option<u8>, Option<u8>),
) -> Vec<Value> {
    let opacity = match flavor {
        Flavor::MapLibre => json!([
            "case",
            ["boolean", ["feature-state", "hover"], false],
            HOVER_OPACITY,
            FILL_OPACITY
        ]),
        Flavor::Qgis => json!(FILL_OPACITY),
    };
    let fill = json!({
        "id": format!("{layer}-fill"),
        "type": "fill",
        "source": SOURCE_ID,
        "source-layer": layer,
        "filter": ["!=", ["get", "nodata"], true],
        "paint": {
            "fill-color": colour_expression(property, legend),
            "fill-opacity": opacity.clone(),
        },
    });
    let nodata = json!({
        "id": format!("{layer}-nodata"),
        "type": "fill",
        "source": SOURCE_ID,
        "source-layer": layer,
        "filter": ["==", ["get", "nodata"], true],
        "paint": {"fill-color": COLOURS.nodata, "fill-opacity": opacity},
    });
    [fill, nodata]
        .into_iter()
        .map(|l| with_zooms(l, zooms.0, zooms.1))
        .collect()
}

/// The name labels of every level from its `<layer>_labels` point layer, as the web client
/// places them: the top level (gemeenten) up to z11 in capitals, the middle levels (wijken)
/// z10.5–13, the index unit (buurten) from z13; dark text with a white halo. Only from the
/// first zoom whose label points carry `name` (property set `map` or `full`); none when no zoom
/// does. The QGIS flavor writes the field as `{name}`, the form every QGIS release reads.
fn label_layers(input: &StyleInput, flavor: Flavor) -> Vec<Value> {
    let Some(names_from) = input.domains_from_zoom.filter(|&z| z <= input.max_zoom) else {
        return Vec::new();
    };
    let field = match flavor {
        Flavor::MapLibre => json!(["get", "name"]),
        Flavor::Qgis => json!("{name}"),
    };
    let n = input.levels.len();
    let mut order: Vec<usize> = (1..n).rev().collect();
    order.push(0);
    order
        .into_iter()
        .filter(|&i| i < n)
        .map(|i| {
            let (min, max, size) = match i {
                0 => (13.0, 24.0, 12),
                _ if i == n - 1 => (0.0, 11.0, 15),
                _ => (10.5, 13.0, 13),
            };
            (i, f64::max(min, f64::from(names_from)), max, size)
        })
        .filter(|&(_, min, max, _)| min < max)
        .map(|(i, min, max, size)| {
            let layer = &input.levels[i];
            let mut layout = json!({
                "text-field": field,
                "text-font": [input.font],
                "text-size": size,
                "text-max-width": 8,
                "text-padding": 4,
            });
            if let (true, Some(o)) = (i == n - 1 && n > 1, layout.as_object_mut()) {
                o.insert("text-transform".into(), json!("uppercase"));
                o.insert("text-letter-spacing".into(), json!(0.08));
            }
            json!({
                "id": format!("{layer}-labels"),
                "type": "symbol",
                "source": SOURCE_ID,
                "source-layer": format!("{layer}_labels"),
                "minzoom": min,
                "maxzoom": max,
                "layout": layout,
                "paint": {
                    "text-color": LABEL_COLOUR,
                    "text-halo-color": LABEL_HALO,
                    "text-halo-width": LABEL_HALO_WIDTH,
                },
            })
        })
        .collect()
}

/// The outlines of every level, thicker from buurten to gemeenten.
fn outline_layers(input: &StyleInput) -> Vec<Value> {
    let mut layers = Vec::new();
    for (i, level) in input.levels.iter().enumerate() {
        let outline = match i {
            0 => &THIN,
            1 => &MEDIUM,
            _ => &THICK,
        };
        let mut width = vec![json!("interpolate"), json!(["linear"]), json!(["zoom"])];
        for &(zoom, w) in outline.widths {
            width.push(json!(zoom));
            width.push(json!(w));
        }
        layers.push(with_min_zoom(
            json!({
                "id": format!("{level}-outline"),
                "type": "line",
                "source": SOURCE_ID,
                "source-layer": level,
                "layout": {"line-join": "round"},
                "paint": {
                    "line-color": (outline.colour)(),
                    "line-opacity": outline.opacity,
                    "line-width": width,
                },
            }),
            outline.min_zoom,
        ));
    }
    layers
}

/// MapLibre only: for every level an outline shown while the feature state `selected` is true.
fn selection_layers(input: &StyleInput) -> Vec<Value> {
    input
        .levels
        .iter()
        .map(|level| {
            json!({
                "id": format!("{level}-selected"),
                "type": "line",
                "source": SOURCE_ID,
                "source-layer": level,
                "layout": {"line-join": "round"},
                "paint": {
                    "line-color": COLOURS.selected,
                    "line-width": SELECTED_WIDTH,
                    "line-opacity": [
                        "case",
                        ["boolean", ["feature-state", "selected"], false],
                        1,
                        0
                    ],
                },
            })
        })
        .collect()
}

/// The first zoom that carries a variable of the `full` property set.
fn full_zoom(input: &StyleInput, variable: &Variable) -> Result<u8, StyleError> {
    match input.domains_from_zoom {
        Some(zoom) if zoom <= input.max_zoom => Ok(zoom.max(input.min_zoom)),
        _ => Err(StyleError::NoFullZoom {
            variable: variable.id().to_string(),
            max_zoom: input.max_zoom,
        }),
    }
}

/// The legend of `variable` for this atlas: [`classes`], for the domains in the worst decile
/// only up to the atlas's number of domains.
fn legend(input: &StyleInput, variable: &Variable) -> Vec<Class> {
    let mut legend = classes(variable);
    if *variable == Variable::DomainsInWorstDecile {
        legend.retain(|c| {
            c.value
                .is_none_or(|v| usize::from(v) <= input.domains.len())
        });
    }
    legend
}

/// `["match", ["get", property], [value], colour, …, no-data colour]`: the labels as one-element
/// arrays, which QGIS 3.28's converter needs (docs/API.md, *The QGIS flavor*).
fn colour_expression(property: &str, legend: &[Class]) -> Value {
    let mut expression = vec![json!("match"), json!(["get", property])];
    for class in legend {
        if let Some(value) = class.value {
            expression.push(json!([value]));
            expression.push(json!(class.color));
        }
    }
    let fallback = legend
        .iter()
        .find(|c| c.value.is_none())
        .map_or(COLOURS.nodata.as_str(), |c| c.color);
    expression.push(json!(fallback));
    Value::Array(expression)
}

fn with_min_zoom(layer: Value, min_zoom: Option<u8>) -> Value {
    with_zooms(layer, min_zoom, None)
}

/// `layer` with `minzoom` and `maxzoom` where given.
fn with_zooms(mut layer: Value, min_zoom: Option<u8>, max_zoom: Option<u8>) -> Value {
    if let Some(object) = layer.as_object_mut() {
        if let Some(zoom) = min_zoom {
            object.insert("minzoom".to_string(), json!(zoom));
        }
        if let Some(zoom) = max_zoom {
            object.insert("maxzoom".to_string(), json!(zoom));
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The repository root, whose `web/` holds the style validator. In the scratch crate `web/`
    /// sits beside `Cargo.toml`; in `crates/mdi-server` this is
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/../..")`.
    const REPO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

    const DOMAINS: [&str; 7] = [
        "inkomen",
        "werk",
        "opleiding",
        "gezondheid",
        "veiligheid",
        "huisvesting",
        "woonomgeving",
    ];

    /// The national 2014 atlas as `docs/TILES.md` describes it: z5–14, `full` from z8.
    fn input() -> StyleInput {
        StyleInput {
            title: "MDI-atlas Nederland".into(),
            attribution: "CBS, RIVM, Politie".into(),
            tilejson_url: "http://localhost:8080/tiles.json".into(),
            years: vec![2022, 2023, 2024],
            domains: DOMAINS
                .iter()
                .map(|d| (d.to_string(), capitalise(d)))
                .collect(),
            levels: vec!["buurten".into(), "wijken".into(), "gemeenten".into()],
            bands: Vec::new(),
            glyphs_url: "http://localhost:8080/fonts/{fontstack}/{range}.pbf".into(),
            font: "Ubuntu Light".into(),
            min_zoom: 5,
            max_zoom: 14,
            domains_from_zoom: Some(8),
        }
    }

    fn capitalise(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }

    fn variables(input: &StyleInput) -> Vec<Variable> {
        let mut v = vec![Variable::Mdi, Variable::DomainsInWorstDecile];
        v.extend(
            input
                .domains
                .iter()
                .map(|(d, _)| Variable::Domain(d.clone())),
        );
        v
    }

    const FLAVORS: [Flavor; 2] = [Flavor::MapLibre, Flavor::Qgis];

    /// Every (flavor, variable, year) style of the input.
    fn all_styles(input: &StyleInput) -> Vec<(Flavor, Variable, i32, Value)> {
        let mut out = Vec::new();
        for flavor in FLAVORS {
            for variable in variables(input) {
                for &year in &input.years {
                    let options = StyleOptions {
                        year: Some(year),
                        variable: variable.clone(),
                    };
                    let s = style(input, flavor, &options).unwrap();
                    out.push((flavor, variable.clone(), year, s));
                }
            }
        }
        out
    }

    fn layers(style: &Value) -> &Vec<Value> {
        style["layers"].as_array().unwrap()
    }

    fn layer<'a>(style: &'a Value, id: &str) -> &'a Value {
        layers(style)
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no layer {id}"))
    }

    // ---- the tile schema, written from docs/TILES.md (not from the module) ----

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Set {
        Full,
        Minimal,
    }

    /// The properties a layer of the tiles carries in a property set; `None` if there is no
    /// such layer.
    fn tile_properties(input: &StyleInput, layer: &str, set: Set) -> Option<BTreeSet<String>> {
        if input.levels.iter().any(|l| format!("{l}_labels") == layer) {
            return Some(match set {
                Set::Full => BTreeSet::from(["name".to_string()]),
                Set::Minimal => BTreeSet::new(),
            });
        }
        if !input.levels.iter().any(|l| l == layer) {
            return None;
        }
        let index_unit = layer == input.levels[0];
        let mut full: Vec<String> = ["code", "name", "level", "nodata", "water", "population"]
            .map(String::from)
            .to_vec();
        let mut minimal = vec!["nodata".to_string(), "water".to_string()];
        for y in &input.years {
            full.extend([
                format!("mdi_score_{y}"),
                format!("mdi_rank_{y}"),
                format!("mdi_decile_{y}"),
            ]);
            minimal.push(format!("mdi_decile_{y}"));
            if index_unit {
                for (d, _) in &input.domains {
                    full.extend([format!("{d}_score_{y}"), format!("{d}_decile_{y}")]);
                }
                full.push(format!("domains_in_worst_decile_{y}"));
            } else {
                full.push(format!("share_worst_decile_{y}"));
                minimal.push(format!("share_worst_decile_{y}"));
            }
        }
        Some(
            match set {
                Set::Full => full,
                Set::Minimal => minimal,
            }
            .into_iter()
            .collect(),
        )
    }

    /// Every property named by a `get` anywhere in `value`.
    fn gets(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Array(a) => {
                if a.first() == Some(&json!("get")) {
                    out.insert(a[1].as_str().expect("get of a literal name").to_string());
                }
                a.iter().for_each(|v| gets(v, out));
            }
            Value::Object(o) => o.values().for_each(|v| gets(v, out)),
            _ => {}
        }
    }

    /// The operators of every expression in `value` (an array whose first element is a string).
    fn operators(value: &Value, out: &mut BTreeSet<String>) {
        if let Value::Array(a) = value {
            if let Some(Value::String(op)) = a.first() {
                out.insert(op.clone());
                a[1..].iter().for_each(|v| operators(v, out));
            } else {
                a.iter().for_each(|v| operators(v, out));
            }
        }
    }

    fn contains_string(value: &Value, needle: &str) -> bool {
        match value {
            Value::String(s) => s == needle,
            Value::Array(a) => a.iter().any(|v| contains_string(v, needle)),
            Value::Object(o) => o
                .iter()
                .any(|(k, v)| k == needle || contains_string(v, needle)),
            _ => false,
        }
    }

    fn rgb(hex: &str) -> [u8; 3] {
        assert!(
            hex.len() == 7
                && hex.starts_with('#')
                && hex[1..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{hex} is not #rrggbb"
        );
        let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
        [c(1), c(3), c(5)]
    }

    /// WCAG relative luminance.
    fn luminance(hex: &str) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = rgb(hex);
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    /// `(value, colour)` pairs and the fallback of a `match` colour expression.
    fn match_table(expression: &Value) -> (Vec<(u8, String)>, String) {
        let a = expression.as_array().expect("fill-color is an expression");
        assert_eq!(a[0], "match");
        assert_eq!(a.len() % 2, 1, "match with an odd number of arguments");
        let pairs = a[2..a.len() - 1]
            .chunks(2)
            .map(|p| {
                let labels = p[0].as_array().expect("labels as an array");
                assert_eq!(labels.len(), 1);
                let value = u8::try_from(labels[0].as_u64().unwrap()).unwrap();
                (value, p[1].as_str().unwrap().to_string())
            })
            .collect();
        (pairs, a[a.len() - 1].as_str().unwrap().to_string())
    }

    /// The value of `["interpolate", ["linear"], ["zoom"], z, v, …]` at zoom `z`.
    fn interpolate_at(expression: &Value, z: f64) -> f64 {
        let a = expression.as_array().unwrap();
        assert_eq!(a[0], "interpolate");
        let stops: Vec<(f64, f64)> = a[3..]
            .chunks(2)
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        if z <= stops[0].0 {
            return stops[0].1;
        }
        for w in stops.windows(2) {
            let ((z0, v0), (z1, v1)) = (w[0], w[1]);
            if z <= z1 {
                return v0 + (v1 - v0) * (z - z0) / (z1 - z0);
            }
        }
        stops[stops.len() - 1].1
    }

    // ---- the tests ----

    #[test]
    fn every_source_layer_exists_in_the_tiles() {
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            assert_eq!(s["version"], 8);
            assert_eq!(s["sources"][SOURCE_ID]["type"], "vector");
            assert_eq!(s["sources"][SOURCE_ID]["url"], input.tilejson_url.as_str());
            assert_eq!(s["sources"].as_object().unwrap().len(), 1);
            for l in layers(&s) {
                if l["type"] == "background" {
                    continue;
                }
                assert_eq!(l["source"], SOURCE_ID);
                let sl = l["source-layer"].as_str().unwrap();
                assert!(
                    tile_properties(&input, sl, Set::Full).is_some(),
                    "{flavor:?} {variable:?} {year}: layer {} reads {sl}, not in the tiles",
                    l["id"]
                );
            }
        }
    }

    #[test]
    fn the_mdi_map_reads_only_the_minimal_property_set() {
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            if variable != Variable::Mdi {
                continue;
            }
            for l in layers(&s) {
                let Some(sl) = l["source-layer"].as_str() else {
                    continue;
                };
                if l["type"] == "symbol" {
                    continue; // the labels: `every_variable_reads_only_existing_properties…`
                }
                let mut read = BTreeSet::new();
                gets(l, &mut read);
                let minimal = tile_properties(&input, sl, Set::Minimal).unwrap();
                assert!(
                    read.is_subset(&minimal),
                    "{flavor:?} {year}: {} reads {read:?}, minimal set of {sl} is {minimal:?}",
                    l["id"]
                );
                // No layer of the default view starts later than the tiles, except outlines and
                // the labels (names are in the label points from the first `map` zoom).
                let id = l["id"].as_str().unwrap();
                assert!(
                    l.get("minzoom").is_none() || id.ends_with("-outline"),
                    "{id}"
                );
            }
            assert_eq!(s["metadata"]["mdi:minzoom"], input.min_zoom);
        }
    }

    #[test]
    fn every_variable_reads_only_existing_properties_at_its_zooms() {
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            let mut seen_variable = false;
            for l in layers(&s) {
                let Some(sl) = l["source-layer"].as_str() else {
                    continue;
                };
                let mut read = BTreeSet::new();
                gets(l, &mut read);
                let full = tile_properties(&input, sl, Set::Full).unwrap();
                let minimal = tile_properties(&input, sl, Set::Minimal).unwrap();
                assert!(
                    read.is_subset(&full),
                    "{flavor:?}: {} reads {read:?}",
                    l["id"]
                );
                if !read.is_subset(&minimal) {
                    // Beyond the minimal set: only from the first `full` zoom.
                    let min_zoom = l["minzoom"].as_f64().unwrap_or(0.0);
                    assert!(min_zoom >= f64::from(input.domains_from_zoom.unwrap()));
                }
                let wanted = match &variable {
                    Variable::Mdi => format!("mdi_decile_{year}"),
                    Variable::Domain(d) => format!("{d}_decile_{year}"),
                    Variable::DomainsInWorstDecile => format!("domains_in_worst_decile_{year}"),
                };
                seen_variable |= read.contains(&wanted);
            }
            assert!(
                seen_variable,
                "{flavor:?} {variable:?} {year}: the variable is not drawn"
            );
        }
    }

    #[test]
    fn domain_maps_start_at_the_first_full_zoom() {
        let mut input = input();
        input.domains_from_zoom = Some(8);
        for flavor in FLAVORS {
            for variable in [
                Variable::Domain("werk".into()),
                Variable::DomainsInWorstDecile,
            ] {
                let options = StyleOptions {
                    year: None,
                    variable: variable.clone(),
                };
                let s = style(&input, flavor, &options).unwrap();
                assert_eq!(layer(&s, "buurten-fill")["minzoom"], 8);
                assert_eq!(layer(&s, "buurten-nodata")["minzoom"], 8);
                assert_eq!(s["metadata"]["mdi:minzoom"], 8);
            }
        }
        // The demo: full at every zoom, so no minzoom at all.
        input.domains_from_zoom = Some(5);
        let options = StyleOptions {
            year: None,
            variable: Variable::Domain("werk".into()),
        };
        let s = style(&input, Flavor::MapLibre, &options).unwrap();
        assert!(layer(&s, "buurten-fill").get("minzoom").is_none());
        // No full zoom: an error for a domain, none for the MDI.
        for full in [None, Some(15)] {
            input.domains_from_zoom = full;
            let err = style(&input, Flavor::MapLibre, &options).unwrap_err();
            assert!(matches!(err, StyleError::NoFullZoom { .. }), "{err}");
            assert!(err.to_string().contains("werk"), "{err}");
            assert!(style(&input, Flavor::MapLibre, &StyleOptions::default()).is_ok());
        }
    }

    /// The converter's operators, from qgsmapboxglstyleconverter.cpp (3.28 and master): the
    /// intersection of the forms both translate, as used here.
    const QGIS_SAFE: [&str; 7] = ["match", "get", "interpolate", "linear", "zoom", "==", "!="];

    #[test]
    fn the_qgis_flavor_uses_only_what_the_converter_supports() {
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            if flavor != Flavor::Qgis {
                continue;
            }
            assert!(!contains_string(&s, "feature-state"), "{variable:?} {year}");
            let mut ops = BTreeSet::new();
            for l in layers(&s) {
                let id = l["id"].as_str().unwrap();
                assert!(!id.ends_with("-selected"), "{id}");
                for part in ["paint", "layout"] {
                    for (key, value) in l[part].as_object().into_iter().flatten() {
                        if key != "text-font" {
                            operators(value, &mut ops); // a font name is no operator
                        }
                        match (key.as_str(), value) {
                            (_, Value::String(_) | Value::Number(_)) => {}
                            ("fill-color", v) => {
                                let a = v.as_array().unwrap();
                                assert_eq!(a[1][0], "get");
                                assert!(a[1][1].is_string() && a[1].as_array().unwrap().len() == 2);
                                let (pairs, fallback) = match_table(v);
                                assert!(!pairs.is_empty());
                                rgb(&fallback);
                                pairs.iter().for_each(|(_, c)| {
                                    rgb(c);
                                });
                            }
                            ("line-width", v) => {
                                let a = v.as_array().unwrap();
                                assert_eq!(a[0], "interpolate");
                                assert_eq!(a[1], json!(["linear"]));
                                assert_eq!(a[2], json!(["zoom"]));
                                assert!(a[3..].iter().all(Value::is_number));
                                assert_eq!(a.len() % 2, 1);
                            }
                            ("text-font", v) => {
                                let a = v.as_array().unwrap();
                                assert!(a.len() == 1 && a[0].is_string(), "{id}: {v}");
                            }
                            (k, v) => panic!("{id}: {k} = {v} is no form QGIS reads"),
                        }
                    }
                }
                if let Some(filter) = l.get("filter") {
                    operators(filter, &mut ops);
                    let a = filter.as_array().unwrap();
                    assert!(a[0] == "==" || a[0] == "!=", "{id}: filter {filter}");
                    assert_eq!(a[1][0], "get");
                    assert!(!a[2].is_array() && !a[2].is_object());
                }
            }
            for op in &ops {
                assert!(QGIS_SAFE.contains(&op.as_str()), "QGIS flavor uses {op}");
            }
            assert_eq!(QGIS_SAFE.to_vec(), QGIS_OPERATORS.to_vec());
        }
    }

    #[test]
    fn the_maplibre_flavor_has_hover_and_selection() {
        let input = input();
        let s = style(&input, Flavor::MapLibre, &StyleOptions::default()).unwrap();
        let opacity = &layer(&s, "buurten-fill")["paint"]["fill-opacity"];
        assert_eq!(opacity[0], "case");
        assert_eq!(
            opacity[1],
            json!(["boolean", ["feature-state", "hover"], false])
        );
        assert!(opacity[2].as_f64().unwrap() > opacity[3].as_f64().unwrap());
        for level in &input.levels {
            let l = layer(&s, &format!("{level}-selected"));
            assert_eq!(l["source-layer"], level.as_str());
            assert!(contains_string(l, "selected"));
            // Drawn above every fill and outline.
            let pos = |id: &str| layers(&s).iter().position(|l| l["id"] == id).unwrap();
            assert!(pos(&format!("{level}-selected")) > pos("gemeenten-outline"));
        }
    }

    #[test]
    fn every_decile_legend_says_in_words_that_1_is_most_deprived() {
        for (flavor, variable, year, s) in all_styles(&input()) {
            if matches!(variable, Variable::DomainsInWorstDecile) {
                continue;
            }
            let title = s["metadata"]["mdi:legend_title"].as_str().unwrap();
            assert!(
                title.contains("1 = meeste achterstand") && title.contains("1 = most deprived"),
                "{flavor:?} {variable:?} {year}: {title}"
            );
            let legend = s["metadata"]["mdi:legend"].as_array().unwrap();
            let first = legend.iter().find(|c| c["value"] == 1).unwrap();
            let darkest = &COLOURS.palettes.ylorrd[0];
            assert_eq!(first["color"].as_str().unwrap(), darkest.as_str());
            assert!(
                first["label"]
                    .as_str()
                    .unwrap()
                    .starts_with("1 = meeste achterstand")
            );
        }
    }

    #[test]
    fn labels_use_the_served_glyphs_and_no_sprite() {
        let input = input();
        for (flavor, _, _, s) in all_styles(&input) {
            assert_eq!(s["glyphs"], input.glyphs_url);
            assert!(s.get("sprite").is_none());
            let labels: Vec<&Value> = layers(&s)
                .iter()
                .filter(|l| l["type"] == "symbol")
                .collect();
            let ids: Vec<&str> = labels.iter().map(|l| l["id"].as_str().unwrap()).collect();
            // Coarsest first, as the web client orders them; all after the fills and lines.
            assert_eq!(ids, ["gemeenten-labels", "wijken-labels", "buurten-labels"]);
            let last_other = layers(&s)
                .iter()
                .rposition(|l| l["type"] != "symbol")
                .unwrap();
            assert!(last_other < layers(&s).len() - labels.len() + 1);
            for l in &labels {
                let sl = l["source-layer"].as_str().unwrap();
                assert!(sl.ends_with("_labels"), "{sl}");
                assert_eq!(l["layout"]["text-font"], json!([input.font]));
                // Names are in the label points from the first `map` zoom (8 here).
                assert!(l["minzoom"].as_f64().unwrap() >= 8.0, "{l}");
                assert!(l["minzoom"].as_f64() < l["maxzoom"].as_f64());
                let field = &l["layout"]["text-field"];
                match flavor {
                    Flavor::MapLibre => assert_eq!(field, &json!(["get", "name"])),
                    Flavor::Qgis => assert_eq!(field, "{name}"),
                }
            }
            assert_eq!(labels[0]["layout"]["text-transform"], "uppercase");
            assert_eq!(labels[2]["minzoom"], 13.0);
        }
        // No zoom carries names: no labels.
        let mut none = input.clone();
        none.domains_from_zoom = None;
        let s = style(&none, Flavor::MapLibre, &StyleOptions::default()).unwrap();
        assert!(layers(&s).iter().all(|l| l["type"] != "symbol"));
    }

    #[test]
    fn the_mdi_choropleth_follows_the_level_bands() {
        let mut input = input();
        let fills = |s: &Value| -> Vec<(String, Option<u64>, Option<u64>)> {
            layers(s)
                .iter()
                .filter(|l| l["id"].as_str().unwrap().ends_with("-fill"))
                .map(|l| {
                    (
                        l["source-layer"].as_str().unwrap().to_string(),
                        l["minzoom"].as_u64(),
                        l["maxzoom"].as_u64(),
                    )
                })
                .collect()
        };
        // No bands: the index unit at every zoom.
        let s = style(&input, Flavor::MapLibre, &StyleOptions::default()).unwrap();
        assert_eq!(fills(&s), [("buurten".to_string(), None, None)]);
        // The demo's bands: gemeenten z5–6, wijken z7–8, buurten z9–14 (maxzoom exclusive).
        input.bands = vec![Some((9, 14)), Some((7, 8)), Some((5, 6))];
        for flavor in [Flavor::MapLibre, Flavor::Qgis] {
            let s = style(&input, flavor, &StyleOptions::default()).unwrap();
            assert_eq!(
                fills(&s),
                [
                    ("gemeenten".to_string(), None, Some(7)),
                    ("wijken".to_string(), Some(7), Some(9)),
                    ("buurten".to_string(), Some(9), None),
                ]
            );
            // Each level's fill reads the MDI decile of the year, which every level carries.
            for l in layers(&s).iter().filter(|l| l["type"] == "fill") {
                let mut read = BTreeSet::new();
                gets(l, &mut read);
                assert!(
                    read.is_subset(
                        &tile_properties(&input, l["source-layer"].as_str().unwrap(), Set::Minimal)
                            .unwrap()
                    )
                );
            }
        }
        // A variable only the index unit has stays on it at every zoom it is drawn.
        let domain = StyleOptions {
            variable: Variable::Domain("inkomen".into()),
            ..StyleOptions::default()
        };
        let s = style(&input, Flavor::MapLibre, &domain).unwrap();
        assert_eq!(fills(&s), [("buurten".to_string(), Some(8), None)]);
        // A level without a band: the index unit takes over above the coarser bands.
        input.bands = vec![None, None, Some((5, 7))];
        let s = style(&input, Flavor::MapLibre, &StyleOptions::default()).unwrap();
        assert_eq!(
            fills(&s),
            [
                ("gemeenten".to_string(), None, Some(8)),
                ("buurten".to_string(), Some(8), None),
            ]
        );
    }

    #[test]
    fn the_legend_is_the_paint_expression() {
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            let legend: Vec<Value> = s["metadata"]["mdi:legend"].as_array().unwrap().clone();
            let (pairs, fallback) = match_table(&layer(&s, "buurten-fill")["paint"]["fill-color"]);
            let mut from_paint: Vec<(Option<u64>, String)> = pairs
                .into_iter()
                .map(|(v, c)| (Some(u64::from(v)), c))
                .collect();
            from_paint.push((None, fallback.clone()));
            let from_legend: Vec<(Option<u64>, String)> = legend
                .iter()
                .map(|c| {
                    (
                        c["value"].as_u64(),
                        c["color"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(from_paint, from_legend, "{flavor:?} {variable:?} {year}");
            // And both are `classes`, with labels.
            let classes = classes(&variable);
            assert_eq!(serde_json::to_value(&classes).unwrap(), json!(legend));
            assert!(classes.iter().all(|c| !c.label.is_empty()));
            // The no-data layer has the no-data colour.
            assert_eq!(
                layer(&s, "buurten-nodata")["paint"]["fill-color"],
                fallback.as_str()
            );
            assert_eq!(s["metadata"]["mdi:year"], year);
            assert_eq!(s["metadata"]["mdi:variable"], variable.id());
        }
    }

    #[test]
    fn the_decile_palette_is_sequential_and_darkest_at_decile_one() {
        let classes = classes(&Variable::Mdi);
        let deciles: Vec<&Class> = classes.iter().filter(|c| c.value.is_some()).collect();
        assert_eq!(
            deciles.iter().map(|c| c.value.unwrap()).collect::<Vec<_>>(),
            (1..=10).collect::<Vec<u8>>()
        );
        let distinct: BTreeSet<&str> = deciles.iter().map(|c| c.color).collect();
        assert_eq!(distinct.len(), 10);
        // Lightness falls from decile 10 to decile 1.
        for w in deciles.windows(2) {
            let (lighter, darker) = (luminance(w[1].color), luminance(w[0].color));
            assert!(
                lighter > darker,
                "decile {} ({}) not lighter than decile {} ({})",
                w[1].value.unwrap(),
                w[1].color,
                w[0].value.unwrap(),
                w[0].color
            );
        }
        assert!(luminance(deciles[0].color) < 0.06, "decile 1 is dark");
        assert!(luminance(deciles[9].color) > 0.9, "decile 10 is light");
        assert_eq!(super::classes(&Variable::Domain("werk".into())), classes);
    }

    #[test]
    fn the_count_palette_is_sequential_and_no_data_is_neutral() {
        let classes = classes(&Variable::DomainsInWorstDecile);
        let counts: Vec<&Class> = classes.iter().filter(|c| c.value.is_some()).collect();
        assert_eq!(
            counts.iter().map(|c| c.value.unwrap()).collect::<Vec<_>>(),
            (0..=7).collect::<Vec<u8>>()
        );
        for w in counts.windows(2) {
            assert!(
                luminance(w[0].color) > luminance(w[1].color),
                "{} {}",
                w[0].color,
                w[1].color
            );
        }
        let no_data = classes.last().unwrap();
        assert_eq!(no_data.value, None);
        let [r, g, b] = rgb(no_data.color);
        assert!(r == g && g == b, "no data is grey");
        let all: Vec<Class> = [Variable::Mdi, Variable::DomainsInWorstDecile]
            .iter()
            .flat_map(super::classes)
            .filter(|c| c.value.is_some())
            .collect();
        assert!(all.iter().all(|c| c.color != no_data.color));
    }

    /// `colours.json` read as plain JSON, independently of the styles' own parsing.
    fn colours_file() -> Value {
        serde_json::from_str(include_str!("colours.json")).unwrap()
    }

    #[test]
    fn the_styles_draw_the_colours_of_colours_json() {
        let file = colours_file();
        let input = input();
        for (flavor, variable, year, s) in all_styles(&input) {
            let what = format!("{flavor:?} {variable:?} {year}");
            assert_eq!(
                layer(&s, "background")["paint"]["background-color"],
                file["background"],
                "{what}"
            );
            assert_eq!(
                layer(&s, "buurten-nodata")["paint"]["fill-color"],
                file["nodata"],
                "{what}"
            );
            let (_, fallback) = match_table(&layer(&s, "buurten-fill")["paint"]["fill-color"]);
            assert_eq!(json!(fallback), file["nodata"], "{what}");
            assert_eq!(
                layer(&s, "buurten-water")["paint"]["fill-color"],
                file["water"],
                "{what}"
            );
            for (level, key) in [
                ("buurten", "index_unit"),
                ("wijken", "middle"),
                ("gemeenten", "top"),
            ] {
                assert_eq!(
                    layer(&s, &format!("{level}-outline"))["paint"]["line-color"],
                    file["outline"][key],
                    "{what} {level}"
                );
            }
            if flavor == Flavor::MapLibre {
                assert_eq!(
                    layer(&s, "buurten-selected")["paint"]["line-color"],
                    file["selected"],
                    "{what}"
                );
            }
        }
        // The decile classes are the file's YlOrRd, decile 1 first; the counts its PuRd.
        let deciles: Vec<Value> = classes(&Variable::Mdi)
            .iter()
            .filter(|c| c.value.is_some())
            .map(|c| json!(c.color))
            .collect();
        assert_eq!(json!(deciles), file["palettes"]["ylorrd"]);
        let counts: Vec<Value> = classes(&Variable::DomainsInWorstDecile)
            .iter()
            .filter(|c| c.value.is_some())
            .map(|c| json!(c.color))
            .collect();
        assert_eq!(json!(counts), file["domains_in_worst_decile"]);
    }

    #[test]
    fn colours_json_holds_only_hex_colours_and_ten_class_palettes() {
        fn walk(key: &str, value: &Value, out: &mut Vec<String>) {
            match value {
                Value::String(s) if !key.ends_with("about") => {
                    let hex = s.len() == 7
                        && s.starts_with('#')
                        && s[1..].chars().all(|c| c.is_ascii_hexdigit());
                    assert!(hex, "colours.json {key}: {s:?} is not #rrggbb");
                    out.push(s.clone());
                }
                Value::Array(items) => items.iter().for_each(|v| walk(key, v, out)),
                Value::Object(map) => map.iter().for_each(|(k, v)| walk(k, v, out)),
                _ => {}
            }
        }
        let file = colours_file();
        let mut all = Vec::new();
        walk("", &file, &mut all);
        assert!(all.len() > 40, "only {} colours found", all.len());
        for name in ["ylorrd", "viridis", "cividis"] {
            let palette = file["palettes"][name].as_array().unwrap();
            assert_eq!(palette.len(), 10, "{name}");
            let hexes: Vec<&str> = palette.iter().map(|v| v.as_str().unwrap()).collect();
            // Decile 1 first: the darkest; lightness rises to decile 10.
            for w in hexes.windows(2) {
                assert!(
                    luminance(w[0]) < luminance(w[1]),
                    "{name}: {} {}",
                    w[0],
                    w[1]
                );
            }
            assert!(!hexes.contains(&file["nodata"].as_str().unwrap()), "{name}");
        }
        assert_eq!(file["change"].as_array().unwrap().len(), 7);
    }

    #[test]
    fn domains_in_worst_decile_follows_the_number_of_domains() {
        let mut input = input();
        input.domains.truncate(5);
        let options = StyleOptions {
            year: None,
            variable: Variable::DomainsInWorstDecile,
        };
        let s = style(&input, Flavor::MapLibre, &options).unwrap();
        let legend = s["metadata"]["mdi:legend"].as_array().unwrap();
        let values: Vec<Option<u64>> = legend.iter().map(|c| c["value"].as_u64()).collect();
        assert_eq!(
            values,
            [0, 1, 2, 3, 4, 5]
                .map(Some)
                .into_iter()
                .chain([None])
                .collect::<Vec<_>>()
        );
        let (pairs, _) = match_table(&layer(&s, "buurten-fill")["paint"]["fill-color"]);
        assert_eq!(pairs.len(), 6);

        input
            .domains
            .extend(["a", "b", "c"].map(|d| (d.to_string(), d.to_string())));
        let err = style(&input, Flavor::MapLibre, &options).unwrap_err();
        assert_eq!(err, StyleError::TooManyDomains { count: 8, max: 7 });
    }

    #[test]
    fn unknown_year_is_an_error_naming_it_and_the_valid_ones() {
        let options = StyleOptions {
            year: Some(1999),
            variable: Variable::Mdi,
        };
        let err = style(&input(), Flavor::MapLibre, &options).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("1999"), "{message}");
        assert!(message.contains("2022, 2023, 2024"), "{message}");
        assert!(matches!(err, StyleError::UnknownYear { year: 1999, .. }));
    }

    #[test]
    fn unknown_domain_is_an_error_naming_it_and_the_valid_ones() {
        let options = StyleOptions {
            year: None,
            variable: Variable::from_id("armoede"),
        };
        let err = style(&input(), Flavor::Qgis, &options).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("\"armoede\""), "{message}");
        for d in DOMAINS {
            assert!(message.contains(d), "{message}");
        }
    }

    #[test]
    fn an_empty_atlas_is_an_error() {
        let mut i = input();
        i.years.clear();
        assert_eq!(
            style(&i, Flavor::MapLibre, &StyleOptions::default()),
            Err(StyleError::NoYears)
        );
        let mut i = input();
        i.levels.clear();
        assert_eq!(
            style(&i, Flavor::MapLibre, &StyleOptions::default()),
            Err(StyleError::NoLevels)
        );
    }

    #[test]
    fn the_default_is_the_mdi_of_the_last_year() {
        let s = style(&input(), Flavor::MapLibre, &StyleOptions::default()).unwrap();
        assert_eq!(s["metadata"]["mdi:year"], 2024);
        assert_eq!(s["metadata"]["mdi:variable"], "mdi");
        assert_eq!(
            layer(&s, "buurten-fill")["paint"]["fill-color"][1],
            json!(["get", "mdi_decile_2024"])
        );
        assert_eq!(s["name"], "MDI-atlas Nederland");
        assert_eq!(s["sources"][SOURCE_ID]["attribution"], "CBS, RIVM, Politie");
    }

    #[test]
    fn outlines_thicken_from_buurten_to_gemeenten() {
        let s = style(&input(), Flavor::Qgis, &StyleOptions::default()).unwrap();
        let width = |id: &str, z: f64| interpolate_at(&layer(&s, id)["paint"]["line-width"], z);
        for z in [11.0, 13.0, 16.0] {
            assert!(width("buurten-outline", z) < width("wijken-outline", z));
            assert!(width("wijken-outline", z) < width("gemeenten-outline", z));
        }
        let min_zoom = |id: &str| layer(&s, id)["minzoom"].as_u64();
        assert!(
            min_zoom("buurten-outline").unwrap() >= 10,
            "buurten only where readable"
        );
        assert!(min_zoom("buurten-outline") > min_zoom("wijken-outline"));
        assert_eq!(min_zoom("gemeenten-outline"), None);
        // Outlines above the fills.
        let pos = |id: &str| layers(&s).iter().position(|l| l["id"] == id).unwrap();
        assert!(pos("buurten-outline") > pos("buurten-nodata"));
        assert!(pos("buurten-nodata") > pos("buurten-fill"));
        assert_eq!(pos("background"), 0);
    }

    #[test]
    fn names_round_trip() {
        for v in variables(&input()) {
            assert_eq!(Variable::from_id(v.id()), v);
        }
        for f in FLAVORS {
            assert_eq!(Flavor::from_name(f.name()), Some(f));
        }
        assert_eq!(Flavor::from_name("mapbox"), None);
    }

    /// Every style (both flavors, every variable, two years) through the official MapLibre
    /// validator (`web/scripts/validate-style.mjs`), where node and `web/node_modules` exist.
    #[test]
    fn styles_pass_the_maplibre_validator() {
        let web = Path::new(REPO_ROOT).join("web");
        let script = web.join("scripts/validate-style.mjs");
        let package = web.join("node_modules/@maplibre/maplibre-gl-style-spec");
        // CI installs both (`.ci/run`): there, a missing validator is a failure.
        let ci = std::env::var_os("CI").is_some();
        if Command::new("node").arg("--version").output().is_err() {
            assert!(!ci, "node is not installed");
            eprintln!("SKIPPED: node is not installed");
            return;
        }
        if !package.is_dir() {
            assert!(
                !ci,
                "{} is missing: run `npm ci` in web/",
                package.display()
            );
            eprintln!(
                "SKIPPED: {} is missing (run `npm ci` in web/)",
                package.display()
            );
            return;
        }
        let dir = std::env::temp_dir().join(format!("mdi-style-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut input = input();
        input.years = vec![2023, 2024];
        let files: Vec<PathBuf> = all_styles(&input)
            .into_iter()
            .map(|(flavor, variable, year, s)| {
                let path = dir.join(format!("{}-{}-{year}.json", flavor.name(), variable.id()));
                std::fs::write(&path, serde_json::to_vec_pretty(&s).unwrap()).unwrap();
                path
            })
            .collect();
        let output = Command::new("node")
            .arg(&script)
            .args(&files)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "validator failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(&format!("{} valid, 0 invalid", files.len())),
            "{stdout}"
        );
    }
}
