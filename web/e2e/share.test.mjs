// Sharing and access: PNG export (hook and button), CSV download against /api/areas, the
// "Connect from QGIS" panel, Dutch ⇄ English, keyboard reach, and the phone layout (with
// screenshots).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
import { decodePng, pngHeader } from './png.mjs';
import { waitPanel } from './expect.mjs';

let h;
let meta;
let page;
let Y;
const LABEL = 'share';

before(async () => {
  ({ h, meta, page, year: Y } = await e2e.openApp('share', LABEL));
});
after(async () => { await h?.close(); });

/** Count colours of a decoded image: {distinct, top (share of the commonest colour)}. */
function colourStats(img) {
  const counts = new Map();
  for (let i = 0; i < img.data.length; i += 4) {
    const k = (img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2];
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = Math.max(...counts.values());
  return { distinct: counts.size, top: top / (img.width * img.height), counts };
}

function assertRichPng(bytes, what, legendItems) {
  const hdr = pngHeader(bytes);
  assert.ok(hdr.width > 0 && hdr.height > 0, `${what}: PNG ${hdr.width}×${hdr.height}`);
  const img = decodePng(bytes);
  const st = colourStats(img);
  assert.ok(st.distinct >= 20, `${what}: only ${st.distinct} distinct colours: a flat image`);
  assert.ok(st.top < 0.9, `${what}: ${(100 * st.top).toFixed(1)} % of the pixels have one colour`);
  // the map's classes appear: at least 5 legend colours are in the image (± 3 per channel,
  // fills may be blended with the background, so also accept any pixel within 40 of them
  // being frequent)
  const present = legendItems.filter((it) => {
    for (const k of st.counts.keys()) {
      const c = [k >> 16, (k >> 8) & 255, k & 255];
      if (e2e.dist(c, it.color) <= 6) return true;
    }
    return false;
  });
  assert.ok(present.length >= 5, `${what}: only ${present.length} of the legend colours (${legendItems.map((i) => i.hex)}) appear exactly in the image (legend swatches missing?)`);
  return { hdr, st };
}

test('PNG export produces a non-empty image with the map and its legend', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const items = await e2e.legend(page);
  const res = await page.evaluate(async () => {
    const blob = await window.mdi.exportPng();
    const buf = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    const bmp = await createImageBitmap(blob);
    const c = document.createElement('canvas');
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    const canvas = window.mdi.map.getCanvas();
    return { type: blob.type, b64: btoa(s), w: bmp.width, h: bmp.height, distinct: seen.size, mapW: canvas.width, mapH: canvas.height };
  });
  assert.equal(res.type, 'image/png', 'exportPng() blob type');
  const bytes = Buffer.from(res.b64, 'base64');
  const { hdr, st } = assertRichPng(bytes, 'exportPng()', items);
  assert.equal(hdr.width, res.w, 'PNG header width vs decoded bitmap');
  assert.equal(hdr.height, res.h);
  assert.ok(res.distinct >= 20, `the browser decodes only ${res.distinct} colours`);
  assert.ok(Math.abs(st.distinct - res.distinct) <= Math.max(5, 0.05 * res.distinct), `PNG decoded here (${st.distinct} colours) and in the browser (${res.distinct}) differ`);
  assert.ok(hdr.width >= res.mapW * 0.5 && hdr.height >= res.mapH * 0.5, `export ${hdr.width}×${hdr.height} much smaller than the map ${res.mapW}×${res.mapH}`);

  // the #export-png button downloads the same kind of file
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click('#export-png')]);
  assert.match(download.suggestedFilename(), /\.png$/, `download name ${download.suggestedFilename()}`);
  const file = readFileSync(await download.path());
  assertRichPng(file, '#export-png download', items);
  e2e.writeArtifact('export.png', file);
});

