// Search (keyboard: type, ArrowDown, Enter) flies to the area and selects it; the gemeente
// panel (share of the worst decile, class shares); a permalink restores the whole view.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
import { domainWithData, panelProblems, readPanel, waitPanel } from './expect.mjs';

let h;
let meta;
let page;
const LABEL = 'search';

before(async () => {
  ({ h, meta, page } = await e2e.openApp('search-permalink', LABEL));
});
after(async () => { await h?.close(); });

const mapView = (p) => p.evaluate(() => {
  const m = window.mdi.map;
  const c = m.getCenter();
  return { lon: c.lng, lat: c.lat, zoom: m.getZoom() };
});

/**
 * Type `query` into #search, check the options against /api/search, choose the first with
 * ArrowDown + Enter, wait for the flight to end. Returns the API's first result.
 */
async function searchAndChoose(query) {
  const api = await h.api(`/api/search?q=${encodeURIComponent(query)}`);
  assert.ok(api.results.length > 0, `/api/search?q=${query} found nothing`);
  const target = api.results[0];
  assert.equal(await page.getAttribute('#search', 'role'), 'combobox', '#search role');
  await page.click('#search');
  await page.fill('#search', '');
  await page.keyboard.type(query, { delay: 20 });
  await page.waitForFunction((code) => {
    const o = document.querySelector('#search-results li[role="option"]');
    return o && o.getAttribute('data-code') === code;
  }, target.code, { timeout: 10_000 }).catch(() => {});
  const options = await page.$$eval('#search-results li[role="option"]', (els) => els.map((e) => e.getAttribute('data-code')));
  assert.equal(await page.getAttribute('#search-results', 'role'), 'listbox', '#search-results role');
  assert.deepEqual(options, api.results.slice(0, options.length).map((r) => r.code),
    `search options differ from /api/search?q=${query} (in order)`);
  assert.ok(options.length >= Math.min(api.results.length, 5), `only ${options.length} options shown of ${api.results.length}`);
  const before = await mapView(page);
  await page.keyboard.press('ArrowDown');
  const active = await page.evaluate(() => {
    const input = document.getElementById('search');
    const id = input.getAttribute('aria-activedescendant');
    const el = (id && document.getElementById(id)) || document.querySelector('#search-results [aria-selected="true"]');
    return el ? el.getAttribute('data-code') : null;
  });
  assert.equal(active, target.code, 'ArrowDown does not make the first option active (aria-activedescendant / aria-selected)');
  await page.keyboard.press('Enter');
  await e2e.waitState(page, '(s, c) => s.selected === c', target.code, 20_000);
  // the state names the area at once; the flight starts when its details have come (the panel
  // shows them in the same task), so wait for the panel before waiting for the map to stop
  await waitPanel(page, target.code, 20_000);
  await page.waitForFunction(() => !window.mdi.map.isMoving(), null, { timeout: 20_000 });
  await e2e.settle(page);
  return { target, before };
}

function assertInside(view, bbox, what) {
  const [w, s, e, n] = bbox;
  assert.ok(view.lon >= w && view.lon <= e && view.lat >= s && view.lat <= n,
    `${what}: map centre ${view.lon.toFixed(5)}, ${view.lat.toFixed(5)} outside the area's bbox ${bbox.map((v) => v.toFixed(5))}`);
}

