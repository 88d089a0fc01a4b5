//! The tiles' side of the format: tile addresses, the property sets that the zooms carry
//! (`docs/TILES.md`, "Property sets"), and the `mdi` block that the tile archive's metadata
//! carries for clients.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::columns;

/// The address of a tile in the XYZ scheme used by web maps (Web Mercator, EPSG:3857): zoom
/// `z`, column `x` from the west (180° W) and row `y` from the north (85.05° N), each in
/// `0..2^z`. (MBTiles stores rows from the south; the tiler's archive writer converts.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileCoord {
    /// Zoom level.
    pub z: u8,
    /// Column, from the west.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

/// Which properties the features of a zoom carry. A zoom gets the richest set with which every
/// one of its tiles stays under the size cap; all tiles of a zoom carry the same set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertySet {
    /// Every property of the schema. Labels: the name.
    Full,
    /// What a choropleth needs: code, name, level, nodata, water, and per year the MDI score and
    /// decile, the domain deciles, `domains_in_worst_decile` and `share_worst_decile`. Labels:
    /// the name.
    Map,
    /// nodata and water, and per year the MDI decile and `share_worst_decile`. Labels: the id only.
    Minimal,
}

impl PropertySet {
    /// The sets, richest first.
    pub const ALL: [PropertySet; 3] = [PropertySet::Full, PropertySet::Map, PropertySet::Minimal];

    /// Whether a polygon property is in the set.
    pub fn has(self, key: &str, domains: &[String]) -> bool {
        let per_year = |prefix: &str| key.starts_with(prefix);
        match self {
            PropertySet::Full => true,
            PropertySet::Map => {
                [
                    columns::CODE,
                    columns::NAME,
                    columns::LEVEL,
                    columns::NODATA,
                    columns::WATER,
                ]
                .contains(&key)
                    || columns::MAP_PREFIXES.into_iter().any(per_year)
                    || domains.iter().any(|d| {
                        key.strip_prefix(d.as_str())
                            .is_some_and(|r| r.starts_with("_decile_"))
                    })
            }
            PropertySet::Minimal => {
                [columns::NODATA, columns::WATER].contains(&key)
                    || ["mdi_decile_", "share_worst_decile_"]
                        .into_iter()
                        .any(per_year)
            }
        }
    }

    /// Whether a label property is in the set: the name, for drawing it (the id names the area).
    pub fn has_label(self, key: &str) -> bool {
        key == columns::NAME && self != PropertySet::Minimal
    }
}

/// A level as the tile archive describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileLevel {
    /// The level id (`buurt`).
    pub id: String,
    /// The polygon layer (`buurten`).
    pub layer: String,
    /// The display name.
    pub name: String,
    /// The prefix of its codes, for the feature ids.
    pub code_prefix: String,
    /// The label point layer (`buurten_labels`).
    pub labels: String,
    /// The zooms at which the level is the choropleth by default (as `metadata.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<crate::metadata::LevelBand>,
    /// The zooms whose tiles carry the level's polygons (as `metadata.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_zooms: Option<crate::metadata::ZoomRange>,
}

/// The `mdi` block of the tile archive's JSON metadata: what a client needs to read the tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilesMeta {
    /// The years, as in the property names.
    pub years: Vec<String>,
    /// The domain ids.
    pub domains: Vec<String>,
    /// The levels, index unit first.
    pub levels: Vec<TileLevel>,
    /// How feature ids are made (a sentence; `docs/TILES.md`).
    pub feature_id: String,
    /// The property set of each zoom, keyed by the zoom as text (`None`: a zoom without tiles).
    pub properties_by_zoom: BTreeMap<String, Option<PropertySet>>,
    /// The tile extent (4096).
    pub extent: u32,
    /// The tile buffer, in tile units.
    pub buffer: u32,
}

impl TilesMeta {
    /// The key of the block in the archive's metadata.
    pub const KEY: &'static str = "mdi";

    /// The block in the archive's JSON metadata, if it is there and well-formed.
    pub fn from_archive(metadata: &serde_json::Value) -> Option<TilesMeta> {
        serde_json::from_value(metadata.get(Self::KEY)?.clone()).ok()
    }

    /// The first zoom whose property set is one of `sets`.
    pub fn first_zoom_with(&self, sets: &[PropertySet]) -> Option<u8> {
        self.properties_by_zoom
            .iter()
            .filter_map(|(z, s)| Some((z.parse::<u8>().ok()?, (*s)?)))
            .filter(|(_, s)| sets.contains(s))
            .map(|(z, _)| z)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_sets_nest() {
        let d = vec!["inkomen".to_string()];
        for key in ["code", "inkomen_decile_2020", "mdi_score_2020"] {
            assert!(PropertySet::Map.has(key, &d) && PropertySet::Full.has(key, &d));
        }
        assert!(!PropertySet::Map.has("inkomen_score_2020", &d));
        assert!(PropertySet::Minimal.has("mdi_decile_2020", &d));
        assert!(!PropertySet::Minimal.has("mdi_score_2020", &d));
    }

    #[test]
    fn first_zoom_is_numeric_not_textual() {
        let meta = TilesMeta {
            years: vec![],
            domains: vec![],
            levels: vec![],
            feature_id: String::new(),
            properties_by_zoom: [
                ("5".to_string(), Some(PropertySet::Minimal)),
                ("10".to_string(), Some(PropertySet::Full)),
                ("9".to_string(), Some(PropertySet::Map)),
                ("4".to_string(), None),
            ]
            .into(),
            extent: 4096,
            buffer: 64,
        };
        assert_eq!(meta.first_zoom_with(&[PropertySet::Full]), Some(10));
        assert_eq!(
            meta.first_zoom_with(&[PropertySet::Map, PropertySet::Full]),
            Some(9)
        );
    }
}
