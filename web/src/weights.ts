// Re-weighting sliders (#weights): one range input per domain. The slider holds the raw weight
// ×100 (the profile's weights are fractions such as 0.225); next to it the weight's share of the
// total, since only the ratios matter (METHOD: weights are re-spread, then the scores ranked).
// The shares are those actually used in the shown year: a domain without data that year
// (/api/meta year_info.domains_missing) is marked "geen gegevens" and its slider disabled, and
// its weight is re-spread over the others, so with the profile's weights the shares are
// year_info.weights_used.

import type { Meta, YearInfo } from './api';
import { byId, h, setAttr, setText } from './dom';
import { domainName, fmtPct, t } from './i18n';
import { profileWeights } from './state';

export interface WeightsUi {
  /** Show these weights (null = the profile's) without firing onChange. */
  sync(w: Record<string, number> | null): void;
  /** Re-render labels after a language switch. */
  relabel(): void;
  /** The year shown: its domains without data are marked and left out of the shares. */
  setYear(year: number, info: YearInfo | undefined): void;
}

export function initWeights(
  meta: Meta,
  hasScores: (id: string) => boolean,
  onChange: (w: Record<string, number> | null) => void,
): WeightsUi {
  const list = byId('weights-list');
  const profile = profileWeights(meta);
  const inputs = new Map<string, HTMLInputElement>();
  const outputs = new Map<string, HTMLOutputElement>();
  const labels = new Map<string, HTMLLabelElement>();
  const rows = new Map<string, HTMLElement>();
  // Domains without data in the shown year (their weight is re-spread), and that year.
  let missing = new Set<string>();
  let year: number | null = null;

  for (const d of meta.domains) {
    const id = `weight-${d.id}`;
    // A domain without scores in the tiles cannot be re-weighted here (its weight is re-spread
    // over the others anyway, METHOD §4.3).
    const input = h('input', { type: 'range', id, min: 0, max: 100, step: 0.1, 'data-domain': d.id, value: d.weight * 100, disabled: !hasScores(d.id) });
    const out = h('output', { for: id, class: 'weight-pct' });
    const label = h('label', { for: id });
    inputs.set(d.id, input);
    outputs.set(d.id, out);
    labels.set(d.id, label);
    const row = h('div', { class: 'weight-row', 'data-domain': d.id }, label, input, out);
    rows.set(d.id, row);
    list.append(row);
    const changed = () => {
      const w: Record<string, number> = {};
      // Rounded so that 9.3/100 is 0.093 and not 0.09300000000000001 (URL round-trips exactly).
      for (const [k, el] of inputs) w[k] = +(Number(el.value) / 100).toFixed(6);
      showPct(w);
      onChange(w);
    };
    input.addEventListener('input', changed);
    input.addEventListener('change', changed);
  }

  const showPct = (w: Record<string, number>) => {
    // Shares of the weights of the domains with data (re-spread as the build does, METHOD §4.3).
    let total = 0;
    for (const [k, v] of Object.entries(w)) if (!missing.has(k)) total += v;
    for (const [k, out] of outputs) {
      const none = missing.has(k);
      const pct = total > 0 && !none ? (w[k] ?? 0) / total : 0;
      // Only what changed is written (a recolour calls this with the same weights).
      setText(out, none ? t('weightNoData') : fmtPct(pct, pct < 0.1 ? 1 : 0));
      setAttr(out, 'data-value', none ? '' : String(pct));
      setAttr(inputs.get(k)!, 'aria-valuetext', out.textContent);
    }
    const custom = Object.keys(profile).some((k) => Math.abs((w[k] ?? 0) - profile[k]!) > 1e-9);
    setText(byId('weights-status'), custom ? t('weightsCustom') : t('weightsProfile'));
    byId<HTMLButtonElement>('weights-reset').disabled = !custom;
  };

  /** Mark the domains without data: disabled slider, "geen gegevens", a title saying why. */
  const markMissing = () => {
    for (const d of meta.domains) {
      const none = missing.has(d.id);
      const row = rows.get(d.id)!;
      row.classList.toggle('nodata', none);
      row.toggleAttribute('data-nodata', none);
      row.title = none && year !== null ? t('weightNoDataTitle', { name: domainName(d), year }) : '';
      inputs.get(d.id)!.disabled = none || !hasScores(d.id);
    }
  };

  const relabel = () => {
    for (const d of meta.domains) labels.get(d.id)!.textContent = domainName(d);
    markMissing();
    const w: Record<string, number> = {};
    for (const [k, el] of inputs) w[k] = Number(el.value) / 100;
    showPct(w);
  };

  byId('weights-reset').addEventListener('click', () => onChange(null));

  const sync = (w: Record<string, number> | null) => {
    const shown = w ?? profile;
    for (const [k, el] of inputs) {
      const v = String((shown[k] ?? 0) * 100);
      if (el.value !== v) el.value = v;
    }
    showPct(shown);
  };
  const setYear = (y: number, info: YearInfo | undefined) => {
    year = y;
    missing = new Set(info?.domains_missing ?? []);
    relabel();
  };
  relabel();
  return { sync, relabel, setYear };
}
