// Level by zoom (issue 15): in the automatic mode the choropleth is the level whose /api/meta
// `levels[].band` holds the zoom (gemeenten at low zoom, wijken in the middle, buurten close up),
// each area drawn in the colour of its MDI decile as `/api/areas/{code}` gives it (independent of
// the tiles); the level control (#level, permalink `lvl`) fixes a level at every zoom; a domain
// view is drawn per buurt whatever the level, and the legend says so. Run: node --test web/e2e/
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as e2e from './harness.mjs';
import { domainWithData } from './expect.mjs';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const TEST_TIMEOUT = 240_000;
const LABEL = 'levels';

let h;
let meta;
let page;
let Y;
let noBands = null;

before(async () => {
  ({ h, meta, page, year: Y } = await e2e.openApp('levels', LABEL, { dense: false }));
  if (meta && !meta.levels.some((l) => l.band)) noBands = `the atlas' /api/meta levels carry no band (tiled before level bands)`;
});
after(async () => { await h?.close(); });

/** Skip a test without prerequisites or without bands (printed). */
function skip(t) {
  if (h.skip(t)) return true;
  if (noBands) {
    console.log(`SKIPPED: levels: ${noBands}`);
    t.skip(noBands);
    return true;
  }
  return false;
}

/** Where to look: the demo's centre, or the most populous gemeente of another atlas. */
async function centre() {
  const area = await h.denseArea();
  const [w, s, e, n] = area?.bbox ?? meta.bounds;
  return [(w + e) / 2, (s + n) / 2];
}

async function jump(z) {
  await page.evaluate(([c, z]) => window.mdi.map.jumpTo({ center: c, zoom: z }), [await centre(), z]);
  await e2e.settle(page);
  await page.waitForFunction(() => window.mdi.map.loaded(), null, { timeout: 30_000 });
}

/** The fill layers with rendered features in view: {layer id: count}. */
const drawnFills = () => page.evaluate(() => {
  const map = window.mdi.map;
  const out = {};
  for (const l of map.getStyle().layers) {
    if (l.type !== 'fill' || !l.id.endsWith('-fill')) continue;
    const n = map.queryRenderedFeatures({ layers: [l.id] }).length;
    if (n) out[l.id] = n;
  }
  return out;
});

/** The MDI decile of year Y of an area, from /api/areas (cached). */
const apiCache = new Map();
async function apiDecile(code) {
  if (!apiCache.has(code)) apiCache.set(code, h.api(`/api/areas/${encodeURIComponent(code)}`));
  const a = await apiCache.get(code);
  return a.years.find((y) => y.year === Y)?.mdi?.decile ?? null;
}

/**
 * The areas of `layer` drawn in view, each with the API decile of its code (features of the
 * `minimal` property set carry no code: the server's /api/point names the area at a probe
 * point), classified to the legend by their pixels. Returns probeColours' result.
 */
async function probeLevel(layer) {
  const levelLayer = layer.replace(/-fill$/, '');
  const feats = await e2e.renderedFeatures(page, { layer, margin: 4, minPoints: 3, keep: e2e.PROBE_PROPS });
  const expected = new Map();
  for (const f of feats) {
    let code = f.props.code;
    if (!code) {
      const [lon, lat] = await page.evaluate(([x, y]) => {
        const r = window.mdi.map.getCanvas().getBoundingClientRect();
        const p = window.mdi.map.unproject([x - r.left, y - r.top]);
        return [p.lng, p.lat];
      }, f.points[0]);
      const pt = await h.api(`/api/point?lon=${lon}&lat=${lat}`);
      code = pt.areas.find((a) => a.level === levelLayer)?.code;
    }
    if (code) expected.set(f.id, await apiDecile(code));
  }
  return e2e.probeColours(page, (_props, id) => expected.get(id) ?? null, { layer, hideLabels: true });
}

test('automatic: gemeenten at low zoom, wijken in the middle, buurten close up, each in the colour of its /api/areas decile', { timeout: TEST_TIMEOUT }, async (t) => {
  if (skip(t)) return;
  assert.equal((await e2e.state(page)).level, 'auto', 'the level mode starts automatic');
  assert.equal(await page.$eval('#level', (el) => el.value), 'auto');
  const levels = meta.levels.filter((l) => l.band);
  for (const l of [...levels].reverse()) {
    // near the upper end of the band, where the areas are largest on screen (floor(z) in the
    // band), but no more than 3.5 zooms into it: enough buurten in view to probe
    const z = Math.min(l.band.max + 0.9, l.band.min + 3.5);
    await jump(z);
    const drawn = await drawnFills();
    assert.deepEqual(Object.keys(drawn), [`${l.layer}-fill`], `at z${z} (band of ${l.layer}: ${l.band.min}–${l.band.max}) the fills drawn are ${JSON.stringify(drawn)}`);
    const title = await page.textContent('#legend-title');
    assert.ok(title.startsWith(`${l.name} · `), `at z${z} the legend title "${title}" does not name ${l.name}`);
    const p = await probeLevel(`${l.layer}-fill`);
    assert.ok(p.checked >= Math.min(3, l.areas), `only ${p.checked} ${l.layer} probed at z${z}`);
    assert.equal(p.mismatches.length, 0, `${l.layer} at z${z}: ${e2e.describeMismatches(p)}`);
    console.log(`levels: z${z}: ${p.checked} ${l.layer} probed, each in the colour of its /api/areas decile`);
    await h.screenshot(page, `desktop-level-${l.layer}.png`);
  }
});

