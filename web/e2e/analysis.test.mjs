// The analysis in the browser (issue 14): the panel of a gemeente shows its report
// (/api/report/{code}: headline, district measures with national ranks, a trend chart per domain,
// persistence and divergence, a link to the printable report), and the clusters map mode paints
// the tiles' `cluster_<year>` (local Moran's I) with its legend.
//
// Expectations come from the server's JSON, fetched here with Node's fetch (not through the app),
// from the tiles' own properties (queryRenderedFeatures), and from the words the issue asks for.
// On an atlas without clusters (format < 1.3) or a server without /api/report the tests print
// `SKIPPED: <reason>`. Run: node --test web/e2e/
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 240_000;
let h;
let meta;
let page;

// The legend words of the issue, written here (not taken from the client), in legend order.
const CLUSTERS_NL = [
  ['high-high', /^Hoog-hoog: brandhaard$/],
  ['low-low', /^Laag-laag$/],
  ['high-low', /^Hoog-laag$/],
  ['low-high', /^Laag-hoog$/],
  ['not-significant', /^niet significant$/],
  ['island', /^geen buren$/],
];
const CLUSTERS_EN = [/^High-high: hotspot$/, /^Low-low$/, /^High-low$/, /^Low-high$/, /^not significant$/, /^no neighbours$/];
const MEASURES = ['average_score', 'average_rank', 'extent', 'local_concentration', 'proportion_worst_decile', 'share_worst_decile'];

before(async () => {
  ({ h, meta, page } = await e2e.openApp('analysis', 'analysis', { dense: false }));
});
after(async () => { await h?.close(); });

/** GET a server path with Node's fetch: {status, body (JSON or text)}. */
async function get(path) {
  const r = await fetch(h.serverOrigin + path);
  const text = await r.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, body, type: r.headers.get('content-type') ?? '' };
}

/** Why /api/report cannot be tested on this server, or null. */
let reportMissing;
async function reportSkip(t = null) {
  if (reportMissing === undefined) {
    const r = await get('/api/report');
    reportMissing = r.status === 200 && r.body && typeof r.body === 'object' && 'headline' in r.body
      ? null
      : `the server has no /api/report (GET /api/report: ${r.status} ${String(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)).slice(0, 160)})`;
  }
  if (!reportMissing) return false;
  if (t) {
    console.log(`SKIPPED: analysis: ${reportMissing}`);
    t.skip(reportMissing);
  }
  return true;
}

/** The gemeente under test: the most populous one on another atlas, else the first one found. */
async function gemeente() {
  const dense = await h.denseArea();
  if (dense) return dense.code;
  // The demo: the most populous of the first code digit that has any (search ranks by population).
  const top = meta.levels.at(-1);
  for (let d = 0; d <= 9; d++) {
    const found = (await h.api(`/api/search?q=${encodeURIComponent(`${top.code_prefix}${d}`)}&limit=5`)).results.filter((r) => r.level === top.layer);
    if (found.length) return found[0].code;
  }
  throw new Error(`no ${top.layer} area through /api/search?q=${top.code_prefix}<digit>`);
}

/** Open the panel of `code` and wait until its report section is filled. */
async function openReport(code) {
  await page.evaluate((code) => window.mdi.setState({ selected: code }), code);
  await page.waitForFunction((code) => {
    const s = document.getElementById('report');
    return !!s && s.getAttribute('aria-busy') === 'false' && (s.dataset.code === code || !!s.querySelector('[data-field=report-error]'));
  }, code, { timeout: 30_000 });
  const err = await page.$eval('#report', (s) => s.querySelector('[data-field=report-error]')?.textContent ?? null);
  assert.equal(err, null, `the panel's report of ${code} failed`);
}

