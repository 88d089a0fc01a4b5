//! Level by zoom: at which zooms each level is the map's choropleth (its *band*), and the
//! groups of same-class neighbours that a level too dense for a zoom is drawn as.
//!
//! Levels are indexed as in [`crate::input::TileInput::layers`]: 0 is the index unit (the
//! finest), the last the top of the hierarchy. Zooms are Web Mercator XYZ zooms; the map's
//! pixels are those of MapLibre (a tile of zoom `z` drawn 512 pixels wide at zoom `z`).

use std::collections::HashMap;

use geo::Area;
use geo_types::{Coord, MultiPolygon};

use mdi_format::{BandSource, LevelBand, ZoomRange};

use crate::topology::world_of_lonlat;

/// A level becomes the default choropleth from the first zoom at which the side of its
/// median area (the square root of the median area) covers this many map pixels.
pub const BAND_PIXELS: f64 = 12.0;

/// Map pixels across the world at zoom 0 (MapLibre draws a vector tile 512 pixels wide).
const WORLD_PIXELS: f64 = 512.0;

/// The side of the median area of `polygons` (WGS84 degrees) in Web Mercator world units
/// (the world is 1 × 1), ignoring areas without extent; `None` when none has any.
pub fn median_side<'a>(polygons: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Option<f64> {
    let mut areas: Vec<f64> = polygons
        .map(|g| {
            let world: MultiPolygon<f64> = geo::MapCoords::map_coords(g, |c| {
                let [x, y] = world_of_lonlat(c.x, c.y);
                Coord { x, y }
            });
            world.unsigned_area()
        })
        .filter(|a| *a > 0.0 && a.is_finite())
        .collect();
    if areas.is_empty() {
        return None;
    }
    let mid = areas.len() / 2;
    let (_, m, _) = areas.select_nth_unstable_by(mid, f64::total_cmp);
    Some(m.sqrt())
}

/// The first zoom at which an area whose side is `side` world units covers [`BAND_PIXELS`]
/// map pixels (at most 31).
pub fn legible_from(side: f64) -> u8 {
    (0u8..31)
        .find(|&z| side * WORLD_PIXELS * f64::from(1u32 << z) >= BAND_PIXELS)
        .unwrap_or(31)
}

/// What decides a level's band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandInput {
    /// The side of the level's median area, world units (`None`: no area has extent).
    pub median_side: Option<f64>,
    /// A band asked for (profile or command line), with its source.
    pub requested: Option<(ZoomRange, BandSource)>,
    /// The first zoom whose tiles carry the level's polygons.
    pub tiles_from: Option<u8>,
}

/// The band of every level for tiles of zooms `min..=max`.
///
/// A requested band is taken as asked (cut to `min..=max`). The others come from the data:
/// the top level from `min`, each finer level from the first zoom at which it is legible
/// ([`legible_from`]) and its tiles carry it, but not before the level above it; a level's
/// band ends where the next finer level's begins, the index unit's at `max`. Zooms that a
/// requested band holds are taken out of the data's bands (keeping the longest stretch left).
pub fn plan_bands(levels: &[BandInput], min: u8, max: u8) -> Vec<Option<LevelBand>> {
    let n = levels.len();
    let never = max.saturating_add(1);
    // The first zoom of each level's band, top level first.
    let mut start = vec![never; n];
    for k in (0..n).rev() {
        let level = levels[k];
        let from = if k + 1 == n {
            min
        } else {
            level
                .median_side
                .map_or(never, |s| legible_from(s).max(min))
                .max(start[k + 1])
        };
        start[k] = level.tiles_from.map_or(from, |t| from.max(t));
    }
    let explicit: Vec<ZoomRange> = levels
        .iter()
        .filter_map(|l| l.requested.map(|(r, _)| r))
        .collect();
    (0..n)
        .map(|k| {
            if let Some((r, source)) = levels[k].requested {
                let (a, b) = (r.min.max(min), r.max.min(max));
                return (a <= b).then_some(LevelBand {
                    min: a,
                    max: b,
                    source,
                });
            }
            let a = start[k];
            let b = if k == 0 {
                max
            } else {
                start[k - 1].saturating_sub(1).min(max)
            };
            if a > b {
                return None;
            }
            longest_free_run(a, b, &explicit).map(|(a, b)| LevelBand {
                min: a,
                max: b,
                source: BandSource::Data,
            })
        })
        .collect()
}

