// Search box (#search) as an ARIA 1.2 combobox with a listbox popup (#search-results):
// debounced queries to /api/search, stale answers dropped (AbortController), arrow keys move the
// active option (aria-activedescendant), Enter picks, Escape closes and then clears.

import { api, type SearchResult } from './api';
import { byId, debounce, h } from './dom';
import { levelName, t } from './i18n';

export function initSearch(onPick: (r: SearchResult) => void, announce: (msg: string) => void): void {
  const input = byId<HTMLInputElement>('search');
  const list = byId<HTMLUListElement>('search-results');
  let results: SearchResult[] = [];
  let active = -1;
  let inflight: AbortController | null = null;
  let lastQuery = '';

  const setOpen = (open: boolean) => {
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (!open) setActive(-1);
  };

  const setActive = (i: number) => {
    active = i;
    list.querySelectorAll<HTMLElement>('[role=option]').forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    const el = i >= 0 ? list.children[i] : null;
    if (el) {
      input.setAttribute('aria-activedescendant', el.id);
      (el as HTMLElement).scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };

  const pick = (i: number) => {
    const r = results[i];
    if (!r) return;
    setOpen(false);
    input.value = r.name;
    onPick(r);
  };

  const render = () => {
    list.replaceChildren(
      ...results.map((r, i) =>
        h(
          'li',
          { id: `search-opt-${i}`, role: 'option', 'aria-selected': 'false', 'data-code': r.code, class: 'search-option' },
          h('span', { class: 'opt-name' }, r.name),
          h('span', { class: 'opt-meta' }, `${levelName(r.level, r.level)} · ${r.code}${r.context.length ? ' · ' + r.context.join(', ') : ''}`),
        ),
      ),
    );
    if (!results.length && input.value.trim()) {
      list.append(h('li', { class: 'search-empty', role: 'presentation' }, t('searchNone')));
    }
    setOpen(input.value.trim() !== '');
    active = -1;
    announce(results.length ? t('searchResults', { n: results.length }) : t('searchNone'));
  };

  const run = async (q: string) => {
    inflight?.abort();
    if (!q) {
      results = [];
      list.replaceChildren();
      setOpen(false);
      return;
    }
    const ctl = new AbortController();
    inflight = ctl;
    try {
      const res = await api.search(q, ctl.signal);
      if (ctl.signal.aborted) return;
      lastQuery = q;
      results = res.results;
      render();
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      results = [];
      list.replaceChildren(h('li', { class: 'search-empty', role: 'presentation' }, t('searchError', { msg: (e as Error).message })));
      setOpen(true);
    }
  };
  const debounced = debounce(run, 160);

  input.addEventListener('input', () => debounced(input.value.trim()));
  input.addEventListener('keydown', async (e) => {
    const n = results.length;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (list.hidden && n) setOpen(true);
      if (n) setActive((active + 1) % n);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      if (n) setActive(active <= 0 ? n - 1 : active - 1);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const q = input.value.trim();
      // Enter right after typing: don't wait for the debounce, search now, then take the best hit.
      if (q && q !== lastQuery) await run(q);
      pick(active >= 0 ? active : 0);
    } else if (e.key === 'Escape') {
      if (!list.hidden) {
        e.preventDefault();
        setOpen(false);
      } else if (input.value) {
        e.preventDefault();
        input.value = '';
        results = [];
        lastQuery = '';
      }
    }
  });
  // Keep focus in the input on mousedown so its blur does not close the list before the click.
  list.addEventListener('mousedown', (e) => e.preventDefault());
  list.addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('[role=option]');
    if (li) pick([...list.children].indexOf(li));
  });
  input.addEventListener('blur', () => setTimeout(() => setOpen(false), 100));
  input.addEventListener('focus', () => {
    if (results.length && input.value.trim()) setOpen(true);
  });
}