test('the gemeente panel shows the measures, headline, persistence and divergence of /api/report/{code}', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t) || await reportSkip(t)) return;
  const code = await gemeente();
  const report = await h.api(`/api/report/${code}`);
  assert.equal(report.area?.code, code, 'the report is of the area asked for');
  await openReport(code);

  const shown = await page.$eval('#report', (s) => ({
    headline: [...s.querySelectorAll('[data-field=headline]')].map((e) => e.textContent),
    measures: Object.fromEntries([...s.querySelectorAll('[data-measure]')].map((e) => [e.dataset.measure, {
      value: e.getAttribute('data-value'), rank: e.getAttribute('data-rank'), of: e.getAttribute('data-of'), text: e.textContent,
    }])),
    persistence: (() => { const e = s.querySelector('[data-field=persistence]'); return e ? { ...e.dataset, value: e.getAttribute('data-value') } : null; })(),
    divergence: (() => { const e = s.querySelector('[data-field=divergence]'); return e ? { ...e.dataset, value: e.getAttribute('data-value'), text: e.textContent } : null; })(),
  }));
  assert.deepEqual(shown.headline, report.headline, 'the headline sentences, in order');

  if (report.district) {
    for (const m of MEASURES) {
      const s = shown.measures[m];
      assert.ok(s, `measure ${m} shown`);
      assert.equal(s.value === null ? null : Number(s.value), report.district[m], `${m}: value`);
      const rank = report.district.ranks[m];
      assert.equal(s.rank === null ? null : Number(s.rank), rank, `${m}: national rank`);
      assert.equal(Number(s.of), report.district.of, `${m}: of`);
      if (typeof rank === 'number') assert.match(s.text, new RegExp(`rang ${rank} van ${report.district.of}`), `${m}: "rang r van N" in words`);
    }
  } else {
    assert.deepEqual(shown.measures, {}, 'no district measures where the report has none');
  }

  if (report.persistence) {
    const p = report.persistence;
    assert.ok(shown.persistence, 'persistence shown');
    assert.equal(shown.persistence.value === null ? null : Number(shown.persistence.value), p.share);
    assert.equal(Number(shown.persistence.end), p.worst_at_end);
    assert.equal(Number(shown.persistence.also), p.also_worst_at_start);
  } else assert.equal(shown.persistence, null);

  if (report.divergence) {
    const d = report.divergence;
    assert.ok(shown.divergence, 'divergence shown');
    assert.equal(Number(shown.divergence.value), d.beta);
    assert.equal(Number(shown.divergence.ciLow), d.ci_low);
    assert.equal(Number(shown.divergence.ciHigh), d.ci_high);
    assert.equal(Number(shown.divergence.n), d.n);
    // In words: divergence when the whole interval lies above 0, convergence below, else none.
    const want = d.ci_low > 0 ? /divergentie/ : d.ci_high < 0 ? /convergentie/ : /geen aantoonbaar verschil/;
    assert.match(shown.divergence.text, want, `β ${d.beta} [${d.ci_low}, ${d.ci_high}]`);
  } else assert.equal(shown.divergence, null);
  await page.$eval('#report', (el) => el.scrollIntoView());
  await h.screenshot(page, 'desktop-gemeente-report.png');
});

test('the trend chart has one line per domain with data, with the report\'s means and break years', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t) || await reportSkip(t)) return;
  const code = await gemeente();
  const report = await h.api(`/api/report/${code}`);
  await openReport(code);
  const withData = report.trends.filter((tr) => tr.mean.some((m) => typeof m === 'number'));
  if (!withData.length) {
    console.log(`SKIPPED: analysis: the report of ${code} has no trend with data`);
    t.skip('no trends');
    return;
  }
  const chart = await page.evaluate(() => {
    const svg = document.getElementById('report-trend');
    if (!svg) return null;
    return {
      lines: [...svg.querySelectorAll('g.trend-line')].map((g) => ({
        domain: g.dataset.domain,
        paths: g.querySelectorAll('path').length,
        d: g.querySelector('path')?.getAttribute('d') ?? '',
        points: [...g.querySelectorAll('circle')].map((c) => [Number(c.dataset.year), Number(c.dataset.value)]),
      })),
      breaks: [...svg.querySelectorAll('[data-break-year]')].map((l) => Number(l.dataset.breakYear)),
    };
  });
  assert.ok(chart, '#report-trend drawn');
  assert.deepEqual(chart.lines.map((l) => l.domain).sort(), withData.map((tr) => tr.domain).sort(), 'one line per domain with data');
  for (const tr of withData) {
    const line = chart.lines.find((l) => l.domain === tr.domain);
    assert.equal(line.paths, 1, `${tr.domain}: one path`);
    const want = tr.years.map((y, i) => [y, tr.mean[i]]).filter(([, m]) => typeof m === 'number');
    assert.deepEqual(line.points, want, `${tr.domain}: a point per year with data, at the report's mean`);
    // The line is drawn through them: a move plus a line-to per following point of each run.
    const segs = (line.d.match(/[ML]/g) ?? []).length;
    assert.equal(segs, want.length, `${tr.domain}: path vertices`);
  }
  const years = [...new Set(withData.flatMap((tr) => tr.years))].sort((a, b) => a - b);
  const breaks = [...new Set(withData.flatMap((tr) => tr.breaks))].filter((b) => years.indexOf(b) > 0).sort();
  assert.deepEqual(chart.breaks.sort(), breaks, 'a dashed line per series break year');
});

