// The side panel (#panel): the figures of one area from /api/areas/{code} for the chosen year.
// Every figure element has data-field and data-value (the raw number as displayed; deciles as
// they are, 1 = most deprived) per the test contract (web/README.md), so tests and the CSV read
// the same values people see.

import { serverUrl, type Area, type AreaYear, type BBox, type Meta } from './api';
import { classShares, domainBars, trendLine } from './charts';
import { byId, h } from './dom';
import { domainName, fmtInt, fmtPct, levelName, reasonText, t } from './i18n';
import { reportSection } from './report';

export interface PanelContext {
  meta: Meta;
  year: number;
  /** Colour of decile 1..10 in the current palette (charts use the map's colours). */
  color: (decile: number) => string;
  onSelect: (code: string) => void;
  onZoom: (bbox: BBox) => void;
  onCsv: () => void;
}

const decile = (d: number | null | undefined): number | null => (typeof d === 'number' ? d : null);

function fact(label: string, field: string, value: number | string | null, text: string | Node, extra?: Record<string, string>): HTMLElement[] {
  return [
    h('dt', {}, label),
    h('dd', { 'data-field': field, 'data-value': value === null ? null : String(value), ...extra }, text),
  ];
}

function decileBadge(d: number | null, color: (d: number) => string): Node {
  if (d === null) return document.createTextNode('—');
  return h('span', { class: 'class-badge' }, h('span', { class: 'swatch', style: `background:${color(d)}`, 'aria-hidden': 'true' }), String(d));
}

/** The display names of domain ids, in the current language, comma-separated. */
export function domainList(meta: Meta, ids: string[]): string {
  return ids
    .map((id) => {
      const d = meta.domains.find((x) => x.id === id);
      return d ? domainName(d) : id;
    })
    .join(', ');
}

/** Why a grey area-year has no MDI: the reason in words, and the build's own detail. */
function reasonNote(yr: AreaYear): HTMLElement {
  const code = yr.reason!;
  return h(
    'p',
    { class: 'note reason', 'data-field': 'reason', 'data-value': code, 'data-year': String(yr.year) },
    h('strong', {}, `${t('reasonHeading', { year: yr.year })}. `),
    reasonText(code, 'long', yr.year),
    yr.excluded_reason ? h('span', { 'data-field': 'reason-detail' }, ` ${t('reasonDetail', { detail: yr.excluded_reason })}`) : null,
  );
}

/** "MDI op N van 7 domeinen", naming the domains without data (index unit, ranked years). */
function domainsUsedNote(yr: AreaYear, meta: Meta): HTMLElement {
  const n = yr.domains_with_data!;
  const of = meta.domains.length;
  const missing = yr.domains_missing.length ? `; ${t('domainsUsedMissing', { list: domainList(meta, yr.domains_missing) })}` : '';
  return h(
    'p',
    { class: n < of ? 'note' : 'muted small', 'data-field': 'domains-used', 'data-value': String(n), 'data-of': String(of), 'data-missing': yr.domains_missing.join(',') },
    `${t('domainsUsed', { n, of })}${missing}.`,
  );
}

export function openPanel(): void {
  byId('panel').hidden = false;
  document.body.classList.add('panel-open');
}

export function closePanel(): void {
  byId('panel').hidden = true;
  document.body.classList.remove('panel-open');
}

export function panelLoading(): void {
  openPanel();
  byId('panel-body').replaceChildren(h('p', { class: 'muted' }, t('loading')));
}

export function panelError(msg: string): void {
  openPanel();
  byId('panel-body').replaceChildren(h('p', { class: 'error', role: 'alert' }, t('loadError', { msg })));
}

