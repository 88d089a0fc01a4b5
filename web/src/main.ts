// Entry point: wires the map, the controls and the panel to one view state (state.ts). Every
// change goes through setState(), which validates, updates the URL, recolours the map (paint
// properties and filters only: no source or style change, so no tile is requested again) and
// updates the panel. window.mdi exposes the hooks of the test contract (web/README.md) for tests and benchmarks.

import { Map as MlMap, NavigationControl, prewarm, ScaleControl, setWorkerUrl, type MapGeoJSONFeature, type MapMouseEvent } from 'maplibre-gl';
import { api, type Area, type Breaks, type Report, type SearchResult } from './api';
import { BACKGROUND_COLOR, classConfig, decileColor, decileZooms, levelConfigs, shownConfig, unitOnly, variableName, zoomFallbackActive, type ClassConfig, type ClassInput } from './classes';
import { byId, debounce, h } from './dom';
import { areaCsv, download, exportPng } from './export';
import { applyStatic, getLang, levelName, levelsName, reasonText, setLang, t, type Key } from './i18n';
import { AUTO, levelPlan, type LevelPlan } from './levels';
import { initBasemap } from './basemap';
import { renderLegend } from './legend';
import { fillReport, reportError } from './report';
import { closePanel, panelError, panelLoading, renderAreaDownloads, renderPanel } from './panel';
import { initQgis } from './qgis';
import { initSearch } from './search';
import { DWD, fromUrl, normalize, PALETTES, storeBasemap, VIEWS, weightsParam, writeUrl, type AppState } from './state';
import { buildStyle, CONTEXT, fillId, levelLayers, SOURCE } from './style';
import { isStatic, registerPmtiles, siteDownloads, staticCodeOf } from './static';
import { initWeights } from './weights';
import { renderAboutGrey, renderBreakNotice, renderDomainsNotice, yearInfo } from './yearinfo';

declare const __WORKER_FILE__: string;

interface MdiHooks {
  map: MlMap;
  state(): AppState;
  ready: Promise<void>;
  exportPng(): Promise<Blob>;
  setState(partial: Partial<AppState>): Promise<void>;
  /** True while a state change is still being applied (an API fetch, a debounced recolour). */
  busy(): boolean;
  /** The client's API (the server's, or the static site's files: api.ts), for the tests. */
  api: typeof api;
}

declare global {
  interface Window {
    mdi: MdiHooks;
    __mdiIdle?: boolean;
  }
}

// The worker is shipped beside the bundle under a content-hashed name (scripts/build.mjs).
setWorkerUrl(new URL(`./${__WORKER_FILE__}`, import.meta.url).href);
// Start the workers now, so that their module loads and compiles while /api/meta is in flight.
prewarm();

// `window.mdi.ready` exists from the first moment, so a test can await it before /api/meta is in;
// the other hooks are filled in once the map exists.
let resolveReady!: () => void;
let rejectReady!: (e: Error) => void;
const readyPromise = new Promise<void>((res, rej) => {
  resolveReady = res;
  rejectReady = rej;
});
readyPromise.catch(() => undefined); // reported by start()'s own catch; avoid a second "uncaught"
window.mdi = { ready: readyPromise } as MdiHooks;

