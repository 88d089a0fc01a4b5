// The class configuration: ONE place that decides, for the current state, which classes exist,
// their colours and labels, the `fill-color` expression of `buurten-fill`, and the JS evaluation
// used by the tooltip and counts. The legend, the PNG export and the map are all drawn from the
// object returned here, so they cannot disagree.
//
// Deciles are shown as they are (test contract, web/README.md): decile 1 = most deprived, as in
// the tiles, the API, scores.csv and the server's styles. The colours come from the one colour
// file that the server's styles use too (crates/mdi-server/src/colours.json).

import type { ExpressionSpecification } from 'maplibre-gl';
import COLOURS from '../../crates/mdi-server/src/colours.json';
import type { Breaks, Meta } from './api';
import { domainName, fmtSigned, t, type Key } from './i18n';
import { DWD, type AppState, type Palette } from './state';

export const NODATA_COLOR: string = COLOURS.nodata;
export const WATER_COLOR: string = COLOURS.water;
export const BACKGROUND_COLOR: string = COLOURS.background;
export const SELECTED_COLOR: string = COLOURS.selected;
/** Outline colours: the index unit, the level above it, the top level. */
export const OUTLINE_COLORS: { index_unit: string; middle: string; top: string } = COLOURS.outline;
/** Class 0 of the count maps (no domain / no year in the worst decile): near-white, not a hue. */
export const ZERO_COLOR: string = COLOURS.zero;

/** The decile colours of a palette, index 0 = decile 1 (most deprived, darkest) … index 9 = decile 10. */
export function decileColors(p: Palette): string[] {
  return COLOURS.palettes[p].slice();
}

/** The colour of decile d (1 = most deprived) in a palette; d is clamped into 1..10. */
export function decileColor(p: Palette, d: number): string {
  return COLOURS.palettes[p][Math.max(1, Math.min(10, Math.round(d))) - 1]!;
}

// PuOr 7 for change maps, from much more deprived (orange) to much less deprived (purple).
const CHANGE: string[] = COLOURS.change;

const hex2 = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/**
 * n colours sampled evenly along a palette from light to dark (linear in sRGB), for the count
 * scales (years or domains in decile 1: more is darker); n = 10 gives the decile colours from
 * decile 10 to decile 1.
 */
export function ramp(p: Palette, n: number): string[] {
  const light = decileColors(p).reverse();
  const stops = light.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number]);
  if (n === stops.length) return light;
  return Array.from({ length: n }, (_, i) => {
    const x = n === 1 ? stops.length - 1 : (i * (stops.length - 1)) / (n - 1);
    const lo = Math.floor(x);
    const hi = Math.min(lo + 1, stops.length - 1);
    const f = x - lo;
    const a = stops[lo]!;
    const b = stops[hi]!;
    return '#' + [0, 1, 2].map((k) => hex2(a[k]! + (b[k]! - a[k]!) * f)).join('');
  });
}

export interface LegendClass {
  /** The class value as people see it (a decile, a count, a change; data-class in the legend). */
  cls: number;
  label: string;
  color: string;
  /** Longer words for the class (the legend item's tooltip and accessible name); else label. */
  title?: string;
  /** The class as the tiles write it, where that is text (clusters: `high-high`, …); data-class then. */
  key?: string;
}

export type Props = Record<string, unknown>;

export interface ClassConfig {
  title: string;
  /** One line saying which way the scale runs. */
  note: string;
  classes: LegendClass[];
  /** The `fill-color` of the buurt fill; no data falls through to NODATA_COLOR. */
  fill: ExpressionSpecification;
  /** The class value of a feature, by the same rule as `fill` (tooltip, counts). */
  value(props: Props, zoom: number): number | null;
  /** Text for a class value (tooltip, aria-live). */
  describe(cls: number | null): string;
  /** True when the top class is the "every year" class of the persistence view. */
  persistence: boolean;
  /** A class whose features in view the legend counts (persistence: every year; clusters: hotspots). */
  countClass?: { cls: number; label: (n: number) => string };
  /** Below zoom `fallbackFrom` the map draws `fallback` (the MDI) instead: see withZoomFallback. */
  fallback?: ClassConfig;
  fallbackFrom?: number;
}

