// The analysis of a gemeente or wijk in the side panel, from /api/report/{code} (issue 14): the
// headline sentences, the district measures with their national ranks, a trend chart per domain
// (population-weighted mean pooled scores per year, series breaks marked), persistence and
// divergence, and a link to the printable report (?format=html). Every figure element carries
// data-* with the raw number of the JSON (test contract, web/README.md), so tests compare exactly.

import type { Report, ReportDistrict, ReportDivergence, ReportPersistence, ReportTrend } from './api';
import { reportHtmlUrl } from './api';
import { h, s } from './dom';
import { fmtInt, fmtNum, fmtPct, t, type Key } from './i18n';

/** The district measures in the order shown, with how each is formatted. */
export const MEASURES: { id: MeasureId; fmt: (x: number) => string }[] = [
  { id: 'average_score', fmt: (x) => fmtNum(x, 3) },
  { id: 'average_rank', fmt: (x) => fmtInt(x) },
  { id: 'extent', fmt: (x) => fmtPct(x, 1) },
  { id: 'local_concentration', fmt: (x) => fmtInt(x) },
  { id: 'proportion_worst_decile', fmt: (x) => fmtPct(x, 1) },
  { id: 'share_worst_decile', fmt: (x) => fmtPct(x, 1) },
];
export type MeasureId = 'average_score' | 'average_rank' | 'extent' | 'local_concentration' | 'proportion_worst_decile' | 'share_worst_decile';

/** Line colours of the trend chart: the MDI in near-black, domains in the Okabe–Ito palette (colour-blind safe). */
const LINE_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#8c6d1f', '#7f7f7f'];
const MDI_COLOR = '#1a1a1a';
const MUTED = '#595959';
const GRID = '#d6d6d6';

/** The section's skeleton while the report loads (filled by fillReport). */
export function reportSection(): HTMLElement {
  return h('section', { id: 'report', class: 'report', 'aria-busy': 'true' }, h('h3', {}, t('reportHeading')), h('p', { class: 'muted' }, t('reportLoading')));
}

export function reportError(section: HTMLElement, msg: string): void {
  section.setAttribute('aria-busy', 'false');
  section.replaceChildren(h('h3', {}, t('reportHeading')), h('p', { class: 'error', 'data-field': 'report-error' }, t('reportError', { msg })));
}

/** Fill the panel's #report section from a report of `code`. */
export function fillReport(section: HTMLElement, code: string, r: Report, levelLabel: string): void {
  const parts: (Node | null)[] = [
    h('h3', {}, t('reportHeading')),
    headline(r.headline),
    h(
      'p',
      { class: 'report-link' },
      h('a', { id: 'report-link', href: reportHtmlUrl(code), target: '_blank', rel: 'noopener' }, t('reportLink')),
    ),
    r.district ? measures(r.district, r.year, levelLabel) : null,
    trendSection(r.trends),
    persistenceNote(r.persistence),
    divergenceNote(r.divergence),
  ];
  section.setAttribute('aria-busy', 'false');
  section.dataset.code = code;
  section.replaceChildren(...parts.filter((p): p is Node => p !== null));
}

function headline(lines: string[]): HTMLElement | null {
  if (!lines.length) return null;
  return h('ul', { id: 'report-headline', class: 'headline' }, ...lines.map((l) => h('li', { 'data-field': 'headline' }, l)));
}

