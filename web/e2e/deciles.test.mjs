// One decile numbering: decile 1 = most deprived, in the legend (words in nl and en, and the
// colour drawn for the buurten whose tiles say decile 1), in the panel (= /api/areas = the
// atlas' scores.csv) and in the tooltip; and the client draws the colours of the server's
// styles (one colour file). Run: node --test web/e2e/
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';
import { waitPanel } from './expect.mjs';

const TEST_TIMEOUT = 180_000;

let h;
let meta;
let page;
let Y;
const LABEL = 'deciles';

before(async () => {
  ({ h, meta, page, year: Y } = await e2e.openApp('deciles', LABEL));
});
after(async () => { await h?.close(); });

async function setLang(p, lang) {
  const tag = await p.$eval('#lang', (el) => el.tagName);
  if (tag === 'SELECT') await p.selectOption('#lang', lang);
  else await p.click('#lang');
  await e2e.waitState(p, '(s, l) => s.lang === l', lang);
}

/** Hide the label layers while fn runs (halos cover small buurten); no tile is requested. */
async function withoutLabels(p, fn) {
  const ids = await p.evaluate(() => {
    const map = window.mdi.map;
    const ids = map.getStyle().layers.filter((l) => l.type === 'symbol' && (l.layout?.visibility ?? 'visible') === 'visible').map((l) => l.id);
    for (const id of ids) map.setLayoutProperty(id, 'visibility', 'none');
    return ids;
  });
  try {
    await e2e.settle(p);
    return await fn();
  } finally {
    await p.evaluate((ids) => { for (const id of ids) window.mdi.map.setLayoutProperty(id, 'visibility', 'visible'); }, ids);
  }
}

/** The rendered buurten with clean interior points and their tile decile of year Y. */
async function buurtenByDecile() {
  const feats = await e2e.renderedFeatures(page, { margin: 4, minPoints: 3, keep: e2e.PROBE_PROPS });
  return feats.filter((f) => !f.props.nodata && !f.props.water && Number.isInteger(f.props[`mdi_decile_${Y}`]));
}

/** Share of the probe points of `feats` whose pixel lies within `tol` of `rgb`. */
function shareNear(img, feats, rgb, tol = 3) {
  let n = 0;
  let near = 0;
  for (const f of feats) {
    for (const [x, y] of f.points) {
      n++;
      if (e2e.dist(img.get(x, y).slice(0, 3), rgb) <= tol) near++;
    }
  }
  return { n, share: n ? near / n : 0 };
}

test('legend: "1 = most deprived" in nl and en; the decile-1 swatch is the colour of the buurten with mdi_decile_Y = 1', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal((await e2e.state(page)).lang, 'nl');
  const items = await e2e.legend(page);
  const d1 = items.find((i) => i.cls === '1');
  const d10 = items.find((i) => i.cls === '10');
  assert.ok(d1 && d10, `legend without deciles 1 and 10: ${items.map((i) => i.cls)}`);
  assert.ok(e2e.luminance(d1.color) < e2e.luminance(d10.color), `decile 1 (${d1.hex}) must be darker than decile 10 (${d10.hex})`);

  // the words, in Dutch
  const nlText = await page.textContent('#legend');
  assert.match(nlText, /1 = meeste achterstand/, `Dutch legend "${nlText}" does not say "1 = meeste achterstand"`);
  assert.match(nlText, /10 = minste achterstand/, `Dutch legend "${nlText}" does not say "10 = minste achterstand"`);
  const nlName = await page.getAttribute('#legend .legend-item[data-class="1"]', 'aria-label');
  assert.match(nlName ?? '', /meeste achterstand/, `the decile-1 legend item is named "${nlName}"`);

  // the swatch shows its data-color
  const swatchCss = await page.$eval('#legend .legend-item[data-class="1"] .swatch', (el) => getComputedStyle(el).backgroundColor);
  assert.deepEqual(await e2e.cssColor(page, swatchCss), d1.color, `decile-1 swatch ${swatchCss}, data-color ${d1.hex}`);

  // pixels: the buurten whose tiles say decile 1 are drawn in the decile-1 swatch colour, the
  // decile-10 ones in the decile-10 colour (and not in the decile-1 one)
  await e2e.parkMouse(page);
  const { img, feats } = await withoutLabels(page, async () => ({ feats: await buurtenByDecile(), img: await e2e.grab(page) }));
  const f1 = feats.filter((f) => f.props[`mdi_decile_${Y}`] === 1);
  const f10 = feats.filter((f) => f.props[`mdi_decile_${Y}`] === 10);
  assert.ok(f1.length >= 10 && f10.length >= 10, `only ${f1.length} decile-1 and ${f10.length} decile-10 buurten probed`);
  const at1 = shareNear(img, f1, d1.color);
  assert.ok(at1.share >= 0.95, `only ${(100 * at1.share).toFixed(1)} % of ${at1.n} pixels of decile-1 buurten have the decile-1 swatch colour ${d1.hex}`);
  const at10 = shareNear(img, f10, d10.color);
  assert.ok(at10.share >= 0.95, `only ${(100 * at10.share).toFixed(1)} % of ${at10.n} pixels of decile-10 buurten have the decile-10 swatch colour ${d10.hex}`);
  assert.equal(shareNear(img, f10, d1.color).share, 0, 'decile-10 buurten drawn in the decile-1 colour');

  // in English
  await setLang(page, 'en');
  const enText = await page.textContent('#legend');
  assert.match(enText, /1 = most deprived/, `English legend "${enText}" does not say "1 = most deprived"`);
  assert.match(enText, /10 = least deprived/, `English legend "${enText}" does not say "10 = least deprived"`);
  const enName = await page.getAttribute('#legend .legend-item[data-class="1"]', 'aria-label');
  assert.match(enName ?? '', /most deprived/, `the decile-1 legend item is named "${enName}"`);
  assert.deepEqual((await e2e.legend(page)).map((i) => i.hex), items.map((i) => i.hex), 'the colours changed with the language');
  await setLang(page, 'nl');
});

