// The map: buurten coloured by decile, switching variable/year/view/palette with zero tile
// requests, hover feature-state and tooltip, a click opening the panel with the API's figures,
// Escape closing it; desktop screenshots. Run: node --test web/e2e/
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
import { domainWithData, expectedValue, panelProblems, readPanel, waitPanel } from './expect.mjs';

let h;
let page;
let meta;
let Y; // the year shown at start
const LABEL = 'map';

before(async () => {
  ({ h, meta, page, year: Y } = await e2e.openApp('map', LABEL));
});
after(async () => { await h?.close(); });

/** Mismatch share allowed in a pixel probe: label text and outlines may cover a probe point. */
const MAX_MISMATCH = 0.02;

async function assertDrawn(what, expect, { minChecked = 200 } = {}) {
  const p = await e2e.probeColours(page, expect);
  assert.ok(p.checked >= minChecked, `${what}: only ${p.checked} buurten could be probed (want ≥ ${minChecked})`);
  assert.ok(p.mismatches.length <= MAX_MISMATCH * p.checked, `${what}: ${e2e.describeMismatches(p)}`);
  return p;
}

test('the map renders (nearly) all demo buurten, coloured by decile (1 = most deprived)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const nBuurten = meta.levels[0].areas;
  assert.equal(meta.levels[0].layer, 'buurten');
  assert.equal(Y, meta.years.at(-1), 'the map starts at the latest year');
  let ids = await e2e.renderedIds(page);
  // Another atlas (MDI_E2E_ATLAS, the national one) has far more buurten than one view shows.
  const all = !h.demoOnly(null, 'rendering (nearly) every buurt of the atlas in one view');
  if (all && ids.length < 0.95 * nBuurten) {
    await page.evaluate((b) => window.mdi.map.fitBounds(b, { padding: 10, animate: false }), meta.bounds);
    await e2e.settle(page);
    ids = await e2e.renderedIds(page);
  }
  if (all) assert.ok(ids.length >= 0.95 * nBuurten, `queryRenderedFeatures(buurten-fill) gave ${ids.length} buurten of ${nBuurten}`);
  assert.ok(ids.every(([, code]) => /^BU/.test(code)), 'buurten-fill holds features that are not buurten');

  // the legend: deciles 1..10, distinct colours, darker = more deprived (decile 1 darkest), direction in words
  const items = await e2e.legend(page);
  assert.deepEqual([...items.map((i) => i.lo)].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'legend data-class values');
  assert.ok(items.every((i) => i.color), `legend items without a hex data-color: ${items.filter((i) => !i.color).map((i) => i.hex)}`);
  const byClass = [...items].sort((a, b) => a.lo - b.lo);
  for (let k = 1; k < byClass.length; k++) {
    assert.ok(e2e.luminance(byClass[k - 1].color) < e2e.luminance(byClass[k].color),
      `decile ${byClass[k - 1].cls} (${byClass[k - 1].hex}) is not darker than decile ${byClass[k].cls} (${byClass[k].hex}): darker must mean more deprived`);
  }
  const legendText = await page.textContent('#legend');
  assert.match(legendText, /10/);
  assert.match(legendText, /achterstand/i, 'the Dutch legend says which way the scale runs ("meeste achterstand")');

  // every probed buurt is drawn in the legend colour of its decile mdi_decile_Y
  const p = await assertDrawn('MDI map', (props) => expectedValue(props, { year: Y }), { minChecked: all ? 0.8 * nBuurten : 100 });

  // a sample spread over the classes, checked against the API: the point probed is inside the
  // buurt (/api/point) and the API's decile gives the colour drawn there
  const sample = [];
  for (let c = 1; c <= 10; c++) {
    const r = p.result.find((x) => x.share === 1 && expectedValue(x.props, { year: Y }) === c);
    if (r) sample.push(r);
  }
  assert.ok(sample.length >= 8, `only ${sample.length} classes have a cleanly probed buurt`);
  for (const r of sample) {
    const [x, y] = r.points[0];
    const ll = await page.evaluate(([x, y]) => {
      const rect = window.mdi.map.getCanvas().getBoundingClientRect();
      const l = window.mdi.map.unproject([x - rect.left, y - rect.top]);
      return [l.lng, l.lat];
    }, [x, y]);
    const hit = await h.api(`/api/point?lon=${ll[0]}&lat=${ll[1]}`);
    assert.equal(hit.areas[0]?.code, r.props.code, `pixel (${x}, ${y}) = ${ll} lies in ${hit.areas[0]?.code} per /api/point, but the map has ${r.props.code} there`);
    const area = await h.api(`/api/areas/${r.props.code}`);
    const d = area.years.find((v) => v.year === Y).mdi.decile;
    assert.equal(r.item.cls, String(d), `${r.props.code}: drawn as decile ${r.item.cls}, the API's decile is ${d}`);
  }
  await h.screenshot(page, 'desktop-mdi.png');
});

