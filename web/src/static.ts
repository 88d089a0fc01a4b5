// The static backend: the same answers as the server's JSON API (api.ts), read from the files
// that `mdi-atlas publish` writes (the site format: data/site.json, data/meta.json, …; see the
// publish command). A page is in static mode when its index.html carries
// `<meta name="mdi-atlas-mode" content="static">`; api.ts then sends every call here.
//
// - meta, tilejson, report: one file each (data/meta.json, data/tiles.json,
//   data/reports/{code}.json);
// - search: data/search.json, loaded once, holds every area in the server's ranking order; the
//   matching is the server's (crates/mdi-server/src/search.rs), so the results and their order
//   are the same;
// - area: the area's shard (from data/search.json), data/areas/{shard}.json, cached per shard;
// - breaks: data/breaks/{year}.json for the profile's weights, else recomputed from the domain
//   scores of data/reweight/{year}.json with the server's arithmetic (api.rs `breaks`,
//   mdi_core::stats `respread_columns` and `decile`);
// - point: none; the feature id names the area (docs/TILES.md), or main.ts zooms in to tiles
//   that carry codes (staticCodeOf).
// Tiles come from atlas.pmtiles by HTTP range requests (the pmtiles protocol, registerPmtiles).

import { addProtocol, type AddProtocolAction } from 'maplibre-gl';
import { Protocol } from 'pmtiles';
import type { Area, Breaks, Meta, Report, SearchResponse, SearchResult, TileJson } from './api';
import type { MatchKind } from './generated/api';

let mode: boolean | undefined;

/** True when the page is the static site (index.html's `mdi-atlas-mode` meta tag). */
export function isStatic(): boolean {
  mode ??= document.querySelector('meta[name="mdi-atlas-mode"]')?.getAttribute('content') === 'static';
  return mode;
}