test('the panel\'s CSV download holds the rows of /api/areas/{code}', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const code = (await h.api(`/api/search?q=${h.demo ? 'BU9902' : meta.levels[0].code_prefix}&limit=1`)).results[0].code;
  await page.evaluate((c) => window.mdi.setState({ selected: c }), code);
  await waitPanel(page, code);
  const api = await h.api(`/api/areas/${code}`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click('#download-csv')]);
  assert.equal(download.suggestedFilename(), `${code}.csv`, 'CSV file name');
  const text = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  e2e.writeArtifact(`${code}.csv`, text);
  const rows = e2e.parseCsv(text);
  const header = rows[0].map((c) => c.trim().toLowerCase());
  const body = rows.slice(1);
  const col = (re, not) => header.findIndex((c) => re.test(c) && !(not && not.test(c)));
  const yearCol = col(/^(year|jaar)$/);
  assert.ok(yearCol >= 0, `CSV has no year/jaar column: ${header.join(', ')}`);
  const domainRe = new RegExp(meta.domains.map((d) => d.id).join('|'));
  const notMdi = new RegExp(`within|binnen|gemeente|${domainRe.source}`);
  const rankCol = col(/rank|rang/, notMdi);
  const decCol = col(/decile|klasse|class/, notMdi);
  const popCol = col(/population|inwoners|bevolking/);
  assert.ok(rankCol >= 0 && decCol >= 0 && popCol >= 0, `CSV lacks MDI rank / class / population columns: ${header.join(', ')}`);
  const apiYears = api.years.filter((y) => y.mdi);
  const byYear = new Map(body.map((r) => [Number(r[yearCol]), r]));
  assert.ok(apiYears.every((y) => byYear.has(y.year)), `CSV years ${[...byYear.keys()]} miss some of ${apiYears.map((y) => y.year)}`);
  const n = (s) => Number(String(s).replace(/\s/g, '').replace(',', '.'));
  for (const y of apiYears) {
    const r = byYear.get(y.year);
    assert.equal(n(r[rankCol]), y.mdi.rank, `${y.year}: CSV ${header[rankCol]} ${r[rankCol]}, API rank ${y.mdi.rank}`);
    assert.equal(n(r[decCol]), y.mdi.decile, `${y.year}: CSV ${header[decCol]} ${r[decCol]}, expected the API's decile ${y.mdi.decile}`);
    assert.ok(Math.abs(n(r[popCol]) - y.population) < 0.5, `${y.year}: CSV ${header[popCol]} ${r[popCol]}, API ${y.population}`);
    for (const d of y.domains) {
      const dc = header.findIndex((c) => c.includes(d.id) && /decile|klasse|class/.test(c) && !/within|binnen/.test(c));
      if (dc < 0 || d.decile === null) continue;
      assert.equal(n(r[dc]), d.decile, `${y.year}: CSV ${header[dc]} ${r[dc]}, expected decile ${d.decile}`);
    }
  }
  const domainCols = meta.domains.filter((d) => header.some((c) => c.includes(d.id)));
  assert.equal(domainCols.length, meta.domains.length, `CSV lacks columns for domains ${meta.domains.filter((d) => !domainCols.includes(d)).map((d) => d.id)}`);
  await page.click('#panel-close');
});

test('"Connect from QGIS": XYZ URL, zooms, a style URL that returns a style, downloads', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  await page.click('#qgis');
  await page.waitForSelector('#qgis-panel', { state: 'visible', timeout: 5000 });
  const info = await page.evaluate(() => {
    const p = document.getElementById('qgis-panel');
    const values = [...p.querySelectorAll('input, textarea')].map((e) => e.value);
    const links = [...p.querySelectorAll('a[href]')].map((a) => a.href);
    return { text: p.innerText, values, links };
  });
  const all = [info.text, ...info.values].join('\n');
  const origin = new URL(page.url()).origin;
  if (h.static) {
    // the static site has no tile server, style or TileJSON: the panel gives atlas.pmtiles
    // (QGIS 3.32+ reads it), the zooms and the downloads
    const pmtiles = `${origin}/atlas.pmtiles`;
    assert.ok(info.values.includes(pmtiles), `the URL ${pmtiles} not shown in #qgis-panel (values: ${info.values.join(', ')})`);
    assert.ok(!/\/tiles\/\{z\}|style\.json|tiles\.json/.test(all), `#qgis-panel shows a server URL the static site lacks: ${all}`);
    const head = await fetch(pmtiles, { headers: { range: 'bytes=0-6' } });
    assert.equal(head.status, 206, `a range of ${pmtiles}`);
    assert.equal(Buffer.from(await head.arrayBuffer()).toString('latin1'), 'PMTiles', `${pmtiles} is not a PMTiles archive`);
  } else {
    assert.ok(all.includes(`${origin}/tiles/{z}/{x}/{y}.mvt`), `XYZ URL ${origin}/tiles/{z}/{x}/{y}.mvt not shown in #qgis-panel`);
    const styleUrl = `${origin}/style.json?flavor=qgis`;
    assert.ok(all.includes(styleUrl), `style URL ${styleUrl} not shown`);
    assert.ok(all.includes(`${origin}/tiles.json`), 'TileJSON URL not shown');
    const style = await (await fetch(styleUrl)).json();
    assert.equal(style.version, 8, 'style URL does not return a MapLibre style');
    assert.ok(Object.keys(style.sources ?? {}).length > 0 && style.layers?.length > 0, 'style without sources/layers');
    const xyz = all.match(/http:\/\/127\.0\.0\.1:\d+\/tiles\/\{z\}\/\{x\}\/\{y\}\.mvt/)[0];
    const tile = await fetch(xyz.replace('{z}', '10').replace('{x}', '528').replace('{y}', '337'));
    assert.ok([200, 204].includes(tile.status), `a tile from the XYZ URL: ${tile.status}`);
  }
  assert.ok(new RegExp(`\\b${meta.min_zoom}\\b`).test(info.text) && new RegExp(`\\b${meta.max_zoom}\\b`).test(info.text),
    `min/max zoom ${meta.min_zoom}/${meta.max_zoom} not shown`);
  // (the static site has its atlas.pmtiles at the top, not under download/)
  const linkOf = (f) => (h.static && f === 'atlas.pmtiles' ? `${origin}/atlas.pmtiles` : `${origin}/download/${f}`);
  for (const f of meta.downloads) {
    const link = info.links.find((l) => l === linkOf(f));
    assert.ok(link, `no link to ${linkOf(f)} in #qgis-panel (links: ${info.links.join(', ')})`);
  }
  for (const f of h.static ? meta.downloads : meta.downloads.slice(0, 1)) {
    const head = await fetch(linkOf(f), { method: 'HEAD' });
    assert.equal(head.status, 200, `HEAD ${linkOf(f)}`);
  }
  await page.keyboard.press('Escape');
});

