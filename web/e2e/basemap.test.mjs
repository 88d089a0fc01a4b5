// The optional background map (issue 15), against a LOCAL style: this file serves a tiny
// MapLibre style on another loopback port (a green background and a blue GeoJSON square beside
// the atlas' region, the square's data at a URL relative to the style). Set in the UI, the
// style's layers lie beneath the atlas' own, its colours show where the atlas draws nothing,
// the choropleth stays on top (a little transparent), and the setting is in the permalink
// (`bm`) and in this browser's storage; switched off, the basemap is gone. No network beyond
// 127.0.0.1. Run: node --test web/e2e/
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
const LABEL = 'basemap';
const GREEN = [0, 200, 0];
const BLUE = [0, 0, 230];

let h;
let meta;
let page;
let styleServer;
let styleUrl;
let square; // [w, s, e, n] of the blue square, west of the atlas' region

before(async () => {
  ({ h, meta, page } = await e2e.openApp('basemap', LABEL, { dense: false }));
  if (!meta) return;
  const [w, s, e, n] = meta.bounds;
  const dx = (e - w) / 2;
  square = [w - dx - 0.01, s, w - 0.01, n];
  const [a, b, c, d] = square;
  const geojson = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[a, b], [c, b], [c, d], [a, d], [a, b]]] } }] };
  const style = {
    version: 8,
    name: 'local test basemap',
    sources: { land: { type: 'geojson', data: 'data/land.geojson' } },
    layers: [
      { id: 'bg', type: 'background', paint: { 'background-color': `rgb(${GREEN})` } },
      { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': `rgb(${BLUE})` } },
      // left out by the client (needs the basemap's glyphs)
      { id: 'names', type: 'symbol', source: 'land', layout: { 'text-field': 'x' } },
    ],
  };
  styleServer = createServer((req, res) => {
    const body = req.url === '/style.json' ? style : req.url === '/data/land.geojson' ? geojson : null;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise((r) => styleServer.listen(0, '127.0.0.1', r));
  styleUrl = `http://127.0.0.1:${styleServer.address().port}/style.json`;
});
after(async () => {
  await h?.close();
  styleServer?.close();
});

/** The style's layer ids in drawing order. */
const layerIds = (p) => p.evaluate(() => window.mdi.map.getStyle().layers.map((l) => l.id));

/** The pixel at a longitude/latitude. */
async function pixelAt(p, img, lngLat) {
  const [x, y] = await p.evaluate((ll) => {
    const map = window.mdi.map;
    const r = map.getCanvas().getBoundingClientRect();
    const q = map.project(ll);
    return [q.x + r.left, q.y + r.top];
  }, lngLat);
  return img.get(Math.round(x), Math.round(y)).slice(0, 3);
}

async function view(p) {
  // the region and the square beside it in view, clear of the controls card
  const [, s, e, n] = meta.bounds;
  await p.evaluate(([b]) => window.mdi.map.fitBounds(b, { padding: { top: 40, bottom: 40, left: 400, right: 60 }, duration: 0 }), [[square[0], s, e, n]]);
  await e2e.settle(p);
  await p.waitForFunction(() => window.mdi.map.loaded(), null, { timeout: 30_000 });
  await e2e.parkMouse(p);
}

test('a basemap set in the UI lies beneath the atlas: its colours outside the region, the choropleth on top', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal((await e2e.state(page)).basemap, meta.basemap ?? null, 'the basemap starts as the server says');
  assert.ok(!(await layerIds(page)).some((id) => id.startsWith('basemap:')), 'a basemap before one was set');

  await page.click('#basemap-box summary');
  await page.fill('#basemap-url', styleUrl);
  await page.check('#basemap-on');
  await e2e.waitState(page, '(s, u) => s.basemap === u', styleUrl);
  await page.waitForFunction(() => window.mdi.map.getStyle().layers.some((l) => l.id === 'basemap:land'), null, { timeout: 15_000 });
  const ids = await layerIds(page);
  const firstFill = ids.findIndex((id) => id.endsWith('-fill') && !id.startsWith('basemap:'));
  assert.ok(ids.indexOf('basemap:bg') >= 0 && ids.indexOf('basemap:bg') < firstFill, `basemap:bg not beneath the atlas fills: ${ids.join(', ')}`);
  assert.ok(ids.indexOf('basemap:land') < firstFill, `basemap:land not beneath the atlas fills: ${ids.join(', ')}`);
  assert.ok(!ids.includes('basemap:names'), 'the basemap\'s symbol layer was added');
  assert.equal(await page.evaluate(() => window.mdi.map.getLayoutProperty('background', 'visibility')), 'none', 'the atlas background still covers the basemap');
  assert.equal(await page.$eval('#basemap-status', (el) => el.hidden), true, await page.textContent('#basemap-status'));

  await view(page);
  // labels (with halos) hidden while the pixels are read; only layout visibility changes
  const labels = await page.evaluate(() => {
    const map = window.mdi.map;
    const ids = map.getStyle().layers.filter((l) => l.type === 'symbol').map((l) => l.id);
    for (const id of ids) map.setLayoutProperty(id, 'visibility', 'none');
    return ids;
  });
  await e2e.settle(page);
  const img = await e2e.grab(page);
  await page.evaluate((ids) => { for (const id of ids) window.mdi.map.setLayoutProperty(id, 'visibility', 'visible'); }, labels);
  const [, s, , n] = meta.bounds;
  // outside the region: the basemap's background; in the square: its fill
  const outside = await pixelAt(page, img, [(square[0] + square[2]) / 2, n + (n - s) * 0.2]);
  const inSquare = await pixelAt(page, img, [(square[0] + square[2]) / 2, (s + n) / 2]);
  if (outside.length === 3 && outside.every(Number.isFinite)) {
    assert.ok(e2e.dist(outside, GREEN) <= 3, `outside the region rgb(${outside}), the basemap background is rgb(${GREEN})`);
  } else {
    // A large atlas fills the view: the point north of it lies off the canvas.
    console.log('SKIPPED: basemap: the point outside the region is off the canvas for this atlas');
  }
  assert.ok(e2e.dist(inSquare, BLUE) <= 3, `in the basemap's square rgb(${inSquare}), its fill is rgb(${BLUE})`);
  // the choropleth on top: an area's pixels are its decile's colour over the green at the
  // fill's opacity (fitted), in its decile's class (the tiles' mdi_decile_Y)
  const Y = (await e2e.state(page)).year;
  const items = await e2e.legend(page);
  // the level drawn at this zoom (buurten on the demo; gemeenten on a national view with bands)
  const layer = await page.evaluate(() => {
    const map = window.mdi.map;
    const fills = map.getStyle().layers.filter((l) => l.type === 'fill' && /^[a-z]+-fill$/.test(l.id)).map((l) => l.id);
    return fills.map((id) => [id, map.queryRenderedFeatures({ layers: [id] }).length]).sort((a, b) => b[1] - a[1])[0][0];
  });
  const feats = (await e2e.renderedFeatures(page, { layer, margin: 4, minPoints: 3, keep: e2e.PROBE_PROPS }))
    .filter((f) => !f.props.nodata && !f.props.water && Number.isInteger(f.props[`mdi_decile_${Y}`]));
  assert.ok(feats.length >= 3, `only ${feats.length} areas of ${layer} probed`);
  const { result, alpha } = e2e.classify(img, feats, items, GREEN);
  assert.ok(alpha >= 0.7 && alpha < 1, `the choropleth's fitted opacity over the basemap is ${alpha}`);
  const wrong = result.filter((r) => r.item.cls !== String(r.props[`mdi_decile_${Y}`]));
  assert.ok(wrong.length <= feats.length * 0.02, `${wrong.length} of ${feats.length} areas of ${layer} not in their decile's colour over the basemap`);
  await h.screenshot(page, 'desktop-basemap.png');
});