async function start(): Promise<void> {
  // The static site reads its tiles from atlas.pmtiles (pmtiles:// sources, style.ts).
  if (isStatic()) registerPmtiles();
  // tiles.json says which properties the tiles really carry (a national atlas may lack domains
  // that /api/meta lists); it is preloaded by index.html, like /api/meta.
  const [meta, tilejson] = await Promise.all([api.meta(), api.tilejson()]);
  // Marks for the benchmark and for profiling the start (performance.getEntriesByType('mark')).
  performance.mark('mdi:meta');
  let state = fromUrl(meta, location.search);
  setLang(state.lang);
  applyStatic();
  // The page behind the map shares the map's background colour (colours.json).
  document.documentElement.style.setProperty('--map-background', BACKGROUND_COLOR);
  byId('synthetic-note').hidden = !meta.synthetic;

  const layersByLevel = levelLayers(meta);
  const [unit] = layersByLevel;
  // One choropleth fill per level; the level plan says which is shown at which zoom (levels.ts).
  const FILLS = layersByLevel.map(fillId);
  const fields = Object.keys(tilejson.vector_layers.find((l) => l.id === unit)?.fields ?? {});
  const hasField = (prefix: string) => fields.length === 0 || fields.some((f) => f.startsWith(prefix));
  const available = (v: string) => v === 'mdi' || hasField(v === DWD ? `${DWD}_` : `${v}_decile_`);
  const zooms = decileZooms(meta);
  // Atlas format 1.3 tiles carry cluster_<year> (local Moran's I of the year's MDI).
  const hasClusters = hasField('cluster_');
  // A link to the clusters map of an atlas without them shows the value map.
  const supported = (s: AppState): AppState => (s.view === 'clusters' && !hasClusters ? { ...s, view: 'value' } : s);
  state = supported(state);

  // ---- class breaks for re-weighting (/api/breaks), cached per weights and year ----
  const breaksCache = new Map<string, Promise<Breaks>>();
  const breaksDone = new Map<string, Breaks>();
  let breaksError: string | undefined;
  const weighted = (s: AppState) => !!s.weights && s.variable === 'mdi' && s.view === 'value';
  const breaksKey = (s: AppState) => `${weightsParam(meta, s.weights!)}|${s.year}`;
  const fetchBreaks = (s: AppState): Promise<Breaks> => {
    const k = breaksKey(s);
    let p = breaksCache.get(k);
    if (!p) {
      p = api.breaks(weightsParam(meta, s.weights!), s.year).then((b) => {
        breaksDone.set(k, b);
        return b;
      });
      p.catch(() => breaksCache.delete(k));
      breaksCache.set(k, p);
    }
    return p;
  };
  const classInput = (): ClassInput => ({
    meta,
    state,
    breaks: weighted(state) ? (breaksDone.get(breaksKey(state)) ?? null) : null,
    ...zooms,
  });
  if (weighted(state)) await fetchBreaks(state).catch((e: Error) => (breaksError = e.message));

  let cfg: ClassConfig = classConfig(classInput());
  let cfgs: Record<string, ClassConfig> = levelConfigs(classInput(), cfg);
  const planOf = (s: AppState): LevelPlan => levelPlan(meta, s.level, unitOnly(s));
  let plan = planOf(state);
  const colorOf = (decile: number) => decileColor(state.palette, decile);

  // ---- the map ----
  const wide = () => window.matchMedia('(min-width: 761px)').matches;
  // Keep fitted areas clear of the controls card (left) and the open panel (right) on desktop,
  // and of the top bar and bottom sheet on phones.
  const padding = () => {
    const open = !byId('panel').hidden;
    return wide()
      ? { top: 24, bottom: 24, left: 364, right: open ? 460 : 60 }
      : // the map area ends above the bottom sheet (style.css); the legend is hidden meanwhile
        { top: 150, bottom: open ? 24 : 60, left: 16, right: 16 };
  };
  const [w, s, e, n] = meta.bounds;
  // Keep people near the data, but loosely: a tight maxBounds fights fitBounds with padding
  // (phone bottom sheet) on a small atlas such as the demo, and would keep a small atlas from its
  // lowest zooms (where the coarsest level's band lies): leave room for a 2048-px-wide view at
  // the atlas' minimum zoom (MapLibre zooms in until the view fits inside maxBounds).
  const span = (2048 / (512 * 2 ** meta.min_zoom)) * 360;
  const dx = Math.max(e - w, 2, span / 2);
  const dy = Math.max(n - s, 1.5, span / 3);
  const map = new MlMap({
    container: 'map',
    style: buildStyle(meta, cfgs, plan, tilejson),
    hash: 'map',
    bounds: meta.bounds,
    fitBoundsOptions: { padding: padding() },
    minZoom: meta.min_zoom,
    maxZoom: Math.max(17, meta.max_zoom + 2),
    maxBounds: [w - dx, s - dy, e + dx, n + dy],
    // No label fade-in: the map is "idle" (complete) as soon as the tiles are drawn, which is
    // what tests, the benchmark and the PNG export wait for.
    fadeDuration: 0,
    // The style is built here from /api/meta and checked by the style-spec validator in the
    // browser tests (levels.test.mjs) for every view; validating it again at every start and
    // every recolour only costs time on the main thread.
    validateStyle: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    // MapLibre credited in plain text: the default attribution links off-site, and this app
    // points nowhere outside its own server.
    attributionControl: { compact: true, customAttribution: 'MapLibre GL JS' },
    locale: { 'NavigationControl.ZoomIn': t('zoomIn'), 'NavigationControl.ZoomOut': t('zoomOut') },
  });
  performance.mark('mdi:map');
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  // Feature-state goes on both sources: `mdi` (the contract's, read by tests) and the context
  // source whose highlight layers draw it.
  const featureState = (f: { sourceLayer: string; id: string | number }, st: Record<string, boolean>) => {
    for (const source of [SOURCE, CONTEXT]) map.setFeatureState({ source, ...f }, st);
  };
  const styleLoaded = new Promise<void>((resolve) => map.once('style.load', () => resolve()));
  // The first 'idle' comes right after 'load', in the same frame: listen from the start.
  const firstIdle = new Promise<void>((resolve) => map.once('idle', () => resolve()));
  const nextIdle = () =>
    new Promise<void>((resolve) => {
      map.once('idle', () => resolve());
      map.triggerRepaint();
    });

  // Phone: the open panel is a bottom sheet and the map area ends above it (style.css), instead of
  // the sheet scrolling over the canvas. Resize the map at once (MapLibre's own ResizeObserver
  // would do it a frame later, after a fitBounds computed for the old size), keeping the part of
  // the map that stays visible where it is on screen.
  const fitMapToLayout = () => {
    const c = map.getContainer();
    const before = map.getCanvas().clientHeight;
    const after = c.clientHeight;
    if (Math.abs(after - before) < 1) return;
    // The sheet leaves little map: fold MapLibre's compact attribution to its (i) button, as
    // MapLibre itself does on the first drag.
    if (after < before) document.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact')?.classList.remove('maplibregl-compact-show');
    const centre = map.unproject([c.clientWidth / 2, after / 2]);
    map.resize();
    map.jumpTo({ center: centre });
  };
  new MutationObserver(fitMapToLayout).observe(byId('panel'), { attributes: true, attributeFilter: ['hidden'] });

  // ---- live region, tooltip, legend ----
  const live = byId('live');
  const announce = (msg: string) => {
    live.textContent = msg;
  };
  let classCount: string | undefined;
  let countDirty = true;
  /** The level drawn at the current zoom, and its class configuration as on screen. */
  const drawnLayer = () => plan.at(map.getZoom());
  const shownNow = (): ClassConfig => {
    const layer = drawnLayer();
    const c = shownConfig(cfgs[layer] ?? cfg, map.getZoom());
    // The legend (and the PNG export) says which level is shown: "Gemeenten · MDI, 2024".
    const lvl = meta.levels.find((l) => l.layer === layer);
    return { ...c, title: `${levelsName(layer, lvl?.name ?? layer)} · ${c.title}` };
  };
  const notice = (): string | undefined => {
    if (state.weights && !weighted(state)) return t('weightsIgnored');
    // A domain view, re-weighting or clusters exist per index unit only: say so where another
    // level was asked for (a fixed level, or the automatic level at this zoom).
    const wantedLevel = levelPlan(meta, state.level, false).wantedAt(map.getZoom());
    if (unitOnly(state) && wantedLevel !== unit) {
      const u = meta.levels[0]!;
      const w = meta.levels.find((l) => l.layer === wantedLevel);
      const drawn = drawnLayer();
      const units = levelsName(u.layer, u.name).toLowerCase();
      const asked = levelsName(wantedLevel, w?.name ?? wantedLevel).toLowerCase();
      return drawn === unit ? t('levelUnitOnly', { unit: units, level: asked }) : t('levelUnitOnlyHere', { unit: units, level: asked });
    }
    if (zoomFallbackActive(classInput(), map.getZoom())) {
      if (state.view === 'clusters') return t('zoomNoticeClusters');
      return weighted(state) ? t('zoomNoticeWeights') : t('zoomNotice', { variable: variableName(meta, state.variable) });
    }
    return undefined;
  };
  const legend = (pending = false) => {
    const shown = shownNow();
    const note = notice();
    renderLegend(shown, {
      pending,
      ...(breaksError && weighted(state) ? { error: breaksError } : {}),
      ...(shown.countClass && classCount ? { count: classCount } : {}),
      ...(note ? { notice: note } : {}),
    });
  };

  // ---- recolouring: paint properties and filters only ----
  const recolour = async (): Promise<void> => {
    if (weighted(state) && !breaksDone.has(breaksKey(state))) {
      legend(true);
      breaksError = undefined;
      try {
        await fetchBreaks(state);
      } catch (e) {
        breaksError = (e as Error).message;
      }
      // A newer state may need other breaks; its own recolour will finish the job.
      if (weighted(state) && !breaksDone.has(breaksKey(state)) && !breaksError) return;
    }
    cfg = classConfig(classInput());
    cfgs = levelConfigs(classInput(), cfg);
    plan = planOf(state);
    applyLevels();
    countDirty = true;
    classCount = undefined;
    legend();
  };
  // Paint and zoom range of each level's fill, set only where they changed: each change makes
  // MapLibre lay out the source's tiles again in the worker (no tile is requested).
  const applied = new Map<string, { fill: string; min: number; max: number }>();
  const applyLevels = () => {
    for (const layer of layersByLevel) {
      const id = fillId(layer);
      const fill = JSON.stringify(cfgs[layer]!.fill);
      const r = plan.ranges[layer]!;
      const was = applied.get(id);
      if (was && (was.min !== r.minzoom || was.max !== r.maxzoom)) map.setLayerZoomRange(id, r.minzoom, r.maxzoom);
      if (was && was.fill !== fill) map.setPaintProperty(id, 'fill-color', cfgs[layer]!.fill, { validate: false });
      applied.set(id, { fill, min: r.minzoom, max: r.maxzoom });
    }
  };
  applyLevels();
  // Work in flight for window.mdi.busy(): state changes being applied, a debounced recolour.
  let applying = 0;
  let recoloursAsked = 0;
  let recoloursDone = 0;
  const recolourLater = debounce(() => {
    const asked = recoloursAsked;
    void recolour().finally(() => {
      recoloursDone = Math.max(recoloursDone, asked);
    });
  }, 120);
  const recolourSoon = () => {
    recoloursAsked++;
    recolourLater();
  };

  // ---- selection and panel ----
  const areaCache = new Map<string, Promise<Area>>();
  const getArea = (code: string) => {
    let p = areaCache.get(code);
    if (!p) {
      p = api.area(code);
      p.catch(() => areaCache.delete(code));
      areaCache.set(code, p);
    }
    return p;
  };
  let current: Area | null = null;
  let selectedFeature: { sourceLayer: string; id: number } | null = null;
  let selectToken = 0;
  const setSelectedFeature = (f: { sourceLayer: string; id: number } | null) => {
    if (selectedFeature) featureState(selectedFeature, { selected: false });
    selectedFeature = f;
    if (f) featureState(f, { selected: true });
  };
  // The analysis of a wijk or gemeente (/api/report/{code}), cached per code.
  const reportCache = new Map<string, Promise<Report>>();
  const showReport = async (area: Area) => {
    const section = document.getElementById('report');
    if (!section) return;
    let p = reportCache.get(area.code);
    if (!p) {
      p = api.report(area.code);
      p.catch(() => reportCache.delete(area.code));
      reportCache.set(area.code, p);
    }
    try {
      const r = await p;
      // The panel may show another area (or language) by now: fill only the section asked for.
      if (section.isConnected) fillReport(section, area.code, r, levelName(area.level, area.level_name));
    } catch (e) {
      if (section.isConnected) reportError(section, (e as Error).message);
    }
  };
  const showPanel = () => {
    if (!current) return;
    renderPanel(current, {
      meta,
      year: state.year,
      color: colorOf,
      onSelect: (code) => void setState({ selected: code }, { fly: true, focus: true }),
      onZoom: (bbox) => map.fitBounds(bbox, { padding: padding(), maxZoom: 14 }),
      onCsv: () => current && download(new Blob([areaCsv(current, meta)], { type: 'text/csv;charset=utf-8' }), `${current.code}.csv`),
    });
    void showReport(current);
    // A gemeente's own downloads (its buurten, wijken and itself as CSV and GeoPackage): the
    // static site lists them in data/site.json; the server makes them for every area of the
    // top level (/downloads/{file}, docs/API.md).
    if (isStatic()) {
      const shown = current;
      void siteDownloads(shown.code)
        .then((files) => {
          if (files.length && current === shown) renderAreaDownloads(files);
        })
        .catch(() => undefined);
    } else if (meta.levels.length > 1 && current.level === meta.levels[meta.levels.length - 1]?.layer) {
      const c = current.code;
      renderAreaDownloads([`${c}.csv`, `${c}_wgs84.gpkg`, `${c}_rd.gpkg`]);
    }
  };
  const describeArea = (a: Area): string => {
    const y = a.years.find((x) => x.year === state.year);
    const d = y?.mdi?.decile;
    return typeof d === 'number' ? `${t('mdiShort')} ${t('decileLabel', { c: d })}` : t('noValue');
  };
  // Where the keyboard focus goes back to when the panel closes (search, map canvas, …).
  let panelOpener: HTMLElement | null = null;
  const selectArea = async (code: string | null, opts: { fly?: boolean; focus?: boolean }): Promise<void> => {
    const token = ++selectToken;
    if (!code) {
      current = null;
      setSelectedFeature(null);
      closePanel();
      return;
    }
    const panelEl = byId('panel');
    const active = document.activeElement;
    if (panelEl.hidden || (active instanceof HTMLElement && !panelEl.contains(active) && active !== document.body)) {
      panelOpener = active instanceof HTMLElement && active !== document.body ? active : null;
    }
    panelLoading();
    fitMapToLayout();
    try {
      const area = await getArea(code);
      if (token !== selectToken) return;
      current = area;
      if (state.selected !== area.code) {
        // Keep the canonical (upper-case) code in the state and the URL.
        state = { ...state, selected: area.code };
        writeUrl(meta, state);
      }
      setSelectedFeature({ sourceLayer: area.level, id: area.id });
      showPanel();
      announce(t('selected', { name: area.name, level: levelName(area.level, area.level_name), what: describeArea(area) }));
      if (opts.fly && area.bbox) map.fitBounds(area.bbox, { padding: padding(), maxZoom: 14, duration: reducedMotion() ? 0 : 800 });
      if (opts.focus) byId('panel-title').focus();
    } catch (e) {
      if (token !== selectToken) return;
      current = null;
      setSelectedFeature(null);
      panelError((e as Error).message);
    }
  };
  const reducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  // ---- controls ----
  const sel = (id: string) => byId<HTMLSelectElement>(id);
  const options = (el: HTMLSelectElement, items: [string, string][]) =>
    el.replaceChildren(...items.map(([v, label]) => h('option', { value: v }, label)));
  const buildOptions = () => {
    options(sel('variable'), [
      ['mdi', t('mdi')],
      ...meta.domains.map((d): [string, string] => [d.id, variableName(meta, d.id)]),
      [DWD, t('dwd')],
    ]);
    // Variables the tiles do not carry stay listed (the atlas defines them) but cannot be chosen.
    for (const o of sel('variable').options) {
      if (available(o.value)) continue;
      o.disabled = true;
      o.textContent += ` (${t('noValue')})`;
    }
    const years = meta.years.map((y): [string, string] => [String(y), String(y)]);
    options(sel('year'), years);
    options(sel('compare-year'), years);
    const viewKey: Record<string, Key> = { value: 'viewValue', change: 'viewChange', persistence: 'viewPersistence', clusters: 'viewClusters' };
    options(sel('view'), VIEWS.map((v) => [v, t(viewKey[v]!)]));
    // A change map needs two years.
    if (meta.years.length < 2) sel('view').options[VIEWS.indexOf('change')]!.disabled = true;
    // Clusters need the tiles' cluster_<year> (atlas format 1.3).
    if (!hasClusters) {
      const o = sel('view').options[VIEWS.indexOf('clusters')]!;
      o.disabled = true;
      o.textContent += ` (${t('clustersMissing')})`;
    }
    const palKey: Record<string, Key> = { ylorrd: 'palYlorrd', viridis: 'palViridis', cividis: 'palCividis' };
    options(sel('palette'), PALETTES.map((p) => [p, t(palKey[p]!)]));
    // The level control: automatic (by zoom), then the levels from the coarsest down.
    options(sel('level'), [[AUTO, t('levelAuto')], ...[...meta.levels].reverse().map((l): [string, string] => [l.id, levelsName(l.layer, l.name)])]);
  };
  const syncControls = () => {
    // Only what changed is written: this runs on every recolour.
    const setValue = (id: string, v: string) => {
      if (sel(id).value !== v) sel(id).value = v;
    };
    setValue('variable', state.variable);
    setValue('year', String(state.year));
    setValue('compare-year', String(state.compareYear));
    setValue('view', state.view);
    setValue('palette', state.palette);
    setValue('level', state.level);
    // Domain views, re-weighting and clusters are drawn per index unit, whatever the level.
    byId('level-field').classList.toggle('inactive', unitOnly(state));
    const on = byId<HTMLInputElement>('basemap-on');
    if (on.checked !== !!state.basemap) on.checked = !!state.basemap;
    const url = byId<HTMLInputElement>('basemap-url');
    if (state.basemap && url.value !== state.basemap) url.value = state.basemap;
    byId('compare-field').classList.toggle('inactive', state.view !== 'change');
    // The change and clusters maps have their own palettes; the sequential choice does not apply.
    byId('palette-field').classList.toggle('inactive', state.view === 'change' || state.view === 'clusters');
    // The clusters are those of the MDI score, whatever variable is chosen.
    byId('variable-field').classList.toggle('inactive', state.view === 'clusters');
    weightsUi.sync(state.weights);
  };
  const relabelMap = () => {
    map.getCanvas().setAttribute('aria-label', t('mapLabel'));
    const zi = document.querySelector<HTMLElement>('.maplibregl-ctrl-zoom-in');
    const zo = document.querySelector<HTMLElement>('.maplibregl-ctrl-zoom-out');
    for (const [el, k] of [[zi, 'zoomIn'], [zo, 'zoomOut']] as const) {
      if (!el) continue;
      el.title = t(k);
      el.setAttribute('aria-label', t(k));
    }
  };

  const weightsUi = initWeights(meta, (id) => hasField(`${id}_score_`), (wts) => {
    // Moving a slider means "the MDI with these weights": switch to that map if elsewhere.
    void setState(wts ? { weights: wts, variable: 'mdi', view: 'value' } : { weights: null }, { debounce: !!wts });
  });
  const qgis = initQgis(meta);
  const basemap = initBasemap(map, {
    background: 'background',
    fills: FILLS,
    styleLoaded,
    onStatus: (error, layers) => {
      const el = byId('basemap-status');
      el.hidden = !error;
      el.classList.toggle('error', !!error);
      el.textContent = error ? t('basemapError', { msg: error }) : '';
      el.dataset.layers = String(layers);
      syncControls();
    },
  });

  // ---- the one way state changes ----
  async function setState(partial: Partial<AppState>, opts: { fly?: boolean; focus?: boolean; debounce?: boolean } = {}): Promise<void> {
    applying++;
    try {
      await applyState(partial, opts);
    } finally {
      applying--;
    }
  }

  async function applyState(partial: Partial<AppState>, opts: { fly?: boolean; focus?: boolean; debounce?: boolean }): Promise<void> {
    const prev = state;
    state = supported(normalize(meta, state, partial));
    if (state.lang !== prev.lang) {
      setLang(state.lang);
      applyStatic();
      buildOptions();
      weightsUi.relabel();
      qgis.relabel();
      relabelMap();
    }
    syncControls();
    if (state.year !== prev.year || state.lang !== prev.lang) showYearInfo();
    renderBreakNotice(meta, state.view, state.variable, state.year, state.compareYear);
    writeUrl(meta, state);
    if (state.basemap !== prev.basemap) void basemap.set(state.basemap);
    if (opts.debounce) {
      legend(true);
      recolourSoon();
    } else {
      await recolour();
    }
    if (state.selected !== prev.selected && state.selected !== current?.code) {
      await selectArea(state.selected, opts);
    } else if (current && (state.year !== prev.year || state.palette !== prev.palette || state.lang !== prev.lang)) {
      showPanel();
    }
  }

  // What the shown year rests on: the few-domains notice, the grey reasons of the About text,
  // the weights used (domains without data marked).
  function showYearInfo(): void {
    renderDomainsNotice(meta, state.year);
    renderAboutGrey(meta, state.year);
    weightsUi.setYear(state.year, yearInfo(meta, state.year));
    weightsUi.sync(state.weights);
  }

  buildOptions();
  syncControls();
  showYearInfo();
  renderBreakNotice(meta, state.view, state.variable, state.year, state.compareYear);
  relabelMap();
  writeUrl(meta, state);
  legend();

  sel('variable').addEventListener('change', () => void setState({ variable: sel('variable').value }));
  sel('year').addEventListener('change', () => void setState({ year: Number(sel('year').value) }));
  sel('compare-year').addEventListener('change', () => void setState({ compareYear: Number(sel('compare-year').value) }));
  sel('view').addEventListener('change', () => void setState({ view: sel('view').value as AppState['view'] }));
  sel('palette').addEventListener('change', () => void setState({ palette: sel('palette').value as AppState['palette'] }));
  sel('level').addEventListener('change', () => void setState({ level: sel('level').value }));
  // The background map: the checkbox shows or hides the style of the URL field; a new URL in the
  // field replaces the one shown (while the checkbox is on).
  const bmOn = byId<HTMLInputElement>('basemap-on');
  const bmUrl = byId<HTMLInputElement>('basemap-url');
  const setBasemap = (url: string | null) => {
    storeBasemap(url);
    void setState({ basemap: url });
  };
  bmOn.addEventListener('change', () => setBasemap(bmOn.checked ? bmUrl.value.trim() || null : null));
  bmUrl.addEventListener('change', () => {
    if (bmOn.checked) setBasemap(bmUrl.value.trim() || null);
  });
  if (!state.basemap && meta.basemap) bmUrl.value = meta.basemap;
  byId('lang').addEventListener('click', () => void setState({ lang: getLang() === 'nl' ? 'en' : 'nl' }));
  // Closing the panel: focus that was in it (or nowhere) returns to what opened it (the search
  // field, the map, a control), else to the search field; focus elsewhere stays where it is.
  const closeSelection = () => {
    const panelEl = byId('panel');
    const a = document.activeElement;
    const refocus = !a || a === document.body || panelEl.contains(a);
    void setState({ selected: null });
    if (!refocus) return;
    const back = panelOpener?.isConnected && panelOpener.getClientRects().length > 0 ? panelOpener : byId('search');
    back.focus();
  };
  byId('panel-close').addEventListener('click', closeSelection);
  // Escape anywhere on the page closes the topmost open panel: the QGIS dialog, else the side
  // panel. Handlers that use Escape themselves (the search combobox closing its listbox or
  // clearing its text) call preventDefault first and win.
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.defaultPrevented || ev.isComposing) return;
    if (qgis.isOpen()) {
      ev.preventDefault();
      qgis.close();
    } else if (!byId('panel').hidden) {
      ev.preventDefault();
      closeSelection();
    }
  });
  byId('export-png').addEventListener('click', async () => {
    const btn = byId<HTMLButtonElement>('export-png');
    btn.disabled = true;
    try {
      download(await exportPng(map, shownNow(), meta), `mdi-atlas-${state.variable}-${state.year}.png`);
    } catch (e) {
      announce(t('exportFailed', { msg: (e as Error).message }));
    } finally {
      btn.disabled = false;
    }
  });
  const toggle = byId('controls-toggle');
  toggle.addEventListener('click', () => {
    const open = byId('controls').classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  initSearch((r: SearchResult) => {
    // Flying happens once the panel is open, so the area is fitted into the space left beside it.
    if (state.selected === r.code && r.bbox) map.fitBounds(r.bbox, { padding: padding(), maxZoom: 14 });
    else void setState({ selected: r.code }, { fly: true });
  }, announce);

  // ---- hover, tooltip, click ----
  const tooltip = byId('tooltip');
  let hovered: { sourceLayer: string; id: string | number } | undefined;
  const clearHover = () => {
    if (hovered !== undefined) featureState(hovered, { hover: false });
    hovered = undefined;
    tooltip.hidden = true;
  };
  // The level drawn at a feature's zoom: its own class configuration.
  const cfgOf = (f: MapGeoJSONFeature): ClassConfig => cfgs[f.sourceLayer ?? unit!] ?? cfg;
  map.on('mousemove', FILLS, (ev: MapMouseEvent & { features?: MapGeoJSONFeature[] }) => {
    const f = ev.features?.[0];
    if (!f || f.id === undefined) return clearHover();
    map.getCanvas().style.cursor = 'pointer';
    const props = f.properties as Record<string, unknown>;
    const shown = shownConfig(cfgOf(f), map.getZoom());
    const value = cfgOf(f).value(props, map.getZoom());
    // The `minimal` property set of low zooms has neither name nor code: the tooltip then gives
    // only what the tiles know.
    const label = props['name'] ?? props['code'];
    const what = hoverWhat(props, value, shown.describe(value));
    const text = label === undefined || label === null || label === '' ? what : `${String(label)}: ${what}`;
    if (f.id !== hovered?.id || f.sourceLayer !== hovered?.sourceLayer) {
      clearHover();
      hovered = { sourceLayer: f.sourceLayer ?? unit!, id: f.id };
      featureState(hovered, { hover: true });
      announce(text);
    }
    tooltip.textContent = text;
    tooltip.dataset.value = value === null ? '' : String(value);
    tooltip.hidden = false;
    const { x, y } = ev.point;
    const rect = map.getContainer().getBoundingClientRect();
    const left = Math.min(x + 14, rect.width - tooltip.offsetWidth - 8);
    const top = y + 18 + tooltip.offsetHeight > rect.height ? y - tooltip.offsetHeight - 10 : y + 18;
    tooltip.style.transform = `translate(${Math.max(4, left)}px, ${top}px)`;
  });
  // A grey area (no MDI in the year shown) says why, in short: the tiles' `reason_<year>`. The
  // `minimal` property set of low zooms carries no reasons: an area without an MDI there says
  // only that it has no score and that a click tells why (the panel asks the API), never a
  // guessed reason.
  function hoverWhat(props: Record<string, unknown>, value: number | null, described: string): string {
    if (value !== null) return described;
    const reason = props[`reason_${state.year}`];
    if (typeof reason === 'string' && reason) return `${t('noScore')} (${reasonText(reason, 'short', state.year)})`;
    const ranked = typeof props[`mdi_decile_${state.year}`] === 'number';
    if (!ranked && props['water'] !== true && !(`reason_${state.year}` in props)) return t('legendNoDataWhy');
    return described;
  }
  map.on('mouseleave', FILLS, () => {
    map.getCanvas().style.cursor = '';
    clearHover();
  });
  const codeAt = async (f: MapGeoJSONFeature, lngLat: { lng: number; lat: number }): Promise<string | null> => {
    const code = (f.properties as Record<string, unknown>)['code'];
    if (typeof code === 'string') return code;
    if (isStatic()) return staticCodeAt(f, lngLat);
    // The `minimal` property set has no code: ask the server which area of the drawn level is here.
    const res = await api.point(lngLat.lng, lngLat.lat);
    return (res.areas.find((a) => a.level === f.sourceLayer) ?? res.areas[0])?.code ?? null;
  };
  // The static site has no /api/point. The feature id names the area (docs/TILES.md), so
  // data/search.json gives its code; a feature that stands for several areas (`coalesced`, at a
  // dense zoom) or an id not found there: zoom in, centred on the click, to the first zoom whose
  // tiles carry codes, and take the area drawn there under the click (of the level clicked if
  // that level is still drawn).
  const staticCodeAt = async (f: MapGeoJSONFeature, lngLat: { lng: number; lat: number }): Promise<string | null> => {
    const props = f.properties as Record<string, unknown>;
    if (typeof f.id === 'number' && !(typeof props['coalesced'] === 'number' && props['coalesced'] > 1)) {
      const code = await staticCodeOf(f.sourceLayer ?? unit!, f.id);
      if (code) return code;
    }
    const now = map.getZoom();
    const coded = meta.properties_by_zoom
      ? Object.entries(meta.properties_by_zoom).filter(([, set]) => set !== 'minimal').map(([z]) => Number(z))
      : meta.full_from_zoom !== null ? [meta.full_from_zoom] : [];
    const z = coded.filter((x) => x > Math.floor(now)).sort((a, b) => a - b)[0];
    if (z === undefined) return null;
    const moved = map.once('moveend');
    map.easeTo({ center: [lngLat.lng, lngLat.lat], zoom: z, duration: reducedMotion() ? 0 : 500 });
    await moved;
    await nextIdle();
    const hits = map.queryRenderedFeatures(map.project([lngLat.lng, lngLat.lat]), { layers: FILLS });
    const codeOf = (x: MapGeoJSONFeature) => (x.properties as Record<string, unknown>)['code'];
    const hit = hits.find((x) => x.sourceLayer === f.sourceLayer && typeof codeOf(x) === 'string') ?? hits.find((x) => typeof codeOf(x) === 'string');
    return hit ? (codeOf(hit) as string) : null;
  };
  map.on('click', FILLS, async (ev: MapMouseEvent & { features?: MapGeoJSONFeature[] }) => {
    const f = ev.features?.[0];
    if (!f) return;
    const code = await codeAt(f, ev.lngLat);
    if (code) await setState({ selected: code });
  });
  // Keyboard: with the map focused, Enter selects the buurt under the centre of the view.
  map.getCanvas().addEventListener('keydown', async (ev) => {
    if (ev.key !== 'Enter') return;
    const c = map.project(map.getCenter());
    const f = map.queryRenderedFeatures(c, { layers: FILLS })[0];
    if (f) {
      const code = await codeAt(f, map.getCenter());
      if (code) await setState({ selected: code }, { focus: true });
    }
  });

  // ---- per-view extras: zoom fallback notice, persistence count ----
  // The legend follows the level drawn and the MDI fallback as the zoom changes.
  const legendKey = () => `${drawnLayer()}|${zoomFallbackActive(classInput(), map.getZoom())}|${notice() ?? ''}`;
  let lastLegend = legendKey();
  map.on('zoomend', () => {
    const k = legendKey();
    if (k !== lastLegend) {
      lastLegend = k;
      countDirty = true;
      classCount = undefined;
      legend();
    }
  });
  map.on('moveend', () => (countDirty = true));
  map.on('idle', () => {
    // The class the legend counts in view (persistence: every year; clusters: hotspots), from
    // the rendered features, by the same rule as the paint (cfg.value); not in the MDI fallback.
    const counted = shownNow().countClass;
    if (!counted || !countDirty) return;
    countDirty = false;
    const seen = new Set<string>();
    let count = 0;
    for (const f of map.queryRenderedFeatures({ layers: FILLS })) {
      const key = `${f.sourceLayer}/${String(f.id)}`;
      if (f.id === undefined || seen.has(key)) continue;
      seen.add(key);
      if (cfgOf(f).value(f.properties as Record<string, unknown>, map.getZoom()) === counted.cls) count++;
    }
    classCount = counted.label(count);
    legend();
  });

  // ---- first complete map: after the first idle that follows the initial selection ----
  const hadHash = /(^|&|#)map=/.test(location.hash);
  window.mdi = {
    map,
    state: () => structuredClone(state),
    ready: readyPromise,
    exportPng: () => exportPng(map, shownNow(), meta),
    setState: (partial) => setState(partial),
    busy: () => applying > 0 || recoloursDone < recoloursAsked,
    api,
  };
  // A background map from the URL, the browser or the server is part of the first complete map.
  const basemapShown = state.basemap ? basemap.set(state.basemap) : null;
  await firstIdle;
  performance.mark('mdi:load');
  if (basemapShown) {
    await basemapShown;
    await nextIdle();
  }
  relabelMap();
  if (state.selected) {
    // A selection from the URL: its panel and outline are part of the first complete view.
    await selectArea(state.selected, { fly: !hadHash });
    await nextIdle();
  }
  performance.mark('mdi:idle');
  window.__mdiIdle = true;
  resolveReady();
}

start().catch((e: Error) => {
  rejectReady(e);
  console.error(e);
  document.body.append(h('p', { class: 'fatal', role: 'alert' }, `mdi-atlas: ${e.message}`));
});