async function setLang(p, lang) {
  const tag = await p.$eval('#lang', (el) => el.tagName);
  if (tag === 'SELECT') await p.selectOption('#lang', lang);
  else await p.click('#lang');
  await e2e.waitState(p, '(s, l) => s.lang === l', lang);
}

test('language: nl ⇄ en changes the visible strings and <html lang>', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal((await e2e.state(page)).lang, 'nl', 'the app starts in Dutch');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  const nlText = await page.evaluate(() => document.body.innerText);
  const nlLegend = await page.textContent('#legend');
  const nlLabel = await page.evaluate(() => document.querySelector('label[for="variable"]')?.textContent ?? document.getElementById('variable').getAttribute('aria-label'));
  assert.match(nlLegend, /achterstand/i, 'Dutch legend without "achterstand"');
  await setLang(page, 'en');
  assert.equal(await page.getAttribute('html', 'lang'), 'en', '<html lang> after switching to English');
  assert.equal(new URL(page.url()).searchParams.get('lang'), 'en', 'URL parameter lang');
  const enLegend = await page.textContent('#legend');
  assert.match(enLegend, /deprived/i, `English legend "${enLegend}" without "deprived"`);
  const enLabel = await page.evaluate(() => document.querySelector('label[for="variable"]')?.textContent ?? document.getElementById('variable').getAttribute('aria-label'));
  assert.notEqual(enLabel, nlLabel, `the label of #variable stayed "${nlLabel}"`);
  const enText = await page.evaluate(() => document.body.innerText);
  const nlWords = new Set(nlText.split(/\s+/));
  const enWords = enText.split(/\s+/);
  const changed = enWords.filter((w) => !nlWords.has(w)).length;
  assert.ok(changed >= 10, `only ${changed} words on the page changed with the language`);
  await setLang(page, 'nl');
  assert.equal(await page.getAttribute('html', 'lang'), 'nl');
  assert.match(await page.textContent('#legend'), /achterstand/i, 'back in Dutch');
});

test('keyboard: Tab reaches every control; the controls have labels', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const kb = await h.newPage({ label: 'keyboard' });
  await h.open(kb);
  const want = ['search', 'variable', 'year', 'view', 'palette', 'lang', 'export-png', 'qgis'];
  const seen = new Set();
  await kb.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 120 && want.some((id) => !seen.has(id)); i++) {
    await kb.keyboard.press('Tab');
    const id = await kb.evaluate(() => document.activeElement?.id || null);
    if (id) seen.add(id);
  }
  const missing = want.filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], `Tab never reached #${missing.join(', #')} (reached: ${[...seen].join(', ')})`);
  const unlabelled = await kb.evaluate((ids) => ids.filter((id) => {
    const el = document.getElementById(id);
    const name = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.labels && el.labels.length && el.labels[0].textContent.trim()) || (el.tagName === 'BUTTON' && el.textContent.trim()) || el.getAttribute('title');
    return !name;
  }), want);
  assert.deepEqual(unlabelled, [], 'controls without an accessible name');
  // a select reached by keyboard can be changed by keyboard
  await kb.focus('#variable');
  const v0 = await kb.inputValue('#variable');
  await kb.keyboard.press('ArrowDown');
  await e2e.waitState(kb, '(s, v) => s.variable !== v', v0).catch(() => {});
  assert.notEqual((await e2e.state(kb)).variable, v0, 'ArrowDown on #variable did not change the variable');
  await kb.context().close();
});