test('the basemap is in the permalink and this browser\'s storage; switched off, it is gone', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const url = await e2e.waitUrl(page, (u) => u.searchParams.get('bm') === styleUrl);
  // the permalink in a fresh browser (no storage)
  const fresh = await h.newPage({ label: `${LABEL}-permalink` });
  await h.open(fresh, `${url.search}${url.hash}`);
  assert.equal((await e2e.state(fresh)).basemap, styleUrl);
  assert.ok((await layerIds(fresh)).includes('basemap:land'), 'the permalink does not show the basemap at its first complete map');
  assert.equal(await fresh.$eval('#basemap-on', (el) => el.checked), true);
  await fresh.close();
  // the same browser without `bm` in the link: from storage
  const again = await page.context().newPage();
  await again.goto(`${h.origin}/`, { waitUntil: 'load' });
  await e2e.waitReady(again);
  assert.equal((await e2e.state(again)).basemap, styleUrl, 'the setting was not kept in this browser');
  await again.close();

  await page.uncheck('#basemap-on');
  await e2e.waitState(page, '(s) => s.basemap === null');
  await page.waitForFunction(() => !window.mdi.map.getStyle().layers.some((l) => l.id.startsWith('basemap:')), null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.mdi.map.getLayoutProperty('background', 'visibility') ?? 'visible'), 'visible');
  await e2e.settle(page);
  const img = await e2e.grab(page);
  const [, s, , n] = meta.bounds;
  const inSquare = await pixelAt(page, img, [(square[0] + square[2]) / 2, (s + n) / 2]);
  const bg = await e2e.backgroundColor(page);
  assert.ok(e2e.dist(inSquare, bg) <= 3, `with the basemap off the square shows rgb(${inSquare}), the atlas background is rgb(${bg})`);
});

test('a style URL that is not a style: an error in the UI, the atlas as before', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  await page.fill('#basemap-url', styleUrl.replace('style.json', 'missing.json'));
  await page.check('#basemap-on');
  await page.waitForFunction(() => !document.getElementById('basemap-status').hidden, null, { timeout: 10_000 });
  assert.match(await page.textContent('#basemap-status'), /404/);
  assert.ok(!(await layerIds(page)).some((id) => id.startsWith('basemap:')));
  await page.uncheck('#basemap-on').catch(() => {});
});

test('nothing left 127.0.0.1', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
});