/** The district measures (METHOD §1.8/§5) with "rang r van N" among the districts of the level. */
function measures(d: ReportDistrict, year: number, levelLabel: string): HTMLElement {
  const rows = MEASURES.map(({ id, fmt }) => {
    const v = d[id];
    const rank = d.ranks[id];
    return h(
      'tr',
      { 'data-measure': id, 'data-value': v === null || v === undefined ? null : String(v), 'data-rank': rank === null || rank === undefined ? null : String(rank), 'data-of': String(d.of) },
      h('th', { scope: 'row' }, t(`measure_${id}` as Key)),
      h('td', { class: 'num' }, typeof v === 'number' ? fmt(v) : '—'),
      h('td', { class: 'rank' }, typeof rank === 'number' ? t('reportRank', { rank, of: d.of }) : '—'),
    );
  });
  return h(
    'div',
    {},
    h('h4', {}, t('reportMeasures', { year })),
    h('table', { id: 'district-measures', class: 'measures' }, h('tbody', {}, ...rows)),
    h('p', { class: 'muted small' }, t('reportMeasuresDesc', { of: d.of, level: levelLabel })),
  );
}

function trendSection(trends: ReportTrend[]): HTMLElement | null {
  const withData = trends.filter((tr) => tr.mean.some((m) => typeof m === 'number'));
  if (!withData.length) return null;
  const colorOf = (tr: ReportTrend, i: number) => (tr.domain === 'mdi' ? MDI_COLOR : LINE_COLORS[i % LINE_COLORS.length]!);
  const key = h(
    'ul',
    { class: 'trend-key', role: 'list' },
    ...withData.map((tr, i) => {
      const first = tr.years[tr.mean.findIndex((m) => typeof m === 'number')];
      const change = typeof tr.change === 'number' ? (tr.change > 0 ? '+' : tr.change < 0 ? '−' : '') + fmtNum(Math.abs(tr.change), 3) : '—';
      return h(
        'li',
        { 'data-domain': tr.domain, 'data-change': tr.change === null ? null : String(tr.change), 'data-worsening': String(tr.worsening) },
        h('span', { class: 'swatch line', style: `background:${colorOf(tr, i)}`, 'aria-hidden': 'true' }),
        t('reportTrendChange', { name: tr.name, change, first: first ?? '' }),
      );
    }),
  );
  return h('div', {}, h('h4', {}, t('reportTrend')), trendChart(withData, colorOf), key);
}

/**
 * One line per domain with data (and the MDI) of the mean pooled score per year, on a shared
 * y axis (pooled scores are comparable across years, METHOD §6; higher = more deprived, so up is
 * worse). A year without data breaks the line. Each break year is a dashed vertical line between
 * the year before and the break year.
 */
export function trendChart(trends: ReportTrend[], colorOf: (tr: ReportTrend, i: number) => string): SVGElement {
  const W = 320;
  const H = 170;
  const [left, right, top, bottom] = [34, 16, 10, 22];
  const years = [...new Set(trends.flatMap((tr) => tr.years))].sort((a, b) => a - b);
  const values = trends.flatMap((tr) => tr.mean.filter((m): m is number => typeof m === 'number'));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.06;
  [lo, hi] = [lo - pad, hi + pad];
  const x = (year: number) => left + (years.length <= 1 ? (W - left - right) / 2 : ((W - left - right) * years.indexOf(year)) / (years.length - 1));
  const y = (v: number) => top + ((H - top - bottom) * (hi - v)) / (hi - lo);
  const svg = s(
    'svg',
    { id: 'report-trend', viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-labelledby': 'report-trend-t report-trend-d', class: 'chart' },
    s('title', { id: 'report-trend-t' }, t('reportTrend')),
    s('desc', { id: 'report-trend-d' }, t('reportTrendDesc')),
  );
  for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) {
    svg.append(
      s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: GRID, 'stroke-width': 1 }),
      s('text', { x: left - 4, y: y(v) + 3.5, 'font-size': 9.5, fill: MUTED, 'text-anchor': 'end' }, fmtNum(v, 2)),
    );
  }
  const step = Math.ceil(years.length / 6);
  years.forEach((yr, i) => {
    if (i % step === 0 || i === years.length - 1) svg.append(s('text', { x: x(yr), y: H - 6, 'font-size': 10, fill: MUTED, 'text-anchor': 'middle' }, yr));
  });
  // Break years: between the year before and the break year.
  const breaks = new Map<number, string[]>();
  for (const tr of trends) for (const b of tr.breaks) breaks.set(b, [...(breaks.get(b) ?? []), tr.name]);
  for (const [b, names] of [...breaks].sort((a, c) => a[0] - c[0])) {
    const i = years.indexOf(b);
    if (i <= 0) continue;
    const bx = (x(years[i - 1]!) + x(b)) / 2;
    svg.append(
      s(
        'line',
        { 'data-break-year': b, x1: bx, x2: bx, y1: top, y2: H - bottom, stroke: '#7a0177', 'stroke-width': 1.2, 'stroke-dasharray': '4 3' },
        s('title', {}, `${t('reportTrendBreak', { year: b })}: ${names.join(', ')}`),
      ),
    );
  }
  trends.forEach((tr, k) => svg.append(trendLine(tr, colorOf(tr, k), x, y)));
  return svg;
}

