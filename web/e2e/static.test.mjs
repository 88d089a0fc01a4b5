// The static site (issue 17; MDI_E2E_STATIC=1): what the page computes from the published files
// equals what `mdi-atlas serve` answers. The page's own API (window.mdi.api, web/src/static.ts in
// static mode) is asked in the browser; the reference is the server the harness runs beside nginx
// (h.api). Searched: the names and codes of areas drawn from every level, their prefixes, digit
// queries, two-word queries with a parent's name, folded spellings; re-weighted breaks for several
// weight sets; area details from the gemeente shards; the reports. Without MDI_E2E_STATIC the page
// asks the server itself, so there is nothing to compare: the file skips with a printed reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 300_000;
let h;
let meta;
let page;

before(async () => {
  if (!e2e.staticMode()) return;
  ({ h, meta, page } = await e2e.openApp('static', 'static', { dense: false }));
});
after(async () => { await h?.close(); });

function onlyStatic(t) {
  if (e2e.staticMode()) return h.skip(t);
  const why = 'static: compares the static site with the server; runs with MDI_E2E_STATIC=1';
  console.log(`SKIPPED: ${why}`);
  t.skip(why);
  return true;
}

/** Every n-th area of the search index's areas (from the server), so each level is sampled. */
async function sampleAreas(n) {
  const out = [];
  for (const digit of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
    for (const prefix of ['GM', 'WK', 'BU', '']) {
      const r = await h.api(`/api/search?q=${encodeURIComponent(prefix + digit)}&limit=50`);
      for (const x of r.results) if (!out.some((o) => o.code === x.code)) out.push(x);
    }
  }
  return out.filter((_, i) => i % n === 0);
}

/** A name with its diacritics and case changed the way people type it. */
const plain = (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();

test('search in the page equals /api/search for names, codes, prefixes and context', { timeout: TEST_TIMEOUT }, async (t) => {
  if (onlyStatic(t)) return;
  const areas = await sampleAreas(3);
  assert.ok(areas.length >= 20, `only ${areas.length} areas sampled`);
  const queries = new Set();
  for (const a of areas) {
    queries.add(a.name);
    queries.add(a.name.slice(0, Math.max(2, Math.floor(a.name.length / 2))));
    queries.add(plain(a.name));
    queries.add(a.code);
    queries.add(a.code.slice(0, 5));
    const digits = a.code.replace(/\D/g, '');
    if (digits) queries.add(digits.slice(0, 4));
    const word = a.name.split(/\s+/)[0];
    if (a.context.length) queries.add(`${word} ${a.context[a.context.length - 1].slice(0, 3)}`);
  }
  for (const q of ['', ' ', 'zzzzqqq', "'s", 'a-b', '0', 'ü']) queries.add(q);
  let compared = 0;
  for (const q of queries) {
    for (const limit of [1, 8, 50]) {
      const server = await h.api(`/api/search?q=${encodeURIComponent(q)}&limit=${limit}`);
      const mine = await page.evaluate(([qq, l]) => window.mdi.api.search(qq, new AbortController().signal, l), [q, limit]);
      assert.deepEqual(mine, server, `search "${q}" limit ${limit}`);
      compared++;
    }
  }
  console.log(`static: ${compared} searches equal to /api/search (${queries.size} queries)`);
});

test('re-weighted breaks in the page equal /api/breaks', { timeout: TEST_TIMEOUT }, async (t) => {
  if (onlyStatic(t)) return;
  const ids = meta.domains.map((d) => d.id);
  const sets = [
    ids.map((id, i) => `${id}:${i === 0 ? 1 : 0}`).join(','),
    ids.map((id, i) => `${id}:${(i % 3) + 1}`).join(','),
    ids.map((id) => `${id}:0.5`).join(','),
    `${ids[ids.length - 1]}:5`,
    '',
  ];
  const years = meta.ranking === 'pooled' ? [null] : meta.years;
  for (const weights of sets) {
    for (const year of years) {
      const q = `weights=${encodeURIComponent(weights)}${year === null ? '' : `&year=${year}`}`;
      const server = await h.api(`/api/breaks?${q}`);
      const mine = await page.evaluate(([w, y]) => window.mdi.api.breaks(w, y), [weights, year ?? meta.years.at(-1)]);
      assert.deepEqual(mine, server, `breaks ${q}`);
    }
  }
  // a weight the server refuses, the page refuses too
  const bad = await page.evaluate(([w, y]) => window.mdi.api.breaks(w, y).then(() => 'accepted', (e) => e.message), ['nosuchdomain:1', meta.years.at(-1)]);
  assert.match(bad, /unknown domain `nosuchdomain`/);
});

test('area details and reports come from the shards and report files as the server gives them', { timeout: TEST_TIMEOUT }, async (t) => {
  if (onlyStatic(t)) return;
  const areas = await sampleAreas(7);
  let reports = 0;
  for (const a of areas) {
    const server = await h.api(`/api/areas/${encodeURIComponent(a.code)}`);
    const mine = await page.evaluate((c) => window.mdi.api.area(c), a.code);
    assert.deepEqual(mine, server, `area ${a.code}`);
    if (a.level !== meta.levels[0].layer) {
      const r = await page.evaluate((c) => window.mdi.api.report(c), a.code);
      assert.deepEqual(r, await h.api(`/api/report/${encodeURIComponent(a.code)}`), `report ${a.code}`);
      reports++;
    }
  }
  const missing = await page.evaluate(() => window.mdi.api.area('XX00000000').then(() => 'found', (e) => e.message));
  assert.notEqual(missing, 'found');
  console.log(`static: ${areas.length} areas and ${reports} reports equal to the server's`);
});
