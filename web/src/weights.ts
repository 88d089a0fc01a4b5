// Re-weighting sliders (#weights): one range input per domain. The slider holds the raw weight
// ×100 (the profile's weights are fractions such as 0.225); next to it the weight's share of the
// total, since only the ratios matter (METHOD: weights are re-spread, then the scores ranked).

import type { Meta } from './api';
import { byId, h } from './dom';
import { domainName, fmtPct, t } from './i18n';
import { profileWeights } from './state';

export interface WeightsUi {
  /** Show these weights (null = the profile's) without firing onChange. */
  sync(w: Record<string, number> | null): void;
  /** Re-render labels after a language switch. */
  relabel(): void;
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
    list.append(h('div', { class: 'weight-row' }, label, input, out));
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
    const total = Object.values(w).reduce((a, b) => a + b, 0);
    for (const [k, out] of outputs) {
      const pct = total > 0 ? (w[k] ?? 0) / total : 0;
      out.textContent = fmtPct(pct, pct < 0.1 ? 1 : 0);
      inputs.get(k)!.setAttribute('aria-valuetext', out.textContent);
    }
    const custom = Object.keys(profile).some((k) => Math.abs((w[k] ?? 0) - profile[k]!) > 1e-9);
    byId('weights-status').textContent = custom ? t('weightsCustom') : t('weightsProfile');
    byId<HTMLButtonElement>('weights-reset').disabled = !custom;
  };

  const relabel = () => {
    for (const d of meta.domains) labels.get(d.id)!.textContent = domainName(d);
    const w: Record<string, number> = {};
    for (const [k, el] of inputs) w[k] = Number(el.value) / 100;
    showPct(w);
  };

  byId('weights-reset').addEventListener('click', () => onChange(null));

  const sync = (w: Record<string, number> | null) => {
    const shown = w ?? profile;
    for (const [k, el] of inputs) el.value = String((shown[k] ?? 0) * 100);
    showPct(shown);
  };
  relabel();
  return { sync, relabel };
}