test('the report link opens the printable report, whose HTML holds the headline', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t) || await reportSkip(t)) return;
  const code = await gemeente();
  const report = await h.api(`/api/report/${code}`);
  await openReport(code);
  const link = await page.$eval('#report-link', (a) => ({ href: a.href, text: a.textContent }));
  assert.equal(link.text, 'Afdrukbaar rapport');
  // the static site links its copy of the printable report (`mdi-atlas publish`)
  assert.equal(link.href, h.static ? `${h.origin}/data/reports/${code}.html` : `${h.origin}/api/report/${code}?format=html`);
  const [popup] = await Promise.all([page.context().waitForEvent('page'), page.click('#report-link')]);
  await popup.waitForLoadState('load');
  const text = await popup.evaluate(() => document.body.textContent.replace(/\s+/g, ' '));
  const html = await popup.content();
  assert.match(html, /<html/i, 'an HTML page');
  if (!report.headline.length) {
    console.log(`SKIPPED: analysis: the report of ${code} has no headline to look for`);
  }
  for (const line of report.headline) assert.ok(text.includes(line.replace(/\s+/g, ' ')), `the printable report holds "${line}"`);
  assert.ok(text.includes(report.area.name), 'and the area name');
  await popup.close();
  await page.evaluate(() => window.mdi.setState({ selected: null }));
});

/** Rendered buurten with their cluster class of `y` and interior points (labels hidden meanwhile). */
async function clusterProbe(y) {
  const hidden = await page.evaluate(() => {
    const map = window.mdi.map;
    const ids = map.getStyle().layers.filter((l) => l.type === 'symbol' && (l.layout?.visibility ?? 'visible') === 'visible').map((l) => l.id);
    for (const id of ids) map.setLayoutProperty(id, 'visibility', 'none');
    return ids;
  });
  try {
    await e2e.parkMouse(page);
    await e2e.settle(page);
    // The legend's classes and its no-data grey: every buurt is one of them.
    const nodata = await page.$eval('#legend .legend-nodata', (el) => el.dataset.color);
    const items = [...await e2e.legend(page), { cls: 'nodata', hex: nodata, color: e2e.parseHex(nodata) }];
    const feats = (await e2e.renderedFeatures(page, { minPoints: 3, keep: `^(code|nodata|water|cluster_${y})$` }))
      .filter((f) => !f.props.water);
    const img = await e2e.grab(page);
    const bg = await e2e.backgroundColor(page);
    return { items, feats, ...e2e.classify(img, feats, items, bg) };
  } finally {
    await page.evaluate((ids) => { for (const id of ids) window.mdi.map.setLayoutProperty(id, 'visibility', 'visible'); }, hidden);
  }
}