test('switching domain, year, view and palette recolours with zero new tile requests', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  await e2e.settle(page);
  await h.serverLogSynced();
  const tiles0 = h.tileRequests(LABEL).length;
  const server0 = h.serverTileRequests();
  assert.ok(tiles0 > 0, 'no tile request was logged at all: the request log is broken');
  assert.equal(tiles0, server0, `the browser logged ${tiles0} tile requests, the server's access log ${server0}: the browser-side log misses some`);
  const noNewTiles = async (what) => {
    // the app has applied the change (its fetches and debounced recolour are done), the map has
    // drawn it and is idle (no tile loading), and the server's log has caught up: a request the
    // change caused is in both logs by now
    await page.waitForFunction(() => !window.mdi.busy(), null, { timeout: 20_000 });
    await e2e.settle(page);
    await h.serverLogSynced();
    const now = h.tileRequests(LABEL);
    assert.equal(now.length, tiles0, `${what}: ${now.length - tiles0} new tile request(s): ${now.slice(tiles0).map((r) => r.url).join(', ')}`);
    assert.equal(h.serverTileRequests(), server0, `${what}: the server's access log shows new tile requests`);
  };
  const legendTitle = () => page.textContent('#legend-title');
  const title0 = await legendTitle();
  const before = await e2e.probeColours(page, (props) => expectedValue(props, { year: Y }));
  // a domain with data in Y (/api/meta year_info; the demo's first, inkomen)
  const D = domainWithData(meta, Y);

  await t.test(`domain: ${D}`, async () => {
    await e2e.choose(page, '#variable', D);
    await e2e.waitState(page, '(s, d) => s.variable === d', D);
    await noNewTiles(`switch to ${D}`);
    assert.notEqual(await legendTitle(), title0, 'the legend title did not change with the variable');
    const p = await assertDrawn(`${D} map`, (props) => expectedValue(props, { variable: D, year: Y }));
    // pixels changed wherever the domain class differs from the MDI class
    const was = new Map(before.result.map((r) => [r.id, r.item.cls]));
    const differ = p.result.filter((r) => was.has(r.id) && expectedValue(r.props, { variable: D, year: Y }) !== expectedValue(r.props, { year: Y }));
    assert.ok(differ.length >= 50, `only ${differ.length} buurten differ between MDI and ${D}: a weak test`);
    const recoloured = differ.filter((r) => r.item.cls !== was.get(r.id));
    assert.ok(recoloured.length >= 0.95 * differ.length, `${differ.length - recoloured.length} of ${differ.length} buurten kept their MDI colour after switching to ${D}`);
    assert.equal(new URL(page.url()).searchParams.get('v'), D, 'URL parameter v');
  });

  await t.test('domains in the worst decile (0–7)', async () => {
    await e2e.choose(page, '#variable', 'domains_in_worst_decile');
    await noNewTiles('switch to domains_in_worst_decile');
    const items = await e2e.legend(page);
    assert.deepEqual(items.map((i) => i.lo).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], 'legend classes 0–7');
    await assertDrawn('domains-in-worst-decile map', (props) => expectedValue(props, { variable: 'domains_in_worst_decile', year: Y }), { minChecked: 100 });
  });

  const y0 = meta.years[0];
  await t.test(`year: ${y0}`, async () => {
    await e2e.choose(page, '#variable', 'mdi');
    await e2e.choose(page, '#year', y0);
    await e2e.waitState(page, '(s, y) => s.year === y && s.variable === "mdi"', y0);
    await noNewTiles(`switch to ${y0}`);
    assert.match(await legendTitle(), new RegExp(String(y0)), 'the legend title names the year');
    const p = await assertDrawn(`MDI ${y0}`, (props) => expectedValue(props, { year: y0 }));
    const changed = p.result.filter((r) => expectedValue(r.props, { year: y0 }) !== expectedValue(r.props, { year: Y }));
    assert.ok(changed.length >= 20, `only ${changed.length} buurten change class between ${y0} and ${Y}: a weak test`);
    assert.equal(new URL(page.url()).searchParams.get('y'), String(y0), 'URL parameter y');
  });

  await t.test('view: change between two years (diverging, negative = lower decile = more deprived)', async () => {
    await e2e.choose(page, '#year', Y);
    await e2e.choose(page, '#view', 'change');
    await e2e.choose(page, '#compare-year', y0);
    await e2e.waitState(page, '(s, a) => s.view === "change" && s.compareYear === a[0] && s.year === a[1]', [y0, Y]);
    await noNewTiles('switch to the change view');
    const items = await e2e.legend(page);
    assert.equal(items.length, 7, `change legend has ${items.length} classes, expected 7 (≤−3 … ≥+3)`);
    const up = e2e.legendItemFor(items, 3);
    const down = e2e.legendItemFor(items, -3);
    assert.ok(up && down && up !== down, 'legend has no ≥+3 / ≤−3 classes');
    // Δ decile = d_y − d_cy: −3 = three deciles lower = more deprived = orange (more red than
    // blue); +3 = less deprived = purple
    assert.ok(down.color[0] > down.color[2], `−3 (more deprived) should be orange, is ${down.hex}`);
    assert.ok(up.color[2] > up.color[1], `+3 (less deprived) should be purple, is ${up.hex}`);
    const note = await page.textContent('#legend');
    assert.match(note, /lager deciel = meer achterstand/, `the change legend must say that a lower decile is more deprived: "${note}"`);
    await assertDrawn('change map', (props) => expectedValue(props, { view: 'change', year: Y, compareYear: y0 }));
  });

  await t.test('view: persistence (years in decile 1)', async () => {
    await e2e.choose(page, '#view', 'persistence');
    await e2e.waitState(page, '(s) => s.view === "persistence"');
    await noNewTiles('switch to the persistence view');
    const items = await e2e.legend(page);
    const T = meta.years.length;
    assert.ok(e2e.legendItemFor(items, T)?.hi >= T && e2e.legendItemFor(items, 0)?.lo <= 0, `persistence legend does not span 0..${T}`);
    await assertDrawn('persistence map', (props) => expectedValue(props, { view: 'persistence', years: meta.years }), { minChecked: 100 });
    assert.match(await page.textContent('#legend'), /\d/, 'the legend says how many buurten are persistently deprived');
  });

  await t.test('palette: viridis', async () => {
    await e2e.choose(page, '#view', 'value');
    const yl = await e2e.legend(page);
    await e2e.choose(page, '#palette', 'viridis');
    await e2e.waitState(page, '(s) => s.palette === "viridis" && s.view === "value"');
    await noNewTiles('switch to viridis');
    const vi = await e2e.legend(page);
    assert.equal(vi.length, 10);
    assert.ok(vi.filter((it, i) => it.hex.toLowerCase() !== yl[i].hex.toLowerCase()).length >= 9, 'viridis legend colours equal the YlOrRd ones');
    const byClass = [...vi].sort((a, b) => a.lo - b.lo);
    assert.ok(e2e.luminance(byClass[0].color) < e2e.luminance(byClass[9].color), 'viridis: decile 1 must be darker than decile 10');
    await assertDrawn('viridis MDI map', (props) => expectedValue(props, { year: Y }));
    assert.equal(new URL(page.url()).searchParams.get('pal'), 'viridis', 'URL parameter pal');
    await e2e.choose(page, '#palette', 'ylorrd');
  });
  await noNewTiles('all switches');
});