/** An absolute URL for a site path, resolved against the page (keeps a path prefix). */
export function siteUrl(path: string): string {
  return new URL(path.replace(/^\//, ''), document.baseURI).href;
}

/** The file of `code` under data/reports/ etc.: `publish` percent-encodes what a path cannot hold. */
export function codeFile(code: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(code)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // the URL of that file name: its `%` escaped once more
  return encodeURIComponent(out);
}

async function getFile<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(siteUrl(path), signal ? { signal } : {});
  if (!res.ok) throw new Error(`${path}: ${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}

/** A file fetched once (a failed fetch is tried again on the next call). */
function once<T>(path: string): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    if (!p) {
      p = getFile<T>(path);
      p.catch(() => (p = null));
    }
    return p;
  };
}

const metaFile = once<Meta>('data/meta.json');

// ---- the site's description (data/site.json) ----

interface SiteDownloads {
  code: string;
  name?: string;
  files: string[];
}
interface SiteJson {
  format: number;
  tiles?: string;
  downloads?: (SiteDownloads | string)[];
}
const siteFile = once<SiteJson>('data/site.json');

/** The per-area download files of `code` (`{code}.csv`, `{code}_wgs84.gpkg`, …), under downloads/. */
export async function siteDownloads(code: string): Promise<string[]> {
  const site = await siteFile();
  const entry = (site.downloads ?? []).find((d): d is SiteDownloads => typeof d === 'object' && d !== null && d.code === code);
  return entry?.files ?? [];
}

// ---- search (data/search.json) ----

/** One row of data/search.json: code, name, level, id, bbox, context, folded name, folded context, shard. */
type Row = [string, string, number, number, [number, number, number, number] | null, string[], string, string, number];

interface SearchFile {
  format: number;
  levels: string[];
  entries: Row[];
}

/** data/search.json with what a query needs, computed once: entries by rank (= position). */
export interface SearchIndex {
  levels: string[];
  rows: Row[];
  nameWords: string[][];
  ctxWords: string[][];
  /** fold(code) without spaces, by rank. */
  codes: string[];
  /** The ASCII digits of `codes`, by rank. */
  digits: string[];
  byCode: Map<string, number>;
  /** `${level number}:${feature id}` → rank. */
  byId: Map<string, number>;
}

const words = (s: string) => s.split(' ').filter((w) => w !== '');

export function buildIndex(file: SearchFile): SearchIndex {
  const idx: SearchIndex = { levels: file.levels, rows: file.entries, nameWords: [], ctxWords: [], codes: [], digits: [], byCode: new Map(), byId: new Map() };
  const contexts = new Map<string, string[]>();
  file.entries.forEach((r, rank) => {
    idx.nameWords.push(words(r[6]));
    let cw = contexts.get(r[7]);
    if (!cw) contexts.set(r[7], (cw = words(r[7])));
    idx.ctxWords.push(cw);
    const code = fold(r[0]).replace(/ /g, '');
    idx.codes.push(code);
    idx.digits.push(code.replace(/[^0-9]/g, ''));
    if (!idx.byCode.has(r[0])) idx.byCode.set(r[0], rank);
    idx.byId.set(`${r[2]}:${r[3]}`, rank);
  });
  return idx;
}

let indexPromise: Promise<SearchIndex> | null = null;
function searchIndex(): Promise<SearchIndex> {
  if (!indexPromise) {
    indexPromise = getFile<SearchFile>('data/search.json').then(buildIndex);
    indexPromise.catch(() => (indexPromise = null));
  }
  return indexPromise;
}

/** A query is cut to this many UTF-8 bytes after folding (the server's MAX_QUERY_BYTES). */
const MAX_QUERY_BYTES = 200;

const APOSTROPHES = new Set(["'", '\u2019', '\u2018', '\u201B', '`', '\u00B4', '\u02BC', '\u2032']);
const SPELLED: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ħ: 'h', ı: 'i', ŧ: 't', ĸ: 'k', ŋ: 'n' };
// Rust's char::is_alphanumeric: Alphabetic or a numeric general category (Nd, Nl, No).
const ALNUM = /^[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]$/u;
const MARK = /^\p{M}$/u;

/**
 * The server's `search::fold`: apostrophes dropped, NFKD, lower case, combining marks dropped, a
 * few letters spelled out (ß → ss, ø → o, …), every run of other non-alphanumeric characters
 * one space, none at either end.
 */
export function fold(s: string): string {
  let out = '';
  let gap = false;
  const push = (c: string) => {
    if (ALNUM.test(c)) {
      if (gap && out !== '') out += ' ';
      gap = false;
      out += c;
    } else {
      gap = true;
    }
  };
  let kept = '';
  for (const c of s) if (!APOSTROPHES.has(c)) kept += c;
  for (const ch of kept.normalize('NFKD')) {
    // per character, as Rust's char::to_lowercase (no final-sigma rule)
    for (const c of ch.toLowerCase()) {
      if (MARK.test(c)) continue;
      const spelled = SPELLED[c];
      if (spelled) for (const x of spelled) push(x);
      else push(c);
    }
  }
  return out;
}

/** The folded query as the server uses it: cut to MAX_QUERY_BYTES at a character boundary. */
export function foldQuery(query: string): string {
  const q = fold(query);
  const enc = new TextEncoder();
  if (enc.encode(q).length <= MAX_QUERY_BYTES) return q;
  let out = '';
  let bytes = 0;
  for (const c of q) {
    const n = enc.encode(c).length;
    if (bytes + n > MAX_QUERY_BYTES) break;
    bytes += n;
    out += c;
  }
  return out.trimEnd();
}

const KINDS: MatchKind[] = ['code', 'codeprefix', 'name', 'nameprefix', 'wordprefix', 'context'];
const [CODE, CODEPREFIX, NAME, NAMEPREFIX, WORDPREFIX, CONTEXT] = [0, 1, 2, 3, 4, 5] as const;

/**
 * The best `limit` hits for `query` as [rank, kind], best first: the server's SearchIndex::search.
 * The entries are in rank order, so the first `limit` hits of each kind met are its best.
 */
export function searchRanks(idx: SearchIndex, query: string, limit: number): [number, MatchKind][] {
  const q = foldQuery(query);
  const n = idx.rows.length;
  if (q === '' || limit <= 0 || n === 0) return [];
  const found: number[][] = KINDS.map(() => []);

  // Codes: the query without spaces against the folded codes; a query of digits only against
  // the codes' digits. A prefix counts only with a digit in the query.
  const compact = q.replace(/ /g, '');
  const digitsOnly = /^[0-9]+$/.test(compact);
  const prefixAllowed = digitsOnly || /[0-9]/.test(compact);
  const keys = digitsOnly ? idx.digits : idx.codes;
  const byCode = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const key = keys[r]!;
    if (key === compact) {
      byCode[r] = 1;
      if (found[CODE]!.length < limit) found[CODE]!.push(r);
    } else if (prefixAllowed && key.startsWith(compact)) {
      byCode[r] = 1;
      if (found[CODEPREFIX]!.length < limit) found[CODEPREFIX]!.push(r);
    }
  }

  // Names: every query word a prefix of a word of the name or context, at least one of the name.
  const qwords = [...new Set(words(q))];
  const fullNameKind = (r: number): number => {
    const name = idx.rows[r]![6];
    return name === q ? NAME : name.startsWith(q) ? NAMEPREFIX : WORDPREFIX;
  };
  const prefixOf = (ws: string[], w: string) => ws.some((x) => x.startsWith(w));
  const single = qwords.length === 1 ? qwords[0]! : null;
  const repeated = q.includes(' ');
  for (let r = 0; r < n; r++) {
    if (byCode[r]) continue;
    const nw = idx.nameWords[r]!;
    let kind: number;
    if (single !== null) {
      if (!prefixOf(nw, single)) continue;
      if (repeated) kind = fullNameKind(r);
      else if (nw.length === 1 && nw[0] === single) kind = NAME;
      else if (nw[0]!.startsWith(single)) kind = NAMEPREFIX;
      else kind = WORDPREFIX;
    } else {
      const cw = idx.ctxWords[r]!;
      let all = true;
      let some = false;
      let ok = true;
      for (const w of qwords) {
        if (prefixOf(nw, w)) some = true;
        else if (prefixOf(cw, w)) all = false;
        else {
          ok = false;
          break;
        }
      }
      if (!ok || !some) continue;
      kind = all ? fullNameKind(r) : CONTEXT;
    }
    if (found[kind]!.length < limit) found[kind]!.push(r);
    // later ranks cannot displace a full list of the best name kind
    if (found[NAME]!.length >= limit) break;
  }

  const hits: [number, MatchKind][] = [];
  for (let k = 0; k < KINDS.length; k++) {
    for (const r of found[k]!) {
      if (hits.length === limit) return hits;
      hits.push([r, KINDS[k]!]);
    }
  }
  return hits;
}

function result(idx: SearchIndex, rank: number, matched: MatchKind): SearchResult {
  const [code, name, level, id, bbox, context] = idx.rows[rank]!;
  return { context, matched, code, name, level: idx.levels[level] ?? String(level), id, bbox };
}

/** The rank of the area with `code` (trimmed, else upper case: as the server's Areas::find). */
function find(idx: SearchIndex, code: string): number | undefined {
  const c = code.trim();
  return idx.byCode.get(c) ?? idx.byCode.get(c.toUpperCase());
}

/**
 * The code of the area whose tile feature is `id` in `layer` (the feature id names the area:
 * docs/TILES.md), or null.
 */
export async function staticCodeOf(layer: string, id: number): Promise<string | null> {
  const idx = await searchIndex();
  const level = idx.levels.indexOf(layer);
  const r = level < 0 ? undefined : idx.byId.get(`${level}:${id}`);
  return r === undefined ? null : idx.rows[r]![0];
}

// ---- breaks (data/breaks/, data/reweight/) ----

/** The largest weight the server takes (api.rs MAX_WEIGHT). */
const MAX_WEIGHT = 1_000_000;
// Rust's f64 grammar (`str::parse::<f64>`).
const RUST_F64 = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/**
 * `weights=inkomen:0.3,werk:0.2,…` as the server's `parse_weights`: the listed domains get these
 * weights, the others keep the profile's. Throws the server's messages.
 */
export function parseWeights(domains: Meta['domains'], spec: string): number[] {
  const weights = domains.map((d) => d.weight);
  const seen = domains.map(() => false);
  const known = domains.map((d) => d.id).join(', ');
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    let cut = item.indexOf(':');
    if (cut < 0) cut = item.indexOf('=');
    if (cut < 0) throw new Error(`\`weights\`: \`${item}\` should be \`domain:weight\`, e.g. \`inkomen:0.3\``);
    const id = item.slice(0, cut).trim();
    const d = domains.findIndex((x) => x.id === id);
    if (d < 0) throw new Error(`\`weights\`: unknown domain \`${id}\`; the domains are ${known}`);
    if (seen[d]) throw new Error(`\`weights\`: domain \`${domains[d]!.id}\` is given twice`);
    seen[d] = true;
    const text = item.slice(cut + 1).trim();
    const w = RUST_F64.test(text) ? Number(/^[+-]?(inf|infinity|nan)$/i.test(text) ? NaN : text) : NaN;
    if (!Number.isFinite(w) || !(w >= 0)) throw new Error(`\`weights\`: \`${item}\`: the weight of \`${domains[d]!.id}\` must be a finite number ≥ 0`);
    if (w > MAX_WEIGHT) {
      throw new Error(`\`weights\`: \`${item}\`: the weight of \`${domains[d]!.id}\` must be at most ${MAX_WEIGHT} (weights are relative: scale them all down)`);
    }
    weights[d] = w;
  }
  if (weights.every((w) => w === 0)) throw new Error('`weights`: at least one weight must be above 0');
  return weights;
}