test('search flies to a buurt typed by name and selects it', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  // a buurt whose full name is its own best result
  const some = (await h.api('/api/search?q=akker&limit=50')).results.filter((r) => r.level === 'buurten');
  let name = null;
  for (const r of some) {
    const res = await h.api(`/api/search?q=${encodeURIComponent(r.name)}`);
    if (res.results[0].code === r.code) { name = r.name; break; }
  }
  assert.ok(name, 'no buurt found that is the first result for its own name');
  const { target, before } = await searchAndChoose(name);
  const view = await mapView(page);
  assertInside(view, target.bbox, `search "${name}"`);
  assert.ok(view.zoom > before.zoom, `zoom did not increase (${before.zoom} → ${view.zoom})`);
  // the buurt fills a good part of the view: the bbox's width is at least 1/8 of the map
  const span = await page.evaluate((b) => {
    const m = window.mdi.map;
    const a = m.project([b[0], b[1]]);
    const c = m.project([b[2], b[3]]);
    return { w: Math.abs(c.x - a.x), h: Math.abs(c.y - a.y), cw: m.getCanvas().clientWidth, ch: m.getCanvas().clientHeight };
  }, target.bbox);
  assert.ok(span.w >= span.cw / 8 || span.h >= span.ch / 8, `after the flight the buurt is only ${span.w.toFixed(0)}×${span.h.toFixed(0)} px`);
  await waitPanel(page, target.code);
  const area = await h.api(`/api/areas/${target.code}`);
  const Y = (await e2e.state(page)).year;
  const problems = panelProblems(await readPanel(page), area, Y);
  assert.deepEqual(problems, [], `panel after search:\n  ${problems.join('\n  ')}`);
  const u = await e2e.waitUrl(page, (u) => u.searchParams.get('sel') === target.code);
  assert.match(u.hash, /^#map=/, 'URL has no #map= hash');
  const fs = await page.evaluate((id) => window.mdi.map.getFeatureState({ source: 'mdi', sourceLayer: 'buurten', id }), target.id);
  assert.equal(fs.selected, true, 'the found buurt has no feature-state selected');
});

test('search by code (lower case) finds a wijk; the gemeente panel shows its shares', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const wijk = (await h.api(`/api/search?q=${h.demo ? 'WK99' : `${meta.levels[1].code_prefix}0`}&limit=5`)).results.find((r) => r.level === 'wijken');
  const { target } = await searchAndChoose(wijk.code.toLowerCase());
  assert.equal(target.code, wijk.code);
  assertInside(await mapView(page), target.bbox, `search ${wijk.code.toLowerCase()}`);
  await waitPanel(page, target.code);
  const Y = (await e2e.state(page)).year;
  const wa = await h.api(`/api/areas/${target.code}`);
  const pw = panelProblems(await readPanel(page), wa, Y);
  assert.deepEqual(pw, [], `wijk panel:\n  ${pw.join('\n  ')}`);

  const gm = (await h.api(`/api/areas/${target.code}`)).parents.find((p) => p.level === 'gemeenten');
  const { target: g } = await searchAndChoose(gm.name);
  assert.equal(g.code, gm.code, `/api/search "${gm.name}" should find the gemeente first`);
  assertInside(await mapView(page), g.bbox, `search "${gm.name}"`);
  await waitPanel(page, g.code);
  const ga = await h.api(`/api/areas/${g.code}`);
  const panel = await readPanel(page);
  const pg = panelProblems(panel, ga, Y);
  assert.deepEqual(pg, [], `gemeente panel:\n  ${pg.join('\n  ')}`);
  const y = ga.years.find((r) => r.year === Y);
  assert.ok(panel.fields['share-worst'], 'gemeente panel has no [data-field=share-worst]');
  assert.ok(Math.abs(Number(panel.fields['share-worst'].value) - y.share_worst_decile) < 1e-9,
    `share-worst ${panel.fields['share-worst'].value}, API ${y.share_worst_decile}`);
  // "half of Almelo": the share is shown as a percentage in the text
  const pct = Math.round(100 * y.share_worst_decile);
  assert.match(panel.fields['share-worst'].text, new RegExp(`\\b(${pct}|${(100 * y.share_worst_decile).toFixed(1).replace('.', '[.,]')})\\s*%`),
    `share-worst text "${panel.fields['share-worst'].text}" does not show ${pct} %`);
  if (Array.isArray(y.shares)) {
    const sum = Object.values(panel.shares).reduce((a, v) => a + Number(v), 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `class shares sum to ${sum}`);
  } else {
    t.diagnostic('the API gives no `shares` for gemeenten yet: #class-shares not compared');
  }
  await e2e.parkMouse(page);
  await h.screenshot(page, 'desktop-gemeente-panel.png');
});

