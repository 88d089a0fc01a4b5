// The HTML legend, rendered from the same ClassConfig as the paint expression (classes.ts).

import { NODATA_COLOR, WATER_COLOR, type ClassConfig } from './classes';
import { byId, h } from './dom';
import { t } from './i18n';

// What the legend shows besides its title, as last rendered: a recolour that changes only the
// title (one domain to another) leaves the rest of the DOM alone.
let shown = '';

export function renderLegend(cfg: ClassConfig, extra: { pending?: boolean; error?: string; count?: string; notice?: string }): void {
  const title = byId('legend-title');
  if (title.textContent !== cfg.title) title.textContent = cfg.title;
  const key = JSON.stringify([cfg.classes, cfg.note, extra, t('legendNoDataWhy'), t('legendWater')]);
  if (key === shown) return;
  shown = key;
  const legend = byId('legend');
  legend.setAttribute('aria-busy', extra.pending ? 'true' : 'false');
  const items = cfg.classes.map((c) =>
    h(
      'li',
      { class: 'legend-item', 'data-class': c.key ?? String(c.cls), 'data-color': c.color, title: c.title ?? c.label, 'aria-label': c.title ?? c.label },
      h('span', { class: 'swatch', style: `background:${c.color}`, 'aria-hidden': 'true' }),
      h('span', { class: 'legend-label' }, c.label),
    ),
  );
  const parts: (Node | null)[] = [
    // Categories (clusters) are a list with labels beside the swatches; classes on a scale a row.
    h('ul', { class: cfg.classes.some((c) => c.key) ? 'legend-scale categorical' : 'legend-scale', role: 'list' }, ...items),
    h('p', { class: 'legend-note' }, cfg.note),
    h(
      'p',
      { class: 'legend-extras' },
      h('span', { class: 'legend-nodata', 'data-color': NODATA_COLOR }, h('span', { class: 'swatch nodata', style: `background:${NODATA_COLOR}`, 'aria-hidden': 'true' }), t('legendNoDataWhy')),
      ' ',
      h('span', { class: 'legend-water', 'data-color': WATER_COLOR }, h('span', { class: 'swatch water', style: `background:${WATER_COLOR}`, 'aria-hidden': 'true' }), t('legendWater')),
    ),
    extra.count ? h('p', { class: 'legend-count', id: 'legend-count' }, extra.count) : null,
    extra.pending ? h('p', { class: 'legend-status' }, t('legendPending')) : null,
    extra.error ? h('p', { class: 'legend-status error', role: 'alert' }, t('legendBreaksError', { msg: extra.error })) : null,
  ];
  legend.replaceChildren(...parts.filter((p): p is Node => p !== null));
  const notice = byId('notice');
  notice.hidden = !extra.notice;
  notice.textContent = extra.notice ?? '';
}