/** The config whose classes are on screen at this zoom (legend, export, tooltip). */
export function shownConfig(cfg: ClassConfig, zoom: number): ClassConfig {
  return cfg.fallback && cfg.fallbackFrom !== undefined && Math.floor(zoom) < cfg.fallbackFrom ? cfg.fallback : cfg;
}

export interface ClassInput {
  meta: Meta;
  state: AppState;
  /** Breaks of the current weights and year; null while none are loaded (then: plain MDI). */
  breaks: Breaks | null;
  /** First zoom whose tiles carry the domain deciles / domain scores (see decileZooms). */
  decileFromZoom: number;
  scoreFromZoom: number;
}

/** From /api/meta.properties_by_zoom: where domain deciles and where domain scores start. */
export function decileZooms(meta: Meta): { decileFromZoom: number; scoreFromZoom: number } {
  // Null when the tiles do not say: then every zoom is taken to carry every property.
  const sets = meta.properties_by_zoom ?? {};
  const zooms = Object.keys(sets)
    .map(Number)
    .sort((a, b) => a - b);
  const first = (ok: (set: string) => boolean) =>
    zooms.find((z) => ok(sets[String(z)]!)) ?? (zooms.length ? meta.max_zoom + 1 : meta.min_zoom);
  return {
    decileFromZoom: first((s) => s !== 'minimal'),
    scoreFromZoom: meta.full_from_zoom ?? first((s) => s === 'full'),
  };
}

export function variableName(meta: Meta, v: string): string {
  if (v === 'mdi') return t('mdiShort');
  if (v === DWD) return t('dwd');
  const d = meta.domains.find((x) => x.id === v);
  return d ? domainName(d) : v;
}