test('a permalink restores variable, year, view, palette, weights, selection, language and camera', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  // set a non-default view through the UI: a domain with data in year y (the demo's: werk)
  const y = meta.years[Math.min(3, meta.years.length - 1)];
  const V = domainWithData(meta, y, 1);
  await e2e.choose(page, '#year', y);
  await e2e.choose(page, '#variable', V);
  await e2e.choose(page, '#palette', 'cividis');
  const { target } = await searchAndChoose(h.demo ? (await h.api('/api/search?q=BU9903&limit=1')).results[0].code : await buurtInView(V, y));
  await page.evaluate(([lon, lat]) => window.mdi.map.jumpTo({ center: [lon, lat], zoom: 12.25 }), [
    (target.bbox[0] + target.bbox[2]) / 2, (target.bbox[1] + target.bbox[3]) / 2]);
  await e2e.settle(page);
  // the URL leaves out the default year (the last); the demo's y is another
  const url = await e2e.waitUrl(page, (u) => u.searchParams.get('v') === V && (u.searchParams.get('y') ?? String(meta.years.at(-1))) === String(y)
    && u.searchParams.get('pal') === 'cividis' && u.searchParams.get('sel') === target.code && /^#map=12\.2[45]?\//.test(u.hash));
  const s1 = await e2e.state(page);
  const v1 = await mapView(page);
  const legend1 = await e2e.legend(page);
  const title1 = await page.textContent('#legend-title');

  const fresh = await h.newPage({ label: 'permalink' });
  await h.open(fresh, url.href.slice(h.origin.length + 1));
  await waitPanel(fresh, target.code);
  await e2e.settle(fresh);
  const s2 = await e2e.state(fresh);
  assert.deepEqual(s2, s1, 'state() after opening the permalink');
  const v2 = await mapView(fresh);
  assert.ok(Math.abs(v2.zoom - v1.zoom) < 0.01, `zoom ${v2.zoom} ≠ ${v1.zoom}`);
  assert.ok(Math.abs(v2.lon - v1.lon) < 1e-3 && Math.abs(v2.lat - v1.lat) < 1e-3, `centre ${v2.lon},${v2.lat} ≠ ${v1.lon},${v1.lat}`);
  assert.deepEqual((await e2e.legend(fresh)).map((i) => [i.cls, i.hex]), legend1.map((i) => [i.cls, i.hex]), 'legend after the permalink');
  assert.equal(await fresh.textContent('#legend-title'), title1, 'legend title after the permalink');
  assert.equal(await fresh.inputValue('#variable'), V);
  assert.equal(await fresh.inputValue('#year'), String(y));
  assert.equal(await fresh.inputValue('#palette'), 'cividis');
  const area = await h.api(`/api/areas/${target.code}`);
  const problems = panelProblems(await readPanel(fresh), area, y);
  assert.deepEqual(problems, [], `panel after the permalink:\n  ${problems.join('\n  ')}`);
  // what is drawn follows the restored state too (V, year y, cividis)
  const p = await e2e.probeColours(fresh, (props) => props[`${V}_decile_${y}`] ?? null);
  assert.ok(p.checked >= 10 && p.mismatches.length <= 0.02 * p.checked, `after the permalink: ${e2e.describeMismatches(p)}`);
  await fresh.context().close();

  // the change view and English
  await e2e.choose(page, '#view', 'change');
  await e2e.choose(page, '#compare-year', meta.years[0]);
  await setLang(page, 'en');
  const url2 = await e2e.waitUrl(page, (u) => u.searchParams.get('lang') === 'en' && u.searchParams.get('view') === 'change'
    && u.searchParams.get('cy') === String(meta.years[0]));
  await e2e.settle(page);
  const s3 = await e2e.state(page);
  const legend3 = (await e2e.legend(page)).map((i) => [i.cls, i.hex]);
  const fresh2 = await h.newPage({ label: 'permalink2' });
  await h.open(fresh2, url2.href.slice(h.origin.length + 1));
  await e2e.settle(fresh2);
  assert.deepEqual(await e2e.state(fresh2), s3, 'state() after the permalink of a change view in English');
  assert.equal(await fresh2.getAttribute('html', 'lang'), 'en', '<html lang> after the permalink with lang=en');
  assert.equal(await fresh2.inputValue('#view'), 'change');
  assert.equal(await fresh2.inputValue('#compare-year'), String(meta.years[0]));
  assert.deepEqual((await e2e.legend(fresh2)).map((i) => [i.cls, i.hex]), legend3, 'change legend after the permalink');
  await fresh2.context().close();

  // re-weighted: a domain with data in year y at its maximum (the demo's: inkomen)
  const W = domainWithData(meta, y);
  const breaksSeen = h.requests.filter((r) => r.page === LABEL && /\/api\/breaks\?/.test(r.url)).length;
  await page.evaluate((id) => {
    const el = document.querySelector(`#weights input[type=range][data-domain="${id}"]`);
    el.value = el.max;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, W);
  await e2e.waitState(page, '(s) => s.weights !== null');
  const url3 = await e2e.waitUrl(page, (u) => new RegExp(`${W}:`).test(u.searchParams.get('w') ?? ''));
  // (the static site computes the breaks in the page: no request per weights)
  if (h.static) await page.waitForFunction(() => !window.mdi.busy(), null, { timeout: 20_000 });
  else await h.waitRequests(LABEL, /\/api\/breaks\?/, breaksSeen);
  await e2e.settle(page);
  const s5 = await e2e.state(page);
  const legend5 = (await e2e.legend(page)).map((i) => [i.cls, i.hex]);
  const fresh3 = await h.newPage({ label: 'permalink3' });
  await h.open(fresh3, url3.href.slice(h.origin.length + 1));
  if (!h.static) await h.waitRequests('permalink3', /\/api\/breaks\?/, 0);
  await e2e.settle(fresh3);
  const s6 = await e2e.state(fresh3);
  assert.ok(s6.weights, 'weights not restored from the permalink');
  for (const d of meta.domains) {
    assert.ok(Math.abs(s6.weights[d.id] - s5.weights[d.id]) < 1e-3, `weight ${d.id}: ${s6.weights[d.id]} after the permalink, ${s5.weights[d.id]} before`);
  }
  assert.deepEqual({ ...s6, weights: null }, { ...s5, weights: null }, 'state() after the permalink with weights');
  assert.deepEqual((await e2e.legend(fresh3)).map((i) => [i.cls, i.hex]), legend5, 'legend after the permalink with weights');
  await fresh3.context().close();
});

/**
 * Another atlas than the demo: the code of a buurt in view (Harness.focusDense) with a decile
 * of `variable` in `year`, so that the permalink's map has something to compare.
 */
async function buurtInView(variable, year) {
  await h.focusDense(page);
  const feats = await e2e.renderedFeatures(page, { margin: 4, minPoints: 3, keep: `^code$|^${variable}_decile_${year}$` });
  const f = feats.filter((x) => Number.isInteger(x.props[`${variable}_decile_${year}`])).sort((a, b) => b.inner - a.inner)[0];
  assert.ok(f, `no buurt in view with ${variable}_decile_${year}`);
  return f.props.code;
}

async function setLang(p, lang) {
  const tag = await p.$eval('#lang', (el) => el.tagName);
  if (tag === 'SELECT') await p.selectOption('#lang', lang);
  else if ((await p.getAttribute('html', 'lang')) !== lang) await p.click('#lang');
  await e2e.waitState(p, '(s, l) => s.lang === l', lang);
}

test('no request left 127.0.0.1 and no page errors (search, permalink)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, [], 'uncaught errors in the page');
});