/** data/reweight/{year}.json: the exponential domain scores of every ranked area of the index unit. */
export interface Reweight {
  year: number | null;
  domains: string[];
  weights: number[];
  columns: (number | null)[][];
}

/** decile(rank, n) = ⌈10·rank / n⌉ (mdi_core::stats::decile). */
const decile = (rank: number, n: number) => Math.ceil((10 * rank) / n);

/**
 * The server's `/api/breaks` for `weights` (in meta.domains order) over the rows of `rw`: each
 * area's MDI re-spread over its domains with data (Σ_present w·x · Σw / Σ_present w), sorted
 * highest first, the nine thresholds halfway between deciles d and d + 1.
 */
export function computeBreaks(meta: Meta, rw: Reweight, weights: number[], year: number | null): Breaks {
  const columns = meta.domains.map((d, i) => (rw.domains[i] === d.id ? rw.columns[i] : rw.columns[rw.domains.indexOf(d.id)]) ?? []);
  const rows = columns[0]?.length ?? 0;
  const total = weights.reduce((a, b) => a + b, 0);
  const scores: number[] = [];
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    let present = 0;
    for (let d = 0; d < columns.length; d++) {
      const x = columns[d]![i];
      if (x !== null && x !== undefined) {
        sum += weights[d]! * x;
        present += weights[d]!;
      }
    }
    if (present > 0) scores.push((sum * total) / present);
  }
  const sorted = Float64Array.from(scores).sort().reverse();
  const n = sorted.length;
  const lowest: (number | null)[] = new Array(11).fill(null);
  const highest: (number | null)[] = new Array(11).fill(null);
  for (let r = 0; r < n; r++) {
    const d = decile(r + 1, n);
    lowest[d] = sorted[r]!;
    if (highest[d] === null) highest[d] = sorted[r]!;
  }
  const breaks: number[] = [];
  for (let d = 1; d <= 9; d++) {
    const lo = lowest[d]!;
    const hi = highest[d + 1]!;
    if (lo !== null && hi !== null) breaks.push((lo + hi) / 2);
    else if (lo !== null) breaks.push(lo);
  }
  return {
    year,
    ranking: meta.ranking,
    weights: meta.domains.map((d, i) => ({ id: d.id, weight: weights[i]! })),
    n,
    breaks,
    min: n ? sorted[n - 1]! : null,
    max: n ? sorted[0]! : null,
  };
}