/** A large, central buurt with clean interior points and an MDI in every year (for hover and click). */
async function bigBuurt(skipCodes = []) {
  const feats = await e2e.renderedFeatures(page, { margin: 6, minPoints: 5 });
  const vp = page.viewportSize();
  const cands = feats.filter((f) => !f.props.nodata && meta.years.every((y) => f.props[`mdi_decile_${y}`]) && !skipCodes.includes(f.props.code));
  cands.sort((a, b) => (b.inner - Math.hypot(b.points[0][0] - vp.width / 2, b.points[0][1] - vp.height / 2) / 20)
    - (a.inner - Math.hypot(a.points[0][0] - vp.width / 2, a.points[0][1] - vp.height / 2) / 20));
  assert.ok(cands.length > 0, 'no buurt with clean interior points');
  return cands[0];
}

const featureState = (id) => page.evaluate((id) => window.mdi.map.getFeatureState({ source: 'mdi', sourceLayer: 'buurten', id }), id);

test('hover sets feature-state hover and shows a tooltip with the name', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  await e2e.parkMouse(page);
  const a = await bigBuurt();
  const b = await bigBuurt([a.props.code]);
  assert.notEqual((await featureState(a.id)).hover, true, 'hover state set before hovering');
  await page.mouse.move(a.points[0][0] - 3, a.points[0][1], { steps: 1 });
  await page.mouse.move(a.points[0][0], a.points[0][1], { steps: 3 });
  await page.waitForFunction((id) => window.mdi.map.getFeatureState({ source: 'mdi', sourceLayer: 'buurten', id }).hover === true, a.id, { timeout: 5000 })
    .catch(() => {});
  assert.equal((await featureState(a.id)).hover, true, `feature-state of ${a.props.code} (id ${a.id}) has no hover: ${JSON.stringify(await featureState(a.id))}`);
  const tip = await page.evaluate(() => {
    const el = document.getElementById('tooltip');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return { text: el.textContent, visible: !el.hidden && cs.display !== 'none' && cs.visibility !== 'hidden' && +cs.opacity > 0 && r.width > 0 && r.height > 0 };
  });
  assert.ok(tip, '#tooltip missing');
  assert.ok(tip.visible, '#tooltip not visible while hovering a buurt');
  assert.ok(tip.text.includes(a.props.name), `#tooltip "${tip.text}" does not name ${a.props.name}`);
  assert.ok(tip.text.includes(String(expectedValue(a.props, { year: Y }))), `#tooltip "${tip.text}" does not give the class ${expectedValue(a.props, { year: Y })}`);
  const live = await page.evaluate(() => ({ text: document.getElementById('live')?.textContent ?? null, polite: document.getElementById('live')?.getAttribute('aria-live') }));
  assert.equal(live.polite, 'polite', '#live must be aria-live=polite');
  assert.ok(live.text?.includes(a.props.name), `#live "${live.text}" does not mirror the hovered buurt ${a.props.name}`);

  // moving to another buurt moves the hover state
  await page.mouse.move(b.points[0][0], b.points[0][1], { steps: 5 });
  await page.waitForFunction((id) => window.mdi.map.getFeatureState({ source: 'mdi', sourceLayer: 'buurten', id }).hover === true, b.id, { timeout: 5000 }).catch(() => {});
  assert.equal((await featureState(b.id)).hover, true, `hover did not move to ${b.props.code}`);
  assert.notEqual((await featureState(a.id)).hover, true, `${a.props.code} still has hover after the mouse left it`);
  await e2e.parkMouse(page);
});

