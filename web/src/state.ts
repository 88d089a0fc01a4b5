// The view state and its URL form (the permalink). One parse/serialise pair so that a URL always
// round-trips: every value is validated against /api/meta, unknown values fall back to defaults.
// The map position is not here: MapLibre keeps it in the hash (#map=zoom/lat/lon).

import type { Meta } from './api';
import { LANGS, type Lang } from './i18n';
import { AUTO, isLevelMode } from './levels';

/** The map modes: one year's deciles, change between two years, persistence, and LISA clusters (tile property `cluster_<year>`). */
export type View = 'value' | 'change' | 'persistence' | 'clusters';
export type Palette = 'ylorrd' | 'viridis' | 'cividis';
export const VIEWS: View[] = ['value', 'change', 'persistence', 'clusters'];
export const PALETTES: Palette[] = ['ylorrd', 'viridis', 'cividis'];
export const DWD = 'domains_in_worst_decile';

export interface AppState {
  variable: string;
  year: number;
  view: View;
  compareYear: number;
  palette: Palette;
  /** Domain weights while they differ from the profile's; null = the profile's weights. */
  weights: Record<string, number> | null;
  selected: string | null;
  lang: Lang;
  /** Which level carries the choropleth: `auto` (by zoom, /api/meta bands) or a level id (levels.ts). */
  level: string;
  /** The background map's style URL; null = no background map. */
  basemap: string | null;
}

export function variables(meta: Meta): string[] {
  return ['mdi', ...meta.domains.map((d) => d.id), DWD];
}

export function profileWeights(meta: Meta): Record<string, number> {
  return Object.fromEntries(meta.domains.map((d) => [d.id, d.weight]));
}

export function defaults(meta: Meta): AppState {
  const years = meta.years;
  return {
    variable: 'mdi',
    year: years[years.length - 1]!,
    view: 'value',
    compareYear: years[0]!,
    palette: 'ylorrd',
    weights: null,
    selected: null,
    lang: 'nl',
    level: AUTO,
    basemap: meta.basemap ?? null,
  };
}

/** localStorage key of the last background map setting (a URL, or `off`). */
const BASEMAP_KEY = 'mdi-atlas:basemap';

/**
 * The background map setting last made in this browser (localStorage): a URL, null for "off",
 * undefined when none was made (then the server's, /api/meta `basemap`, applies).
 */
function storedBasemap(): string | null | undefined {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(BASEMAP_KEY);
  } catch {
    /* storage blocked: the server's default */
  }
  if (stored === 'off') return null;
  return stored || undefined;
}

/** Remember the background map setting in this browser (see defaultBasemap). */
export function storeBasemap(url: string | null): void {
  try {
    localStorage.setItem(BASEMAP_KEY, url ?? 'off');
  } catch {
    /* storage blocked: the URL still carries it */
  }
}

/**
 * Merge a partial state into a full one and make it valid: known variable, years of the atlas, a
 * compare year other than the year where possible, weights completed with the profile's and
 * dropped (null) when they equal them or are unusable (negative, all zero).
 */
export function normalize(meta: Meta, base: AppState, partial: Partial<AppState>): AppState {
  const d = defaults(meta);
  const s: AppState = { ...base, ...partial };
  if (!variables(meta).includes(s.variable)) s.variable = d.variable;
  s.year = Number(s.year);
  if (!meta.years.includes(s.year)) s.year = d.year;
  s.compareYear = Number(s.compareYear);
  if (!meta.years.includes(s.compareYear)) s.compareYear = d.compareYear;
  if (s.compareYear === s.year && meta.years.length > 1) {
    s.compareYear = s.year === meta.years[0] ? meta.years[meta.years.length - 1]! : meta.years[0]!;
  }
  if (!VIEWS.includes(s.view)) s.view = d.view;
  if (!PALETTES.includes(s.palette)) s.palette = d.palette;
  if (!LANGS.includes(s.lang)) s.lang = d.lang;
  s.weights = normalizeWeights(meta, s.weights);
  if (typeof s.selected !== 'string' || s.selected.trim() === '') s.selected = null;
  if (typeof s.level !== 'string' || !isLevelMode(meta, s.level)) s.level = d.level;
  s.basemap = typeof s.basemap === 'string' && s.basemap.trim() !== '' ? s.basemap.trim() : null;
  return s;
}