const reweightFiles = new Map<string, Promise<Reweight>>();

// ---- areas (data/areas/{shard}.json) ----

const shards = new Map<number, Promise<Record<string, Area>>>();
function shardFile(n: number): Promise<Record<string, Area>> {
  let p = shards.get(n);
  if (!p) {
    p = getFile<Record<string, Area>>(`data/areas/${n}.json`);
    p.catch(() => shards.delete(n));
    shards.set(n, p);
  }
  return p;
}

// ---- the api object's static twin ----

export const staticApi = {
  meta: () => metaFile(),
  tilejson: () => getFile<TileJson>('data/tiles.json'),
  area: async (code: string): Promise<Area> => {
    const idx = await searchIndex();
    const r = find(idx, code);
    const row = r === undefined ? undefined : idx.rows[r];
    const area = row ? (await shardFile(row[8]))[row[0]] : undefined;
    if (!area) throw new Error(`no area with code \`${code}\` in this atlas; search names and codes with the search box`);
    return area;
  },
  search: async (q: string, signal: AbortSignal, limit = 8): Promise<SearchResponse> => {
    const idx = await searchIndex();
    signal.throwIfAborted();
    const hits = searchRanks(idx, q, Math.min(50, Math.max(1, limit)));
    return { query: q, results: hits.map(([r, kind]) => result(idx, r, kind)) };
  },
  breaks: async (weightsSpec: string, year: number): Promise<Breaks> => {
    const meta = await metaFile();
    const weights = parseWeights(meta.domains, weightsSpec);
    if (!meta.years.includes(year)) throw new Error(`\`year=${year}\`: not a year of this atlas (${meta.years.join(', ')})`);
    const pooled = meta.ranking === 'pooled';
    const name = pooled ? 'pooled' : String(year);
    if (weights.every((w, i) => w === meta.domains[i]!.weight)) return getFile<Breaks>(`data/breaks/${name}.json`);
    let rw = reweightFiles.get(name);
    if (!rw) {
      rw = getFile<Reweight>(`data/reweight/${name}.json`);
      rw.catch(() => reweightFiles.delete(name));
      reweightFiles.set(name, rw);
    }
    return computeBreaks(meta, await rw, weights, pooled ? null : year);
  },
  report: (code: string) => getFile<Report>(`data/reports/${codeFile(code)}.json`),
};