test('a click opens the panel with the figures of /api/areas/{code}; Escape and × close it', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const a = await bigBuurt();
  const api = await h.api(`/api/areas/${a.props.code}`);
  assert.equal(api.id, a.id, 'API id and tile feature id differ');
  await page.mouse.click(a.points[0][0], a.points[0][1]);
  await waitPanel(page, a.props.code);
  await e2e.settle(page);
  const problems = panelProblems(await readPanel(page), api, Y);
  assert.deepEqual(problems, [], `panel of ${a.props.code} disagrees with /api/areas:\n  ${problems.join('\n  ')}`);
  assert.equal((await featureState(a.id)).selected, true, 'the clicked buurt has no feature-state selected');
  assert.equal((await e2e.state(page)).selected, a.props.code, 'state().selected');
  await e2e.waitUrl(page, (u) => u.searchParams.get('sel') === a.props.code);
  await e2e.parkMouse(page);
  await h.screenshot(page, 'desktop-panel.png');

  // another year: the panel follows the year selector
  const y0 = meta.years[0];
  await e2e.choose(page, '#year', y0);
  await page.waitForFunction((v) => document.querySelector('#panel [data-field="mdi-rank"]')?.getAttribute('data-value') === String(v),
    api.years.find((r) => r.year === y0).mdi.rank, { timeout: 5000 }).catch(() => {});
  const p0 = panelProblems(await readPanel(page), api, y0);
  assert.deepEqual(p0, [], `panel in ${y0} disagrees with /api/areas:\n  ${p0.join('\n  ')}`);
  await e2e.choose(page, '#year', Y);

  // Escape with the keyboard focus in the panel (reached by Tab from the map side)
  await page.focus('#panel-close');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.getElementById('panel').hidden, null, { timeout: 3000 }).catch(() => {});
  assert.equal(await page.evaluate(() => document.getElementById('panel').hidden), true, 'Escape (focus in the panel) did not close the panel');
  assert.equal((await e2e.state(page)).selected, null, 'state().selected after Escape');
  assert.notEqual((await featureState(a.id)).selected, true, 'feature-state selected stays after closing the panel');

  await page.mouse.click(a.points[0][0], a.points[0][1]);
  await waitPanel(page, a.props.code);
  await page.click('#panel-close');
  await page.waitForFunction(() => document.getElementById('panel').hidden, null, { timeout: 3000 }).catch(() => {});
  assert.equal(await page.evaluate(() => document.getElementById('panel').hidden), true, '#panel-close did not close the panel');
  await e2e.parkMouse(page);
});

