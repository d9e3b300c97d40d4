// Run sidebar: colour chips, regex filter, select all / none, grouping controls.
import { runColor } from '../colors.js';
import { debounce, el, safeRegex } from '../dom.js';

export function createSidebar(ctx) {
  const st = ctx.store.get();
  const filterError = el('div', { class: 'filter-error' });
  const filter = el('input', {
    type: 'search', class: 'run-filter', placeholder: 'Filter runs (regex)', value: st.runFilter,
    'aria-label': 'run filter',
  });
  const setFilter = debounce(() => ctx.store.set({ runFilter: filter.value }), 150);
  filter.addEventListener('input', () => {
    safeRegex(filter.value, (msg) => (filterError.textContent = msg ?? ''));
    setFilter();
  });
  const list = el('ul', { class: 'run-list' });
  const rows = new Map();
  const counter = el('span', { class: 'run-count' });

  const matching = () => {
    const regex = safeRegex(ctx.store.get().runFilter);
    return ctx.index.names().filter((name) => !regex || regex.test(name));
  };
  const selectAll = () => {
    const shown = new Set(matching());
    ctx.store.set({ off: ctx.store.get().off.filter((name) => !shown.has(name)) });
  };
  const selectNone = () => {
    const off = new Set(ctx.store.get().off);
    for (const name of matching()) off.add(name);
    ctx.store.set({ off: [...off] });
  };

  const groupSelect = el('select', { class: 'group-by', 'aria-label': 'group runs by' });
  const groupRegex = el('input', { type: 'text', class: 'group-regex', placeholder: 'regex, e.g. _seed\\d+', 'aria-label': 'group regex' });
  const band = el(
    'select',
    { class: 'band', 'aria-label': 'band', onchange: (e) => ctx.store.set({ band: e.target.value }) },
    el('option', { value: 'std', text: 'mean ± std', selected: st.band === 'std' }),
    el('option', { value: 'minmax', text: 'mean, min–max', selected: st.band === 'minmax' }),
  );
  const applyGroup = () => {
    const mode = groupSelect.value;
    groupRegex.hidden = mode !== 're';
    if (!mode) ctx.store.set({ groupBy: '' });
    else if (mode === 're') ctx.store.set({ groupBy: groupRegex.value ? `re:${groupRegex.value}` : '' });
    else ctx.store.set({ groupBy: mode });
  };
  groupSelect.addEventListener('change', applyGroup);
  groupRegex.addEventListener('input', debounce(applyGroup, 200));

  const fillGroupOptions = () => {
    const spec = ctx.store.get().groupBy;
    const options = [['', 'no grouping'], ...ctx.index.hparamNames().map((h) => [`hp:${h}`, `hparam ${h}`]), ['re', 'regex over names']];
    groupSelect.replaceChildren(...options.map(([value, text]) => el('option', { value, text })));
    if (spec.startsWith('re:')) {
      groupSelect.value = 're';
      groupRegex.value = spec.slice(3);
    } else groupSelect.value = options.some(([v]) => v === spec) ? spec : '';
    groupRegex.hidden = groupSelect.value !== 're';
  };

  const root = el(
    'aside',
    { class: 'sidebar' },
    el('div', { class: 'sidebar-head' }, el('strong', { text: 'Runs' }), counter,
      el('button', { class: 'icon hide-sidebar', title: 'Hide the sidebar', text: '⟨', onclick: () => ctx.store.set({ sidebarHidden: true }) })),
    filter,
    filterError,
    el('div', { class: 'run-buttons' },
      el('button', { class: 'select-all', text: 'All', onclick: selectAll }),
      el('button', { class: 'select-none', text: 'None', onclick: selectNone })),
    list,
    el('div', { class: 'grouping' }, el('strong', { text: 'Group runs' }), groupSelect, groupRegex, band),
  );

  function renderList() {
    const state = ctx.store.get();
    const regex = safeRegex(state.runFilter);
    const off = new Set(state.off);
    const names = ctx.index.names();
    const wanted = new Set(names);
    for (const [name, row] of rows) {
      if (!wanted.has(name)) {
        row.remove();
        rows.delete(name);
      }
    }
    let shown = 0;
    let selected = 0;
    let previous = null;
    for (const name of names) {
      let row = rows.get(name);
      if (!row) {
        const box = el('input', { type: 'checkbox', 'aria-label': `show run ${name}` });
        box.addEventListener('change', () => {
          const current = new Set(ctx.store.get().off);
          if (box.checked) current.delete(name);
          else current.add(name);
          ctx.store.set({ off: [...current] });
        });
        row = el('li', { class: 'run-row', dataset: { run: name } },
          el('label', {}, box, el('span', { class: 'chip', style: { background: runColor(name) } }), el('span', { class: 'run-name', text: name, title: name })));
        row._box = box;
        rows.set(name, row);
      }
      const matches = !regex || regex.test(name);
      row.hidden = !matches;
      row._box.checked = !off.has(name);
      if (matches) shown++;
      if (matches && !off.has(name)) selected++;
      if (previous ? previous.nextSibling !== row : list.firstChild !== row) {
        if (previous) previous.after(row);
        else list.prepend(row);
      }
      previous = row;
    }
    counter.textContent = ` ${selected}/${shown}`;
  }

  return {
    root,
    onRuns() {
      renderList();
      fillGroupOptions();
    },
    onState(changed) {
      if (changed.has('off') || changed.has('runFilter')) renderList();
      if (changed.has('runFilter') && filter.value !== ctx.store.get().runFilter) filter.value = ctx.store.get().runFilter;
    },
  };
}
