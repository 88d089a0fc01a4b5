// The optional background map (issue 15): a MapLibre style (JSON) whose sources and layers are
// added beneath the atlas' own layers. Off by default; the URL comes from the UI, the permalink
// (`bm`), this browser's last setting (localStorage) or the server (`serve --basemap`, /api/meta
// `basemap`). With a background map the atlas' own background is hidden (the basemap's shows
// through where the atlas draws nothing) and the choropleth is a little transparent.
//
// The basemap's symbol layers (labels, icons) and pattern fills are left out: they need the
// basemap's glyphs and sprite, and the atlas style uses local fonts for its own labels (no
// `glyphs`), which one style cannot mix. The atlas' labels stay on top.

import type { LayerSpecification, Map as MlMap, SourceSpecification } from 'maplibre-gl';

/** The prefix of the ids of the basemap's sources and layers in the map's style. */
export const BASEMAP_PREFIX = 'basemap:';
/** The choropleth's opacity over a background map. */
export const FILL_OPACITY_OVER_BASEMAP = 0.8;

interface BasemapStyle {
  version: number;
  sources?: Record<string, SourceSpecification>;
  layers?: LayerSpecification[];
}

/** Resolve a URL of the basemap style against the style's own URL, keeping `{z}`-style placeholders. */
export function resolveUrl(u: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(u)) return u;
  const holders: string[] = [];
  const masked = u.replace(/\{[^}]*\}/g, (m) => `__mdiph${holders.push(m) - 1}__`);
  return new URL(masked, base).href.replace(/__mdiph(\d+)__/g, (_, i: string) => holders[Number(i)]!);
}

/** A copy of a basemap source with its URLs made absolute. */
function absoluteSource(src: SourceSpecification, base: string): SourceSpecification {
  const out = { ...src } as Record<string, unknown>;
  if (typeof out['url'] === 'string') out['url'] = resolveUrl(out['url'], base);
  if (Array.isArray(out['tiles'])) out['tiles'] = (out['tiles'] as string[]).map((t) => resolveUrl(t, base));
  if (typeof out['data'] === 'string') out['data'] = resolveUrl(out['data'], base);
  return out as unknown as SourceSpecification;
}

/** Can a basemap layer be drawn without the basemap's glyphs and sprite? */
function drawable(l: LayerSpecification): boolean {
  if (l.type === 'symbol') return false;
  const paint = (l as { paint?: Record<string, unknown> }).paint ?? {};
  return !Object.keys(paint).some((k) => k.endsWith('-pattern'));
}

/** Fetch and check a basemap style. */
async function fetchStyle(url: string): Promise<BasemapStyle> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${res.status} ${res.statusText} (${url})`);
  let style: BasemapStyle;
  try {
    style = (await res.json()) as BasemapStyle;
  } catch {
    throw new Error(`not JSON: ${url}`);
  }
  if (style?.version !== 8 || !Array.isArray(style.layers)) throw new Error(`not a MapLibre style (version 8 with layers): ${url}`);
  return style;
}

export interface BasemapOptions {
  /** The atlas' background layer, hidden while a basemap is shown. */
  background: string;
  /** The atlas' choropleth fills, a little transparent over a basemap. */
  fills: string[];
  /** Resolves once the map's style is loaded (layers can be added). */
  styleLoaded: Promise<void>;
  /** Called with null when the basemap is shown or removed, else with the error's message. */
  onStatus(error: string | null, layers: number): void;
}

/** The basemap of a map: `set(url)` shows a style beneath the atlas, `set(null)` removes it. */
export interface Basemap {
  set(url: string | null): Promise<void>;
  /** The URL shown now (null: none). */
  current(): string | null;
}

/**
 * The background map of `map`. Each `set` replaces what an earlier one added; a later `set`
 * while a style is still being fetched wins (the earlier one's result is dropped).
 */
export function initBasemap(map: MlMap, opts: BasemapOptions): Basemap {
  let shown: string | null = null;
  let token = 0;
  const remove = () => {
    const style = map.getStyle();
    for (const l of style.layers) if (l.id.startsWith(BASEMAP_PREFIX)) map.removeLayer(l.id);
    for (const id of Object.keys(style.sources)) if (id.startsWith(BASEMAP_PREFIX)) map.removeSource(id);
  };
  const atlasLook = (on: boolean) => {
    map.setLayoutProperty(opts.background, 'visibility', on ? 'none' : 'visible');
    for (const id of opts.fills) map.setPaintProperty(id, 'fill-opacity', on ? FILL_OPACITY_OVER_BASEMAP : 1);
  };
  const set = async (url: string | null): Promise<void> => {
    const mine = ++token;
    if (url === shown) return;
    await opts.styleLoaded;
    if (!url) {
      remove();
      atlasLook(false);
      shown = null;
      opts.onStatus(null, 0);
      return;
    }
    const abs = new URL(url, document.baseURI).href;
    let style: BasemapStyle;
    try {
      style = await fetchStyle(abs);
    } catch (e) {
      if (mine !== token) return;
      remove();
      atlasLook(false);
      shown = null;
      opts.onStatus((e as Error).message, 0);
      return;
    }
    if (mine !== token) return;
    remove();
    // Beneath every atlas layer but the (hidden) background: before the first one after it.
    const before = map.getStyle().layers.find((l) => l.id !== opts.background && !l.id.startsWith(BASEMAP_PREFIX))?.id;
    for (const [id, src] of Object.entries(style.sources ?? {})) map.addSource(BASEMAP_PREFIX + id, absoluteSource(src, abs));
    let added = 0;
    for (const l of style.layers ?? []) {
      if (!drawable(l)) continue;
      const source = (l as { source?: string }).source;
      if (source !== undefined && !(style.sources ?? {})[source]) continue;
      map.addLayer({ ...l, id: BASEMAP_PREFIX + l.id, ...(source !== undefined ? { source: BASEMAP_PREFIX + source } : {}) } as LayerSpecification, before);
      added++;
    }
    atlasLook(true);
    shown = url;
    opts.onStatus(null, added);
  };
  return { set, current: () => shown };
}
