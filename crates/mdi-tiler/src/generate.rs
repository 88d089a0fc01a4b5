//! The tile pyramid: topology once, then per zoom simplify, snap, clip, encode.

use std::collections::{BTreeSet, HashMap};

use geo::{BoundingRect, MapCoords};
use geo_types::{Coord, MultiPolygon};
use rayon::prelude::*;
use serde_json::{Map, Value as Json, json};

use mdi_format::report::CoalescedGroup;
use mdi_format::tiles::{TileLevel, TilesMeta};
use mdi_format::{BandSource, LevelBand, ZoomRange};

use crate::TileCoord;
use crate::archive::ArchiveMeta;
use crate::clip::{Clipper, GridPoint, GridPolygon};
use crate::encode::{EncodeFeature, EncodeLayer, TileGeometry, encode_tile, gzip};
use crate::error::{Result, TilerError};
use crate::input::{Prop, PropKind, TileFeature, TileInput};
use crate::label::pole_of_inaccessibility;
use crate::levels::{self, BandInput};
use crate::spill::TileSpill;
use crate::topology::{Arc, TopoPolygon, Topology, WorldPoint, world_of_lonlat};

/// How to tile.
#[derive(Debug, Clone)]
pub struct TileOptions {
    /// The lowest zoom written.
    pub min_zoom: u8,
    /// The highest zoom written (at most 18, where the pixel grid still fits 32-bit integers).
    pub max_zoom: u8,
    /// The tile extent in grid units (MVT default 4096).
    pub extent: u32,
    /// The buffer around each tile, in grid units.
    pub buffer: u32,
    /// The Douglas–Peucker tolerance, in grid units of the zoom being tiled.
    pub tolerance: f64,
    /// The cap on a gzipped tile, in bytes. A tile over it is simplified harder (the tolerance
    /// doubled, up to 64 times); features are never dropped.
    pub max_tile_bytes: usize,
    /// Zoom bands asked for on the command line, by level id (`--level-zooms buurt=10-14`):
    /// they win over the profile's and the data's (`docs/TILES.md`, *Level by zoom*).
    pub level_zooms: std::collections::BTreeMap<String, mdi_format::ZoomRange>,
    /// Where the finished tiles wait for the archive writers (a temporary file): the system's
    /// temporary folder when `None`; [`crate::tile_atlas`] uses the atlas directory.
    pub spill_dir: Option<std::path::PathBuf>,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            min_zoom: 5,
            max_zoom: 14,
            extent: 4096,
            buffer: 64,
            tolerance: 1.0,
            max_tile_bytes: 500_000,
            level_zooms: std::collections::BTreeMap::new(),
            spill_dir: None,
        }
    }
}

pub use mdi_format::PropertySet;

pub use mdi_format::report::{TileReport, ZoomReport};

/// The tiles, ready to be written to an archive.
pub struct TileSet {
    /// Gzipped MVT tiles, in a temporary file (zooms from the highest down; the archive
    /// writers order them).
    pub tiles: TileSpill,
    /// The archive metadata.
    pub meta: ArchiveMeta,
    /// What was done.
    pub report: TileReport,
    /// Per level (index unit first): its band and the zooms its tiles carry.
    pub levels: Vec<LevelZooms>,
}

/// A level's zooms after tiling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelZooms {
    /// The zooms at which it is the choropleth by default (`None`: never).
    pub band: Option<LevelBand>,
    /// The zooms whose tiles carry its polygons (`None`: no tiles).
    pub tiles: Option<ZoomRange>,
}

/// How far the zoom above had to degrade: the index of its property set in
/// [`PropertySet::ALL`] and whether it drew same-class groups.
#[derive(Debug, Clone, Copy, Default)]
struct Degraded {
    set: usize,
    coalesce: bool,
}

/// What a zoom draws: the items (areas) it carries, and groups of same-class neighbours that
/// it draws as one feature.
struct ZoomPlan {
    /// The items drawn (each group by its first item), ascending.
    drawn: Vec<usize>,
    /// Per group (by its first item): the other items, and the count property.
    groups: HashMap<usize, (Vec<usize>, Prop)>,
    /// The first property set to try (the last when groups are formed: their members are
    /// equal only in its properties).
    first_set: usize,
}

/// The property of a feature that stands for a group of same-class neighbours: the number of
/// areas it unites (`docs/TILES.md`, *Dense inputs*).
pub const COALESCED: &str = "coalesced";

/// A finished tile and, if it was simplified harder to fit, by which factor.
type Encoded = (TileCoord, Vec<u8>, Option<u32>);

/// One feature's part of one tile.
struct Piece {
    /// (x, y) of the tile.
    tile: (u32, u32),
    /// Layer slot: polygon layers first, then their label layers.
    slot: usize,
    /// Index into the flattened features.
    item: usize,
    geometry: TileGeometry,
}

/// The per-run state shared by all zooms.
struct Prepared<'a> {
    input: &'a TileInput,
    items: Vec<(usize, &'a TileFeature)>,
    topology: Topology,
    labels: Vec<Option<WorldPoint>>,
    /// Per property set, whether each key of `input.keys` is in it (polygons), and whether it
    /// is in the label layers.
    allowed: Vec<(Vec<bool>, Vec<bool>)>,
    /// The north and south edges of the data in world units (y down), if it has any.
    y_extent: Option<(f64, f64)>,
    options: &'a TileOptions,
}

