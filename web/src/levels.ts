// Which level's polygons carry the choropleth at each zoom (issue 15). All levels are in the same
// tiles, each with a fill layer (`<layer>-fill`); a level is shown by its fill layer's zoom range
// (setLayerZoomRange), so switching level or zoom band requests no tile and a hidden fill layer
// costs no layout (MapLibre skips layers outside their zoom range in the worker).
//
// - automatic (the default): at each zoom the level whose /api/meta `levels[].band` holds it;
//   below every band the coarsest banded level, above every band the finest. Without any band
//   (an atlas tiled before level bands) the index unit at every zoom, as before.
// - a fixed level: that level at every zoom whose tiles carry its polygons (`tile_zooms`), the
//   nearest coarser level that has polygons below that.
// - the domain views, re-weighting and clusters exist on the index unit only (the higher
//   levels' tiles carry the MDI only): the index unit is then wanted at every zoom, whatever the
//   mode, with the same fallback to a coarser level where its tiles carry no polygons.

import type { Level, Meta } from './api';

/** The level mode: `auto`, or a level id of /api/meta (`gemeente`, `wijk`, `buurt`). */
export const AUTO = 'auto';

/** The zoom range of one fill layer: shown at minzoom ≤ z < maxzoom (MapLibre's rule). */
export interface LevelRange {
  minzoom: number;
  maxzoom: number;
}

/** MapLibre's largest zoom; a range ending there has no upper limit. */
export const TOP_ZOOM = 24;
/** The zoom range of a fill layer that is never shown. */
export const NEVER: LevelRange = { minzoom: TOP_ZOOM, maxzoom: TOP_ZOOM };

/** The fill layers' zoom ranges (by layer name) and which level is drawn at a zoom. */
export interface LevelPlan {
  ranges: Record<string, LevelRange>;
  /** The layer name drawn at this zoom (the index unit where nothing is). */
  at(zoom: number): string;
  /** The layer name wanted at this zoom (what the mode asks for before the tiles' fallback). */
  wantedAt(zoom: number): string;
}

/** Are the level's polygons in the tiles of zoom z (tiles past the atlas' max zoom are overzoomed)? */
function carries(meta: Meta, l: Level, z: number): boolean {
  const tz = l.tile_zooms;
  if (!tz) return true;
  return z >= tz.min && (z <= tz.max || tz.max >= meta.max_zoom);
}

/** The index (0 = index unit, last = top level) of the level wanted at integer zoom z. */
function wantedIndex(meta: Meta, mode: string, unitOnly: boolean, z: number): number {
  const levels = meta.levels;
  if (unitOnly) return 0;
  if (mode !== AUTO) {
    const i = levels.findIndex((l) => l.id === mode);
    return i === -1 ? 0 : i;
  }
  const banded = levels.map((l, i) => ({ band: l.band, i })).filter((x) => x.band);
  if (!banded.length) return 0;
  const hit = banded.find((x) => z >= x.band!.min && z <= x.band!.max);
  if (hit) return hit.i;
  // Outside every band: the coarsest banded level below them, the finest above (and in a gap,
  // the finer neighbour of the gap).
  const finer = banded.filter((x) => x.band!.min > z).sort((a, b) => a.band!.min - b.band!.min)[0];
  const coarser = banded.filter((x) => x.band!.max < z).sort((a, b) => b.band!.max - a.band!.max)[0];
  if (finer && coarser) return finer.i;
  return (finer ?? coarser)!.i;
}

/** Is `mode` a level mode of this atlas (auto or a level id)? */
export function isLevelMode(meta: Meta, mode: string): boolean {
  return mode === AUTO || meta.levels.some((l) => l.id === mode);
}

/**
 * The plan for a level mode. `unitOnly`: the view needs the index unit's properties (a domain,
 * re-weighting, clusters).
 */
export function levelPlan(meta: Meta, mode: string, unitOnly: boolean): LevelPlan {
  const levels = meta.levels;
  const wanted: number[] = [];
  const drawn: number[] = [];
  for (let z = 0; z < TOP_ZOOM; z++) {
    const w = wantedIndex(meta, mode, unitOnly, z);
    wanted.push(w);
    let d = w;
    while (d < levels.length && !carries(meta, levels[d]!, z)) d++;
    // No level has polygons here (below every tile zoom): the wanted level, which draws nothing.
    drawn.push(d < levels.length ? d : w);
  }
  const ranges: Record<string, LevelRange> = {};
  levels.forEach((l, i) => {
    const first = drawn.indexOf(i);
    if (first === -1) {
      ranges[l.layer] = { ...NEVER };
      return;
    }
    const last = drawn.lastIndexOf(i);
    ranges[l.layer] = { minzoom: first, maxzoom: last + 1 };
  });
  const clampZ = (zoom: number) => Math.max(0, Math.min(TOP_ZOOM - 1, Math.floor(zoom)));
  return {
    ranges,
    at: (zoom) => levels[drawn[clampZ(zoom)]!]!.layer,
    wantedAt: (zoom) => levels[wanted[clampZ(zoom)]!]!.layer,
  };
}
