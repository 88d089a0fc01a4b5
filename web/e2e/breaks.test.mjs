// Series breaks (/api/meta `series_breaks`, from the profile's indicator editions): the change
// map warns when the two years compared lie on both sides of a break in the variable shown (the
// MDI, or the break's own domain), and only then. Expectations come from /api/meta, so the test
// holds on the demo (armoede: p_hh_osm → p_ink_ar in 2024, years 2015–2024) and on any atlas.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as e2e from './harness.mjs';

const TEST_TIMEOUT = 180_000;
let h;
let meta;
let page;

before(async () => {
  ({ h, meta, page } = await e2e.openApp('breaks', 'breaks', { dense: false }));
});
after(async () => { await h?.close(); });

const notice = () => page.$eval('#break-notice', (el) => ({
  shown: !el.hidden, text: el.textContent, breaks: el.dataset.breaks ?? '',
}));

/** The breaks that a change between years a and b of `variable` crosses, as "indicator:year". */
function crossed(a, b, variable) {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return (meta.series_breaks ?? [])
    .filter((x) => x.year > lo && x.year <= hi && (variable === 'mdi' || variable === x.domain))
    .map((x) => `${x.indicator}:${x.year}`);
}

test('the change map says when it crosses a series break, and only then', { timeout: TEST_TIMEOUT }, async (t) => {
  if (h.skip(t)) return;
  const breaks = meta.series_breaks ?? [];
  if (!breaks.length || meta.years.length < 2) {
    console.error(`SKIPPED: breaks: the atlas has no series break or one year (${breaks.length} breaks, ${meta.years.length} years)`);
    t.skip('no series break');
    return;
  }
  const years = meta.years;
  const [first, last] = [years[0], years[years.length - 1]];
  const b = breaks.find((x) => x.year > first && x.year <= last);
  assert.ok(b, `a break inside ${first}–${last}: ${JSON.stringify(breaks)}`);

  // The value map never warns.
  await e2e.choose(page, '#year', last);
  assert.equal((await notice()).shown, false, 'no notice on the value map');

  // The change from the first to the last year crosses it: the MDI and the break's domain warn.
  await e2e.choose(page, '#view', 'change');
  await e2e.choose(page, '#compare-year', first);
  for (const variable of ['mdi', b.domain]) {
    const opt = await page.$eval(`#variable option[value="${variable}"]`, (o) => !o.disabled).catch(() => false);
    if (!opt) continue;
    await e2e.choose(page, '#variable', variable);
    const n = await notice();
    assert.equal(n.shown, true, `${variable}, ${first} → ${last}: the change crosses ${b.indicator} ${b.year}`);
    assert.deepEqual(n.breaks.split(',').sort(), crossed(first, last, variable).sort());
    const name = meta.domains.find((d) => d.id === b.domain)?.names?.nl ?? b.domain;
    assert.ok(n.text.includes(name) && n.text.includes(String(first)) && n.text.includes(String(last)),
      `the notice names the domain and both years: "${n.text}"`);
  }

  // Another domain, enabled in this year, does not cross the break.
  const other = await page.$$eval('#variable option', (os, dom) => os
    .filter((o) => !o.disabled && o.value !== 'mdi' && o.value !== dom && !o.value.startsWith('domains'))
    .map((o) => o.value), b.domain);
  const unaffected = other.find((v) => crossed(first, last, v).length === 0);
  if (unaffected) {
    await e2e.choose(page, '#variable', unaffected);
    assert.equal((await notice()).shown, false, `${unaffected} has no break`);
  }

  // Two years on the same side of the break: no notice.
  const before = years.filter((y) => y < b.year);
  if (before.length >= 2) {
    await e2e.choose(page, '#variable', 'mdi');
    await e2e.choose(page, '#year', before[before.length - 1]);
    await e2e.choose(page, '#compare-year', before[0]);
    assert.equal((await notice()).shown, false, `${before[0]} → ${before[before.length - 1]} lies before the break`);
  } else {
    console.error(`SKIPPED: breaks: fewer than two years before ${b.year}; the same-side case is not checked on this atlas`);
  }
});
