// Benchmark of the web client (issue 6; not a test): against `mdi-atlas serve` on the demo atlas
// with the built client (web/dist), in headless Chromium (software WebGL, SwiftShader):
//   1. time to the first complete map: navigation start → the app's `window.__mdiIdle = true`
//      (set at MapLibre's first `idle`: every visible tile loaded and drawn), N fresh page loads,
//      each in a new browser context (empty cache);
//   2. bundle size: gzipped bytes of what index.html loads (index.html, JS, the MapLibre worker,
//      CSS), from the `.gz` files the build writes (else gzip -9 here);
//   3. recolour time: in the page, from setting #variable (change event) to the next `idle`,
//      ≥ 10 domain switches, alternating with the baseline's (below); also to the first frame
//      (`render`) after the switch.
// Prints a markdown table with the targets (< 1.5 s, < 500 KB, < 100 ms).
//
// Baseline, in the same run and browser: MapLibre GL JS alone (the same npm version, no app
// code) on a bare page fitted to the same bounds with the same padding, timed the same way:
// fresh loads to the first `idle` (interleaved with the app's, one each in turn, so that both
// see the same machine load), and recolours by `setPaintProperty`. Its style is, by default
// (`--baseline app`), the very style the app draws: taken from the app's map (getStyle(), with
// the level bands' fill layers, labels, outlines and highlights, the TileJSON inline) after the
// app's own runs, served as a static file; its recolours set the `fill-color` of every fill layer
// to what the app's map holds for each variable (read from the app's map). So both draw the same
// layers from the same tiles, and the ratios ours / baseline are what the app's own code costs.
// `--baseline server` uses the server's `/style.json` (and `/style.json?variable=<domain>` for the
// recolours) instead, as before issue 15. For profiling what the style's parts cost, `--strip`
// takes parts out of the baseline's copy of the app's style: `labels` (the symbol layers),
// `context` (the second source `mdi-context` with its outlines, highlights and labels),
// comma-separated.
//
//   node bench/web.mjs [--runs N] [--switches M] [--baseline app|server] [--strip labels,context]
//                      [--url http://127.0.0.1:PORT/]
//
// Environment as web/e2e/harness.mjs: MDI_ATLAS_BIN, CHROMIUM, MDI_WEB_DIST, MDI_E2E_CACHE.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS, DESKTOP, chromiumPath, missingPrerequisite, startServer, webDist } from '../web/e2e/harness.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(REPO, 'web', 'package.json'))('playwright-core');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const RUNS = Math.max(5, Number(opt('runs', 7)));
const SWITCHES = Math.max(10, Number(opt('switches', 14)));
const URL_ARG = opt('url', process.env.MDI_BENCH_URL || null);
const BASELINE = opt('baseline', 'app');
if (!['app', 'server'].includes(BASELINE)) throw new Error(`--baseline app|server, not ${BASELINE}`);
const STRIP = String(opt('strip', '')).split(',').filter(Boolean);
for (const x of STRIP) if (!['labels', 'context'].includes(x)) throw new Error(`--strip labels,context, not ${x}`);