test('the clusters map paints the tiles\' cluster classes, hotspots included, with the legend of the issue', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const tj = await h.api('/tiles.json');
  const unit = meta.levels[0].layer;
  const fields = Object.keys(tj.vector_layers.find((l) => l.id === unit)?.fields ?? {});
  if (!fields.some((f) => f.startsWith('cluster_'))) {
    const why = `the atlas's tiles carry no cluster_<year> (atlas format ${meta.format_version ?? '< 1.3'})`;
    console.log(`SKIPPED: analysis: ${why}`);
    assert.equal(await page.$eval('#view option[value=clusters]', (o) => o.disabled), true, 'the clusters mode is disabled');
    t.skip(why);
    return;
  }
  await e2e.choose(page, '#view', 'clusters');
  await e2e.waitState(page, '(s) => s.view === "clusters"');
  await h.focusDense(page);
  const y = (await e2e.state(page)).year;
  assert.equal(new URL(page.url()).searchParams.get('view'), 'clusters', 'the mode is in the URL');

  // The legend: the six classes of the issue, in nl, with their codes.
  const items = await e2e.legend(page);
  assert.deepEqual(items.map((i) => i.cls), CLUSTERS_NL.map(([k]) => k));
  items.forEach((it, i) => assert.match(it.text, CLUSTERS_NL[i][1]));
  assert.ok(new Set(items.map((i) => i.hex)).size === 6, 'six distinct colours');

  const probe = await clusterProbe(y);
  const prop = `cluster_${y}`;
  const classed = probe.result.filter((r) => typeof r.props[prop] === 'string' && r.props[prop] !== '');
  assert.ok(classed.length > 0, `buurten with a ${prop} in view`);
  const mismatches = classed.filter((r) => r.item.cls !== r.props[prop]);
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${classed.length} buurten drawn in another class than their ${prop}: ` +
    mismatches.slice(0, 6).map((m) => `${m.props.code}: ${m.props[prop]} drawn as ${m.item.cls}`).join('; '));
  const hot = classed.filter((r) => r.props[prop] === 'high-high');
  const counts = {};
  for (const r of classed) counts[r.props[prop]] = (counts[r.props[prop]] ?? 0) + 1;
  assert.ok(hot.length > 0, `hotspots (high-high) painted in view: classes in view ${JSON.stringify(counts)}`);
  // Buurten without a class (not ranked) are no-data grey, not a cluster colour.
  const grey = probe.result.filter((r) => !r.props[prop]).filter((r) => r.item.cls !== 'nodata');
  assert.deepEqual(grey.map((r) => `${r.props.code}: ${r.item.cls}`), [], 'buurten without a class drawn in a cluster colour');
  await h.screenshot(page, 'desktop-clusters.png');
  e2e.writeArtifact('clusters-probe.json', { year: y, classed: classed.length, hot: hot.map((r) => r.props.code) });

  // Every hotspot in view is one of the atlas's hotspots in the report (national LISA), where it has one.
  if (!(await reportSkip())) {
    const report = await h.api('/api/report');
    if (report.clusters && report.clusters.year === y) {
      const hotspots = new Set(report.clusters.hotspots);
      const strange = hot.filter((r) => r.props.code && !hotspots.has(r.props.code)).map((r) => r.props.code);
      assert.deepEqual(strange, [], 'painted hotspots that /api/report does not list');
    }
  }

  // English legend; the permalink restores the mode.
  await page.click('#lang');
  await e2e.waitState(page, '(s) => s.lang === "en"');
  const en = await e2e.legend(page);
  en.forEach((it, i) => assert.match(it.text, CLUSTERS_EN[i]));
  await page.click('#lang');
  await e2e.waitState(page, '(s) => s.lang === "nl"');
  const p2 = await h.newPage({ label: 'analysis-permalink' });
  await h.open(p2, `?view=clusters&y=${y}`);
  const st = await e2e.state(p2);
  assert.equal(st.view, 'clusters');
  assert.equal(st.year, y);
  // Zoomed in where the tiles carry the classes (a national atlas's lowest zooms show the MDI
  // deciles in this mode, with a notice).
  await h.focusDense(p2);
  await p2.waitForFunction(() => document.querySelector('#legend .legend-item')?.dataset.class === 'high-high', null, { timeout: 20000 });
  await p2.close();
  await e2e.choose(page, '#view', 'value');
});

test('no request left 127.0.0.1 and no page error', { timeout: TEST_TIMEOUT }, (t) => {
  if (h.skip(t)) return;
  assert.equal(h.networkProblems(), null);
  assert.deepEqual(h.pageErrors, []);
});
