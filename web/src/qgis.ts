// "Connect from QGIS" (#qgis → #qgis-panel): the values a GIS user pastes into QGIS's vector tile
// connection dialog, built from this server's own origin, plus the downloads of /api/meta.

import { serverUrl, type Meta } from './api';
import { byId, h } from './dom';
import { t } from './i18n';

function copyField(id: string, label: string, value: string): HTMLElement {
  const input = h('input', { id, type: 'text', readonly: true, value, spellcheck: 'false' });
  const btn = h('button', { type: 'button', class: 'copy', 'aria-label': `${t('copy')}: ${label}` }, t('copy'));
  btn.addEventListener('click', async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard API refused (permissions): the text is selected, Ctrl+C still works.
      document.execCommand?.('copy');
    }
    btn.textContent = t('copied');
    setTimeout(() => (btn.textContent = t('copy')), 1500);
  });
  return h('div', { class: 'copy-row' }, h('label', { for: id }, label), h('div', { class: 'copy-field' }, input, btn));
}

export function renderQgis(meta: Meta): void {
  // Absolute URLs: QGIS needs them (WEB.md §3). `{z}` etc. must stay unescaped.
  const xyz = serverUrl('tiles/') + '{z}/{x}/{y}.mvt';
  byId('qgis-body').replaceChildren(
    h('p', {}, t('qgisIntro')),
    copyField('qgis-xyz', t('qgisXyz'), xyz),
    h(
      'p',
      { class: 'zoom-range' },
      `${t('qgisZoom')}: `,
      h('strong', { 'data-field': 'qgis-minzoom', 'data-value': meta.min_zoom }, String(meta.min_zoom)),
      ' – ',
      h('strong', { 'data-field': 'qgis-maxzoom', 'data-value': meta.max_zoom }, String(meta.max_zoom)),
    ),
    copyField('qgis-style', t('qgisStyle'), serverUrl('style.json') + '?flavor=qgis'),
    copyField('qgis-tilejson', t('qgisTilejson'), serverUrl('tiles.json')),
    h('h3', {}, t('qgisDownloads')),
    h(
      'ul',
      { class: 'downloads' },
      ...meta.downloads.map((f) => h('li', {}, h('a', { href: serverUrl(`download/${encodeURIComponent(f)}`), download: f }, f))),
    ),
    h('p', { class: 'muted small' }, t('qgisPmtiles')),
  );
}

export interface QgisPanel {
  relabel(): void;
  isOpen(): boolean;
  /** Close; focus goes back to the #qgis button if it was in the dialog (or nowhere). */
  close(): void;
}

/** Escape is handled page-wide in main.ts (it calls close()). */
export function initQgis(meta: Meta): QgisPanel {
  const btn = byId<HTMLButtonElement>('qgis');
  const panel = byId('qgis-panel');
  const setOpen = (open: boolean) => {
    const a = document.activeElement;
    const focusInside = !a || a === document.body || panel.contains(a) || a === btn;
    panel.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open) byId('qgis-panel-title').focus();
    else if (focusInside) btn.focus();
  };
  btn.addEventListener('click', () => setOpen(panel.hidden));
  byId('qgis-close').addEventListener('click', () => setOpen(false));
  renderQgis(meta);
  return { relabel: () => renderQgis(meta), isOpen: () => !panel.hidden, close: () => setOpen(false) };
}
