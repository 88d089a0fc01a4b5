// The map style: only our own source and layers (no basemap, no glyph server, no sprite), so the
// map makes no request off the server and works offline. Layer ids follow the test contract (web/README.md).
// Everything that changes with the view state is set later with setPaintProperty/setFilter.

import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';
import { serverUrl, type Meta, type TileJson } from './api';
import { isStatic, pmtilesUrl } from './static';
import { TOP_ZOOM, type LevelPlan, type LevelRange } from './levels';
import { BACKGROUND_COLOR, NODATA_COLOR, OUTLINE_COLORS, SELECTED_COLOR, WATER_COLOR, type ClassConfig } from './classes';

export const SOURCE = 'mdi';
/**
 * A second source over the same tiles for outlines, highlights and labels. Changing a data-driven
 * paint property makes MapLibre re-lay-out every tile of that layer's source in the worker; with
 * the context layers on their own source a recolour re-lays out only the buurt fills (about half
 * the work: lines and labels are the costly part). Both sources request the same tile URLs, so the
 * second set comes from the HTTP cache once the first is in.
 */
export const CONTEXT = 'mdi-context';

/** Layer names per level, derived from /api/meta (index unit first: buurten, wijken, gemeenten). */
export function levelLayers(meta: Meta): string[] {
  return meta.levels.map((l) => l.layer);
}

// Labels: text rendered from local fonts (no `glyphs` in the style). Halo keeps them readable on
// the darkest classes.
const labelPaint = {
  'text-color': '#1a1a1a',
  'text-halo-color': 'rgba(255,255,255,0.92)',
  'text-halo-width': 1.6,
};

/**
 * The vector source. The TileJSON that main.ts has fetched anyway goes into the style inline, so
 * MapLibre requests tiles at once instead of fetching /tiles.json again for each source first.
 */
function vectorSource(tj: TileJson | undefined, credit = true): StyleSpecification['sources'][string] {
  if (isStatic()) {
    // The static site: tiles from atlas.pmtiles by range requests (the pmtiles:// protocol,
    // static.ts). MapLibre reads zooms and bounds from the archive's header (the same as
    // data/tiles.json's, given here too); the attribution is data/tiles.json's.
    return {
      type: 'vector',
      url: `pmtiles://${pmtilesUrl()}`,
      ...(tj?.minzoom !== undefined ? { minzoom: tj.minzoom } : {}),
      ...(tj?.maxzoom !== undefined ? { maxzoom: tj.maxzoom } : {}),
      ...(tj?.bounds ? { bounds: tj.bounds } : {}),
      ...(tj?.attribution && credit ? { attribution: tj.attribution } : {}),
    };
  }
  if (!tj?.tiles?.length) return { type: 'vector', url: serverUrl('tiles.json') };
  return {
    type: 'vector',
    tiles: tj.tiles,
    ...(tj.minzoom !== undefined ? { minzoom: tj.minzoom } : {}),
    ...(tj.maxzoom !== undefined ? { maxzoom: tj.maxzoom } : {}),
    ...(tj.bounds ? { bounds: tj.bounds } : {}),
    ...(tj.attribution && credit ? { attribution: tj.attribution } : {}),
  };
}

/** The id of a level's choropleth layer (`buurten-fill`, `wijken-fill`, `gemeenten-fill`). */
export const fillId = (layer: string): string => `${layer}-fill`;

/** A fill layer's zoom range as style properties (none where it has no limit). */
function zoomRange(r: LevelRange): { minzoom?: number; maxzoom?: number } {
  return { ...(r.minzoom > 0 ? { minzoom: r.minzoom } : {}), ...(r.maxzoom < TOP_ZOOM || r.minzoom >= TOP_ZOOM ? { maxzoom: r.maxzoom } : {}) };
}

/**
 * The style: one choropleth fill per level (each shown in its zoom range of `plan`, coloured by
 * `cfgs[layer]`), the water, outlines, highlights and labels.
 */
