// Sharing: the PNG export (map + title + legend + attribution, composed on a 2D canvas) and the
// CSV of the panel's area (one row per year; deciles as they are, 1 = most deprived, which its
// `decile_scale` column says in words).

import type { Map as MlMap } from 'maplibre-gl';
import type { Area, Meta } from './api';
import { NODATA_COLOR, WATER_COLOR, type ClassConfig } from './classes';
import { t } from './i18n';

/**
 * A copy of the map's WebGL canvas. Without preserveDrawingBuffer the buffer is only valid during
 * the frame that drew it (WEB.md §2.2), so the copy is taken inside a 'render' event that a
 * triggerRepaint() provokes.
 */
function snapshot(map: MlMap): Promise<HTMLCanvasElement> {
  return new Promise((resolve) => {
    map.once('render', () => {
      const src = map.getCanvas();
      const c = document.createElement('canvas');
      c.width = src.width;
      c.height = src.height;
      c.getContext('2d')!.drawImage(src, 0, 0);
      resolve(c);
    });
    map.triggerRepaint();
  });
}

const FONT = 'system-ui, "Segoe UI", "DejaVu Sans", Arial, sans-serif';

export async function exportPng(map: MlMap, cfg: ClassConfig, meta: Meta): Promise<Blob> {
  const shot = await snapshot(map);
  const r = shot.width / Math.max(1, map.getCanvas().clientWidth);
  const head = 56 * r;
  // Attribution lines, wrapped to the image width (never squeezed: it must stay legible).
  const measure = document.createElement('canvas').getContext('2d')!;
  measure.font = `${10.5 * r}px ${FONT}`;
  const attribution = `${t('source')}: ${meta.attribution} · mdi-atlas · ${location.host}`;
  const lines: string[] = [];
  let line = '';
  for (const word of attribution.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure.measureText(next).width > shot.width - 28 * r) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  lines.push(line);
  const foot = (10 + 15 * lines.length) * r;
  const out = document.createElement('canvas');
  out.width = shot.width;
  out.height = shot.height + head + foot;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(shot, 0, head);

  // Title band.
  ctx.fillStyle = '#1a1a1a';
  ctx.textBaseline = 'alphabetic';
  ctx.font = `600 ${18 * r}px ${FONT}`;
  ctx.fillText(cfg.title, 14 * r, 26 * r);
  ctx.font = `${12 * r}px ${FONT}`;
  ctx.fillStyle = '#444';
  ctx.fillText(meta.title, 14 * r, 46 * r);

  // Legend box, bottom-left of the map.
  const sw = 26 * r;
  const n = cfg.classes.length;
  const pad = 10 * r;
  ctx.font = `${11 * r}px ${FONT}`;
  const noteW = ctx.measureText(cfg.note).width;
  const labelW = Math.max(...cfg.classes.map((c) => ctx.measureText(c.label).width));
  const cell = Math.max(sw, labelW + 6 * r);
  const boxW = Math.min(out.width - 20 * r, Math.max(n * cell, noteW, 120 * r) + pad * 2);
  const boxH = 84 * r;
  const bx = 10 * r;
  const by = head + shot.height - boxH - 10 * r;
  ctx.fillStyle = 'rgba(255,255,255,0.94)';
  ctx.strokeStyle = '#999';
  ctx.lineWidth = r;
  ctx.fillRect(bx, by, boxW, boxH);
  ctx.strokeRect(bx, by, boxW, boxH);
  cfg.classes.forEach((c, i) => {
    const x = bx + pad + i * cell;
    ctx.fillStyle = c.color;
    ctx.fillRect(x, by + pad, cell - 2 * r, 16 * r);
    ctx.fillStyle = '#1a1a1a';
    ctx.textAlign = 'center';
    ctx.fillText(c.label, x + (cell - 2 * r) / 2, by + pad + 30 * r);
  });
  ctx.textAlign = 'left';
  ctx.fillStyle = '#333';
  ctx.fillText(cfg.note, bx + pad, by + pad + 48 * r);
  ctx.fillStyle = NODATA_COLOR;
  ctx.fillRect(bx + pad, by + pad + 56 * r, 16 * r, 10 * r);
  ctx.fillStyle = '#333';
  ctx.fillText(t('legendNoData'), bx + pad + 22 * r, by + pad + 65 * r);
  const wx = bx + pad + 22 * r + ctx.measureText(t('legendNoData')).width + 14 * r;
  ctx.fillStyle = WATER_COLOR;
  ctx.fillRect(wx, by + pad + 56 * r, 16 * r, 10 * r);
  ctx.fillStyle = '#333';
  ctx.fillText(t('legendWater'), wx + 22 * r, by + pad + 65 * r);

  // Attribution footer.
  ctx.fillStyle = '#444';
  ctx.font = `${10.5 * r}px ${FONT}`;
  lines.forEach((l, i) => ctx.fillText(l, 14 * r, head + shot.height + (17 + 15 * i) * r));

  return new Promise((resolve, reject) =>
    out.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob gave nothing'))), 'image/png'),
  );
}

export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
/**
 * The panel's figures as CSV: comma-separated, header row, one row per year, UTF-8. Deciles and
 * ranks as in the API and scores.csv (1 = most deprived); `share_decile_N` is the share of
 * inhabitants in buurten of decile N (wijken, gemeenten).
 */
export function areaCsv(area: Area, meta: Meta): string {
  const doms = meta.domains.map((d) => d.id);
  const parent = (i: number) => area.parents.find((p) => p.level === meta.levels[i]?.layer)?.code ?? '';
  const header = [
    'code', 'name', 'level', 'wijk_code', 'gemeente_code', 'year', 'population', 'eligible', 'excluded_reason',
    'mdi_score', 'mdi_rank', 'mdi_of', 'mdi_decile', 'mdi_within_rank', 'mdi_within_of', 'mdi_within_decile',
    ...doms.flatMap((d) => [`${d}_score`, `${d}_rank`, `${d}_decile`]),
    'domains_in_worst_decile', 'share_worst_decile',
    ...Array.from({ length: 10 }, (_, i) => `share_decile_${i + 1}`),
    'decile_scale',
  ];
  const rows = area.years.map((y) => {
    const m = y.mdi;
    const dom = (id: string) => y.domains.find((d) => d.id === id);
    return [
      area.code, area.name, area.level, parent(1), parent(2), y.year, y.population, y.eligible, y.excluded_reason,
      m?.score, m?.rank, m?.of, m?.decile, m?.within?.rank, m?.within?.of, m?.within?.decile,
      ...doms.flatMap((id) => [dom(id)?.score, dom(id)?.rank, dom(id)?.decile]),
      y.domains_in_worst_decile, y.share_worst_decile,
      // shares[i] = decile i + 1: the header's order.
      ...Array.from({ length: 10 }, (_, i) => (Array.isArray(y.shares) ? y.shares[i] : null)),
      t('legendDirection'),
    ].map(cell).join(',');
  });
  return [header.join(','), ...rows].join('\r\n') + '\r\n';
}
