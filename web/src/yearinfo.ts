// What the shown year's MDI rests on (/api/meta `year_info`): the notice on the map when it rests
// on fewer domains than the profile's, and the About text's list of why buurten are grey, with
// their counts. Both follow the year control and the language.

import type { Meta, YearInfo } from './api';
import { byId, h, setAttr, setText } from './dom';
import { fmtInt, REASON_CODES, reasonText, t } from './i18n';
import { domainList } from './panel';

/** The year_info entry of a year (absent for atlases of format < 1.2). */
export function yearInfo(meta: Meta, year: number): YearInfo | undefined {
  return (meta.year_info ?? []).find((y) => y.year === year);
}

/**
 * `#domains-notice`: shown when the year's MDI rests on fewer domains than the profile's,
 * naming the missing ones and saying their weight was re-spread; hidden otherwise.
 */
export function renderDomainsNotice(meta: Meta, year: number): void {
  const el = byId('domains-notice');
  const info = yearInfo(meta, year);
  const missing = info?.domains_missing ?? [];
  el.hidden = missing.length === 0;
  el.dataset.year = String(year);
  el.dataset.missing = missing.join(',');
  el.textContent = missing.length
    ? t('fewDomainsNotice', { year, n: info!.domains_with_data.length, of: meta.domains.length, list: domainList(meta, missing) })
    : '';
}

/**
 * `#break-notice`: on the change map, the profile's series breaks (/api/meta `series_breaks`)
 * that lie between the two years compared (after the earlier, up to the later) and touch the
 * variable shown (the MDI, or the break's own domain): the change crosses a redefinition.
 * Hidden otherwise.
 */
export function renderBreakNotice(meta: Meta, view: string, variable: string, year: number, compareYear: number): void {
  const el = byId('break-notice');
  const [lo, hi] = year < compareYear ? [year, compareYear] : [compareYear, year];
  const breaks = view !== 'change' ? [] : (meta.series_breaks ?? []).filter(
    (b) => b.year > lo && b.year <= hi && (variable === 'mdi' || variable === b.domain));
  // Written only where it changes (this runs on every recolour).
  if (el.hidden !== (breaks.length === 0)) el.hidden = breaks.length === 0;
  setAttr(el, 'data-breaks', breaks.map((b) => `${b.indicator}:${b.year}`).join(','));
  setAttr(el, 'title', breaks.map((b) => `${b.year}: ${b.note}`).join('\n'));
  const list = breaks.map((b) => `${domainList(meta, [b.domain])} (${b.indicator}, ${b.year})`).join(', ');
  setText(el, breaks.length ? t('breakNotice', { from: lo, to: hi, list }) : '');
}

/**
 * `#about-grey`: what grey means in the shown year, one item per reason (`data-reason`, count
 * in `data-value`), known reasons in the atlas's order, then any the client has no words for.
 * Water is drawn pale blue-grey, not grey: it is listed apart.
 */
export function renderAboutGrey(meta: Meta, year: number): void {
  const el = byId('about-grey');
  const info = yearInfo(meta, year);
  if (!info) {
    el.replaceChildren();
    return;
  }
  const known: readonly string[] = REASON_CODES;
  const codes = [...known.filter((c) => c in info.grey), ...Object.keys(info.grey).filter((c) => !known.includes(c)).sort()];
  const item = (code: string) =>
    h('li', { 'data-reason': code, 'data-value': String(info.grey[code]) }, `${reasonText(code, 'short', year)}: ${fmtInt(info.grey[code]!)}`);
  const grey = codes.filter((c) => c !== 'water');
  const parts: (Node | null)[] = [
    h('p', { 'data-field': 'ranked', 'data-value': String(info.ranked) }, t('aboutRanked', { n: fmtInt(info.ranked), year })),
    h('p', {}, grey.length ? t('aboutGrey', { year }) : t('aboutGreyNone', { year })),
    grey.length ? h('ul', { class: 'about-grey-list' }, ...grey.map(item)) : null,
    'water' in info.grey ? h('ul', { class: 'about-water-list' }, item('water')) : null,
  ];
  el.replaceChildren(...parts.filter((p): p is Node => p !== null));
}