/** The baseline's copy of the app's style, less the parts named by --strip. */
function stripped(style) {
  const out = structuredClone(style);
  if (STRIP.includes('labels')) out.layers = out.layers.filter((l) => l.type !== 'symbol');
  if (STRIP.includes('context')) {
    out.layers = out.layers.filter((l) => l.source !== 'mdi-context');
    delete out.sources['mdi-context'];
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

// ---- bundle size ------------------------------------------------------------------------------
function bundle(dist) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)=["']([^"']+)["']/g)) {
    const u = m[1];
    if (/^(https?:)?\/\//.test(u) || u.startsWith('data:')) continue;
    if (/\.(m?js|css)$/.test(u)) refs.add(u.replace(/^\.?\//, ''));
  }
  // the MapLibre worker is loaded by the JS (setWorkerUrl), not by index.html
  for (const js of [...refs].filter((r) => /\.m?js$/.test(r))) {
    const text = readFileSync(join(dist, js), 'utf8');
    for (const m of text.matchAll(/["'`]([^"'`]*maplibre-gl-worker[^"'`]*\.m?js)["'`]/g)) {
      const name = m[1].split('/').pop();
      const found = readdirSync(join(dist, 'assets')).find((f) => f === name);
      if (found) refs.add(`assets/${found}`);
    }
  }
  if (![...refs].some((r) => r.includes('worker'))) {
    const w = readdirSync(join(dist, 'assets')).find((f) => /maplibre-gl-worker.*\.m?js$/.test(f));
    if (w) refs.add(`assets/${w}`);
  }
  const files = ['index.html', ...refs].map((f) => {
    const raw = readFileSync(join(dist, f));
    const gzPath = join(dist, `${f}.gz`);
    const ownGz = gzipSync(raw, { level: 9 }).length;
    const builtGz = existsSync(gzPath) ? readFileSync(gzPath).length : null;
    return { file: f, raw: raw.length, gz: builtGz ?? ownGz, builtGz, ownGz };
  });
  return files;
}

// ---- the baseline page ---------------------------------------------------------------------------
// A copy of web/dist with MapLibre's own files and a bare page beside the assets; the server
// serves it as its web client folder for this run.
function baselineDist(dist) {
  const dir = mkdtempSync(join(tmpdir(), 'mdi-web-bench-'));
  cpSync(dist, dir, { recursive: true });
  const ml = join(REPO, 'web', 'node_modules', 'maplibre-gl', 'dist');
  for (const f of ['maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']) {
    cpSync(join(ml, f), join(dir, 'assets', f));
  }
  writeFileSync(join(dir, 'assets', 'baseline.html'), `<!doctype html><meta charset=utf-8>
<link rel=stylesheet href=maplibre-gl.css><style>html,body,#map{margin:0;height:100%}</style>
<div id=map></div>
<script type=module>
import * as maplibregl from './maplibre-gl.mjs';
const meta = await (await fetch('/api/meta')).json();
// the app's desktop padding (web/src/main.ts), so that both show the same tiles
const map = new maplibregl.Map({ container: 'map', style: ${BASELINE === 'app' ? "'app-style.json'" : "'/style.json'"}, bounds: meta.bounds,
  fitBoundsOptions: { padding: { top: 24, bottom: 24, left: 364, right: 60 } }, fadeDuration: 0 });
window.mdi = { map };
map.once('idle', () => { window.__mdiIdle = true; });
</script>`);
  return dir;
}

/**
 * The app's style and, per variable of the recolour loop, the `fill-color` of each fill layer,
 * read from the app's map in `page` (the variable is set back at the end).
 */
async function appStyle(page) {
  return page.evaluate(async () => {
    const map = window.mdi.map;
    const idle = () => new Promise((r) => { map.once('idle', r); map.triggerRepaint(); });
    const style = map.getStyle();
    const was = window.mdi.state().variable;
    const variables = [...document.getElementById('variable').options].map((o) => o.value).filter((v) => v !== 'domains_in_worst_decile');
    const fills = {};
    for (const v of variables) {
      await window.mdi.setState({ variable: v });
      fills[v] = Object.fromEntries(map.getStyle().layers.filter((l) => l.type === 'fill' && l.id.endsWith('-fill')).map((l) => [l.id, l.paint['fill-color']]));
    }
    await window.mdi.setState({ variable: was });
    await idle();
    return { style, variables, fills };
  });
}

/**
 * Prepare the baseline page for recolours: `window.__switch(i)` sets the fills of the i-th
 * variable (the app's fills, or the server style's single fill per variable) and resolves with
 * the ms to the next `idle`. Returns the number of variables.
 */
async function baselineRecolourSetup(page, app) {
  return page.evaluate(async (app) => {
    const map = window.mdi.map;
    // per variable: {layer id: fill-color}
    let variables;
    const fills = {};
    if (app) {
      variables = app.variables;
      Object.assign(fills, app.fills);
    } else {
      const meta = await (await fetch('/api/meta')).json();
      variables = ['mdi', ...meta.domains.map((d) => d.id)];
      const layer = map.getStyle().layers.find((l) => l.id.endsWith('-fill')).id;
      for (const v of variables) {
        const style = await (await fetch(`/style.json?variable=${v}`)).json();
        fills[v] = { [layer]: style.layers.find((l) => l.id.endsWith('-fill')).paint['fill-color'] };
      }
    }
    await new Promise((r) => { map.once('idle', r); map.triggerRepaint(); });
    let current = null;
    window.__switch = async (i) => {
      const v = variables[i % variables.length];
      const done = new Promise((r) => map.once('idle', r));
      const t0 = performance.now();
      // like the app: only the fills whose colour changes
      for (const [id, fill] of Object.entries(fills[v])) {
        if (current && JSON.stringify(current[id]) === JSON.stringify(fill)) continue;
        map.setPaintProperty(id, 'fill-color', fill);
      }
      current = fills[v];
      await done;
      return { variable: v, idle: performance.now() - t0 };
    };
    return variables.length;
  }, app);
}

// ---- page loads ---------------------------------------------------------------------------------
async function pageLoad(browser, url) {
  const ctx = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, serviceWorkers: 'block' });
  const page = await ctx.newPage();
  // record performance.now() (ms since navigation start) at the moment the app sets the flag
  await page.addInitScript(() => {
    let v = false;
    Object.defineProperty(window, '__mdiIdle', {
      configurable: true,
      get: () => v,
      set: (x) => {
        if (x && !v) window.__mdiIdleAt = performance.now();
        v = x;
      },
    });
    // milestones of the map, for the breakdown: map created, style loaded, first frame
    window.__mdiMarks = {};
    const iv = setInterval(() => {
      const map = window.mdi?.map;
      if (!map) return;
      clearInterval(iv);
      const m = window.__mdiMarks;
      m.mdi = performance.now();
      if (map.loaded()) m.load = m.mdi;
      else map.once('load', () => { m.load = performance.now(); });
      map.once('render', () => { m.firstRender = performance.now(); });
    }, 10);
  });
  const requests = [];
  const tileTimes = []; // [start, end] in epoch ms (tiles are fetched by the worker: not in the page's resource timing)
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfinished', (r) => {
    if (!/\/tiles\/\d+\/\d+\/\d+\./.test(r.url())) return;
    const tm = r.timing();
    tileTimes.push([tm.startTime, tm.startTime + tm.responseEnd]);
  });
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__mdiIdle === true, null, { timeout: 120_000 });
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const tiles = res.filter((r) => /\/tiles\/\d+\/\d+\/\d+\./.test(r.name));
    const end = (re) => Math.max(0, ...res.filter((r) => re.test(r.name)).map((r) => r.responseEnd));
    return {
      idle: window.__mdiIdleAt,
      load: nav ? nav.loadEventEnd : null,
      dcl: nav ? nav.domContentLoadedEventEnd : null,
      js: end(/\/assets\/app-[^/]*\.js$/),
      worker: end(/maplibre-gl-worker/),
      firstTileStart: tiles.length ? Math.min(...tiles.map((r) => r.startTime)) : null,
      lastTile: tiles.length ? Math.max(...tiles.map((r) => r.responseEnd)) : null,
      origin: performance.timeOrigin,
      ...window.__mdiMarks,
    };
  });
  if (t.firstTileStart === null && tileTimes.length) {
    t.firstTileStart = Math.min(...tileTimes.map((x) => x[0])) - t.origin;
    t.lastTile = Math.max(...tileTimes.map((x) => x[1])) - t.origin;
  }
  return { ctx, page, t, tiles: requests.filter((u) => /\/tiles\/\d+\/\d+\/\d+\./.test(u)).length, requests: requests.length };
}

