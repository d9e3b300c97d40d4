// Run sidebar: colour chips, regex filter, select all / none, grouping controls. The run list is
// virtualised: rows have one fixed height and only those in (or near) the scrolled window are in
// the DOM, between two spacers that stand for the rest, so 10,000 runs cost a few dozen rows.
// A run's chip is a colour picker; the sidebar's right edge is a drag (and arrow-key) handle.
import { assignGroupColors, assignRunColors, isPicked, onColorChange, runColor, setRunColor } from '../colors.js';
import { debounce, el, safeRegex } from '../dom.js';
import { groupRuns } from '../runs.js';
import { SIDEBAR_WIDTH } from '../state.js';
import { onThemeChange } from '../theme.js';

const ROW_HEIGHT = 22; // px, as .run-row in style.css
const OVERSCAN = 10; // rows rendered beyond each edge of the window
const KEY_STEP = 16; // px per arrow key press on the resize handle

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
  const resizer = resizeHandle(ctx, root);
  const picker = colorPicker();
  root.append(resizer, picker.input);

  function makeRow(name) {
    const box = el('input', { type: 'checkbox', 'aria-label': `show run ${name}` });
    box.addEventListener('change', () => {
      const current = new Set(ctx.store.get().off);
      if (box.checked) current.delete(name);
      else current.add(name);
      ctx.store.set({ off: [...current] });
    });
    const chip = el('button', {
      type: 'button', class: 'color-chip', 'aria-label': `colour of run ${name}`,
      title: 'Change this run’s colour (Alt+click: back to its own)',
    });
    chip.addEventListener('click', (event) => {
      event.preventDefault(); // not the label's checkbox
      if (event.altKey) setRunColor(name, null);
      else picker.open(name, chip);
    });
    const row = el('li', { class: 'run-row', dataset: { run: name } },
      el('label', { title: name }, box, chip, el('span', { class: 'run-name', text: name })));
    row._box = box;
    row._chip = chip;
    paintChip(row, name);
    return row;
  }

  function paintChip(row, name) {
    const color = runColor(name);
    row._chip.dataset.color = color;
    row._chip.style.background = color;
    row._chip.classList.toggle('picked', isPicked(name));
  }

  const repaintChips = () => {
    for (const [name, row] of rows) paintChip(row, name);
  };
  onColorChange(repaintChips);
  onThemeChange(repaintChips);

  // Group colours are given over all runs, not the filtered ones: filtering keeps them.
  function colorGroups() {
    const spec = ctx.store.get().groupBy;
    const groups = spec ? groupRuns(spec, ctx.index.names(), ctx.index) : null;
    if (groups) assignGroupColors(groups.map((g) => g.key));
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

  function applyWidth() {
    root.style.setProperty('--sidebar', `${ctx.store.get().sidebarWidth}px`);
    resizer.setAttribute('aria-valuenow', String(ctx.store.get().sidebarWidth));
  }
  applyWidth();

  return {
    root,
    onRuns() {
      assignRunColors(ctx.index.names());
      colorGroups();
      renderList();
      fillGroupOptions();
    },
    onState(changed) {
      if (changed.has('sidebarWidth')) applyWidth();
      if (changed.has('groupBy')) colorGroups();
      if (changed.has('runFilter')) list.scrollTop = 0; // a new filter starts at its first run
      if (changed.has('off') || changed.has('runFilter')) renderList();
      if (changed.has('runFilter') && filter.value !== ctx.store.get().runFilter) filter.value = ctx.store.get().runFilter;
    },
  };
}

// The handle on the sidebar's right edge: drag it, or focus it and press the arrow keys.
function resizeHandle(ctx, sidebar) {
  const handle = el('div', {
    class: 'sidebar-resizer', role: 'separator', tabindex: '0', 'aria-orientation': 'vertical',
    'aria-label': 'Resize the run sidebar', 'aria-valuemin': String(SIDEBAR_WIDTH.min), 'aria-valuemax': String(SIDEBAR_WIDTH.max),
    title: 'Drag (or use the arrow keys) to resize',
  });
  const setWidth = (px) => {
    const limit = Math.min(SIDEBAR_WIDTH.max, Math.round(window.innerWidth * 0.7));
    ctx.store.set({ sidebarWidth: Math.round(Math.max(SIDEBAR_WIDTH.min, Math.min(limit, px))) });
  };
  handle.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    handle.classList.add('dragging');
    document.body.classList.add('resizing');
    const startX = event.clientX;
    const startWidth = sidebar.getBoundingClientRect().width;
    const move = (e) => setWidth(startWidth + e.clientX - startX);
    const up = () => {
      handle.classList.remove('dragging');
      document.body.classList.remove('resizing');
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  });
  handle.addEventListener('keydown', (event) => {
    const width = ctx.store.get().sidebarWidth;
    const step = event.shiftKey ? KEY_STEP * 4 : KEY_STEP;
    const next = { ArrowLeft: width - step, ArrowRight: width + step, Home: SIDEBAR_WIDTH.min, End: SIDEBAR_WIDTH.max }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    setWidth(next);
  });
  handle.addEventListener('dblclick', () => setWidth(260));
  return handle;
}

// One native colour input for every row, opened over the chip that was clicked.
function colorPicker() {
  const input = el('input', { type: 'color', class: 'color-picker-input', 'aria-label': 'run colour', tabindex: '-1' });
  input.addEventListener('input', () => {
    if (input.dataset.run !== undefined) setRunColor(input.dataset.run, input.value);
  });
  return {
    input,
    open(name, chip) {
      input.dataset.run = name;
      input.value = runColor(name);
      const box = chip.getBoundingClientRect();
      Object.assign(input.style, { left: `${box.left}px`, top: `${box.top}px` });
      try {
        input.showPicker();
      } catch {
        input.click(); // browsers without showPicker
      }
    },
  };
}
