// Independent expectations for the browser tests: what the app must show, computed here from
// the tiles' properties and the JSON API (docs/API.md, docs/TILES.md, the test contract in web/README.md), never
// taken from the app. Deciles are shown as they are: decile 1 = most deprived, everywhere.

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Expected display value of a buurt for a view, from its tile properties. */
export function expectedValue(props, { variable = 'mdi', year, view = 'value', compareYear, years } = {}) {
  if (view === 'value') {
    if (variable === 'domains_in_worst_decile') return num(props[`domains_in_worst_decile_${year}`]);
    return num(props[`${variable}_decile_${year}`]);
  }
  if (view === 'change') {
    const a = num(props[`${variable}_decile_${compareYear}`]);
    const b = num(props[`${variable}_decile_${year}`]);
    // Δ decile = d_y − d_cy; negative = a lower decile = more deprived than in the compared year
    return a === null || b === null ? null : b - a;
  }
  if (view === 'persistence') {
    let n = 0;
    let any = false;
    for (const y of years) {
      const d = num(props[`${variable}_decile_${y}`]);
      if (d !== null) any = true;
      if (d === 1) n++;
    }
    return any ? n : null;
  }
  throw new Error(`unknown view ${view}`);
}

/**
 * The `k`-th domain (0 = first, in profile order) with data in `year` per /api/meta
 * `year_info.domains_with_data`; for an atlas without year_info (format < 1.2) the profile's.
 * For the demo, whose years have every domain, k = 0 is inkomen and k = 1 werk.
 */
export function domainWithData(meta, year, k = 0) {
  const info = (meta.year_info ?? []).find((i) => i.year === year);
  const ids = info ? info.domains_with_data : meta.domains.map((d) => d.id);
  if (ids.length <= k) throw new Error(`${year}: only ${ids.length} domain(s) with data (${ids}), a test needs ${k + 1}`);
  return ids[k];
}

/**
 * Re-weighted MDI score from tile properties (METHOD §4.3 as docs/API.md /api/breaks states):
 * Σ_present w·X · (Σ_all w / Σ_present w), over the domains with a score property.
 * Returns {score, err}: err bounds the error from the tiles' one-decimal scores.
 */
export function reweightedScore(props, weights, year) {
  let sumAll = 0;
  let sumPresent = 0;
  let s = 0;
  for (const [id, w] of Object.entries(weights)) {
    sumAll += w;
    const x = num(props[`${id}_score_${year}`]);
    if (x === null) continue;
    sumPresent += w;
    s += w * x;
  }
  if (sumPresent <= 0) return null;
  const k = sumAll / sumPresent;
  return { score: s * k, err: 0.05 * sumAll + 1e-9 };
}

/** Decile from /api/breaks: the first d with score ≥ breaks[d−1], else 10. */
export function decileFromBreaks(score, breaks) {
  for (let d = 1; d <= breaks.length; d++) if (score >= breaks[d - 1]) return d;
  return breaks.length + 1;
}

/** Whether a score lies so close to a break that rounding in the tiles could flip its class. */
export const nearBreak = (score, breaks, err) => breaks.some((b) => Math.abs(score - b) <= err);

/** Read the side panel: fields, domain bars, trend points, class shares. */
export async function readPanel(page) {
  return page.evaluate(() => {
    const panel = document.getElementById('panel');
    const q = (sel) => panel?.querySelector(sel);
    const field = (name) => {
      const el = q(`[data-field="${name}"]`);
      if (!el) return null;
      const codeEl = el.hasAttribute('data-code') ? el : el.querySelector('[data-code]');
      return {
        text: el.textContent.replace(/\s+/g, ' ').trim(),
        value: el.getAttribute('data-value'),
        code: codeEl ? codeEl.getAttribute('data-code') : null,
      };
    };
    const fields = {};
    for (const f of ['name', 'code', 'level', 'wijk', 'gemeente', 'mdi-rank', 'mdi-decile', 'within-rank',
      'within-decile', 'population', 'share-worst']) fields[f] = field(f);
    const bars = {};
    for (const el of document.querySelectorAll('#domain-bars [data-domain]')) bars[el.getAttribute('data-domain')] = el.getAttribute('data-value');
    const trend = {};
    for (const el of document.querySelectorAll('#trend [data-year]')) trend[el.getAttribute('data-year')] = el.getAttribute('data-value');
    const shares = {};
    for (const el of document.querySelectorAll('#class-shares [data-class]')) shares[el.getAttribute('data-class')] = el.getAttribute('data-value');
    return {
      hidden: !panel || panel.hidden || getComputedStyle(panel).display === 'none',
      fields,
      bars,
      trend,
      shares,
      hasClassShares: !!document.getElementById('class-shares'),
    };
  });
}

/** Wait until the panel shows `code` with its figures filled in. */
export async function waitPanel(page, code, timeout = 15_000) {
  await page.waitForFunction((code) => {
    const p = document.getElementById('panel');
    if (!p || p.hidden) return false;
    const c = p.querySelector('[data-field="code"]');
    const r = p.querySelector('[data-field="mdi-rank"]');
    return !!c && c.textContent.includes(code) && !!r && r.getAttribute('data-value') !== null;
  }, code, { timeout });
}