test('no request left 127.0.0.1 and no page errors (map)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  if (h.static) {
    // The static site (MDI_E2E_STATIC=1): the tile bytes came from atlas.pmtiles by range
    // requests (206 with a Range header in nginx's access log), and nothing asked for the
    // server's API or tiles, neither in the browser's log nor in nginx's.
    await h.serverLogSynced();
    const ranges = h.staticTileRanges();
    assert.ok(ranges.length >= 2, `nginx answered ${ranges.length} range request(s) on atlas.pmtiles: the header and at least one tile expected`);
    assert.ok(ranges.every((r) => /^bytes=\d+-\d+$/.test(r.range) && r.bytes > 0), `odd range requests: ${JSON.stringify(ranges.slice(0, 5))}`);
    const whole = h.staticRequests().filter((r) => /\/atlas\.pmtiles$/.test(r.path) && r.status !== 206);
    assert.deepEqual(whole, [], 'atlas.pmtiles was requested without a range (or answered otherwise than 206)');
    const server = (path) => /^\/(api|tiles)\//.test(path) || path === '/tiles.json' || path === '/style.json';
    const browser = h.requests.filter((r) => r.page !== 'guard').map((r) => new URL(r.url)).filter((u) => u.origin === h.origin && server(u.pathname));
    assert.deepEqual(browser.map((u) => u.pathname), [], 'the static site\'s pages asked for server paths');
    assert.deepEqual(h.staticRequests().filter((r) => server(r.path)).map((r) => r.path), [], 'nginx was asked for server paths');
    console.log(`map: static site: ${ranges.length} range requests on atlas.pmtiles (${ranges.reduce((a, r) => a + r.bytes, 0)} bytes), none for /api/ or /tiles/`);
  }
  // the guard works: a request for another host is logged, aborted and counted
  const guard = await h.newPage({ label: 'guard' });
  await guard.goto(`${h.origin}/${h.static ? 'data/meta.json' : 'api/meta'}`);
  const outcome = await guard.evaluate(() => fetch('http://192.0.2.1/leak').then(() => 'fetched', () => 'failed'));
  assert.equal(outcome, 'failed', 'a request to 192.0.2.1 was not aborted');
  assert.ok(h.blocked.includes('http://192.0.2.1/leak') && h.networkProblems()?.includes('192.0.2.1'), 'the guard did not count a request to 192.0.2.1');
  h.blocked = h.blocked.filter((u) => u !== 'http://192.0.2.1/leak');
  h.requests = h.requests.filter((r) => r.page !== 'guard');
  await guard.context().close();

  assert.ok(h.requests.length > 10, 'request log nearly empty');
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, [], 'uncaught errors in the page');
});
