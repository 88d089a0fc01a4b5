// Typed access to the server's JSON API (docs/API.md). Every URL is relative to the page, so the
// client also works when the server sits behind a proxy under a path prefix.

import type * as G from './generated/api';
import type * as R from './generated/report';
import { codeFile, isStatic, staticApi } from './static';

// The response types are generated from the server's Rust types (crates/mdi-server, ts-rs):
// web/src/generated/api.ts. CI fails while that file is stale; regenerate it with
// `MDI_UPDATE_TS=1 cargo test -p mdi-server generated_ts`. The names below are the client's.

export type Level = G.LevelInfo;
export type DomainMeta = G.DomainInfo;
export type PropertySet = G.PropertySet;
export type Meta = G.MetaResponse;
export type Within = G.WithinRank;
export type Score = G.ScoreOut;
export type DomainScore = G.DomainOut;
export type AreaYear = G.YearOut;
export type BBox = [number, number, number, number];
export type AreaRef = G.AreaRef;
export type Parent = G.ParentOut;
export type Area = G.AreaResponse;
export type SearchResult = G.SearchResult;
export type SearchResponse = G.SearchResponse;
export type Breaks = G.BreaksResponse;
export type PointResult = G.PointResponse;
export type YearInfo = G.YearInfo;

// The report (/api/report/{code}, issue 14; docs/REPORT.md), generated from the server's Rust
// types too (web/src/generated/report.ts).
export type Report = R.Report;
export type ReportDistrict = R.District;
export type ReportTrend = R.Trend;
export type ReportPersistence = R.PersistenceOut;
export type ReportDivergence = R.Divergence;

/** TileJSON 3.0 as the server writes it (not an API type of docs/API.md). */
export interface TileJson {
  vector_layers: { id: string; fields: Record<string, string> }[];
  tiles?: string[];
  minzoom?: number;
  maxzoom?: number;
  bounds?: [number, number, number, number];
  attribution?: string;
}

/** An absolute URL for a server path, resolved against the page (keeps a path prefix). */
export function serverUrl(path: string): string {
  return new URL(path.replace(/^\//, ''), document.baseURI).href;
}

/** How long a request waits, in all, for a server that is still loading its atlas. */
const LOADING_WAIT_MS = 60_000;

/**
 * `fetch`, waiting while the server answers 503 (it serves tiles at once and the API once
 * its atlas is loaded; docs/API.md): it retries after the `Retry-After` seconds (1 s when
 * absent), for up to a minute in all.
 */
async function fetchWhenReady(url: string, init: RequestInit): Promise<Response> {
  const t0 = Date.now();
  for (;;) {
    const res = await fetch(url, init);
    if (res.status !== 503 || Date.now() - t0 > LOADING_WAIT_MS) return res;
    const after = Number(res.headers.get('Retry-After'));
    const ms = Number.isFinite(after) && after > 0 ? after * 1000 : 1000;
    await new Promise((r) => setTimeout(r, Math.min(ms, 5000)));
    if (init.signal?.aborted) return res;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetchWhenReady(serverUrl(path), signal ? { signal } : {});
  if (!res.ok) {
    // The server answers every error as {"error": {"status", "message"}}; surface the message.
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new Error(message);
  }
  return (await res.json()) as T;
}

/**
 * The API. On the static site (`mdi-atlas publish`; index.html's `mdi-atlas-mode` meta tag) the
 * same answers come from its files (static.ts); it has no `point`: see main.ts `codeAt`.
 */
export const api = {
  meta: () => (isStatic() ? staticApi.meta() : getJson<Meta>('api/meta')),
  tilejson: () => (isStatic() ? staticApi.tilejson() : getJson<TileJson>('tiles.json')),
  area: (code: string) => (isStatic() ? staticApi.area(code) : getJson<Area>(`api/areas/${encodeURIComponent(code)}`)),
  search: (q: string, signal: AbortSignal, limit = 8) =>
    isStatic()
      ? staticApi.search(q, signal, limit)
      : getJson<SearchResponse>(
          `api/search?q=${encodeURIComponent(q)}&limit=${limit}`,
          signal,
        ),
  breaks: (weights: string, year: number) =>
    isStatic()
      ? staticApi.breaks(weights, year)
      : getJson<Breaks>(`api/breaks?weights=${encodeURIComponent(weights)}&year=${year}`),
  report: (code: string) => (isStatic() ? staticApi.report(code) : getJson<Report>(`api/report/${encodeURIComponent(code)}`)),
  point: (lon: number, lat: number) =>
    isStatic()
      ? Promise.reject(new Error('a static site has no /api/point'))
      : getJson<PointResult>(`api/point?lon=${lon}&lat=${lat}`),
};

/** The printable report of an area (`?format=html` of /api/report; a file of the static site). */
export function reportHtmlUrl(code: string): string {
  return isStatic()
    ? serverUrl(`data/reports/${codeFile(code)}.html`)
    : serverUrl(`api/report/${encodeURIComponent(code)}?format=html`);
}