function normalizeWeights(meta: Meta, w: Record<string, number> | null): Record<string, number> | null {
  if (!w) return null;
  const profile = profileWeights(meta);
  const out: Record<string, number> = {};
  let same = true;
  let total = 0;
  for (const [id, pw] of Object.entries(profile)) {
    const raw = w[id];
    const v = typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 ? raw : pw;
    out[id] = v;
    total += v;
    if (Math.abs(v - pw) > 1e-9) same = false;
  }
  return same || total <= 0 ? null : out;
}

/** Weights as the API and the URL write them: `inkomen:0.3,werk:0.2,…` in the profile's order. */
export function weightsParam(meta: Meta, w: Record<string, number>): string {
  return meta.domains.map((d) => `${d.id}:${+(w[d.id] ?? d.weight).toFixed(4)}`).join(',');
}

function parseWeights(text: string | null): Record<string, number> | null {
  if (!text) return null;
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [id, v] = part.split(':');
    if (id && v !== undefined && v.trim() !== '' && Number.isFinite(Number(v))) out[id.trim()] = Number(v);
  }
  return Object.keys(out).length ? out : null;
}

export function fromUrl(meta: Meta, search: string): AppState {
  const q = new URLSearchParams(search);
  const partial: Partial<AppState> = {};
  const str = (k: string) => q.get(k) ?? undefined;
  const v = str('v');
  if (v) partial.variable = v;
  const y = str('y');
  if (y) partial.year = Number(y);
  const cy = str('cy');
  if (cy) partial.compareYear = Number(cy);
  const view = str('view');
  if (view) partial.view = view as View;
  const pal = str('pal');
  if (pal) partial.palette = pal as Palette;
  partial.weights = parseWeights(q.get('w'));
  const sel = str('sel');
  if (sel) partial.selected = sel;
  const lang = str('lang');
  // Dutch is the default whatever the browser's language; English only by choice (#lang, ?lang=en).
  if (lang) partial.lang = lang as Lang;
  const lvl = str('lvl');
  if (lvl) partial.level = lvl;
  // The background map: the link's, else this browser's last setting, else the server's.
  const bm = str('bm');
  if (bm) partial.basemap = bm === 'off' ? null : bm;
  else if (storedBasemap() !== undefined) partial.basemap = storedBasemap()!;
  return normalize(meta, defaults(meta), partial);
}

/** The query string of a state; values equal to the defaults are left out to keep links short. */
export function toQuery(meta: Meta, s: AppState): string {
  const d = defaults(meta);
  const q = new URLSearchParams();
  if (s.variable !== d.variable) q.set('v', s.variable);
  if (s.year !== d.year) q.set('y', String(s.year));
  if (s.view !== d.view) q.set('view', s.view);
  if (s.view === 'change' || s.compareYear !== d.compareYear) q.set('cy', String(s.compareYear));
  if (s.palette !== d.palette) q.set('pal', s.palette);
  if (s.weights) q.set('w', weightsParam(meta, s.weights));
  if (s.selected) q.set('sel', s.selected);
  if (s.level !== d.level) q.set('lvl', s.level);
  if (s.basemap !== d.basemap) q.set('bm', s.basemap ?? 'off');
  // The language is always written: a shared link should open in the sender's language even for
  // a receiver whose browser would pick the other one.
  q.set('lang', s.lang);
  // URLSearchParams escapes ':' and ','; they are safe in a query, and unescaped reads better.
  return q.toString().replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

/** Replace the URL's query (keeping MapLibre's #map= hash), without a history entry. */
export function writeUrl(meta: Meta, s: AppState): void {
  const url = `${location.pathname}?${toQuery(meta, s)}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
}