/// The longest run of zooms in `a..=b` that none of `taken` holds (the lowest on a tie).
fn longest_free_run(a: u8, b: u8, taken: &[ZoomRange]) -> Option<(u8, u8)> {
    let mut best: Option<(u8, u8)> = None;
    let mut run: Option<(u8, u8)> = None;
    for z in a..=b {
        if taken.iter().any(|t| t.contains(z)) {
            run = None;
            continue;
        }
        let r = run.map_or((z, z), |(s, _)| (s, z));
        run = Some(r);
        if best.is_none_or(|(s, e)| r.1 - r.0 > e - s) {
            best = Some(r);
        }
    }
    best
}

/// Groups of neighbouring items with equal keys: `neighbours` lists pairs of items that share
/// a border, `key(i)` what must be equal. Returns, per group of two or more, the items in
/// ascending order (the first is the representative); groups ordered by their first item.
pub fn same_class_groups<K: PartialEq>(
    items: &[usize],
    neighbours: &[(usize, usize)],
    key: impl Fn(usize) -> K,
) -> Vec<Vec<usize>> {
    let index: HashMap<usize, usize> = items.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in neighbours {
        let (Some(&ka), Some(&kb)) = (index.get(&a), index.get(&b)) else {
            continue;
        };
        if key(a) != key(b) {
            continue;
        }
        let (ra, rb) = (find(&mut parent, ka), find(&mut parent, kb));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, &item) in items.iter().enumerate() {
        let r = find(&mut parent, k);
        groups.entry(r).or_default().push(item);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
    for g in &mut out {
        g.sort_unstable();
    }
    out.sort_unstable_by_key(|g| g[0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(side_px_at_z0: Option<f64>) -> BandInput {
        BandInput {
            median_side: side_px_at_z0.map(|p| p / WORLD_PIXELS),
            requested: None,
            tiles_from: None,
        }
    }

    #[test]
    fn legible_zoom_doubles_the_side_per_zoom() {
        // 12 px at z0 → z0; 0.75 px at z0 → 12 px at z4.
        assert_eq!(legible_from(12.0 / WORLD_PIXELS), 0);
        assert_eq!(legible_from(0.75 / WORLD_PIXELS), 4);
        assert_eq!(legible_from(0.7 / WORLD_PIXELS), 5);
    }

    #[test]
    fn bands_are_contiguous_from_the_top_level_down() {
        // buurt legible from z10 (12/1024 px at z0), wijk from z8, gemeente from z6.
        let levels = [
            data(Some(12.0 / 1024.0)),
            data(Some(12.0 / 256.0)),
            data(Some(12.0 / 64.0)),
        ];
        let b = plan_bands(&levels, 5, 14);
        let r = |l: &Option<LevelBand>| l.map(|b| (b.min, b.max));
        assert_eq!(r(&b[2]), Some((5, 7)));
        assert_eq!(r(&b[1]), Some((8, 9)));
        assert_eq!(r(&b[0]), Some((10, 14)));
        // A buurt layer whose tiles start at z11 takes over from the wijken there.
        let mut later = levels;
        later[0].tiles_from = Some(11);
        let b = plan_bands(&later, 5, 14);
        assert_eq!((r(&b[1]), r(&b[0])), (Some((8, 10)), Some((11, 14))));
    }

    #[test]
    fn a_level_no_finer_than_its_parent_gets_no_band() {
        // Every level is legible at z5: the buurten are the map at every zoom.
        let levels = [data(Some(1.0)), data(Some(0.5)), data(Some(4.0))];
        let b = plan_bands(&levels, 5, 14);
        assert_eq!(b[0].map(|b| (b.min, b.max)), Some((5, 14)));
        assert!(b[1].is_none() && b[2].is_none());
    }

    #[test]
    fn a_requested_band_wins_and_the_others_make_room() {
        let mut levels = [
            data(Some(12.0 / 1024.0)),
            data(Some(12.0 / 256.0)),
            data(Some(12.0 / 64.0)),
        ];
        levels[0].requested = Some((ZoomRange { min: 12, max: 14 }, BandSource::CommandLine));
        let b = plan_bands(&levels, 5, 14);
        assert_eq!(
            b[0],
            Some(LevelBand {
                min: 12,
                max: 14,
                source: BandSource::CommandLine
            })
        );
        // The data's buurt band would have been 10–14; the wijk band stays 8–9: the zooms
        // 10–11 are nobody's default then.
        assert_eq!(b[1].map(|b| (b.min, b.max)), Some((8, 9)));
    }

    #[test]
    fn groups_join_equal_neighbours_only() {
        // 0-1-2-3 in a row, 4 apart; classes a a b a, a.
        let class = ['a', 'a', 'b', 'a', 'a'];
        let pairs = [(0, 1), (1, 2), (2, 3)];
        let g = same_class_groups(&[0, 1, 2, 3, 4], &pairs, |i| class[i]);
        assert_eq!(g, vec![vec![0, 1]]);
    }
}