// ---- tiles (atlas.pmtiles by range requests) ----

/** The absolute URL of the site's PMTiles archive. */
export const pmtilesUrl = () => siteUrl('atlas.pmtiles');

let registered = false;

/**
 * Registers the `pmtiles://` protocol with MapLibre. The two sources over the same tiles (the
 * choropleth's and the context's, style.ts) ask for every tile twice: a tile asked for while it
 * is in flight or among the last ones read is answered from memory (as a copy: MapLibre may
 * hand the buffer to a worker), so each tile costs one range request.
 */
export function registerPmtiles(): void {
  if (registered) return;
  registered = true;
  const protocol = new Protocol();
  type Response = Awaited<ReturnType<AddProtocolAction>>;
  const read = protocol.tilev4 as unknown as AddProtocolAction;
  const recent = new Map<string, Promise<Response>>();
  const KEEP = 64;
  addProtocol('pmtiles', (params, abort) => {
    if (params.type === 'json') return read(params, abort);
    let p = recent.get(params.url);
    if (p) {
      recent.delete(params.url);
    } else {
      // not tied to one caller's abort: another source may wait for the same tile
      p = read(params, new AbortController());
      p.catch(() => recent.delete(params.url));
    }
    recent.set(params.url, p);
    while (recent.size > KEEP) recent.delete(recent.keys().next().value!);
    return p.then((r) => {
      abort.signal.throwIfAborted();
      return { ...r, data: r.data instanceof Uint8Array ? r.data.slice() : r.data };
    });
  });
}