const sameNum = (a, b, tol = 1e-6) => a !== null && a !== undefined && a !== '' && Math.abs(Number(a) - b) <= tol * Math.max(1, Math.abs(b));

/**
 * Compare the panel with GET /api/areas/{code} for `year`: a list of problems (empty = all
 * right). Fields as the test contract (web/README.md) names them; data-value holds the raw number,
 * deciles as they are (1 = most deprived).
 */
export function panelProblems(panel, area, year) {
  const out = [];
  const want = (cond, msg) => { if (!cond) out.push(msg); };
  const f = panel.fields;
  const y = area.years.find((r) => r.year === year);
  want(!panel.hidden, 'panel is hidden');
  want(f.name?.text.includes(area.name), `name: "${f.name?.text}" does not show "${area.name}"`);
  want(f.code?.text.includes(area.code), `code: "${f.code?.text}" does not show ${area.code}`);
  want(!!f.level?.text, 'level: empty or missing');
  const parents = Object.fromEntries(area.parents.map((p) => [p.level, p]));
  for (const [field, layer] of [['wijk', 'wijken'], ['gemeente', 'gemeenten']]) {
    const p = parents[layer];
    if (!p) continue;
    want(f[field]?.text.includes(p.name), `${field}: "${f[field]?.text}" does not name the parent ${p.name}`);
    want(f[field]?.code === p.code, `${field}: data-code ${f[field]?.code}, expected ${p.code}`);
  }
  if (!y?.mdi) {
    out.push(`API has no MDI for ${area.code} in ${year}; pick another area`);
    return out;
  }
  const m = y.mdi;
  want(sameNum(f['mdi-rank']?.value, m.rank), `mdi-rank data-value ${f['mdi-rank']?.value}, expected ${m.rank}`);
  want(new RegExp(`\\b${m.rank}\\s*/\\s*${m.of}\\b`).test(f['mdi-rank']?.text ?? ''),
    `mdi-rank text "${f['mdi-rank']?.text}" is not "${m.rank} / ${m.of}"`);
  want(sameNum(f['mdi-decile']?.value, m.decile), `mdi-decile data-value ${f['mdi-decile']?.value}, expected the API's decile ${m.decile}`);
  if (m.within) {
    want(sameNum(f['within-rank']?.value, m.within.rank), `within-rank data-value ${f['within-rank']?.value}, expected ${m.within.rank}`);
    want(new RegExp(`\\b${m.within.rank}\\s*/\\s*${m.within.of}\\b`).test(f['within-rank']?.text ?? ''),
      `within-rank text "${f['within-rank']?.text}" is not "${m.within.rank} / ${m.within.of}"`);
    want(sameNum(f['within-decile']?.value, m.within.decile), `within-decile data-value ${f['within-decile']?.value}, expected ${m.within.decile}`);
  }
  if (y.population !== null) {
    want(sameNum(f.population?.value, y.population), `population data-value ${f.population?.value}, expected ${y.population}`);
    want((f.population?.text ?? '').replace(/\D/g, '') === String(Math.round(y.population)),
      `population text "${f.population?.text}" does not read ${Math.round(y.population)}`);
  }
  for (const d of y.domains ?? []) {
    if (d.decile === null || d.decile === undefined) continue;
    want(sameNum(panel.bars[d.id], d.decile), `domain bar ${d.id}: data-value ${panel.bars[d.id]}, expected decile ${d.decile}`);
  }
  if (area.level === 'buurten') {
    want(Object.keys(panel.bars).length === (y.domains ?? []).length,
      `${Object.keys(panel.bars).length} domain bars, expected ${(y.domains ?? []).length}`);
  }
  const trendYears = area.years.filter((r) => r.mdi);
  for (const r of trendYears) {
    want(sameNum(panel.trend[r.year], r.mdi.decile), `trend ${r.year}: data-value ${panel.trend[r.year]}, expected decile ${r.mdi.decile}`);
  }
  want(Object.keys(panel.trend).length >= trendYears.length, `trend has ${Object.keys(panel.trend).length} points, expected ${trendYears.length}`);
  if (area.level !== 'buurten' && y.share_worst_decile !== null && y.share_worst_decile !== undefined) {
    want(sameNum(f['share-worst']?.value, y.share_worst_decile), `share-worst data-value ${f['share-worst']?.value}, expected ${y.share_worst_decile}`);
    if (Array.isArray(y.shares)) {
      want(panel.hasClassShares, '#class-shares missing although the API gives shares');
      // shares[i] is the share in decile i + 1 (1 = most deprived), labelled with that decile
      y.shares.forEach((s, i) => {
        const decile = i + 1;
        want(sameNum(panel.shares[decile], s), `share of decile ${decile}: data-value ${panel.shares[decile]}, expected ${s}`);
      });
    }
  }
  return out;
}
