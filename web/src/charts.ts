// Small SVG charts for the side panel. Each chart is an <svg role="img"> with a <title> and
// <desc>, and every mark carries data-* with the raw figure it draws (tests and screen readers
// read those; the visual is secondary).

import { s } from './dom';
import { fmtPct } from './i18n';

const W = 320;
const TEXT = '#1a1a1a';
const MUTED = '#595959';
const GRID = '#d6d6d6';

function frame(id: string, height: number, title: string, desc: string): SVGElement {
  return s(
    'svg',
    { id, viewBox: `0 0 ${W} ${height}`, width: '100%', role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart' },
    s('title', { id: `${id}-t` }, title),
    s('desc', { id: `${id}-d` }, desc),
  );
}

export interface BarRow {
  id: string;
  label: string;
  /** Decile 1..10 (1 = most deprived), null without data. */
  value: number | null;
  color: string;
}

/**
 * Horizontal bars of the domain deciles: the bar of decile d is (11 − d) tenths long, so the
 * longest bar is decile 1 (most deprived); the number at its end is the decile itself.
 */
export function domainBars(rows: BarRow[], title: string, desc: string, noData: string): SVGElement {
  const rowH = 22;
  const labelW = 134;
  const barW = W - labelW - 28;
  const svg = frame('domain-bars', rows.length * rowH + 16, title, desc);
  // Grid at deciles 10, 5 and 1 so bar lengths can be read without counting.
  for (const c of [10, 5, 1]) {
    const x = labelW + (barW * (11 - c)) / 10;
    svg.append(
      s('line', { x1: x, x2: x, y1: 0, y2: rows.length * rowH, stroke: GRID, 'stroke-width': 1 }),
      s('text', { x, y: rows.length * rowH + 12, 'font-size': 10, fill: MUTED, 'text-anchor': 'middle' }, c),
    );
  }
  rows.forEach((r, i) => {
    const y = i * rowH;
    const g = s('g', { 'data-domain': r.id, 'data-value': r.value ?? '' });
    g.append(s('text', { x: labelW - 6, y: y + 15, 'font-size': 11.5, fill: TEXT, 'text-anchor': 'end' }, r.label));
    if (r.value === null) {
      g.append(s('text', { x: labelW + 4, y: y + 15, 'font-size': 11, fill: MUTED, 'font-style': 'italic' }, noData));
    } else {
      const len = (barW * (11 - r.value)) / 10;
      g.append(
        s('rect', { x: labelW, y: y + 4, width: len, height: rowH - 8, fill: r.color, stroke: '#555', 'stroke-width': 0.5 }),
        s('text', { x: labelW + len + 4, y: y + 15, 'font-size': 12, fill: TEXT, 'font-weight': 600 }, r.value),
      );
    }
    svg.append(g);
  });
  return svg;
}

export interface TrendPoint {
  year: number;
  value: number | null;
}

/** A line of the decile over the years, decile 1 (most deprived) at the top; the current year is marked. */
export function trendLine(points: TrendPoint[], current: number, title: string, desc: string, color: (v: number) => string): SVGElement {
  const H = 150;
  const left = 26;
  const right = 20;
  const top = 10;
  const bottom = 24;
  const svg = frame('trend', H, title, desc);
  const n = points.length;
  const x = (i: number) => left + (n <= 1 ? 0 : ((W - left - right) * i) / (n - 1));
  const y = (v: number) => top + ((H - top - bottom) * (v - 1)) / 9;
  for (const c of [1, 5, 10]) {
    svg.append(
      s('line', { x1: left, x2: W - right, y1: y(c), y2: y(c), stroke: GRID, 'stroke-width': 1 }),
      s('text', { x: left - 6, y: y(c) + 4, 'font-size': 10, fill: MUTED, 'text-anchor': 'end' }, c),
    );
  }
  // The line breaks where a year has no value rather than bridging it.
  let d = '';
  let pen = false;
  points.forEach((p, i) => {
    if (p.value === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`;
    pen = true;
  });
  svg.append(s('path', { d, fill: 'none', stroke: '#333', 'stroke-width': 2 }));
  const step = Math.ceil(n / 6);
  points.forEach((p, i) => {
    const isCurrent = p.year === current;
    // Label every step-th year and the current one, but never two labels side by side.
    const nearCurrent = !isCurrent && Math.abs(points.findIndex((q) => q.year === current) - i) < step;
    if (isCurrent || ((i % step === 0 || i === n - 1) && !nearCurrent)) {
      svg.append(
        s('text', { x: x(i), y: H - 6, 'font-size': 10, fill: isCurrent ? TEXT : MUTED, 'font-weight': isCurrent ? 700 : 400, 'text-anchor': 'middle' }, p.year),
      );
    }
    if (p.value === null) return;
    svg.append(
      s(
        'circle',
        {
          'data-year': p.year,
          'data-value': p.value,
          cx: x(i),
          cy: y(p.value),
          r: isCurrent ? 6 : 4,
          fill: color(p.value),
          stroke: isCurrent ? '#000' : '#444',
          'stroke-width': isCurrent ? 2 : 1,
        },
        s('title', {}, `${p.year}: ${p.value}`),
      ),
    );
  });
  return svg;
}

export interface ShareBar {
  cls: number;
  share: number;
  color: string;
}

/** Column chart of the share of inhabitants per decile, decile 1 first (the "half of Almelo" figure). */
export function classShares(bars: ShareBar[], title: string, desc: string): SVGElement {
  const H = 130;
  const left = 6;
  const bottom = 18;
  const top = 16;
  const svg = frame('class-shares', H, title, desc);
  const max = Math.max(0.0001, ...bars.map((b) => b.share));
  const bw = (W - left * 2) / bars.length;
  bars.forEach((b, i) => {
    const hgt = ((H - top - bottom) * b.share) / max;
    const x0 = left + i * bw;
    svg.append(
      s(
        'g',
        { 'data-class': b.cls, 'data-value': b.share },
        s('rect', { x: x0 + 2, y: H - bottom - hgt, width: bw - 4, height: Math.max(hgt, 0.5), fill: b.color, stroke: '#555', 'stroke-width': 0.5 }),
        s('text', { x: x0 + bw / 2, y: H - bottom - hgt - 4, 'font-size': 9.5, fill: TEXT, 'text-anchor': 'middle' }, fmtPct(b.share)),
        s('text', { x: x0 + bw / 2, y: H - 5, 'font-size': 10, fill: MUTED, 'text-anchor': 'middle' }, b.cls),
      ),
    );
  });
  return svg;
}
