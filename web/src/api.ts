// Typed access to the server's JSON API (docs/API.md). Every URL is relative to the page, so the
// client also works when the server sits behind a proxy under a path prefix.

import type * as G from './generated/api';

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

// The report (/api/report/{code}, issue 14): written from the contract's JSON (docs/API.md) until
// the server's generated types carry it. Only the parts the panel shows are typed in detail.
/** The six district measures' national ranks (1 = most deprived) among the districts of the level. */
export type ReportRanks = Record<'average_score' | 'average_rank' | 'extent' | 'local_concentration' | 'proportion_worst_decile' | 'share_worst_decile', number | null>;
/** District measures of an area (METHOD §1.8/§5), latest year; `of` = districts of its level. */
export interface ReportDistrict {
  areas: number;
  population: number;
  average_score: number;
  average_rank: number;
  extent: number;
  local_concentration: number;
  proportion_worst_decile: number;
  share_worst_decile: number;
  decile_shares: number[];
  ranks: ReportRanks;
  of: number;
}
/** Population-weighted mean pooled score per year of the MDI ("mdi") or a domain; null where no data. */
export interface ReportTrend {
  domain: string;
  name: string;
  years: number[];
  mean: (number | null)[];
  change: number | null;
  worsening: boolean;
  breaks: number[];
}
export interface ReportPersistence {
  from_year: number;
  to_year: number;
  worst_at_end: number;
  also_worst_at_start: number;
  share: number | null;
}
/** β of Δ pooled MDI on pooled MDI at from_year (unweighted OLS), its 95 % interval and n. */
export interface ReportDivergence {
  beta: number;
  ci_low: number;
  ci_high: number;
  n: number;
  from_year: number;
  to_year: number;
  p_value: number;
  alpha: number;
  scores: string;
}
export interface Report {
  atlas: { title: string; synthetic: boolean };
  area: { code: string; name: string; level: string } | null;
  year: number;
  years: number[];
  headline: string[];
  share_worst_decile: number | null;
  district: ReportDistrict | null;
  trends: ReportTrend[];
  persistence: ReportPersistence | null;
  divergence: ReportDivergence | null;
  caveats: string[];
}

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

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(serverUrl(path), signal ? { signal } : {});
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

export const api = {
  meta: () => getJson<Meta>('api/meta'),
  tilejson: () => getJson<TileJson>('tiles.json'),
  area: (code: string) => getJson<Area>(`api/areas/${encodeURIComponent(code)}`),
  search: (q: string, signal: AbortSignal, limit = 8) =>
    getJson<SearchResponse>(
      `api/search?q=${encodeURIComponent(q)}&limit=${limit}`,
      signal,
    ),
  breaks: (weights: string, year: number) =>
    getJson<Breaks>(`api/breaks?weights=${encodeURIComponent(weights)}&year=${year}`),
  report: (code: string) => getJson<Report>(`api/report/${encodeURIComponent(code)}`),
  point: (lon: number, lat: number) => getJson<PointResult>(`api/point?lon=${lon}&lat=${lat}`),
};