test('the level control: a fixed wijk at a buurt zoom draws wijken (colours = /api/areas), no tile requested, permalink lvl=wijk; a domain is drawn per buurt and the legend says so', { timeout: TEST_TIMEOUT }, async (t) => {
  if (skip(t)) return;
  const unit = meta.levels[0];
  const wijk = meta.levels[1];
  if (!wijk) return t.skip('the atlas has one level');
  await jump(Math.min(unit.band?.max ?? 12, 12) + 0.5);
  assert.deepEqual(Object.keys(await drawnFills()), [`${unit.layer}-fill`]);
  const tiles0 = h.tileRequests(LABEL).length;
  await e2e.choose(page, '#level', wijk.id);
  await e2e.waitState(page, '(s, l) => s.level === l', wijk.id);
  await e2e.settle(page);
  await sleep(300);
  await e2e.settle(page);
  assert.deepEqual(Object.keys(await drawnFills()), [`${wijk.layer}-fill`], 'a fixed wijk level at a buurt zoom');
  assert.equal(h.tileRequests(LABEL).length, tiles0, 'switching the level requested tiles');
  const title = await page.textContent('#legend-title');
  assert.ok(title.startsWith(`${wijk.name} · `), `legend title "${title}"`);
  const p = await probeLevel(`${wijk.layer}-fill`);
  assert.ok(p.checked >= 3, `only ${p.checked} wijken probed`);
  assert.equal(p.mismatches.length, 0, e2e.describeMismatches(p));
  const url = await e2e.waitUrl(page, (u) => u.searchParams.get('lvl') === wijk.id);

  // the permalink restores the level
  const fresh = await h.newPage({ label: `${LABEL}-permalink` });
  await h.open(fresh, `${url.search}${url.hash}`);
  assert.equal((await e2e.state(fresh)).level, wijk.id);
  assert.equal(await fresh.$eval('#level', (el) => el.value), wijk.id);
  assert.ok(await fresh.evaluate((id) => window.mdi.map.queryRenderedFeatures({ layers: [id] }).length > 0, `${wijk.layer}-fill`), 'the permalink does not draw wijken');
  await fresh.close();

  // a domain exists per buurt only: buurten are drawn and the notice says so
  const D = domainWithData(meta, Y);
  await e2e.choose(page, '#variable', D);
  await e2e.waitState(page, '(s, d) => s.variable === d', D);
  await e2e.settle(page);
  assert.deepEqual(Object.keys(await drawnFills()), [`${unit.layer}-fill`], `a domain map with the wijk level fixed`);
  const notice = await page.$eval('#notice', (el) => (el.hidden ? '' : el.textContent));
  assert.match(notice, new RegExp(unit.name.toLowerCase()), `the notice "${notice}" does not say the map is per ${unit.layer}`);
  assert.equal(h.tileRequests(LABEL).length, tiles0, 'the domain switch requested tiles');

  // back to the MDI and automatic
  await e2e.choose(page, '#variable', 'mdi');
  await e2e.choose(page, '#level', 'auto');
  await e2e.waitState(page, '(s) => s.level === "auto" && s.variable === "mdi"');
  await e2e.settle(page);
  assert.deepEqual(Object.keys(await drawnFills()), [`${unit.layer}-fill`]);
});

test('hover and click work on a gemeente drawn at low zoom: tooltip decile and panel = /api/areas', { timeout: TEST_TIMEOUT }, async (t) => {
  if (skip(t)) return;
  const top = meta.levels.at(-1);
  if (!top.band) return t.skip('the top level has no band');
  await jump(top.band.max + 0.9);
  const feats = await e2e.renderedFeatures(page, { layer: `${top.layer}-fill`, margin: 6, minPoints: 3, keep: '^code$' });
  const f = feats.find((x) => x.props.code) ?? feats[0];
  assert.ok(f, 'no gemeente drawn');
  const [x, y] = f.points[0];
  await page.mouse.move(x, y);
  await page.waitForFunction(() => !document.getElementById('tooltip').hidden, null, { timeout: 10_000 });
  await page.mouse.click(x, y);
  await page.waitForFunction(() => !document.getElementById('panel').hidden && document.querySelector('#panel [data-field=code]'), null, { timeout: 15_000 });
  const code = await page.$eval('#panel [data-field=code]', (el) => el.textContent.trim());
  assert.ok(code.startsWith(top.code_prefix), `clicking a ${top.layer} polygon opened ${code}`);
  const d = await apiDecile(code);
  const tip = await page.$eval('#tooltip', (el) => el.dataset.value);
  assert.equal(tip, d === null ? '' : String(d), `the tooltip's decile of ${code}`);
  await page.click('#panel-close');
});

test('the app\'s style passes the MapLibre style validator in every level mode and view (the app skips validation at run time)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const D = domainWithData(meta, Y);
  const w = Object.fromEntries(meta.domains.map((d, i) => [d.id, i === 0 ? d.weight * 3 : d.weight]));
  const states = [
    { variable: 'mdi', view: 'value' },
    { variable: D },
    { variable: 'domains_in_worst_decile' },
    { variable: 'mdi', view: 'change' },
    { view: 'persistence' },
    { view: 'clusters' },
    { view: 'value', weights: w },
    ...['auto', ...meta.levels.map((l) => l.id)].map((level) => ({ weights: null, level })),
    { level: 'auto' },
  ];
  let checked = 0;
  for (const st of states) {
    await page.evaluate((st) => window.mdi.setState(st), st);
    const style = await page.evaluate(() => window.mdi.map.getStyle());
    const errors = validateStyleMin(style);
    assert.deepEqual(errors.map((e) => e.message), [], `the style after setState(${JSON.stringify(st)})`);
    checked++;
  }
  console.log(`levels: the style validated in ${checked} states`);
});

test('nothing left 127.0.0.1', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
});