test('phone width: layout fits, the map is drawn, the panel opens over it; screenshots', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const ph = await h.newPage({ label: 'phone', viewport: e2e.PHONE });
  // The buurt level fixed (lvl=buurt): the phone's start view is zoomed out further than the
  // desktop's, into the wijk band of an atlas with level bands (levels.test.mjs tests those).
  await h.open(ph, '?lvl=buurt');
  await h.focusDense(ph); // another atlas than the demo: a city at a zoom with every property
  await e2e.settle(ph);
  const layout = await ph.evaluate(() => {
    const c = window.mdi.map.getCanvas().getBoundingClientRect();
    return { scrollW: document.documentElement.scrollWidth, canvas: [c.width, c.height] };
  });
  assert.ok(layout.scrollW <= e2e.PHONE.width + 1, `the page is ${layout.scrollW} px wide at ${e2e.PHONE.width} px: horizontal scrolling`);
  assert.ok(layout.canvas[0] >= e2e.PHONE.width * 0.9 && layout.canvas[1] >= 300, `map canvas only ${layout.canvas} at phone width`);
  assert.ok(await ph.isVisible('#search'), '#search not visible on a phone');
  await e2e.parkMouse(ph);
  await h.screenshot(ph, 'phone-mdi.png');
  const p0 = await e2e.probeColours(ph, (props) => props[`mdi_decile_${Y}`] ?? null, { hideLabels: true });
  assert.ok(p0.checked >= 100, `only ${p0.checked} buurten probed at phone width`);
  assert.ok(p0.mismatches.length <= 0.02 * p0.checked, `phone map: ${e2e.describeMismatches(p0)}`);
  await e2e.settle(ph);

  // tap a buurt in the upper part of the map, so that it stays in view above a bottom sheet
  const feats = (await e2e.renderedFeatures(ph, { margin: 4, minPoints: 3, keep: e2e.PROBE_PROPS }))
    .filter((f) => f.props[`mdi_decile_${Y}`] && f.points[0][1] < e2e.PHONE.height * 0.4);
  assert.ok(feats.length > 0, 'no buurt to tap in the upper part of the phone screen');
  const f = feats.sort((a, b) => b.inner - a.inner)[0];
  await ph.mouse.click(f.points[0][0], f.points[0][1]);
  await waitPanel(ph, f.props.code);
  await e2e.settle(ph);
  const panel = await ph.evaluate(() => {
    const r = document.getElementById('panel').getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, scrollW: document.documentElement.scrollWidth };
  });
  assert.ok(panel.left >= -1 && panel.right <= e2e.PHONE.width + 1, `panel ${panel.left}..${panel.right} sticks out of the ${e2e.PHONE.width} px screen`);
  assert.ok(panel.top < e2e.PHONE.height && panel.bottom > 0, 'panel off screen');
  assert.ok(panel.scrollW <= e2e.PHONE.width + 1, `with the panel open the page is ${panel.scrollW} px wide`);
  assert.ok(await ph.isVisible('#panel-close'), '#panel-close not visible on a phone');
  await e2e.parkMouse(ph);
  await h.screenshot(ph, 'phone-panel.png');
  // the map stays drawn where it is not covered (above the sheet)
  const p1 = await e2e.probeColours(ph, (props) => props[`mdi_decile_${Y}`] ?? null, { hideLabels: true });
  assert.ok(p1.checked >= 5, `with the panel open only ${p1.checked} buurten are uncovered on the phone screen`);
  assert.ok(p1.mismatches.length <= 0.05 * p1.checked,
    `with the panel open the visible map is not drawn as expected (blank?): ${e2e.describeMismatches(p1)}`);
  await ph.context().close();
});

test('no request left 127.0.0.1 and no page errors (share)', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, [], 'uncaught errors in the page');
});