test('the client draws the colours of the server\'s /style.json (decile 1, no data, water, background)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal((await e2e.state(page)).palette, 'ylorrd', 'the app starts with YlOrRd, the server style\'s palette');
  const style = await h.api(`/style.json?year=${Y}`);
  const serverLegend = style.metadata['mdi:legend'];
  const items = await e2e.legend(page);
  for (const c of serverLegend.filter((c) => c.value !== null)) {
    const item = items.find((i) => i.cls === String(c.value));
    assert.equal(item?.hex.toLowerCase(), c.color.toLowerCase(), `decile ${c.value}: client ${item?.hex}, server ${c.color}`);
  }
  const layer = (id) => style.layers.find((l) => l.id === id);
  const client = await page.evaluate(() => ({
    nodata: document.querySelector('#legend .legend-nodata')?.getAttribute('data-color'),
    water: document.querySelector('#legend .legend-water')?.getAttribute('data-color'),
    waterPaint: window.mdi.map.getPaintProperty('buurten-water', 'fill-color'),
    background: window.mdi.map.getPaintProperty('background', 'background-color'),
  }));
  assert.equal(client.nodata, layer('buurten-nodata').paint['fill-color'], 'no-data colour');
  assert.equal(client.water, layer('buurten-water').paint['fill-color'], 'water colour (legend)');
  assert.equal(client.waterPaint, layer('buurten-water').paint['fill-color'], 'water colour (map)');
  assert.equal(client.background, layer('background').paint['background-color'], 'background colour');
});

