// Re-weighting: the domain sliders recolour the map; the colours match the classes computed
// here from the tiles' domain scores (weights re-spread over the domains with data) and the
// breaks of /api/breaks fetched by the test itself; reset restores the profile's MDI.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
import { decileFromBreaks, domainWithData, expectedValue, nearBreak, reweightedScore } from './expect.mjs';

let h;
let meta;
let page;
let Y;
const LABEL = 'reweight';

before(async () => {
  ({ h, meta, page, year: Y } = await e2e.openApp('reweight', LABEL));
});
after(async () => { await h?.close(); });

const slider = (id) => `#weights input[type="range"][data-domain="${id}"]`;

/** Make the sliders reachable as a user would (open a collapsed <details> around them). */
async function showWeights() {
  if (await page.isVisible(slider(meta.domains[0].id))) return;
  const summary = await page.$('#weights summary') ?? await page.evaluateHandle(() => document.getElementById('weights')?.closest('details')?.querySelector('summary'));
  if (summary && (await summary.evaluate((e) => !!e))) await summary.click();
  assert.ok(await page.isVisible(slider(meta.domains[0].id)), 'the weight sliders cannot be made visible');
}

async function sliderValues() {
  const out = {};
  for (const d of meta.domains) out[d.id] = Number(await page.inputValue(slider(d.id)));
  return out;
}

/** Press keys on sliders (Home = min, End = max) and wait for the breaks request and a redraw. */
async function pressSliders(keys) {
  await showWeights();
  const breaksSeen = h.requests.filter((r) => r.page === LABEL && /\/api\/breaks\?/.test(r.url)).length;
  for (const [id, key] of Object.entries(keys)) {
    await page.focus(slider(id));
    await page.keyboard.press(key);
  }
  await e2e.waitState(page, '(s) => s.weights !== null');
  // the app asks /api/breaks for these weights (debounced); on a slow machine the first key's
  // request may go out before the second key: wait until the app has applied every change (the
  // static site computes the breaks in the page from data/reweight/: no request per weights)
  if (!h.static) await h.waitRequests(LABEL, /\/api\/breaks\?/, breaksSeen);
  await page.waitForFunction(() => !window.mdi.busy(), null, { timeout: 20_000 });
  await e2e.settle(page);
}

const proportional = (a, b) => {
  const sa = Object.values(a).reduce((x, y) => x + y, 0);
  const sb = Object.values(b).reduce((x, y) => x + y, 0);
  return Object.keys(b).every((k) => Math.abs((a[k] ?? 0) / sa - b[k] / sb) < 0.02);
};

async function checkReweighted(what) {
  const w = await sliderValues();
  const st = await e2e.state(page);
  assert.ok(st.weights, `${what}: state().weights is null while re-weighted`);
  assert.ok(proportional(st.weights, w), `${what}: state().weights ${JSON.stringify(st.weights)} not proportional to the sliders ${JSON.stringify(w)}`);
  if (h.static) {
    // the static site: the scores to re-weight come from data/reweight/{year}.json (pooled.json
    // for a pooled ranking), and the page asks no /api/breaks
    const file = `/data/reweight/${meta.ranking === 'pooled' ? 'pooled' : Y}.json`;
    const mine = h.requests.filter((r) => r.page === LABEL).map((r) => new URL(r.url).pathname);
    assert.ok(mine.includes(file), `${what}: the static site's page never fetched ${file}`);
    assert.ok(!mine.some((p) => p.startsWith('/api/')), `${what}: the static site's page asked the API`);
  } else {
    // the app's last breaks request names these weights and the year
    const last = h.requests.filter((r) => r.page === LABEL && r.url.includes('/api/breaks')).at(-1);
    assert.ok(last, `${what}: the app never requested /api/breaks`);
    const q = new URL(last.url).searchParams;
    const sent = Object.fromEntries((q.get('weights') ?? '').split(',').filter(Boolean).map((p) => p.split(':')).map(([k, v]) => [k, Number(v)]));
    const sentFull = Object.fromEntries(meta.domains.map((d) => [d.id, sent[d.id] ?? d.weight]));
    assert.ok(proportional(sentFull, w), `${what}: /api/breaks was asked for ${q.get('weights')}, the sliders say ${JSON.stringify(w)}`);
    assert.equal(q.get('year'), String(Y), `${what}: /api/breaks year`);
  }

  // expected classes from our own /api/breaks call and the tiles' domain scores
  const br = await h.api(`/api/breaks?year=${Y}&weights=${meta.domains.map((d) => `${d.id}:${w[d.id]}`).join(',')}`);
  let nearSkipped = 0;
  const p = await e2e.probeColours(page, (props) => {
    if (props[`mdi_decile_${Y}`] === undefined) return null; // not ranked this year
    const r = reweightedScore(props, w, Y);
    if (!r) return null;
    if (nearBreak(r.score, br.breaks, r.err)) { nearSkipped++; return null; }
    return decileFromBreaks(r.score, br.breaks);
  }, { keep: `${e2e.PROBE_PROPS}|_score_${Y}$` });
  assert.ok(p.checked >= 300, `${what}: only ${p.checked} buurten probed (${nearSkipped} skipped as too close to a break)`);
  assert.ok(p.mismatches.length <= 0.02 * p.checked, `${what}: ${e2e.describeMismatches(p)}`);
  return p;
}