export function renderPanel(area: Area, ctx: PanelContext): void {
  const { meta, color } = ctx;
  const yr: AreaYear | undefined = area.years.find((y) => y.year === ctx.year) ?? area.years[area.years.length - 1];
  const isUnit = area.level === meta.levels[0]?.layer;
  const parent = (layer: string) => area.parents.find((p) => p.level === layer);
  const wijk = meta.levels[1] ? parent(meta.levels[1].layer) : undefined;
  const gem = meta.levels[2] ? parent(meta.levels[2].layer) : undefined;

  const head = h(
    'header',
    { class: 'panel-head' },
    h('p', { class: 'panel-level', 'data-field': 'level', 'data-value': area.level }, levelName(area.level, area.level_name)),
    h('h2', { id: 'panel-title', 'data-field': 'name', tabindex: '-1' }, area.name),
    h('p', { class: 'panel-code' }, `${t('code')} `, h('span', { 'data-field': 'code', 'data-value': area.code }, area.code)),
  );

  const parentButton = (field: string, p: { code: string; name: string }) =>
    h('button', { type: 'button', class: 'link', 'data-field': field, 'data-code': p.code, 'data-value': p.code }, p.name);
  const parents: HTMLElement[] = [];
  if (wijk) parents.push(h('dt', {}, t('wijk')), h('dd', {}, parentButton('wijk', wijk)));
  if (gem) parents.push(h('dt', {}, t('gemeente')), h('dd', {}, parentButton('gemeente', gem)));

  const facts: HTMLElement[] = [...parents];
  const notes: HTMLElement[] = [];
  // Not drawn: a code with figures but no polygon, or a polygon that collapses.
  if (!area.polygon) notes.push(h('p', { class: 'note', 'data-field': 'not-on-map' }, t('notOnMap')));
  else if (area.collapsed) notes.push(h('p', { class: 'note', 'data-field': 'collapsed' }, t('collapsedNote')));
  if (area.water) notes.push(h('p', { class: 'note' }, t('waterArea')));
  else if (area.nodata && !yr?.reason) notes.push(h('p', { class: 'note' }, t('noDataArea')));
  if (yr) {
    const pop = yr.population;
    facts.push(...fact(t('population'), 'population', pop, pop === null ? '—' : fmtInt(pop)));
    const m = yr.mdi;
    if (m) {
      const cls = decile(m.decile);
      facts.push(...fact(t('mdiRankNational'), 'mdi-rank', m.rank, `${m.rank} / ${m.of ?? '?'}`, { 'data-of': String(m.of ?? '') }));
      facts.push(...fact(t('mdiDecileNational'), 'mdi-decile', cls, decileBadge(cls, color)));
      if (m.within) {
        const wc = decile(m.within.decile);
        facts.push(...fact(t('mdiRankWithin'), 'within-rank', m.within.rank, `${m.within.rank} / ${m.within.of}`, { 'data-of': String(m.within.of) }));
        facts.push(...fact(t('mdiDecileWithin'), 'within-decile', wc, decileBadge(wc, color)));
      }
    } else if (yr.reason && yr.reason !== 'water') {
      notes.push(reasonNote(yr));
    } else if (!yr.reason && !area.nodata && !area.water) {
      notes.push(h('p', { class: 'note' }, t('notRanked', { year: yr.year }), yr.excluded_reason ? `: ${yr.excluded_reason}` : ''));
    }
    if (m && isUnit && yr.domains_with_data !== null) notes.push(domainsUsedNote(yr, meta));
    if (isUnit && yr.domains_in_worst_decile !== null) {
      facts.push(...fact(t('dwdCount'), 'domains-in-worst-decile', yr.domains_in_worst_decile, `${yr.domains_in_worst_decile} / ${meta.domains.length}`));
    }
    if (!isUnit && yr.share_worst_decile !== null) {
      facts.push(...fact(t('shareWorst'), 'share-worst', yr.share_worst_decile, fmtPct(yr.share_worst_decile, 1)));
    }
    if (yr.domains_missing.length && !(m && isUnit && yr.domains_with_data !== null)) {
      notes.push(h('p', { class: 'note' }, t('domainsMissing', { list: domainList(meta, yr.domains_missing) })));
    }
  }
  if (area.children > 0) notes.push(h('p', { class: 'muted' }, t('children', { n: fmtInt(area.children) })));

  const charts: Node[] = [];
  if (yr && isUnit && yr.domains.length) {
    const rows = meta.domains.map((d) => {
      const ds = yr.domains.find((x) => x.id === d.id);
      const v = decile(ds?.decile);
      return { id: d.id, label: domainName(d), value: v, color: v === null ? '#ccc' : color(v) };
    });
    charts.push(
      h('h3', {}, t('domainBars', { year: yr.year })),
      domainBars(rows, t('domainBars', { year: yr.year }), t('domainBarsDesc'), t('noValue')),
    );
  }
  if (yr && !isUnit) {
    if (Array.isArray(yr.shares) && yr.shares.length === 10) {
      // shares[i] is decile i + 1 (1 = most deprived), in the legend's order.
      const bars = yr.shares.map((share, i) => ({ cls: i + 1, share, color: color(i + 1) }));
      charts.push(h('h3', {}, t('classShares', { year: yr.year })), classShares(bars, t('classShares', { year: yr.year }), t('classSharesDesc')));
    } else {
      charts.push(h('p', { class: 'muted small' }, t('sharesMissing')));
    }
  }
  const points = area.years.map((y) => ({ year: y.year, value: decile(y.mdi?.decile) }));
  if (points.some((p) => p.value !== null)) {
    charts.push(h('h3', {}, t('trend')), trendLine(points, ctx.year, t('trend'), t('trendDesc'), color));
  }

  const actions = h(
    'div',
    { class: 'panel-actions' },
    area.bbox ? h('button', { type: 'button', id: 'panel-zoom' }, t('zoomTo')) : null,
    h('button', { type: 'button', id: 'download-csv' }, t('downloadCsv')),
  );

  const scale = h('p', { class: 'muted small', 'data-field': 'decile-scale' }, t('decileScale'));
  // A wijk or gemeente: its analysis (/api/report/{code}), filled in by main.ts once loaded.
  const report = isUnit ? null : reportSection();
  // (right after the facts: its headline is the panel's main message for the area)
  byId('panel-body').replaceChildren(head, h('dl', { class: 'facts' }, ...facts), scale, ...notes, ...(report ? [report] : []), ...charts, actions);
  for (const b of byId('panel-body').querySelectorAll<HTMLButtonElement>('button[data-code]')) {
    b.addEventListener('click', () => ctx.onSelect(b.dataset.code!));
  }
  document.getElementById('panel-zoom')?.addEventListener('click', () => area.bbox && ctx.onZoom(area.bbox));
  byId('download-csv').addEventListener('click', ctx.onCsv);
  openPanel();
}

/**
 * Links to the area's own download files (`downloads/{file}`: on the static site, the files
 * data/site.json lists for a gemeente: its buurten, wijken and itself as CSV and GeoPackage),
 * added to the open panel's actions.
 */
export function renderAreaDownloads(files: string[]): void {
  const actions = document.querySelector('#panel-body .panel-actions');
  if (!actions) return;
  document.getElementById('area-downloads')?.remove();
  actions.after(
    h(
      'div',
      { id: 'area-downloads', class: 'area-downloads' },
      h('h3', {}, t('areaDownloads')),
      h('ul', { class: 'downloads' }, ...files.map((f) => h('li', {}, h('a', { href: serverUrl(`downloads/${encodeURIComponent(f)}`), download: f }, f)))),
    ),
  );
}