test('panel and tooltip show the decile of /api/areas and of scores.csv (1 = most deprived)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.ok(meta.downloads.includes('scores.csv'), `scores.csv is not among the downloads: ${meta.downloads}`);
  const res = await fetch(`${h.origin}/download/scores.csv`);
  assert.equal(res.status, 200, 'GET /download/scores.csv');
  const rows = e2e.parseCsv((await res.text()).replace(/^\uFEFF/, ''));
  const header = rows[0];
  const col = (name) => {
    const i = header.indexOf(name);
    assert.ok(i >= 0, `scores.csv has no column ${name}: ${header.join(', ')}`);
    return i;
  };
  const [cCode, cYear, cDecile] = [col('code'), col('year'), col('mdi_decile')];
  const csvDecile = new Map(rows.slice(1).filter((r) => Number(r[cYear]) === Y).map((r) => [r[cCode], r[cDecile] === '' ? null : Number(r[cDecile])]));
  assert.ok(csvDecile.size > 0, `scores.csv has no rows for ${Y}`);

  // the largest rendered buurt of deciles 1, 10 and one in between (a reversed scale fails at once)
  await e2e.parkMouse(page);
  await e2e.settle(page);
  const feats = await buurtenByDecile();
  const pick = [];
  for (const d of [1, 5, 10]) {
    const f = feats.filter((x) => x.props[`mdi_decile_${Y}`] === d).sort((a, b) => b.inner - a.inner)[0];
    if (f) pick.push(f);
  }
  assert.ok(pick.length === 3, `no clean buurt for each of deciles 1, 5, 10 (found ${pick.map((f) => f.props[`mdi_decile_${Y}`])})`);

  const expected = new Map();
  for (const f of pick) {
    const code = f.props.code;
    const api = (await h.api(`/api/areas/${code}`)).years.find((y) => y.year === Y)?.mdi?.decile;
    assert.equal(csvDecile.get(code), api, `${code}: scores.csv mdi_decile ${csvDecile.get(code)}, /api/areas decile ${api}`);
    assert.equal(f.props[`mdi_decile_${Y}`], api, `${code}: tile mdi_decile_${Y} ${f.props[`mdi_decile_${Y}`]}, /api/areas ${api}`);
    expected.set(code, api);
  }

  // tooltips (before any panel covers part of the map)
  for (const f of pick) {
    const code = f.props.code;
    const [x, y] = f.points[0];
    await page.mouse.move(x - 3, y, { steps: 1 });
    await page.mouse.move(x, y, { steps: 3 });
    await page.waitForFunction((name) => {
      const el = document.getElementById('tooltip');
      return el && !el.hidden && el.textContent.includes(name);
    }, f.props.name, { timeout: 5000 }).catch(() => {});
    const tip = await page.evaluate(() => {
      const el = document.getElementById('tooltip');
      return { text: el.textContent, value: el.getAttribute('data-value'), hidden: el.hidden };
    });
    assert.ok(!tip.hidden && tip.text.includes(f.props.name), `${code}: tooltip "${tip.text}" does not name ${f.props.name}`);
    const m = tip.text.match(/deciel (\d+) van 10 \(1 = meeste achterstand\)/);
    assert.ok(m, `${code}: tooltip "${tip.text}" does not say "deciel N van 10 (1 = meeste achterstand)"`);
    assert.equal(Number(m[1]), expected.get(code), `${code}: tooltip says decile ${m[1]}, scores.csv and the API ${expected.get(code)}`);
    assert.equal(Number(tip.value), expected.get(code), `${code}: tooltip data-value ${tip.value}`);
  }
  await e2e.parkMouse(page);

  // panels
  for (const f of pick) {
    const code = f.props.code;
    await page.mouse.click(f.points[0][0], f.points[0][1]);
    await waitPanel(page, code);
    const shown = await page.evaluate(() => {
      const el = document.querySelector('#panel [data-field="mdi-decile"]');
      return { value: el?.getAttribute('data-value'), text: el?.textContent.trim(), scale: document.querySelector('#panel [data-field="decile-scale"]')?.textContent };
    });
    assert.equal(Number(shown.value), expected.get(code), `${code}: panel mdi-decile data-value ${shown.value}, scores.csv and the API ${expected.get(code)}`);
    assert.equal(shown.text, String(expected.get(code)), `${code}: panel shows "${shown.text}"`);
    assert.match(shown.scale ?? '', /1 = meeste achterstand, 10 = minste achterstand/, `${code}: the panel does not say which end is which: "${shown.scale}"`);
    await page.click('#panel-close');
    await page.waitForFunction(() => document.getElementById('panel').hidden, null, { timeout: 3000 });
  }
});

// The words for "no data" (as the weight rows say it, docs/WEB.md), written here, not taken
// from the client.
const NO_DATA = { nl: 'geen gegevens', en: 'no data' };

test('domain names come from /api/meta in the chosen language, never from client code', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  // The expectation is the server's /api/meta (from the profile), fetched by the test.
  assert.ok(meta.domains.length > 0 && meta.domains.every((d) => d.names && d.names.nl && d.names.en),
    'the profile gives every domain a Dutch and an English name');
  // A domain without data in the year shown (year_info.domains_missing) may be listed as
  // "<name> (no data)" and then cannot be chosen; a domain with data never is.
  const missing = new Set((meta.year_info ?? []).find((i) => i.year === Y)?.domains_missing ?? []);
  const option = (id) => page.$eval(`#variable option[value="${id}"]`, (o) => ({ text: o.textContent.trim(), disabled: o.disabled }));
  for (const [lang, other] of [['en', 'nl'], ['nl', 'en']]) {
    await setLang(page, lang);
    for (const d of meta.domains) {
      const { text, disabled } = await option(d.id);
      const marked = `${d.names[lang]} (${NO_DATA[lang]})`;
      if (missing.has(d.id) && text === marked) {
        assert.ok(disabled, `the ${lang} option "${text}" says there is no data but can be chosen`);
        continue;
      }
      assert.equal(text, d.names[lang], `the ${lang} option of ${d.id} says "${text}", /api/meta says "${d.names[lang]}"${missing.has(d.id) ? ` (or "${marked}": no data in ${Y})` : ''}`);
      assert.ok(!disabled || missing.has(d.id), `the ${lang} option of ${d.id} is disabled although ${d.id} has data in ${Y}`);
      if (d.names[other] !== d.names[lang]) assert.notEqual(text, d.names[other]);
    }
  }
});

test('no request left 127.0.0.1 and no page errors (deciles)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, [], 'uncaught errors in the page');
});