export function buildStyle(meta: Meta, cfgs: Record<string, ClassConfig>, plan: LevelPlan, tilejson?: TileJson): StyleSpecification {
  const [unit, ...higher] = levelLayers(meta);
  const top = higher[higher.length - 1];
  const notWater = ['!=', ['get', 'water'], true];
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOR } }];
  // The index unit's fill first (the test contract's `buurten-fill`), then the higher levels'.
  for (const layer of [unit!, ...higher]) {
    layers.push({
      id: fillId(layer),
      type: 'fill',
      source: SOURCE,
      'source-layer': layer,
      filter: notWater as never,
      ...zoomRange(plan.ranges[layer]!),
      // Opaque fill: the colour on screen is the legend's colour (pixel probes, print, export).
      // No data is the expression's grey fallback. A hatch (fill-pattern layer) was measured to
      // double the recolour time (pattern buckets wait for the image from the main thread on
      // every re-layout), so it is plain grey.
      paint: { 'fill-color': cfgs[layer]!.fill, 'fill-opacity': 1, 'fill-antialias': false },
    });
  }
  layers.push(
    {
      // Water-only areas (tile property `water`): pale blue-grey, outside the choropleth.
      id: `${unit}-water`,
      type: 'fill',
      source: SOURCE,
      'source-layer': unit!,
      filter: ['==', ['get', 'water'], true],
      paint: { 'fill-color': WATER_COLOR },
    },
    {
      id: `${unit}-outline`,
      type: 'line',
      source: CONTEXT,
      'source-layer': unit!,
      // Shown from z11 by its opacity, not by a minzoom: with the highlight layers' type,
      // source, source-layer, zooms and layout, MapLibre lays out one line bucket for the three
      // (the highlights are needed at every zoom) instead of two.
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': OUTLINE_COLORS.index_unit,
        'line-opacity': ['step', ['zoom'], 0, 11, 0.35],
        'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.3, 16, 1.2],
      },
    },
  );
  higher.forEach((layer, i) => {
    const isTop = layer === top;
    layers.push({
      id: `${layer}-outline`,
      type: 'line',
      source: CONTEXT,
      'source-layer': layer,
      // The middle levels from z8 on, by opacity (one line bucket with the highlights, as above).
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': isTop ? OUTLINE_COLORS.top : OUTLINE_COLORS.middle,
        'line-opacity': isTop ? 0.95 : ['step', ['zoom'], 0, 8 + i, 0.7],
        'line-width': isTop
          ? ['interpolate', ['linear'], ['zoom'], 5, 0.8, 10, 1.6, 16, 3.2]
          : ['interpolate', ['linear'], ['zoom'], 9, 0.5, 16, 2],
      },
    });
  });
  // Highlights: hover (thin dark line) and selection (white casing + dark line), per level, so a
  // selected wijk or gemeente is outlined as well as a buurt. The feature-state lives on both
  // sources (the contract's `mdi`, and `mdi-context` that draws it; see main.ts).
  const state = (k: string) => ['boolean', ['feature-state', k], false];
  for (const layer of [unit!, ...higher]) {
    layers.push({
      id: `${layer}-highlight-casing`,
      type: 'line',
      source: CONTEXT,
      'source-layer': layer,
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': '#ffffff',
        'line-width': 6,
        'line-opacity': ['case', state('selected'), 0.95, 0] as never,
      },
    });
    layers.push({
      id: `${layer}-highlight`,
      type: 'line',
      source: CONTEXT,
      'source-layer': layer,
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': ['case', state('selected'), SELECTED_COLOR, '#000000'] as never,
        'line-width': ['case', state('selected'), 3, 2] as never,
        // Hover on any level (the choropleth may be a wijk or gemeente fill), selection too.
        'line-opacity': ['case', ['any', state('selected'), state('hover')], 1, 0] as never,
      },
    });
  }
  // Labels from the point layers: municipality names when zoomed out, districts in between,
  // neighbourhoods close up (WEB.md §2.3).
  const ranges: Record<string, [number, number, number]> = {};
  const n = meta.levels.length;
  meta.levels.forEach((l, i) => {
    // Index unit from z13, next level z10.5–13, the top level up to z11.
    const r: [number, number, number] = i === 0 ? [13, 24, 12] : i === n - 1 ? [0, 11, 15] : [10.5, 13, 13];
    ranges[l.layer] = r;
  });
  for (const layer of [...higher].reverse().concat(unit!)) {
    const [minzoom, maxzoom, size] = ranges[layer]!;
    layers.push({
      id: `${layer}-labels`,
      type: 'symbol',
      source: CONTEXT,
      'source-layer': `${layer}_labels`,
      minzoom,
      maxzoom,
      layout: {
        'text-field': ['get', 'name'],
        // Local fonts: a generic family is the only name certain to resolve on every system.
        'text-font': ['sans-serif'],
        ...(layer === top ? { 'text-transform': 'uppercase', 'text-letter-spacing': 0.08 } : {}),
        'text-size': size,
        'text-max-width': 8,
        'text-padding': 4,
      },
      paint: labelPaint,
    });
  }
  return {
    version: 8,
    name: 'mdi-atlas',
    sources: {
      // No promoteId: the MVT feature ids are the API's `id` (docs/TILES.md).
      [SOURCE]: vectorSource(tilejson),
      // Same tiles; no attribution twice.
      [CONTEXT]: vectorSource(tilejson, false),
    },
    layers,
    metadata: { 'mdi:nodata': NODATA_COLOR },
  };
}