/// Generate every tile of the pyramid. `progress` is called with each zoom when it is done.
///
/// # Errors
/// [`TilerError::TileTooLarge`] when a tile stays over the cap at the coarsest simplification,
/// [`TilerError::Input`] for a zoom range that is empty or beyond 18.
pub fn generate(
    input: &TileInput,
    options: &TileOptions,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<TileSet> {
    if options.min_zoom > options.max_zoom || options.max_zoom > 18 {
        return Err(TilerError::Input {
            path: "--min-zoom/--max-zoom".into(),
            message: format!(
                "zoom range {}–{} is not valid: expected min ≤ max ≤ 18",
                options.min_zoom, options.max_zoom
            ),
        });
    }
    let prepared = prepare(input, options);

    // From the highest zoom down: a level left out of a zoom (too dense) is left out of every
    // lower zoom as well, so that each level's tiles cover one run of zooms.
    let n_layers = input.layers.len();
    let mut present = vec![true; n_layers];
    // A lower zoom holds more per tile, so it starts where the zoom above it ended: its
    // property set and whether it drew same-class groups (this spares the dense zooms the
    // attempts that cannot fit).
    let mut start = Degraded::default();
    let mut tiles_from: Vec<Option<u8>> = vec![None; n_layers];
    let mut tiles = TileSpill::new_in(options.spill_dir.as_deref())?;
    let mut zooms = Vec::new();
    for z in (options.min_zoom..=options.max_zoom).rev() {
        let report = prepared.zoom_degrading(z, &mut present, &mut start, &mut tiles)?;
        for (li, from) in tiles_from.iter_mut().enumerate() {
            if present[li] {
                *from = Some(z);
            }
        }
        zooms.push(report);
        progress(z);
    }
    zooms.reverse();
    let levels = level_zooms(input, options, &tiles_from)?;
    let meta = archive_meta(input, options, &zooms, &levels);
    let report = TileReport {
        arcs: prepared.topology.arcs.len(),
        arc_vertices: prepared.topology.arcs.iter().map(|a| a.points.len()).sum(),
        zooms,
        label_only: prepared
            .items
            .iter()
            .filter(|(_, f)| f.collapsed)
            .map(|(li, f)| (input.layers[*li].level.clone(), f.code.clone()))
            .collect(),
    };
    Ok(TileSet {
        tiles,
        meta,
        report,
        levels,
    })
}

/// The per-run state: the features flattened, the topology, label points and property sets.
fn prepare<'a>(input: &'a TileInput, options: &'a TileOptions) -> Prepared<'a> {
    let items: Vec<(usize, &TileFeature)> = input
        .layers
        .iter()
        .enumerate()
        .flat_map(|(li, l)| l.features.iter().map(move |f| (li, f)))
        .collect();
    let empty = MultiPolygon::<f64>(vec![]);
    let geometries: Vec<&MultiPolygon<f64>> = items
        .iter()
        .map(|(_, f)| if f.collapsed { &empty } else { &f.geometry })
        .collect();
    let topology = Topology::build(&geometries);
    let labels: Vec<Option<WorldPoint>> = items
        .par_iter()
        .map(|(_, f)| {
            let world = f.geometry.map_coords(|c| {
                let [x, y] = world_of_lonlat(c.x, c.y);
                Coord { x, y }
            });
            // To a two-hundredth of the area's size, but no finer than the grid of the highest
            // zoom: a label needs no more.
            let cell = 1.0 / (f64::from(options.extent) * f64::from(1u32 << options.max_zoom));
            let precision = world
                .bounding_rect()
                .map_or(cell, |r| (r.width().max(r.height()) / 200.0).max(cell));
            pole_of_inaccessibility(&world, precision)
                .map(|c| [c.x, c.y])
                .filter(|p| p[0].is_finite() && p[1].is_finite())
        })
        .collect();
    let allowed = PropertySet::ALL
        .iter()
        .map(|set| {
            let poly = input
                .keys
                .iter()
                .map(|(k, _)| set.has(k, &input.domains))
                .collect();
            let label = input.keys.iter().map(|(k, _)| set.has_label(k)).collect();
            (poly, label)
        })
        .collect();
    let y_extent = topology
        .arcs
        .iter()
        .flat_map(|a| a.points.iter())
        .chain(labels.iter().flatten())
        .map(|p| p[1])
        .fold(None, |acc: Option<(f64, f64)>, y| {
            Some(acc.map_or((y, y), |(lo, hi)| (lo.min(y), hi.max(y))))
        });
    Prepared {
        input,
        items,
        topology,
        labels,
        allowed,
        y_extent,
        options,
    }
}

/// Per level: its band and the zooms its tiles carry; fails when a band asked for starts
/// below the first zoom at which the level fits the cap.
fn level_zooms(
    input: &TileInput,
    options: &TileOptions,
    tiles_from: &[Option<u8>],
) -> Result<Vec<LevelZooms>> {
    let inputs: Vec<BandInput> = input
        .layers
        .iter()
        .zip(tiles_from)
        .map(|(l, &from)| BandInput {
            median_side: levels::median_side(
                l.features
                    .iter()
                    .filter(|f| !f.collapsed)
                    .map(|f| &f.geometry),
            ),
            requested: options
                .level_zooms
                .get(&l.level)
                .map(|r| (*r, BandSource::CommandLine))
                .or(l.requested_zooms.map(|r| (r, BandSource::Profile))),
            tiles_from: from,
        })
        .collect();
    let bands = levels::plan_bands(&inputs, options.min_zoom, options.max_zoom);
    let mut out = Vec::with_capacity(bands.len());
    for ((l, band), input_band) in input.layers.iter().zip(bands).zip(&inputs) {
        let tiles = input_band.tiles_from.map(|min| ZoomRange {
            min,
            max: options.max_zoom,
        });
        if let (Some(b), Some(t)) = (band, tiles)
            && b.source != BandSource::Data
            && b.min < t.min
        {
            let how = match b.source {
                BandSource::CommandLine => "--level-zooms",
                _ => "the profile's [[level]] zooms",
            };
            return Err(TilerError::Input {
                path: how.into(),
                message: format!(
                    "level `{}` is asked to be the map from zoom {} ({how} {}-{}), but its \
                     {} areas fit the cap of {} bytes per tile only from zoom {}: ask for \
                     {}={}-{}, or leave its band to the data",
                    l.level,
                    b.min,
                    b.min,
                    b.max,
                    l.features.len(),
                    options.max_tile_bytes,
                    t.min,
                    l.level,
                    t.min,
                    b.max.max(t.min)
                ),
            });
        }
        out.push(LevelZooms { band, tiles });
    }
    Ok(out)
}

/// A zoom's tiles made with one property set, before the report: the tiles themselves are in
/// the spill.
struct ZoomTiles {
    /// What the tiles came to (tiles, bytes, largest, simplified harder).
    stats: ZoomReport,
    /// Per item, whether it was drawn as a polygon in some tile.
    has_polygon: Vec<bool>,
    /// Areas drawn as a one-cell square.
    minimal_shapes: usize,
}

/// A zoom cut into bands of tile columns, so that it is made with bounded memory.
struct Bands<'a> {
    /// The zoom.
    z: u8,
    /// The arcs, simplified and snapped to the zoom's grid.
    arcs: &'a [Vec<GridPoint>],
    /// Per item, the first and last tile column it touches (`None`: nothing to draw).
    columns: &'a [Option<(u32, u32)>],
    /// The first column with data.
    first: u32,
    /// The last column with data.
    last: u32,
    /// Columns per band.
    width: u32,
    /// What the zoom draws.
    plan: &'a ZoomPlan,
}

/// The report of a zoom without tiles.
fn empty_zoom(z: u8) -> ZoomReport {
    ZoomReport {
        z,
        ..ZoomReport::default()
    }
}