// ---- recolour ------------------------------------------------------------------------------------
/** Prepare the app's page: `window.__switch(i)` sets #variable to the i-th choice (a change event). */
async function recolourSetup(page) {
  return page.evaluate(async () => {
    const map = window.mdi.map;
    const sel = document.getElementById('variable');
    const values = [...sel.options].map((o) => o.value).filter((v) => v !== 'domains_in_worst_decile');
    // start from a settled map
    await new Promise((r) => { map.once('idle', r); map.triggerRepaint(); });
    window.__switch = async (i) => {
      const v = values[i % values.length];
      const t0 = performance.now();
      let first = null;
      map.once('render', () => { first = performance.now() - t0; });
      const done = new Promise((r) => map.once('idle', r));
      sel.value = v;
      sel.dispatchEvent(new Event('change', { bubbles: true }));
      await done;
      return { variable: v, idle: performance.now() - t0, firstFrame: first };
    };
    return values.length;
  });
}

/**
 * n switches on each page, alternating between them (ours, then the baseline's), so that both
 * see the same machine load; 50 ms between switches.
 */
async function recolours(ours, base, n) {
  const a = [];
  const b = [];
  for (let i = 1; i <= n; i++) {
    a.push(await ours.evaluate((i) => window.__switch(i), i));
    await new Promise((r) => setTimeout(r, 50));
    if (!base) continue;
    b.push((await base.evaluate((i) => window.__switch(i), i)).idle);
    await new Promise((r) => setTimeout(r, 50));
  }
  return [a, b];
}