/**
 * The domains with data in Y (/api/meta year_info): only their sliders can be moved; the others
 * are disabled and keep their weight, which the re-weighting spreads over these.
 */
const withData = () => ((meta.year_info ?? []).find((i) => i.year === Y)?.domains_with_data ?? meta.domains.map((d) => d.id));

test('re-weighting to one domain only recolours the map as /api/breaks says', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  // the first domain with data in Y (the demo's: inkomen)
  const D = domainWithData(meta, Y);
  const mdi = await e2e.probeColours(page, (props) => expectedValue(props, { year: Y }));
  const tiles0 = h.tileRequests(LABEL).length;
  const keys = Object.fromEntries(withData().map((id) => [id, id === D ? 'End' : 'Home']));
  await pressSliders(keys);
  const w = await sliderValues();
  assert.ok(w[D] > 0 && withData().every((id) => id === D || w[id] === 0), `sliders after Home/End (${D} only): ${JSON.stringify(w)}`);
  const p = await checkReweighted(`${D} only`);
  const was = new Map(mdi.result.map((r) => [r.id, r.item.cls]));
  const changed = p.result.filter((r) => was.has(r.id) && r.item.cls !== was.get(r.id));
  assert.ok(changed.length >= 50, `only ${changed.length} buurten changed colour after re-weighting to ${D} only`);
  assert.equal(h.tileRequests(LABEL).length, tiles0, 're-weighting requested tiles');
  assert.match(new URL(page.url()).searchParams.get('w') ?? '', new RegExp(`${D}:`), 'URL parameter w');
  await h.screenshot(page, 'desktop-reweighted.png');
});

test('mixed weights (profile, a second domain off, the first at max) match /api/breaks; reset restores the MDI', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  await page.click('#weights-reset');
  await e2e.waitState(page, '(s) => s.weights === null');
  await e2e.settle(page);
  const profile = Object.fromEntries(meta.domains.map((d) => [d.id, d.weight]));
  assert.ok(proportional(await sliderValues(), profile), `after reset the sliders ${JSON.stringify(await sliderValues())} are not the profile's weights ${JSON.stringify(profile)}`);
  assert.equal(new URL(page.url()).searchParams.get('w'), null, 'URL keeps w after reset');
  await e2e.probeColours(page, (props) => expectedValue(props, { year: Y })).then((p) => {
    assert.ok(p.mismatches.length <= 0.02 * p.checked, `after reset: ${e2e.describeMismatches(p)}`);
  });

  // the demo's: werk off, inkomen at max
  await pressSliders({ [domainWithData(meta, Y, 1)]: 'Home', [domainWithData(meta, Y, 0)]: 'End' });
  await checkReweighted('mixed weights');

  await page.click('#weights-reset');
  await e2e.waitState(page, '(s) => s.weights === null');
  await e2e.settle(page);
  const p = await e2e.probeColours(page, (props) => expectedValue(props, { year: Y }));
  assert.ok(p.checked >= 300 && p.mismatches.length <= 0.02 * p.checked, `after the second reset: ${e2e.describeMismatches(p)}`);
});

test('no request left 127.0.0.1 and no page errors (re-weighting)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, [], 'uncaught errors in the page');
});
