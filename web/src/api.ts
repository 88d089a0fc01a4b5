// Typed access to the server's JSON API (docs/API.md). Every URL is relative to the page, so the
// client also works when the server sits behind a proxy under a path prefix.

export interface Level {
  id: string;
  layer: string;
  name: string;
  code_prefix: string;
  areas: number;
}

export interface DomainMeta {
  id: string;
  /** The profile's default display name. */
  name: string;
  /** Display names by language code (`{"nl": "Inkomen", "en": "Income"}`), where the profile gives them. */
  names?: Record<string, string> | null;
  weight: number;
}

export type PropertySet = 'full' | 'map' | 'minimal';

export interface Meta {
  title: string;
  description: string;
  attribution: string;
  synthetic: boolean;
  ranking: 'per-year' | 'pooled';
  years: number[];
  domains: DomainMeta[];
  levels: Level[];
  within: string | null;
  bounds: [number, number, number, number];
  center: [number, number, number];
  min_zoom: number;
  max_zoom: number;
  properties_by_zoom: Record<string, PropertySet>;
  full_from_zoom: number | null;
  profile: { id: string; name: string; description: string; attribution: string };
  built_at: string;
  generator: string;
  downloads: string[];
}

export interface Within {
  rank: number;
  of: number;
  decile: number;
}

export interface Score {
  score: number;
  rank: number;
  decile: number;
  of: number | null;
  within: Within | null;
}

export interface DomainScore {
  id: string;
  name: string;
  weight: number;
  score: number | null;
  rank: number | null;
  decile: number | null;
  of: number | null;
  within: Within | null;
}

export interface AreaYear {
  year: number;
  population: number | null;
  eligible: boolean | null;
  excluded_reason: string | null;
  domains_missing: string[];
  mdi: Score | null;
  domains: DomainScore[];
  domains_in_worst_decile: number | null;
  share_worst_decile: number | null;
  /** Higher levels: share of inhabitants per MDI decile 1..10 (index 0 = decile 1, most deprived). */
  shares?: number[] | null;
}

export type BBox = [number, number, number, number];

export interface AreaRef {
  code: string;
  name: string;
  level: string;
  id: number;
  bbox: BBox | null;
}

export interface Parent extends AreaRef {
  years: AreaYear[];
}

export interface Area extends AreaRef {
  level_name: string;
  nodata: boolean;
  water: boolean;
  collapsed: boolean;
  within: string | null;
  years: AreaYear[];
  parents: Parent[];
  children: number;
}

export interface SearchResult extends AreaRef {
  context: string[];
  matched: string;
}

export interface Breaks {
  year: number | null;
  ranking: string;
  weights: { id: string; weight: number }[];
  n: number;
  breaks: number[];
  min: number;
  max: number;
}

export interface PointResult {
  lon: number;
  lat: number;
  areas: AreaRef[];
}

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
    getJson<{ query: string; results: SearchResult[] }>(
      `api/search?q=${encodeURIComponent(q)}&limit=${limit}`,
      signal,
    ),
  breaks: (weights: string, year: number) =>
    getJson<Breaks>(`api/breaks?weights=${encodeURIComponent(weights)}&year=${year}`),
  point: (lon: number, lat: number) => getJson<PointResult>(`api/point?lon=${lon}&lat=${lat}`),
};
