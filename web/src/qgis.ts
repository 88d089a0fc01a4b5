// "Connect from QGIS" (#qgis → #qgis-panel): the values a GIS user pastes into QGIS's vector tile
// connection dialog, built from this server's own origin, plus the downloads of /api/meta.

import { serverUrl, type Meta } from './api';
import { isStatic, pmtilesUrl } from './static';
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

/**
 * The static site (`mdi-atlas publish`) has no tile server, style or TileJSON for QGIS: it shows
 * the URL of atlas.pmtiles (read by QGIS 3.32+ through GDAL's PMTiles driver), the zooms and the
 * downloads, which the site serves at the same download/ paths as the server.
 */
function renderStaticQgis(meta: Meta): void {
  const pmtiles = pmtilesUrl();
  byId('qgis-body').replaceChildren(
    h('p', {}, t('qgisIntroStatic')),
    copyField('qgis-pmtiles', t('qgisPmtilesUrl'), pmtiles),
    copyField('qgis-vsicurl', t('qgisVsicurl'), `/vsicurl/${pmtiles}`),
    zoomRange(meta),
    downloads(meta),
  );
}

function zoomRange(meta: Meta): HTMLElement {
  return h(
    'p',
    { class: 'zoom-range' },
    `${t('qgisZoom')}: `,
    h('strong', { 'data-field': 'qgis-minzoom', 'data-value': meta.min_zoom }, String(meta.min_zoom)),
    ' – ',
    h('strong', { 'data-field': 'qgis-maxzoom', 'data-value': meta.max_zoom }, String(meta.max_zoom)),
  );
}

function downloads(meta: Meta): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(
    h('h3', {}, t('qgisDownloads')),
    h(
      'ul',
      { class: 'downloads' },
      // (the static site keeps atlas.pmtiles at the top, where the map reads it)
      ...meta.downloads.map((f) =>
        h('li', {}, h('a', { href: isStatic() && f === 'atlas.pmtiles' ? pmtilesUrl() : serverUrl(`download/${encodeURIComponent(f)}`), download: f }, f)),
      ),
    ),
  );
  return frag;
}

export function renderQgis(meta: Meta): void {
  if (isStatic()) return renderStaticQgis(meta);
  // Absolute URLs: QGIS needs them (WEB.md §3). `{z}` etc. must stay unescaped.
  const xyz = serverUrl('tiles/') + '{z}/{x}/{y}.mvt';
  byId('qgis-body').replaceChildren(
    h('p', {}, t('qgisIntro')),
    copyField('qgis-xyz', t('qgisXyz'), xyz),
    zoomRange(meta),
    copyField('qgis-style', t('qgisStyle'), serverUrl('style.json') + '?flavor=qgis'),
    copyField('qgis-tilejson', t('qgisTilejson'), serverUrl('tiles.json')),
    downloads(meta),
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