impl Prepared<'_> {
    /// Every tile of zoom `z` with the layers marked in `present`, degrading until every tile
    /// fits the cap: [`Self::zoom`] (lighter property sets, then harder simplification); then
    /// the finest layer left out (a coarser one carries the choropleth; `present` is updated);
    /// with one layer left, its same-class neighbours drawn as one feature.
    fn zoom_degrading(
        &self,
        z: u8,
        present: &mut [bool],
        start: &mut Degraded,
        spill: &mut TileSpill,
    ) -> Result<ZoomReport> {
        let mut coalesce = start.coalesce && present.iter().filter(|p| **p).count() == 1;
        let mark = spill.mark();
        // With a level left out, the others may fit a richer set again.
        let mut first = start.set;
        loop {
            let mut plan = self.plan(present, coalesce);
            plan.first_set = plan.first_set.max(first);
            let made = self.zoom(z, &plan, spill);
            if made.is_err() {
                spill.rollback(mark);
            }
            match made {
                Ok(mut report) => {
                    *start = Degraded {
                        set: report
                            .properties
                            .and_then(|p| PropertySet::ALL.iter().position(|q| *q == p))
                            .unwrap_or(start.set),
                        coalesce,
                    };
                    report.omitted = self
                        .input
                        .layers
                        .iter()
                        .zip(present.iter())
                        .filter(|(_, p)| !**p)
                        .map(|(l, _)| l.name.clone())
                        .collect();
                    report.coalesced = self.coalesced_report(&plan);
                    return Ok(report);
                }
                Err(TilerError::TileTooLarge { .. })
                    if present.iter().filter(|p| **p).count() > 1 =>
                {
                    if let Some(finest) = present.iter().position(|p| *p) {
                        present[finest] = false;
                    }
                    first = 0;
                }
                Err(TilerError::TileTooLarge { .. }) if !coalesce => coalesce = true,
                Err(e) => return Err(e),
            }
        }
    }

    /// The plan of a zoom: the items of the `present` layers; with `coalesce`, the
    /// neighbours of the coarsest present layer that are equal in every property of the last
    /// (lightest) property set grouped.
    fn plan(&self, present: &[bool], coalesce: bool) -> ZoomPlan {
        let drawn: Vec<usize> = (0..self.items.len())
            .filter(|&i| present[self.items[i].0])
            .collect();
        let last_set = PropertySet::ALL.len() - 1;
        if !coalesce {
            return ZoomPlan {
                drawn,
                groups: HashMap::new(),
                first_set: 0,
            };
        }
        let Some(top) = present.iter().rposition(|p| *p) else {
            return ZoomPlan {
                drawn,
                groups: HashMap::new(),
                first_set: last_set,
            };
        };
        let layer_items: Vec<usize> = drawn
            .iter()
            .copied()
            .filter(|&i| self.items[i].0 == top)
            .collect();
        let allowed = &self.allowed[last_set].0;
        let key = |i: usize| {
            let f = self.items[i].1;
            f.properties
                .iter()
                .filter(|(k, _)| allowed[usize::from(*k)])
                .map(|&(k, v)| (k, self.input.value(v)))
                .collect::<Vec<_>>()
        };
        let groups =
            levels::same_class_groups(&layer_items, &self.shared_borders(&layer_items), key);
        let mut member = vec![false; self.items.len()];
        let mut by_first = HashMap::new();
        for g in groups {
            for &m in &g[1..] {
                member[m] = true;
            }
            let count = Prop::UInt(g.len() as u64);
            by_first.insert(g[0], (g[1..].to_vec(), count));
        }
        ZoomPlan {
            drawn: drawn.into_iter().filter(|&i| !member[i]).collect(),
            groups: by_first,
            first_set: last_set,
        }
    }

    /// Pairs of `items` (ascending) that share an arc of the topology (a border).
    fn shared_borders(&self, items: &[usize]) -> Vec<(usize, usize)> {
        let mut by_arc: Vec<(u32, usize)> = items
            .iter()
            .flat_map(|&i| {
                self.topology.shapes[i]
                    .iter()
                    .flatten()
                    .flatten()
                    .map(move |r| (r.arc, i))
            })
            .collect();
        by_arc.sort_unstable();
        by_arc.dedup();
        let mut pairs: Vec<(usize, usize)> = by_arc
            .chunk_by(|a, b| a.0 == b.0)
            .flat_map(|run| {
                run.iter().flat_map(move |a| {
                    run.iter()
                        .filter(move |b| b.1 > a.1)
                        .map(move |b| (a.1, b.1))
                })
            })
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// The report of a plan's groups, by code.
    fn coalesced_report(&self, plan: &ZoomPlan) -> Vec<CoalescedGroup> {
        let mut out: Vec<CoalescedGroup> = plan
            .groups
            .iter()
            .map(|(&first, (members, _))| CoalescedGroup {
                layer: self.input.layers[self.items[first].0].name.clone(),
                into: self.items[first].1.code.clone(),
                members: members
                    .iter()
                    .map(|&m| self.items[m].1.code.clone())
                    .collect(),
            })
            .collect();
        out.sort_unstable_by(|a, b| (&a.layer, &a.into).cmp(&(&b.layer, &b.into)));
        out
    }

    /// Every tile of zoom `z` for `plan`, with the richest property set (from
    /// `plan.first_set`) with which every tile fits the cap; with the last set, tiles that
    /// still do not fit are simplified harder.
    fn zoom(&self, z: u8, plan: &ZoomPlan, spill: &mut TileSpill) -> Result<ZoomReport> {
        let scale = f64::from(self.options.extent) * f64::from(1u32 << z);
        let tol2 = (self.options.tolerance / scale).powi(2);
        let arcs: Vec<Vec<GridPoint>> = self
            .topology
            .arcs
            .par_iter()
            .map(|a| snap_arc(a, tol2, scale))
            .collect();
        let columns = self.tile_columns(z, scale, &arcs, plan);
        let (Some(first), Some(last)) = (
            columns.iter().flatten().map(|c| c.0).min(),
            columns.iter().flatten().map(|c| c.1).max(),
        ) else {
            return Ok(empty_zoom(z));
        };
        // About 2,000 tiles' worth of columns per band (the rows of the data, from its extent).
        let (top, bottom) = self.rows(z);
        let rows = u64::from(bottom.saturating_sub(top)) + 1;
        let width = (2_000 / rows).clamp(1, u64::from(last - first) + 1) as u32;
        let bands = Bands {
            z,
            arcs: &arcs,
            columns: &columns,
            first,
            last,
            width,
            plan,
        };
        for set in plan.first_set..PropertySet::ALL.len() {
            // `None`: a tile is over the cap; try the next, smaller property set.
            let Some(made) = self.tiles_with_set(&bands, set, spill)? else {
                continue;
            };
            let mut areas = vec![0usize; self.input.layers.len()];
            for (i, &(li, _)) in self.items.iter().enumerate() {
                if made.has_polygon[i] {
                    areas[li] += 1 + plan.groups.get(&i).map_or(0, |(m, _)| m.len());
                }
            }
            return Ok(self.finish_zoom(set, made, areas));
        }
        Ok(empty_zoom(z))
    }

    /// The first and last tile column each area touches at zoom `z` (its polygon with the
    /// buffer, and its label point), `None` for an area with nothing to draw; so that the zoom
    /// can be made in bands of columns without assembling every area in every band.
    fn tile_columns(
        &self,
        z: u8,
        scale: f64,
        arcs: &[Vec<GridPoint>],
        plan: &ZoomPlan,
    ) -> Vec<Option<(u32, u32)>> {
        let lookup = |a: u32| &arcs[a as usize];
        let extent = i64::from(self.options.extent);
        let buffer = i64::from(self.options.buffer);
        let last_tile = (1i64 << z) - 1;
        plan.drawn
            .par_iter()
            .map(|&i| {
                let rings = self.rings(i, plan, &lookup);
                let flat: Vec<&[GridPoint]> = rings.iter().flatten().map(Vec::as_slice).collect();
                let mut range = bbox(&flat).map(|[x0, _, x1, _]| {
                    (
                        (x0 - buffer).div_euclid(extent),
                        (x1 + buffer).div_euclid(extent),
                    )
                });
                if let Some(l) = self.labels[i] {
                    let c = ((l[0] * scale).floor() as i64).div_euclid(extent);
                    range = Some(range.map_or((c, c), |(a, b)| (a.min(c), b.max(c))));
                }
                range.map(|(a, b)| (a.clamp(0, last_tile) as u32, b.clamp(0, last_tile) as u32))
            })
            .collect()
    }

    /// Every tile of a zoom with property set `set`, band by band; `None` when a tile is over
    /// the cap and `set` is not the last set.
    fn tiles_with_set(
        &self,
        bands: &Bands<'_>,
        set: usize,
        spill: &mut TileSpill,
    ) -> Result<Option<ZoomTiles>> {
        let mark = spill.mark();
        let mut made = ZoomTiles {
            stats: ZoomReport {
                z: bands.z,
                ..ZoomReport::default()
            },
            has_polygon: vec![false; self.items.len()],
            minimal_shapes: 0,
        };
        let mut b0 = bands.first;
        while b0 <= bands.last {
            let b1 = b0.saturating_add(bands.width - 1).min(bands.last);
            if !self.band(bands, set, (b0, b1), &mut made, spill)? {
                spill.rollback(mark);
                return Ok(None);
            }
            b0 = b1.saturating_add(1);
            if b1 == u32::MAX {
                break;
            }
        }
        Ok(Some(made))
    }

    /// The tiles of the columns `b0..=b1` with property set `set`, added to `made`: the pieces
    /// of every area that touches the band, grouped by tile and encoded in parallel. False when
    /// a tile is over the cap and `set` is not the last set.
    fn band(
        &self,
        bands: &Bands<'_>,
        set: usize,
        (b0, b1): (u32, u32),
        made: &mut ZoomTiles,
        spill: &mut TileSpill,
    ) -> Result<bool> {
        let z = bands.z;
        let last_set = set + 1 == PropertySet::ALL.len();
        let n_layers = self.input.layers.len();
        let cap = self.options.max_tile_bytes;
        let arcs = bands.arcs;
        let lookup = |a: u32| &arcs[a as usize];
        let wanted = |t: (u32, u32)| (b0..=b1).contains(&t.0);
        let plan = bands.plan;
        let per_item: Vec<(Vec<Piece>, bool)> = plan
            .drawn
            .par_iter()
            .zip(bands.columns.par_iter())
            .filter(|(_, c)| c.is_some_and(|(a, b)| a <= b1 && b >= b0))
            .map_init(Clipper::new, |clipper, (&i, _)| {
                self.pieces(clipper, i, z, &lookup, &wanted, plan)
            })
            .collect();
        let mut pieces: Vec<Piece> = Vec::new();
        for (ps, minimal) in per_item {
            made.minimal_shapes += usize::from(minimal);
            for p in ps.iter().filter(|p| p.slot < n_layers) {
                made.has_polygon[p.item] = true;
            }
            pieces.extend(ps);
        }
        pieces.sort_unstable_by_key(|p| (p.tile, p.slot, p.item));
        let groups: Vec<&[Piece]> = pieces.chunk_by(|a, b| a.tile == b.tile).collect();
        // `None`: over the cap with a property set that is not the last.
        let encoded: Vec<Result<Option<Encoded>>> = groups
            .par_iter()
            .map_init(Clipper::new, |clipper, group| {
                let (x, y) = group[0].tile;
                let bytes = gzip(&self.encode(group, set, plan));
                if bytes.len() <= cap {
                    Ok(Some((TileCoord { z, x, y }, bytes, None)))
                } else if last_set {
                    self.simplify_harder(clipper, z, group, set, plan).map(Some)
                } else {
                    Ok(None)
                }
            })
            .collect();
        let mut tiles = Vec::with_capacity(encoded.len());
        for e in encoded {
            match e? {
                Some(tile) => tiles.push(tile),
                None => return Ok(false),
            }
        }
        tiles.sort_unstable_by_key(|t| t.0);
        let stats = &mut made.stats;
        for (coord, bytes, harder) in tiles {
            stats.tiles += 1;
            stats.bytes += bytes.len() as u64;
            stats.max_bytes = stats.max_bytes.max(bytes.len());
            if let Some(f) = harder {
                stats.simplified_harder.push((coord.x, coord.y, f));
            }
            spill.push(coord, &bytes)?;
        }
        Ok(true)
    }

    /// The first and last tile row that the data's extent touches at zoom `z`.
    fn rows(&self, z: u8) -> (u32, u32) {
        let last = (1u32 << z) - 1;
        let Some((lo, hi)) = self.y_extent else {
            return (0, last);
        };
        let row = |y: f64| ((y * f64::from(1u32 << z)).floor().max(0.0) as u32).min(last);
        (row(lo), row(hi))
    }

    /// The report of a zoom whose tiles were made with property set `set`.
    fn finish_zoom(&self, set: usize, made: ZoomTiles, areas: Vec<usize>) -> ZoomReport {
        ZoomReport {
            properties: Some(PropertySet::ALL[set]),
            minimal_shapes: made.minimal_shapes,
            areas: self
                .input
                .layers
                .iter()
                .map(|l| l.name.clone())
                .zip(areas)
                .collect(),
            ..made.stats
        }
    }

    /// Re-make a tile that is over the cap with its features simplified harder, doubling the
    /// tolerance until it fits.
    fn simplify_harder(
        &self,
        clipper: &mut Clipper,
        z: u8,
        group: &[Piece],
        set: usize,
        plan: &ZoomPlan,
    ) -> Result<Encoded> {
        let (x, y) = group[0].tile;
        let coord = TileCoord { z, x, y };
        let scale = f64::from(self.options.extent) * f64::from(1u32 << z);
        let items: BTreeSet<usize> = group.iter().map(|p| p.item).collect();
        let needed: BTreeSet<u32> = items
            .iter()
            .flat_map(|&i| {
                std::iter::once(i).chain(
                    plan.groups
                        .get(&i)
                        .into_iter()
                        .flat_map(|g| g.0.iter().copied()),
                )
            })
            .flat_map(|i| {
                self.topology.shapes[i]
                    .iter()
                    .flatten()
                    .flatten()
                    .map(|r| r.arc)
            })
            .collect();
        // The polygon piece each area had in this tile (pieces are sorted by slot, then item).
        let originals: HashMap<usize, &Piece> = group
            .iter()
            .filter(|p| p.slot < self.input.layers.len())
            .map(|p| (p.item, p))
            .collect();
        let mut last = 0;
        for factor in [2u32, 4, 8, 16, 32, 64] {
            let tol2 = (self.options.tolerance * f64::from(factor) / scale).powi(2);
            let arcs: HashMap<u32, Vec<GridPoint>> = needed
                .iter()
                .map(|&a| (a, snap_arc(&self.topology.arcs[a as usize], tol2, scale)))
                .collect();
            let empty = Vec::new();
            let lookup = |a: u32| arcs.get(&a).unwrap_or(&empty);
            let mut pieces: Vec<Piece> = Vec::new();
            for &i in &items {
                let (mut ps, _) = self.pieces(clipper, i, z, &lookup, &|t| t == (x, y), plan);
                // Never drop: an area that had a polygon here keeps at least a minimal one.
                let had_polygon = originals.get(&i).copied();
                if let Some(orig) = had_polygon
                    && !ps.iter().any(|p| p.slot == orig.slot)
                    && let TileGeometry::Polygons(polys) = &orig.geometry
                {
                    let e = self.options.extent as i32 - 1;
                    let p0 = polys
                        .first()
                        .and_then(|p| p.first())
                        .and_then(|r| r.first())
                        .copied()
                        .unwrap_or([0, 0]);
                    let at = [p0[0].clamp(0, e), p0[1].clamp(0, e)];
                    ps.push(Piece {
                        tile: (x, y),
                        slot: orig.slot,
                        item: i,
                        geometry: TileGeometry::Polygons(vec![unit_square(at)]),
                    });
                }
                pieces.extend(ps.into_iter().filter(|p| p.tile == (x, y)));
            }
            pieces.sort_unstable_by_key(|p| (p.slot, p.item));
            let bytes = gzip(&self.encode(&pieces, set, plan));
            last = bytes.len();
            if bytes.len() <= self.options.max_tile_bytes {
                return Ok((coord, bytes, Some(factor)));
            }
        }
        Err(TilerError::TileTooLarge {
            z,
            x,
            y,
            bytes: last,
            cap: self.options.max_tile_bytes,
        })
    }

    fn encode(&self, pieces: &[Piece], set: usize, plan: &ZoomPlan) -> Vec<u8> {
        let (poly_keys, label_keys) = &self.allowed[set];
        let keys = &self.input.keys;
        let n = self.input.layers.len();
        let layer_names: Vec<String> = self
            .input
            .layers
            .iter()
            .map(|l| format!("{}_labels", l.name))
            .collect();
        let layers: Vec<EncodeLayer<'_>> = pieces
            .chunk_by(|a, b| a.slot == b.slot)
            .map(|g| {
                let slot = g[0].slot;
                let name = if slot < n {
                    self.input.layers[slot].name.as_str()
                } else {
                    layer_names[slot - n].as_str()
                };
                EncodeLayer {
                    name,
                    features: g
                        .iter()
                        .map(|p| {
                            let f = self.items[p.item].1;
                            let allowed = if slot < n { poly_keys } else { label_keys };
                            let mut properties: Vec<(&str, &Prop)> = f
                                .properties
                                .iter()
                                .filter(|(k, _)| allowed[usize::from(*k)])
                                .map(|&(k, v)| {
                                    (keys[usize::from(k)].0.as_str(), self.input.value(v))
                                })
                                .collect();
                            if slot < n
                                && let Some((_, count)) = plan.groups.get(&p.item)
                            {
                                properties.push((COALESCED, count));
                            }
                            EncodeFeature {
                                id: f.id,
                                properties,
                                geometry: &p.geometry,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        encode_tile(&layers, self.options.extent)
    }

    /// The rings of item `i` on the zoom's grid, with those of the items its group unites
    /// (shared borders run both ways and vanish in the clipper's non-zero union).
    fn rings<'b>(
        &self,
        i: usize,
        plan: &ZoomPlan,
        arcs: &dyn Fn(u32) -> &'b Vec<GridPoint>,
    ) -> Vec<Vec<Vec<GridPoint>>> {
        let mut rings = assemble(&self.topology.shapes[i], arcs);
        if let Some((members, _)) = plan.groups.get(&i) {
            for &m in members {
                rings.extend(assemble(&self.topology.shapes[m], arcs));
            }
        }
        rings
    }

    /// The pieces of feature `i` at zoom `z`: its polygon cut to every tile it touches (or only
    /// to `only`), and its label point. Returns whether a minimal shape stood in for a polygon.
    fn pieces<'b>(
        &self,
        clipper: &mut Clipper,
        i: usize,
        z: u8,
        arcs: &dyn Fn(u32) -> &'b Vec<GridPoint>,
        wanted: &dyn Fn((u32, u32)) -> bool,
        plan: &ZoomPlan,
    ) -> (Vec<Piece>, bool) {
        let (li, feature) = self.items[i];
        let n_layers = self.input.layers.len();
        let extent = i64::from(self.options.extent);
        let buffer = i64::from(self.options.buffer);
        let last_tile = (1i64 << z) - 1;
        let scale = f64::from(self.options.extent) * f64::from(1u32 << z);
        let mut out = Vec::new();

        let rings = self.rings(i, plan, arcs);
        let flat: Vec<&[GridPoint]> = rings.iter().flatten().map(Vec::as_slice).collect();
        if let Some([x0, y0, x1, y1]) = bbox(&flat) {
            let tx0 = ((x0 - buffer).div_euclid(extent)).clamp(0, last_tile);
            let tx1 = ((x1 + buffer).div_euclid(extent)).clamp(0, last_tile);
            let ty0 = ((y0 - buffer).div_euclid(extent)).clamp(0, last_tile);
            let ty1 = ((y1 + buffer).div_euclid(extent)).clamp(0, last_tile);
            for tx in tx0..=tx1 {
                for ty in ty0..=ty1 {
                    let tile = (tx as u32, ty as u32);
                    if !wanted(tile) {
                        continue;
                    }
                    let polys = clipper.clip(
                        &flat,
                        [-tx * extent, -ty * extent],
                        -buffer as i32,
                        (extent + buffer) as i32,
                    );
                    if !polys.is_empty() {
                        out.push(Piece {
                            tile,
                            slot: li,
                            item: i,
                            geometry: TileGeometry::Polygons(polys),
                        });
                    }
                }
            }
        }
        // An area whose polygons all snap to nothing at this zoom (smaller than a cell) is
        // drawn as a one-cell square at its label point instead.
        let vanished = rings.iter().all(|p| crate::clip::area2(&p[0]) == 0);
        let mut minimal = false;
        if let Some(label) = self.labels[i] {
            let gx = (label[0] * scale).floor() as i64;
            let gy = (label[1] * scale).floor() as i64;
            let tile = (
                gx.div_euclid(extent).clamp(0, last_tile) as u32,
                gy.div_euclid(extent).clamp(0, last_tile) as u32,
            );
            let local = [
                (gx - i64::from(tile.0) * extent).clamp(0, extent - 1) as i32,
                (gy - i64::from(tile.1) * extent).clamp(0, extent - 1) as i32,
            ];
            if wanted(tile) {
                if vanished && !feature.collapsed {
                    minimal = true;
                    out.push(Piece {
                        tile,
                        slot: li,
                        item: i,
                        geometry: TileGeometry::Polygons(vec![unit_square(local)]),
                    });
                }
                out.push(Piece {
                    tile,
                    slot: n_layers + li,
                    item: i,
                    geometry: TileGeometry::Point(local),
                });
            }
        }
        (out, minimal)
    }
}

/// A one-cell square with its corner at `p`, oriented as an MVT exterior.
fn unit_square(p: GridPoint) -> GridPolygon {
    vec![vec![
        p,
        [p[0] + 1, p[1]],
        [p[0] + 1, p[1] + 1],
        [p[0], p[1] + 1],
    ]]
}

/// An arc simplified at squared tolerance `tol2` (world units²) and snapped to the grid of
/// `scale` cells per world unit (global grid coordinates).
fn snap_arc(arc: &Arc, tol2: f64, scale: f64) -> Vec<GridPoint> {
    let mut out: Vec<GridPoint> = Vec::new();
    for (p, &imp) in arc.points.iter().zip(&arc.importance) {
        if imp > tol2 {
            let q = [(p[0] * scale).round() as i32, (p[1] * scale).round() as i32];
            if out.last() != Some(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// A feature's rings on the global grid, from its arcs. Rings that collapse to fewer than three
/// points are dropped (with their holes, for an exterior).
fn assemble<'b>(
    shape: &[TopoPolygon],
    arcs: &dyn Fn(u32) -> &'b Vec<GridPoint>,
) -> Vec<Vec<Vec<GridPoint>>> {
    let mut polygons = Vec::with_capacity(shape.len());
    for polygon in shape {
        let mut rings: Vec<Vec<GridPoint>> = Vec::with_capacity(polygon.len());
        for (k, refs) in polygon.iter().enumerate() {
            let mut ring: Vec<GridPoint> = Vec::new();
            for r in refs {
                let pts = arcs(r.arc);
                let mut push = |q: &GridPoint| {
                    if ring.last() != Some(q) {
                        ring.push(*q);
                    }
                };
                if r.reversed {
                    pts.iter().rev().for_each(&mut push);
                } else {
                    pts.iter().for_each(&mut push);
                }
            }
            while ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            if ring.len() >= 3 {
                rings.push(ring);
            } else if k == 0 {
                break;
            }
        }
        if !rings.is_empty() {
            polygons.push(rings);
        }
    }
    polygons
}

fn bbox(rings: &[&[GridPoint]]) -> Option<[i64; 4]> {
    let mut it = rings.iter().flat_map(|r| r.iter());
    let first = it.next()?;
    let mut b = [
        i64::from(first[0]),
        i64::from(first[1]),
        i64::from(first[0]),
        i64::from(first[1]),
    ];
    for p in it {
        b[0] = b[0].min(i64::from(p[0]));
        b[1] = b[1].min(i64::from(p[1]));
        b[2] = b[2].max(i64::from(p[0]));
        b[3] = b[3].max(i64::from(p[1]));
    }
    Some(b)
}

/// The archive metadata: names, bounds, and `vector_layers` with every field.
fn archive_meta(
    input: &TileInput,
    options: &TileOptions,
    zooms: &[ZoomReport],
    levels: &[LevelZooms],
) -> ArchiveMeta {
    let b = data_bounds(input);
    let mut fields = LayerFields::new(input);
    fields.coalesced = input
        .layers
        .iter()
        .map(|l| {
            zooms
                .iter()
                .any(|z| z.coalesced.iter().any(|g| g.layer == l.name))
        })
        .collect();
    let mut json = Map::new();
    json.insert(
        "vector_layers".into(),
        Json::Array(vector_layers(input, options, &fields, levels)),
    );
    json.insert("tilestats".into(), tilestats(input, &fields));
    json.insert(
        TilesMeta::KEY.into(),
        serde_json::to_value(tiles_meta(input, options, zooms, levels)).unwrap_or_default(),
    );
    ArchiveMeta {
        name: input.title.clone(),
        description: input.description.clone(),
        attribution: input.attribution.clone(),
        version: "1.0.0".into(),
        bounds: b,
        center: [
            (b[0] + b[2]) / 2.0,
            (b[1] + b[3]) / 2.0,
            f64::from(options.min_zoom),
        ],
        min_zoom: options.min_zoom,
        max_zoom: options.max_zoom,
        json,
    }
}

/// The `mdi` block of the archive metadata: what a client needs to read the tiles.
fn tiles_meta(
    input: &TileInput,
    options: &TileOptions,
    zooms: &[ZoomReport],
    levels: &[LevelZooms],
) -> TilesMeta {
    TilesMeta {
        years: input.years.clone(),
        domains: input.domains.clone(),
        levels: input
            .layers
            .iter()
            .zip(levels)
            .map(|(l, z)| TileLevel {
                id: l.level.clone(),
                layer: l.name.clone(),
                name: l.title.clone(),
                code_prefix: l.code_prefix.clone(),
                labels: format!("{}_labels", l.name),
                band: z.band,
                tile_zooms: z.tiles,
            })
            .collect(),
        feature_id: mdi_format::id::RULE.into(),
        properties_by_zoom: zooms
            .iter()
            .map(|z| (z.z.to_string(), z.properties))
            .collect(),
        extent: options.extent,
        buffer: options.buffer,
    }
}

/// The bounds of every exterior ring of every layer, WGS84 `[west, south, east, north]` in
/// degrees; the whole Web Mercator world when there is no polygon.
fn data_bounds(input: &TileInput) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in input
        .layers
        .iter()
        .flat_map(|l| l.features.iter())
        .flat_map(|f| f.geometry.0.iter())
        .flat_map(|p| p.exterior().0.iter())
    {
        b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
    }
    if !b[0].is_finite() {
        b = [-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59];
    }
    b
}

/// Per layer, the property keys that some area of it has (a wijk has no domain deciles).
struct LayerFields<'a> {
    /// The input, whose `keys` the flags index.
    input: &'a TileInput,
    /// Per layer, per key: used by some feature.
    used: Vec<Vec<bool>>,
    /// Per layer: some zoom draws groups of its areas as one feature ([`COALESCED`]).
    coalesced: Vec<bool>,
}

impl<'a> LayerFields<'a> {
    /// Find the keys each layer uses.
    fn new(input: &'a TileInput) -> Self {
        let used = input
            .layers
            .iter()
            .map(|l| {
                let mut u = vec![false; input.keys.len()];
                for f in &l.features {
                    for (k, _) in &f.properties {
                        u[usize::from(*k)] = true;
                    }
                }
                u
            })
            .collect();
        LayerFields {
            input,
            used,
            coalesced: Vec::new(),
        }
    }

    /// The keys (name, kind) that layer `li` uses, in key order.
    fn of(&self, li: usize) -> impl Iterator<Item = &'a (String, PropKind)> + '_ {
        self.input
            .keys
            .iter()
            .enumerate()
            .filter(move |(k, _)| self.used[li][*k])
            .map(|(_, kt)| kt)
    }
}

/// The TileJSON `vector_layers`: the polygon layers with their fields, then the label layers
/// with `name`.
fn vector_layers(
    input: &TileInput,
    options: &TileOptions,
    fields: &LayerFields<'_>,
    levels: &[LevelZooms],
) -> Vec<Json> {
    let label_fields = json!({"name": "String"});
    let mut vector_layers = Vec::new();
    for (li, l) in input.layers.iter().enumerate() {
        let mut layer_fields: Map<String, Json> = fields
            .of(li)
            .map(|(k, t)| (k.clone(), json!(t.tilejson())))
            .collect();
        if fields.coalesced.get(li).copied().unwrap_or(false) {
            layer_fields.insert(COALESCED.into(), json!("Number"));
        }
        let minzoom = levels
            .get(li)
            .and_then(|z| z.tiles)
            .map_or(options.min_zoom, |t| t.min);
        vector_layers.push(json!({"id": l.name, "description": format!("{} (polygons)", l.title), "minzoom": minzoom, "maxzoom": options.max_zoom, "fields": layer_fields}));
    }
    for l in &input.layers {
        vector_layers.push(json!({"id": format!("{}_labels", l.name), "description": format!("{}: label points (pole of inaccessibility)", l.title), "minzoom": options.min_zoom, "maxzoom": options.max_zoom, "fields": label_fields}));
    }
    vector_layers
}

/// The `tilestats` (the Mapbox convention that GDAL and QGIS read for each layer's geometry
/// type): the polygon layers, then the label layers.
fn tilestats(input: &TileInput, fields: &LayerFields<'_>) -> Json {
    let attrs = |keys: Vec<(String, &str)>| {
        keys.into_iter()
            .map(|(k, t)| json!({"attribute": k, "type": t}))
            .collect::<Vec<_>>()
    };
    let label_attrs = attrs(vec![("name".to_string(), "string")]);
    let mut stats = Vec::new();
    for (li, l) in input.layers.iter().enumerate() {
        let poly_attrs = attrs(
            fields
                .of(li)
                .map(|(k, t)| (k.clone(), t.tilestats()))
                .collect(),
        );
        stats.push(json!({"layer": l.name, "count": l.features.iter().filter(|f| !f.collapsed).count(), "geometry": "Polygon", "attributeCount": poly_attrs.len(), "attributes": poly_attrs}));
    }
    for l in &input.layers {
        stats.push(json!({"layer": format!("{}_labels", l.name), "count": l.features.len(), "geometry": "Point", "attributeCount": label_attrs.len(), "attributes": label_attrs}));
    }
    json!({"layerCount": stats.len(), "layers": stats})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use geo_types::{Coord, LineString, MultiPolygon, Polygon};
    use geozero::mvt::{Message, Tile};

    use super::*;
    use crate::input::{Prop, PropKind, TileFeature, TileLayer};

    const N: usize = 4;

    type Rings = Vec<Vec<[i64; 2]>>;

    /// A wavy border polyline from `a` to `b` with 40 segments (lon/lat degrees).
    fn border(a: (f64, f64), b: (f64, f64), phase: f64) -> Vec<(f64, f64)> {
        (0..=40)
            .map(|k| {
                let t = k as f64 / 40.0;
                // Tapered to zero at the corners, so borders meeting there never cross.
                let wave = 0.0015 * (t * std::f64::consts::PI).sin() * (t * 9.0 + phase).sin();
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                (
                    a.0 + t * dx - wave * dy.signum(),
                    a.1 + t * dy + wave * dx.signum(),
                )
            })
            .collect()
    }

    /// A 4×4 grid of buurten in Amsterdam with wavy shared borders, one of them with an island
    /// buurt of ~20 m in a hole, and the gemeente around them, dissolved from the same vertices.
    fn grid() -> TileInput {
        let corner = |i: usize, j: usize| (4.85 + 0.025 * i as f64, 52.33 + 0.0175 * j as f64);
        // Horizontal borders h[i][j]: from corner (i, j) to (i+1, j); vertical v[i][j]: (i, j) to (i, j+1).
        let h: Vec<Vec<_>> = (0..N)
            .map(|i| {
                (0..=N)
                    .map(|j| border(corner(i, j), corner(i + 1, j), (i * 7 + j) as f64))
                    .collect()
            })
            .collect();
        let v: Vec<Vec<_>> = (0..=N)
            .map(|i| {
                (0..N)
                    .map(|j| border(corner(i, j), corner(i, j + 1), (i * 3 + j * 5) as f64))
                    .collect()
            })
            .collect();
        let rev = |p: &Vec<(f64, f64)>| p.iter().rev().copied().collect::<Vec<_>>();
        let chain = |parts: Vec<Vec<(f64, f64)>>| {
            let mut ring: Vec<(f64, f64)> = Vec::new();
            for p in parts {
                for q in p {
                    if ring.last() != Some(&q) {
                        ring.push(q);
                    }
                }
            }
            LineString::from(ring)
        };
        let island = |x: f64, y: f64| {
            vec![
                (x, y),
                (x + 0.0003, y),
                (x + 0.0003, y + 0.0002),
                (x, y + 0.0002),
                (x, y),
            ]
        };
        let (ix, iy) = (corner(1, 1).0 + 0.01, corner(1, 1).1 + 0.008);
        let mut buurten = Vec::new();
        for i in 0..N {
            for j in 0..N {
                let ring = chain(vec![
                    h[i][j].clone(),
                    v[i + 1][j].clone(),
                    rev(&h[i][j + 1]),
                    rev(&v[i][j]),
                ]);
                let holes = if (i, j) == (1, 1) {
                    vec![LineString::from(
                        island(ix, iy).into_iter().rev().collect::<Vec<_>>(),
                    )]
                } else {
                    vec![]
                };
                buurten.push(feature(
                    &format!("BU{i}{j}"),
                    MultiPolygon(vec![Polygon::new(ring, holes)]),
                ));
            }
        }
        buurten.push(feature(
            "BUISLAND",
            MultiPolygon(vec![Polygon::new(LineString::from(island(ix, iy)), vec![])]),
        ));
        let outline = chain(vec![
            (0..N).flat_map(|i| h[i][0].clone()).collect(),
            (0..N).flat_map(|j| v[N][j].clone()).collect(),
            (0..N).rev().flat_map(|i| rev(&h[i][N])).collect(),
            (0..N).rev().flat_map(|j| rev(&v[0][j])).collect(),
        ]);
        let gemeente = feature("GM0001", MultiPolygon(vec![Polygon::new(outline, vec![])]));
        let mut collapsed = feature(
            "BUFLAT",
            MultiPolygon(vec![Polygon::new(
                LineString::from(vec![(4.9, 52.35), (4.91, 52.35), (4.9, 52.35)]),
                vec![],
            )]),
        );
        collapsed.collapsed = true;
        buurten.push(collapsed);
        two_layers(buurten, gemeente)
    }

    /// A test atlas of two levels (buurten and one gemeente) whose features carry their code.
    fn two_layers(mut buurten: Vec<TileFeature>, mut gemeente: TileFeature) -> TileInput {
        let mut values = Vec::new();
        for f in buurten.iter_mut().chain(std::iter::once(&mut gemeente)) {
            values.push(Prop::Text(f.code.clone()));
            f.properties = vec![(0, values.len() as u32 - 1)];
        }
        TileInput {
            values,
            title: "t".into(),
            description: String::new(),
            attribution: String::new(),
            years: vec!["2024".into()],
            domains: vec![],
            layers: vec![
                TileLayer {
                    level: "buurt".into(),
                    name: "buurten".into(),
                    title: "Buurten".into(),
                    code_prefix: "BU".into(),
                    features: buurten,
                    requested_zooms: None,
                },
                TileLayer {
                    level: "gemeente".into(),
                    name: "gemeenten".into(),
                    title: "Gemeenten".into(),
                    code_prefix: "GM".into(),
                    features: vec![gemeente],
                    requested_zooms: None,
                },
            ],
            keys: vec![("code".into(), PropKind::Text)],
        }
    }

    fn feature(code: &str, geometry: MultiPolygon<f64>) -> TileFeature {
        TileFeature {
            code: code.into(),
            name: code.into(),
            id: crate::id::feature_id(code, 0, "BU"),
            geometry,
            collapsed: false,
            properties: Vec::new(),
        }
    }

    /// Decode MVT polygon commands into rings (tile coordinates).
    fn rings(geometry: &[u32]) -> Vec<Vec<[i64; 2]>> {
        let (mut out, mut cur, mut i) = (Vec::new(), [0i64; 2], 0);
        let mut ring: Vec<[i64; 2]> = Vec::new();
        while i < geometry.len() {
            let (id, count) = (geometry[i] & 7, geometry[i] >> 3);
            i += 1;
            if id == 7 {
                out.push(std::mem::take(&mut ring));
                continue;
            }
            for _ in 0..count {
                let d = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
                cur = [cur[0] + d(geometry[i]), cur[1] + d(geometry[i + 1])];
                i += 2;
                ring.push(cur);
            }
        }
        out
    }

    fn area2(r: &[[i64; 2]]) -> i64 {
        (0..r.len())
            .map(|k| r[k][0] * r[(k + 1) % r.len()][1] - r[(k + 1) % r.len()][0] * r[k][1])
            .sum()
    }

    fn inside(p: [i64; 2], r: &[[i64; 2]]) -> bool {
        let mut c = false;
        for k in 0..r.len() {
            let (a, b) = (r[k], r[(k + 1) % r.len()]);
            if (a[1] > p[1]) != (b[1] > p[1])
                && (p[0] as f64)
                    < (b[0] - a[0]) as f64 * (p[1] - a[1]) as f64 / (b[1] - a[1]) as f64
                        + a[0] as f64
            {
                c = !c;
            }
        }
        c
    }

    /// The decoded layers of a gzipped tile.
    fn decode(bytes: &[u8]) -> Tile {
        let mut d = flate2::read::GzDecoder::new(bytes);
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut v).unwrap();
        Tile::decode(v.as_slice()).unwrap()
    }

    #[test]
    fn a_level_too_dense_for_a_zoom_is_left_out_where_its_parent_carries_it() {
        let input = grid();
        let free = generate(&input, &TileOptions::default(), &|_| {}).unwrap();
        // A cap below what the low zooms need with both layers but above the gemeente alone.
        let z5 = free.report.zooms[0].max_bytes;
        let options = TileOptions {
            max_tile_bytes: z5 * 2 / 3,
            ..TileOptions::default()
        };
        let set = generate(&input, &options, &|_| {}).unwrap();
        let omitted: Vec<u8> = set
            .report
            .zooms
            .iter()
            .filter(|z| z.omitted == ["buurten"])
            .map(|z| z.z)
            .collect();
        assert!(omitted.contains(&5), "{omitted:?}");
        // Left out of a run of the lowest zooms only, and drawn whole above it.
        let from = set.levels[0].tiles.unwrap().min;
        assert_eq!(omitted, (5..from).collect::<Vec<_>>());
        for z in &set.report.zooms {
            assert!(z.max_bytes <= options.max_tile_bytes, "z{}", z.z);
            let buurten = z.areas.iter().find(|(l, _)| l == "buurten").unwrap().1;
            if z.z < from {
                assert_eq!(buurten, 0);
            } else {
                assert_eq!(buurten, input.layers[0].features.len() - 1, "z{}", z.z);
            }
        }
        for (c, bytes) in &set.tiles.to_vec().unwrap() {
            let names: Vec<String> = decode(bytes)
                .layers
                .iter()
                .map(|l| l.name.clone())
                .collect();
            assert_eq!(names.contains(&"buurten".to_string()), c.z >= from, "{c:?}");
            assert!(names.contains(&"gemeenten".to_string()), "{c:?}");
        }
        // The buurten's band begins no lower than their tiles; the gemeente carries below.
        let (b0, b1) = (set.levels[0].band.unwrap(), set.levels[1].band.unwrap());
        assert!(b0.min >= from && b1.min == 5 && b1.max + 1 == b0.min);
        assert_eq!(b0.source, BandSource::Data);
        let meta = TilesMeta::from_archive(&Json::Object(set.meta.json.clone())).unwrap();
        assert_eq!(meta.levels[0].tile_zooms, set.levels[0].tiles);
        // Asking for the buurten from z5 cannot be met: the error says what would work.
        let mut asked = options.clone();
        asked
            .level_zooms
            .insert("buurt".into(), ZoomRange { min: 5, max: 14 });
        let err = generate(&input, &asked, &|_| {}).err().unwrap().to_string();
        assert!(err.contains(&format!("buurt={from}-14")), "{err}");
    }

    #[test]
    fn one_level_too_dense_draws_same_class_neighbours_as_one_feature() {
        let mut input = grid();
        input.layers.truncate(1);
        input
            .keys
            .push(("mdi_decile_2024".into(), PropKind::Number));
        // Deciles by column of the 4×4 grid: 1 1 2 2 (the island and the flat area: 3).
        for f in &mut input.layers[0].features {
            let d = match f.code.as_bytes()[2] {
                b'0' | b'1' => 1,
                b'2' | b'3' => 2,
                _ => 3,
            };
            input.values.push(Prop::UInt(d));
            f.properties.push((1, input.values.len() as u32 - 1));
        }
        // One zoom: the tiles of the higher zooms carry more detail, so a cap that the
        // lowest zoom exceeds would make them coalesce as well.
        let one = TileOptions {
            max_zoom: 5,
            ..TileOptions::default()
        };
        let free = generate(&input, &one, &|_| {}).unwrap();
        let options = TileOptions {
            max_tile_bytes: free.report.zooms[0].max_bytes / 2,
            ..one
        };
        let set = generate(&input, &options, &|_| {}).unwrap();
        let z5 = &set.report.zooms[0];
        assert!(z5.omitted.is_empty());
        let decile = |code: &str| {
            let f = input.layers[0].features.iter().find(|f| f.code == code);
            input.value(f.unwrap().properties[1].1).clone()
        };
        // Two groups: the columns 0–1 and the columns 2–3, each under its first code.
        let groups: Vec<(String, usize)> = z5
            .coalesced
            .iter()
            .map(|g| (g.into.clone(), g.members.len()))
            .collect();
        assert_eq!(
            groups,
            vec![("BU00".to_string(), 7), ("BU20".to_string(), 7)]
        );
        for g in &z5.coalesced {
            assert!(g.members.iter().all(|m| decile(m) == decile(&g.into)));
        }
        let tiles = set.tiles.to_vec().unwrap();
        let tile = decode(&tiles.iter().find(|(c, _)| c.z == 5).unwrap().1);
        let layer = tile.layers.iter().find(|l| l.name == "buurten").unwrap();
        // The two groups and the island (its own class) remain.
        assert_eq!(layer.features.len(), 3);
        let coalesced = layer.keys.iter().position(|k| k == COALESCED).unwrap() as u32;
        let counts: Vec<u64> = layer
            .features
            .iter()
            .filter_map(|f| {
                f.tags
                    .chunks(2)
                    .find(|t| t[0] == coalesced)
                    .and_then(|t| layer.values[t[1] as usize].uint_value)
            })
            .collect();
        assert_eq!(counts, vec![8, 8]);
        // One outline per group: the shared borders inside a group are gone.
        for f in layer
            .features
            .iter()
            .filter(|f| f.id != Some(crate::id::feature_id("BUISLAND", 0, "BU")))
        {
            assert_eq!(
                rings(&f.geometry).iter().filter(|r| area2(r) > 0).count(),
                1
            );
        }
        assert!(
            set.report
                .zooms
                .iter()
                .all(|z| z.max_bytes <= options.max_tile_bytes)
        );
        let meta = &set.meta.json["vector_layers"][0]["fields"];
        assert_eq!(meta[COALESCED], "Number");
    }

    #[test]
    fn neighbours_tile_without_gaps_or_overlaps_at_every_zoom() {
        let input = grid();
        let set = generate(&input, &TileOptions::default(), &|_| {}).unwrap();
        let island = crate::id::feature_id("BUISLAND", 0, "BU");
        let flat = crate::id::feature_id("BUFLAT", 0, "BU");
        for z in 5..=14u8 {
            let mut ids: BTreeSet<u64> = BTreeSet::new();
            let mut labels: BTreeSet<u64> = BTreeSet::new();
            let mut minimal = 0;
            for (c, bytes) in set.tiles.to_vec().unwrap().iter().filter(|(c, _)| c.z == z) {
                let raw = {
                    let mut d = flate2::read::GzDecoder::new(bytes.as_slice());
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut d, &mut v).unwrap();
                    v
                };
                let tile = Tile::decode(raw.as_slice()).unwrap();
                let layers: BTreeMap<&str, _> =
                    tile.layers.iter().map(|l| (l.name.as_str(), l)).collect();
                let buurt_area: i64 = layers["buurten"]
                    .features
                    .iter()
                    .map(|f| {
                        ids.insert(f.id.unwrap());
                        let rs = rings(&f.geometry);
                        // Exteriors positive (clockwise on screen), holes negative: MVT 2.1.
                        assert!(area2(&rs[0]) > 0, "z{z} {c:?}: exterior orientation");
                        if f.id == Some(island) && rs.len() == 1 && area2(&rs[0]) == 2 {
                            minimal += 1;
                        }
                        rs.iter().map(|r| area2(r)).sum::<i64>()
                    })
                    .sum();
                let gemeente_area: i64 = layers["gemeenten"]
                    .features
                    .iter()
                    .flat_map(|f| rings(&f.geometry))
                    .map(|r| area2(&r))
                    .sum();
                // Borders are the same arcs on both sides, and the gemeente's outline is made of
                // the buurten' outer arcs: the areas add up exactly (in grid units²), unless the
                // island is a stand-in square, which then covers one cell of its neighbour.
                let island_square = if minimal > 0 { 2 } else { 0 };
                assert!(
                    (buurt_area - gemeente_area - island_square).abs() <= 2 * i64::from(minimal),
                    "z{z} {c:?}: buurten {buurt_area} vs gemeente {gemeente_area}"
                );
                if minimal == 0 {
                    assert_eq!(buurt_area, gemeente_area, "z{z} {c:?}");
                }
                for f in layers
                    .get("buurten_labels")
                    .map_or(&[][..], |l| &l.features[..])
                {
                    labels.insert(f.id.unwrap());
                }
            }
            // Every buurt at every zoom: 16 cells and the island as polygons, the collapsed
            // one as a label only.
            assert_eq!(ids.len(), 17, "z{z}");
            assert!(!ids.contains(&flat));
            assert_eq!(labels.len(), 18, "z{z}");
            if z <= 7 {
                assert!(
                    minimal > 0,
                    "z{z}: the 20 m island is smaller than a cell and kept as a minimal square"
                );
            }
        }
        assert_eq!(
            set.report.label_only,
            vec![("buurt".to_string(), "BUFLAT".to_string())]
        );
    }

    #[test]
    fn label_points_lie_inside_their_polygons() {
        let input = grid();
        let set = generate(
            &input,
            &TileOptions {
                min_zoom: 14,
                max_zoom: 14,
                ..Default::default()
            },
            &|_| {},
        )
        .unwrap();
        let mut polys: BTreeMap<(u64, (u32, u32)), Rings> = BTreeMap::new();
        let mut points = Vec::new();
        for (c, bytes) in &set.tiles.to_vec().unwrap() {
            let mut d = flate2::read::GzDecoder::new(bytes.as_slice());
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut d, &mut raw).unwrap();
            for l in Tile::decode(raw.as_slice()).unwrap().layers {
                for f in l.features {
                    if l.name == "buurten" {
                        polys
                            .entry((f.id.unwrap(), (c.x, c.y)))
                            .or_default()
                            .extend(rings(&f.geometry));
                    } else if l.name == "buurten_labels" {
                        points.push((f.id.unwrap(), (c.x, c.y), rings_point(&f.geometry)));
                    }
                }
            }
        }
        let flat = crate::id::feature_id("BUFLAT", 0, "BU");
        let mut checked = 0;
        for (id, tile, p) in points.into_iter().filter(|(id, _, _)| *id != flat) {
            let rs = &polys[&(id, tile)];
            let hits = rs.iter().filter(|r| inside(p, r)).count();
            assert_eq!(
                hits % 2,
                1,
                "label of {id} in {tile:?} lies outside its polygon"
            );
            checked += 1;
        }
        assert_eq!(checked, 17);
    }

    fn rings_point(g: &[u32]) -> [i64; 2] {
        let d = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
        [d(g[1]), d(g[2])]
    }

    #[test]
    fn a_world_point_round_trips() {
        let c = Coord { x: 4.9, y: 52.37 };
        let [x, y] = world_of_lonlat(c.x, c.y);
        let (lon, lat) = crate::topology::lonlat_of_world([x, y]);
        assert!((lon - c.x).abs() < 1e-12 && (lat - c.y).abs() < 1e-12);
    }
}