function trendLine(tr: ReportTrend, color: string, x: (year: number) => number, y: (v: number) => number): SVGElement {
  const g = s('g', { class: 'trend-line', 'data-domain': tr.domain });
  let d = '';
  let pen = false;
  tr.years.forEach((yr, i) => {
    const m = tr.mean[i];
    if (typeof m !== 'number') {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(yr).toFixed(1)},${y(m).toFixed(1)}`;
    pen = true;
  });
  g.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': tr.domain === 'mdi' ? 2.6 : 1.6 }, s('title', {}, tr.name)));
  tr.years.forEach((yr, i) => {
    const m = tr.mean[i];
    if (typeof m !== 'number') return;
    g.append(s('circle', { 'data-year': yr, 'data-value': m, cx: x(yr), cy: y(m), r: 2.2, fill: color }, s('title', {}, `${tr.name} ${yr}: ${fmtNum(m, 3)}`)));
  });
  return g;
}

function persistenceNote(p: ReportPersistence | null): HTMLElement | null {
  if (!p) return null;
  const text =
    p.worst_at_end === 0
      ? t('reportPersistenceNone', { to: p.to_year })
      : t('reportPersistenceText', { also: fmtInt(p.also_worst_at_start), end: fmtInt(p.worst_at_end), from: p.from_year, to: p.to_year, share: p.share === null ? '—' : fmtPct(p.share, 0) });
  return h(
    'div',
    {},
    h('h4', {}, t('reportPersistence')),
    h(
      'p',
      { 'data-field': 'persistence', 'data-value': p.share === null ? null : String(p.share), 'data-end': String(p.worst_at_end), 'data-also': String(p.also_worst_at_start), 'data-from': String(p.from_year), 'data-to': String(p.to_year) },
      text,
    ),
  );
}

/** Divergence (β > 0, the interval above 0), convergence (β < 0, below 0), or none (the interval contains 0). */
export function verdict(d: Pick<ReportDivergence, 'ci_low' | 'ci_high'>): 'divergence' | 'convergence' | 'none' {
  if (d.ci_low > 0) return 'divergence';
  if (d.ci_high < 0) return 'convergence';
  return 'none';
}

function divergenceNote(d: ReportDivergence | null): HTMLElement | null {
  if (!d) return null;
  const v = verdict(d);
  const f = (x: number) => (x < 0 ? '−' : '') + fmtNum(Math.abs(x), 3);
  return h(
    'div',
    {},
    h('h4', {}, t('reportDivergence')),
    h(
      'p',
      { 'data-field': 'divergence', 'data-value': String(d.beta), 'data-ci-low': String(d.ci_low), 'data-ci-high': String(d.ci_high), 'data-n': String(d.n), 'data-verdict': v },
      t('reportDivergenceText', { beta: f(d.beta), lo: f(d.ci_low), hi: f(d.ci_high), n: fmtInt(d.n), from: d.from_year, to: d.to_year, verdict: t(`verdict_${v}` as Key) }),
    ),
  );
}
