// Run sidebar: colour chips, regex filter, select all / none, grouping controls. The run list is
// virtualised: rows have one fixed height and only those in (or near) the scrolled window are in
// the DOM, between two spacers that stand for the rest, so 10,000 runs cost a few dozen rows.
import { runColor } from '../colors.js';
import { debounce, el, safeRegex } from '../dom.js';

const ROW_HEIGHT = 20; // px, as .run-row in style.css
const OVERSCAN = 10; // rows rendered beyond each edge of the window

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
  const topPad = el('li', { class: 'run-pad', 'aria-hidden': 'true' });
  const bottomPad = el('li', { class: 'run-pad', 'aria-hidden': 'true' });
  list.append(topPad, bottomPad);
  const rows = new Map(); // run name -> its row, for the rows in the DOM only
  let listed = []; // the runs matching the filter, in order
  let offSet = new Set();
  let frame = 0;
  list.addEventListener('scroll', () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderWindow(); });
  });
  new ResizeObserver(() => renderWindow()).observe(list);
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

  function makeRow(name) {
    const box = el('input', { type: 'checkbox', 'aria-label': `show run ${name}` });
    box.addEventListener('change', () => {
      const current = new Set(ctx.store.get().off);
      if (box.checked) current.delete(name);
      else current.add(name);
      ctx.store.set({ off: [...current] });
    });
    const row = el('li', { class: 'run-row', dataset: { run: name } },
      el('label', {}, box, el('span', { class: 'chip', style: { background: runColor(name) } }), el('span', { class: 'run-name', text: name, title: name })));
    row._box = box;
    return row;
  }

  function renderList() {
    const state = ctx.store.get();
    const regex = safeRegex(state.runFilter);
    offSet = new Set(state.off);
    listed = regex ? ctx.index.names().filter((name) => regex.test(name)) : ctx.index.names();
    let selected = 0;
    for (const name of listed) if (!offSet.has(name)) selected++;
    counter.textContent = ` ${selected}/${listed.length}`;
    renderWindow();
  }

  function renderWindow() {
    const height = list.clientHeight || 600;
    // the list may just have shrunk under a scrolled window: clamp as the browser will
    const top = Math.max(0, Math.min(list.scrollTop, listed.length * ROW_HEIGHT - height));
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(listed.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const wanted = listed.slice(first, last);
    const keep = new Set(wanted);
    for (const [name, row] of rows) {
      if (!keep.has(name)) {
        row.remove();
        rows.delete(name);
      }
    }
    let previous = topPad;
    for (const name of wanted) {
      let row = rows.get(name);
      if (!row) rows.set(name, (row = makeRow(name)));
      row._box.checked = !offSet.has(name);
      if (previous.nextSibling !== row) previous.after(row);
      previous = row;
    }
    topPad.style.height = `${first * ROW_HEIGHT}px`;
    bottomPad.style.height = `${(listed.length - last) * ROW_HEIGHT}px`;
  }

  return {
    root,
    onRuns() {
      renderList();
      fillGroupOptions();
    },
    onState(changed) {
      if (changed.has('runFilter')) list.scrollTop = 0; // a new filter starts at its first run
      if (changed.has('off') || changed.has('runFilter')) renderList();
      if (changed.has('runFilter') && filter.value !== ctx.store.get().runFilter) filter.value = ctx.store.get().runFilter;
    },
  };
}