async function main() {
  const missing = missingPrerequisite();
  if (missing && !URL_ARG) {
    console.log(`SKIPPED: ${missing}`);
    return;
  }
  const dist = webDist();
  let server = null;
  let url = URL_ARG;
  let baseDir = null;
  if (!url) {
    baseDir = baselineDist(dist);
    process.env.MDI_WEB_DIST = baseDir;
    server = await startServer();
    url = `${server.origin}/`;
  }
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  try {
    const version = browser.version();
    // one load to warm the server's demo cache and the browser's GPU process; not counted. With
    // `--baseline app` the app's style is read from it for the baseline page.
    const warm = await pageLoad(browser, url);
    const app = BASELINE === 'app' && baseDir ? await appStyle(warm.page) : null;
    if (app) writeFileSync(join(baseDir, 'assets', 'app-style.json'), JSON.stringify(stripped(app.style)));
    await warm.ctx.close();
    if (baseDir) await (await pageLoad(browser, `${url}assets/baseline.html`)).ctx.close();
    // Fresh loads, ours and the baseline's interleaved, so that both see the same machine load.
    const loads = [];
    const baseLoads = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await pageLoad(browser, url);
      loads.push(r);
      if (i < RUNS - 1) await r.ctx.close();
      if (!baseDir) continue;
      const b = await pageLoad(browser, `${url}assets/baseline.html`);
      baseLoads.push(b);
      if (i < RUNS - 1) await b.ctx.close();
    }
    const last = loads.at(-1);
    // a reload in the same context (HTTP cache warm): for reference
    await last.page.reload({ waitUntil: 'commit' });
    await last.page.waitForFunction(() => window.__mdiIdle === true, null, { timeout: 120_000 });
    const warmReload = await last.page.evaluate(() => window.__mdiIdleAt);
    await recolourSetup(last.page);
    if (baseLoads.length) await baselineRecolourSetup(baseLoads.at(-1).page, app);
    const [rec, baseRec] = await recolours(last.page, baseLoads.at(-1)?.page, SWITCHES);
    await last.ctx.close();
    await baseLoads.at(-1)?.ctx.close();

    const idles = loads.map((l) => l.t.idle);
    const recIdle = rec.map((r) => r.idle);
    const recFirst = rec.map((r) => r.firstFrame).filter((x) => x !== null);
    const files = existsSync(join(dist, 'index.html')) ? bundle(dist) : [];
    const gzTotal = files.reduce((a, f) => a + f.gz, 0);
    const rawTotal = files.reduce((a, f) => a + f.raw, 0);
    const KB = 1000;

    console.log(`# mdi-atlas web benchmark`);
    console.log('');
    console.log(`${new Date().toISOString()} · ${url} · Chromium ${version} (headless, SwiftShader WebGL) · ${cpus().length} cores · load ${loadavg().map((x) => x.toFixed(2)).join(' ')} · viewport ${DESKTOP.width}×${DESKTOP.height}`);
    console.log('');
    console.log('| measure | result | target | |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| first complete map (navigation → first \`idle\`), median of ${RUNS} fresh loads | ${fmtMs(median(idles))} (min ${fmtMs(Math.min(...idles))}, max ${fmtMs(Math.max(...idles))}) | < 1.5 s | ${median(idles) < 1500 ? 'met' : 'NOT met'} |`);
    console.log(`| bundle, gzipped (index.html + JS + worker + CSS) | ${(gzTotal / KB).toFixed(1)} KB (${(rawTotal / KB).toFixed(0)} KB raw) | < 500 KB | ${gzTotal < 500 * KB ? 'met' : 'NOT met'} |`);
    console.log(`| recolour after a domain switch (change → next \`idle\`), median of ${SWITCHES} | ${fmtMs(median(recIdle))} (min ${fmtMs(Math.min(...recIdle))}, max ${fmtMs(Math.max(...recIdle))}) | < 100 ms | ${median(recIdle) < 100 ? 'met' : 'NOT met'} |`);
    if (baseLoads.length) {
      const bIdle = median(baseLoads.map((l) => l.t.idle));
      const bRec = median(baseRec);
      console.log('');
      const what = app ? `the app's own style (getStyle(), static file)${STRIP.length ? `, less ${STRIP.join(' and ')}` : ''}` : "the server's /style.json";
      console.log(`| baseline: MapLibre alone with ${what} | result | ours / baseline |`);
      console.log('| --- | --- | --- |');
      console.log(`| first complete map, median of ${RUNS} fresh loads | ${fmtMs(bIdle)} (min ${fmtMs(Math.min(...baseLoads.map((l) => l.t.idle)))}, max ${fmtMs(Math.max(...baseLoads.map((l) => l.t.idle)))}); ${baseLoads.at(-1).tiles} tiles per load | ${(median(idles) / bIdle).toFixed(2)} |`);
      console.log(`| recolour (setPaintProperty → next \`idle\`), median of ${SWITCHES} | ${fmtMs(bRec)} (min ${fmtMs(Math.min(...baseRec))}, max ${fmtMs(Math.max(...baseRec))}) | ${(median(recIdle) / bRec).toFixed(2)} |`);
    }
    console.log('');
    console.log('Details:');
    console.log(`- loads (ms to idle): ${idles.map((x) => x.toFixed(0)).join(', ')}; DOMContentLoaded median ${fmtMs(median(loads.map((l) => l.t.dcl)))}; ${last.requests} requests, ${last.tiles} tiles per load`);
    const med = (k) => {
      const xs = loads.map((l) => l.t[k]).filter((x) => typeof x === 'number' && x > 0);
      return xs.length ? fmtMs(median(xs)) : 'n/a';
    };
    console.log(`- where a load's time goes (medians, ms since navigation start): app JS received ${med('js')}, window.mdi.map created ${med('mdi')}, worker received ${med('worker')}, first tile requested ${med('firstTileStart')}, last tile received ${med('lastTile')}, style loaded ${med('load')}, first frame ${med('firstRender')}, first idle ${med('idle')}`);
    console.log(`- reload with a warm HTTP cache: ${fmtMs(warmReload)} to idle`);
    console.log(`- recolour, change → first frame: median ${recFirst.length ? fmtMs(median(recFirst)) : 'n/a'}; change → idle per switch: ${rec.map((r) => `${r.variable} ${r.idle.toFixed(0)}`).join(', ')}`);
    if (baseRec.length) console.log(`- baseline recolour per switch (alternating with ours): ${baseRec.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`- bundle files (gz from the build's .gz siblings; gzip -9 here in brackets): ${files.map((f) => `${f.file} ${(f.gz / KB).toFixed(1)} KB (${(f.ownGz / KB).toFixed(1)})`).join('; ')}`);
  } finally {
    await browser.close();
    await server?.stop();
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