const get = (p: string): ExpressionSpecification => ['get', p];
const has = (p: string): ExpressionSpecification => ['has', p];
const num = (props: Props, p: string): number | null => {
  const v = props[p];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** `match` over a raw integer property → colour (exact per value, grey otherwise). */
function matchFill(prop: string, pairs: [number, string][]): ExpressionSpecification {
  const args: (number | string)[] = [];
  for (const [v, c] of pairs) args.push(v, c);
  return ['match', get(prop), ...args, NODATA_COLOR] as unknown as ExpressionSpecification;
}

/** Plain value maps: one year of the MDI, a domain, or the count of domains in decile 1. */
function valueConfig(meta: Meta, s: AppState, v: string): ClassConfig {
  const prop = `${v}_decile_${s.year}`;
  if (v === DWD) {
    const n = meta.domains.length;
    const colors = [ZERO_COLOR, ...ramp(s.palette, n)];
    const dprop = `${DWD}_${s.year}`;
    const classes = colors.map((color, c) => ({ cls: c, label: String(c), color }));
    return {
      title: t('titleValue', { variable: variableName(meta, v), year: s.year }),
      note: t('legendDwd', { n }),
      classes,
      fill: matchFill(dprop, classes.map((c) => [c.cls, c.color])),
      value: (p) => num(p, dprop),
      describe: (c) => (c === null ? t('noValue') : `${c} / ${n}`),
      persistence: false,
    };
  }
  const classes = decileClasses(s.palette);
  return {
    title: t('titleValue', { variable: variableName(meta, v), year: s.year }),
    note: t('legendDirection'),
    classes,
    fill: matchFill(prop, classes.map((c) => [c.cls, c.color])),
    value: (p) => num(p, prop),
    describe: describeDecile,
    persistence: false,
  };
}

/** The ten decile classes, decile 1 (most deprived) first; the ends say which is which. */
function decileClasses(p: Palette): LegendClass[] {
  return decileColors(p).map((color, i) => ({
    cls: i + 1,
    label: String(i + 1),
    color,
    title: i === 0 ? t('decileMost') : i === 9 ? t('decileLeast') : t('decileLabel', { c: i + 1 }),
  }));
}

const describeDecile = (c: number | null): string => (c === null ? t('noValue') : t('decileLabel', { c }));

/** The re-weighted MDI: Σ w·X over the domains present, re-spread (METHOD §4.3), cut by breaks. */
function weightedConfig(meta: Meta, s: AppState, breaks: Breaks): ClassConfig {
  const w = s.weights!;
  const ids = meta.domains.map((d) => d.id);
  const total = ids.reduce((a, id) => a + (w[id] ?? 0), 0);
  const sp = (id: string) => `${id}_score_${s.year}`;
  const sum: ExpressionSpecification = ['+', 0, 0, ...ids.map((id) => ['*', w[id] ?? 0, ['coalesce', get(sp(id)), 0]])] as unknown as ExpressionSpecification;
  const present: ExpressionSpecification = ['+', 0, 0, ...ids.map((id) => ['case', has(sp(id)), w[id] ?? 0, 0])] as unknown as ExpressionSpecification;
  const classes = decileClasses(s.palette);
  const colors = classes.map((c) => c.color);
  // breaks are descending (n of them, 9 for deciles): decile d for the first d with
  // score >= breaks[d-1], else n + 1. A `step` needs ascending stops, so walk them from the
  // lowest score (decile n + 1) up to decile 1.
  const n = breaks.breaks.length;
  const stepArgs: (number | string)[] = [colors[n]!];
  const asc = breaks.breaks.slice().reverse();
  asc.forEach((b, i) => stepArgs.push(b, colors[n - 1 - i]!));
  const mdiProp = `mdi_decile_${s.year}`;
  const fill = [
    'case',
    ['all', has(mdiProp), ['>', present, 0]],
    ['step', ['/', ['*', sum, total], present], ...stepArgs],
    NODATA_COLOR,
  ] as unknown as ExpressionSpecification;
  const value = (p: Props): number | null => {
    if (num(p, mdiProp) === null) return null;
    let acc = 0;
    let pres = 0;
    for (const id of ids) {
      const x = num(p, sp(id));
      if (x === null) continue;
      acc += (w[id] ?? 0) * x;
      pres += w[id] ?? 0;
    }
    if (pres <= 0) return null;
    const score = (acc * total) / pres;
    const d = breaks.breaks.findIndex((b) => score >= b);
    return d === -1 ? n + 1 : d + 1;
  };
  return {
    title: t('titleValue', { variable: t('mdiWeighted'), year: s.year }),
    note: t('legendDirection'),
    classes,
    fill,
    value,
    describe: describeDecile,
    persistence: false,
  };
}

export function classConfig(inp: ClassInput): ClassConfig {
  const { meta, state: s } = inp;
  const v = s.variable;
  if (s.view === 'change') {
    const isDwd = v === DWD;
    const py = isDwd ? `${DWD}_${s.year}` : `${v}_decile_${s.year}`;
    const pc = isDwd ? `${DWD}_${s.compareYear}` : `${v}_decile_${s.compareYear}`;
    // Deciles: Δ = d_y − d_cy, negative = a lower decile = more deprived than in cy.
    // The count of domains in decile 1: Δ = count_y − count_cy, positive = more deprived.
    // Either way the more-deprived side is orange (CHANGE[0]) and the other side purple.
    const delta: ExpressionSpecification = ['-', get(py), get(pc)];
    const colorOf = (d: number) => CHANGE[isDwd ? 3 - d : d + 3]!;
    const classes = [-3, -2, -1, 0, 1, 2, 3].map((d) => {
      const label = d === -3 ? `≤ ${fmtSigned(d)}` : d === 3 ? `≥ ${fmtSigned(d)}` : fmtSigned(d);
      return { cls: d, label, color: colorOf(d), title: describeChange(isDwd, d) };
    });
    const step: (number | string)[] = [colorOf(-3)];
    for (let d = -2; d <= 3; d++) step.push(d, colorOf(d));
    const fill = ['case', ['all', has(py), has(pc)], ['step', delta, ...step], NODATA_COLOR] as unknown as ExpressionSpecification;
    return withZoomFallback(inp, {
      title: t(isDwd ? 'titleChange' : 'titleChangeDecile', { variable: variableName(meta, v), year: s.year, cy: s.compareYear }),
      note: t(isDwd ? 'legendChangeDwd' : 'legendChangeDirection', { cy: s.compareYear }),
      classes,
      fill,
      value: (p) => {
        const a = num(p, py);
        const b = num(p, pc);
        if (a === null || b === null) return null;
        return Math.max(-3, Math.min(3, a - b));
      },
      describe: (c) => (c === null ? t('noValue') : describeChange(isDwd, c)),
      persistence: false,
    });
  }

  if (s.view === 'clusters') return withZoomFallback(inp, clustersConfig(s), false, true);

  if (s.view === 'persistence') {
    const isDwd = v === DWD;
    const years = meta.years;
    const T = years.length;
    const prop = (y: number) => (isDwd ? `${DWD}_${y}` : `${v}_decile_${y}`);
    // A year counts when the buurt is in decile 1 (for the count variable: ≥ 1 domain in decile 1).
    const hit = (y: number): ExpressionSpecification =>
      isDwd ? ['>=', ['coalesce', get(prop(y)), 0], 1] : ['==', get(prop(y)), 1];
    const count = ['+', 0, 0, ...years.map((y) => ['case', hit(y), 1, 0])] as unknown as ExpressionSpecification;
    const colors = [ZERO_COLOR, ...ramp(s.palette, T)];
    const classes = colors.map((color, c) => ({ cls: c, label: c === T ? t('everyYear') : String(c), color }));
    const pairs: (number | string)[] = [];
    classes.forEach((c) => pairs.push(c.cls, c.color));
    const fill = ['case', ['==', get('nodata'), true], NODATA_COLOR, ['match', count, ...pairs, NODATA_COLOR]] as unknown as ExpressionSpecification;
    const from = years[0]!;
    const to = years[T - 1]!;
    return withZoomFallback(inp, {
      title: t(isDwd ? 'titleDwdPersistence' : 'titlePersistence', { variable: variableName(meta, v), from, to }),
      note: t('legendPersistence', { from, to }),
      classes,
      fill,
      value: (p) => {
        if (p['nodata'] === true) return null;
        let n = 0;
        for (const y of years) {
          const x = num(p, prop(y));
          if (x !== null && (isDwd ? x >= 1 : x === 1)) n++;
        }
        return n;
      },
      describe: (c) => (c === null ? t('noValue') : c === T ? t('everyYear') : t('yearsLabel', { n: c })),
      persistence: true,
      countClass: { cls: T, label: (n) => t('legendPersistenceCount', { n }) },
    });
  }

  if (s.weights && v === 'mdi' && inp.breaks) return withZoomFallback(inp, weightedConfig(meta, s, inp.breaks), true);
  return withZoomFallback(inp, valueConfig(meta, s, v));
}

/** Words for a change class: its number and whether it means more or less deprived. */
function describeChange(isDwd: boolean, d: number): string {
  const more = isDwd ? d > 0 : d < 0;
  const key = d === 0 ? 'changeSame' : more ? 'changeMore' : 'changeLess';
  return t(key, { d: fmtSigned(d) });
}

/**
 * Below the zoom where the tiles carry the domain properties (national atlas: z5 has only the MDI
 * decile), draw the MDI decile instead: a zoom `step` at the top of the expression, which MapLibre
 * evaluates per tile zoom, so no tiles are requested and nothing else changes.
 */
function withZoomFallback(inp: ClassInput, cfg: ClassConfig, weighted = false, clusters = false): ClassConfig {
  const usesDomains = weighted || clusters || inp.state.variable !== 'mdi';
  const from = weighted ? inp.scoreFromZoom : inp.decileFromZoom;
  if (!usesDomains || from <= inp.meta.min_zoom) return cfg;
  const base = mdiConfig(inp);
  return {
    ...cfg,
    fill: ['step', ['zoom'], base.fill, from, cfg.fill] as unknown as ExpressionSpecification,
    value: (p, z) => (Math.floor(z) < from ? base.value(p, z) : cfg.value(p, z)),
    fallback: base,
    fallbackFrom: from,
  };
}

/**
 * The same view of the MDI (value, change or persistence), without re-weighting; for the
 * clusters the MDI deciles of the year. What a zoom without the domain properties (the `minimal`
 * set) and a level above the index unit draw instead of a view of the index unit's own data.
 */
function mdiConfig(inp: ClassInput): ClassConfig {
  const view = inp.state.view === 'clusters' ? 'value' : inp.state.view;
  return classConfig({ ...inp, state: { ...inp.state, variable: 'mdi', weights: null, view }, breaks: null });
}

/**
 * Does the view need the index unit's own properties (a domain, the count of domains in decile 1,
 * re-weighting, clusters)? The higher levels' tiles carry the MDI only (docs/TILES.md).
 */
export function unitOnly(s: AppState): boolean {
  return s.view === 'clusters' || s.variable !== 'mdi' || (!!s.weights && s.view === 'value');
}

/**
 * The class configuration of every level's fill layer, by layer name: the index unit's is `unit`
 * (classConfig); a higher level draws the same view where it needs only the MDI (its tiles carry
 * `mdi_decile_Y`, `nodata`), else the MDI of that view (mdiConfig), which the legend then shows
 * while that level is drawn.
 */
export function levelConfigs(inp: ClassInput, unit: ClassConfig): Record<string, ClassConfig> {
  const [first, ...higher] = inp.meta.levels;
  const out: Record<string, ClassConfig> = { [first!.layer]: unit };
  const other = unitOnly(inp.state) ? mdiConfig(inp) : unit;
  for (const l of higher) out[l.layer] = other;
  return out;
}

/** Is the map currently showing the MDI fallback instead of the chosen variable? */
export function zoomFallbackActive(inp: ClassInput, zoom: number): boolean {
  const weighted = !!inp.state.weights && inp.state.variable === 'mdi' && inp.state.view === 'value';
  if (weighted) return Math.floor(zoom) < inp.scoreFromZoom;
  if (inp.state.view === 'clusters') return Math.floor(zoom) < inp.decileFromZoom;
  return inp.state.variable !== 'mdi' && Math.floor(zoom) < inp.decileFromZoom;
}

/**
 * The cluster classes of the tiles' `cluster_<year>` (mdi_core Cluster::code(), local Moran's I on
 * the year's MDI score; "high" = high score = more deprived), in legend order, with their colours:
 * ColorBrewer RdBu ends for the clusters (red = deprived), their light tints for the outliers, a
 * near-white for "not significant" and a pale tan for areas without neighbours, all apart from the
 * no-data grey. Web client only (the server's styles draw deciles).
 */
export const CLUSTERS: { key: string; color: string; label: Key; title: Key }[] = [
  { key: 'high-high', color: '#b2182b', label: 'clusterHH', title: 'clusterHHTitle' },
  { key: 'low-low', color: '#2166ac', label: 'clusterLL', title: 'clusterLLTitle' },
  { key: 'high-low', color: '#f4a582', label: 'clusterHL', title: 'clusterHLTitle' },
  { key: 'low-high', color: '#92c5de', label: 'clusterLH', title: 'clusterLHTitle' },
  { key: 'not-significant', color: '#f4f4ee', label: 'clusterNS', title: 'clusterNSTitle' },
  { key: 'island', color: '#d9c89e', label: 'clusterIsland', title: 'clusterIslandTitle' },
];

/** The clusters map of one year: a `match` on the text property; empty (not ranked) is no data. */
function clustersConfig(s: AppState): ClassConfig {
  const prop = `cluster_${s.year}`;
  const classes: LegendClass[] = CLUSTERS.map((c, i) => ({ cls: i + 1, key: c.key, label: t(c.label), title: t(c.title), color: c.color }));
  const args: string[] = [];
  for (const c of CLUSTERS) args.push(c.key, c.color);
  const fill = ['match', ['coalesce', get(prop), ''], ...args, NODATA_COLOR] as unknown as ExpressionSpecification;
  return {
    title: t('titleClusters', { year: s.year }),
    note: t('legendClusters', { year: s.year }),
    classes,
    fill,
    value: (p) => {
      const i = CLUSTERS.findIndex((c) => c.key === p[prop]);
      return i === -1 ? null : i + 1;
    },
    describe: (c) => (c === null ? t('noValue') : classes[c - 1]?.title ?? t('noValue')),
    persistence: false,
    countClass: { cls: 1, label: (n) => t('legendClustersCount', { n }) },
  };
}
