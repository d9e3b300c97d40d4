// Runs: a comparison table (hparams, metric summaries), expression filter, sort, selection into
// the charts, CSV export, group rows with mean ± std, and the hparams plots (parallel.js). The
// table is virtualised (virtualRows.js): filtering, sorting and grouping run over every run,
// only the rows in the scrolled window are in the DOM.
import { fetchHparams } from '../api.js';
import { groupColor, runColor } from '../colors.js';
import { debounce, el, formatDuration, formatNumber, formatTime, throttle } from '../dom.js';
import { ExprError, compileFilter } from '../expr.js';
import { buildColumns, buildRows, groupRow, knownNames, lookupIn, toCsv } from './runsModel.js';
import { createHparamPlots } from './parallel.js';
import { VirtualRows } from './virtualRows.js';

// One collator for the whole sort (localeCompare with options builds one per comparison).
const byNaturalText = new Intl.Collator(undefined, { numeric: true }).compare;

const LIVE_REFRESH_MS = 2000;

export function createRunsView(ctx) {
  let hparamsBody = null;
  let view = { rows: [], columns: [], shown: [] };
  let offSet = new Set(ctx.store.get().off);
  let brushedKeep = null; // names inside the parallel coordinates' brushed ranges, or null
  const st0 = ctx.store.get();
  const query = el('input', {
    type: 'search', class: 'runs-query', value: st0.tableQuery, 'aria-label': 'filter expression',
    placeholder: 'filter, e.g. optimizer = adam and learning_rate < 0.01',
  });
  const queryError = el('span', { class: 'filter-error query-error' });
  const count = el('span', { class: 'runs-count' });
  const grid = new VirtualRows({
    tableClass: 'runs-table',
    keyOf: (item) => (item.group ? `group ${item.group.key}` : `run ${item.row.name}`),
    makeRow: (item) => (item.group ? groupTableRow(item.group, view.columns) : runRow(item.row, view.columns)),
    updateRow: (tr, item) => {
      if (item.group) return;
      tr.box.checked = !offSet.has(item.row.name);
      tr.classList.toggle('brushed-out', brushedKeep !== null && !brushedKeep.has(item.row.name));
    },
  });
  const plots = createHparamPlots(ctx, { onBrush: showBrushed });
  const setQuery = debounce(() => ctx.store.set({ tableQuery: query.value }), 200);
  query.addEventListener('input', setQuery);

  const root = el(
    'div',
    { class: 'view runs-view' },
    el('div', { class: 'runs-controls' },
      query,
      el('button', { class: 'select-into-charts', text: 'Show only these runs in the charts', onclick: selectIntoCharts }),
      el('button', { class: 'export-csv', text: 'Export CSV', onclick: exportCsv }),
      count),
    queryError,
    grid.wrap,
    plots.root,
  );

  async function load() {
    try {
      hparamsBody = await fetchHparams();
    } catch (err) {
      ctx.setStatus(`Could not load the runs table: ${err.message}`);
    }
    render();
  }
  const loadSoon = throttle(load, LIVE_REFRESH_MS);

  function filterRows(rows) {
    const text = ctx.store.get().tableQuery;
    queryError.textContent = '';
    if (!text.trim()) return rows;
    let accept;
    try {
      accept = compileFilter(text);
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      queryError.textContent = `Filter: ${err.message}`;
      return rows;
    }
    const known = knownNames(rows);
    const unknown = [...accept.names].filter((n) => !known.has(n));
    if (unknown.length) queryError.textContent = `Filter: unknown column ${unknown.join(', ')}`;
    try {
      return rows.filter((row) => accept((name) => lookupIn(row, name)));
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      queryError.textContent = `Filter: ${err.message}`;
      return rows;
    }
  }

  function sortRows(rows, columns) {
    const spec = ctx.store.get().tableSort;
    if (!spec) return rows;
    const descending = spec.startsWith('-');
    const column = columns.find((c) => c.id === (descending ? spec.slice(1) : spec));
    if (!column) return rows;
    const sign = descending ? -1 : 1;
    // each value read once, not once per comparison (n log n `get`s at 10,000 runs)
    const keyed = rows.map((row) => ({ row, key: column.get(row) }));
    keyed.sort((a, b) => {
      const x = a.key;
      const y = b.key;
      if (x == null || Number.isNaN(x)) return y == null || Number.isNaN(y) ? 0 : 1;
      if (y == null || Number.isNaN(y)) return -1;
      if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
      return sign * byNaturalText(String(x), String(y));
    });
    return keyed.map((k) => k.row);
  }

  /** Rebuild rows, columns, the filtered and sorted runs, and the table's items. */
  function render({ resetScroll = false } = {}) {
    const st = ctx.store.get();
    offSet = new Set(st.off);
    const rows = buildRows(ctx.index, hparamsBody);
    const columns = buildColumns(rows, st.tagFilter);
    const shown = sortRows(filterRows(rows), columns);
    view = { rows, columns, shown };
    count.textContent = `${shown.length} of ${rows.length} runs`;
    grid.setItems(tableItems(shown, columns), {
      header: headerRow(columns, st.tableSort),
      columnsKey: columns.map((c) => c.id).join('\n'),
      resetScroll,
    });
    plots.show(columns, shown);
  }

  function tableItems(shown, columns) {
    const groups = ctx.groups(shown.map((r) => r.name));
    if (!groups) return shown.map((row) => ({ row }));
    const byName = new Map(shown.map((r) => [r.name, r]));
    const items = [];
    for (const group of groups) {
      const members = group.members.map((name) => byName.get(name));
      items.push({ group: groupRow(group.key, members, columns) });
      for (const row of members) items.push({ row });
    }
    return items;
  }

  function headerRow(columns, sortSpec) {
    return el('tr', {}, el('th', { text: '' }), columns.map((c) => {
      const mark = sortSpec === c.id ? ' ▲' : sortSpec === `-${c.id}` ? ' ▼' : '';
      return el('th', {
        class: c.id === 'name' ? 'name' : c.kind,
        dataset: { column: c.id },
        title: 'Sort',
        text: `${c.label}${mark}`,
        onclick: () => ctx.store.set({ tableSort: sortSpec === c.id ? `-${c.id}` : c.id }),
      });
    }));
  }

  function runRow(row, columns) {
    const box = el('input', { type: 'checkbox', 'aria-label': `show ${row.name} in charts` });
    box.addEventListener('change', () => {
      const next = new Set(ctx.store.get().off);
      if (box.checked) next.delete(row.name);
      else next.add(row.name);
      ctx.store.set({ off: [...next] });
    });
    const tr = el('tr', { dataset: { run: row.name } }, el('td', {}, box), columns.map((c) => cell(c, c.get(row))));
    tr.box = box;
    return tr;
  }

  // Brushing axes of the parallel coordinates narrows the runs: say how many, and let the
  // table and charts follow.
  function showBrushed(names) {
    const keep = new Set(names);
    brushedKeep = names.length === view.shown.length ? null : keep;
    grid.update();
    if (brushedKeep === null) {
      plots.setBrushed(null);
      return;
    }
    plots.setBrushed(` ${names.length} of ${view.shown.length} runs in the brushed ranges `,
      el('button', { class: 'brushed-into-charts', text: 'Show only these in the charts', onclick: () => {
        ctx.store.set({ off: view.rows.map((r) => r.name).filter((name) => !keep.has(name)), runFilter: '' });
      } }));
  }

  function selectIntoCharts() {
    const keep = new Set(view.shown.map((r) => r.name));
    ctx.store.set({ off: view.rows.map((r) => r.name).filter((name) => !keep.has(name)), runFilter: '' });
  }

  function exportCsv() {
    const blob = new Blob([toCsv(view.columns, view.shown)], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: 'runs.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  return {
    root,
    activate: load,
    onState(changed) {
      if (changed.has('tableQuery') && query.value !== ctx.store.get().tableQuery) query.value = ctx.store.get().tableQuery;
      if (!root.isConnected) return;
      if (['tableQuery', 'tableSort', 'tagFilter', 'groupBy'].some((k) => changed.has(k))) {
        brushedKeep = null;
        // a new filter or order starts at its first row
        render({ resetScroll: changed.has('tableQuery') || changed.has('tableSort') });
      } else if (changed.has('off')) {
        offSet = new Set(ctx.store.get().off);
        grid.update(); // a selection changes checkboxes only: no new rows, no redraw
      } else if (changed.has('parallelMetric')) plots.show(view.columns, view.shown);
    },
    onRuns() {
      if (root.isConnected) load();
    },
    onEvent() {
      if (root.isConnected) loadSoon();
    },
  };
}

function cell(column, value) {
  if (column.id === 'name') {
    return el('td', { class: 'name' }, el('span', { class: 'chip', style: { background: runColor(value) } }), ' ', el('span', { text: value }));
  }
  if (column.id === 'start') return el('td', { text: formatTime(value) });
  if (column.id === 'duration') return el('td', { text: formatDuration(value) });
  return el('td', { text: typeof value === 'number' ? formatNumber(value, 5) : value ?? '—' });
}

function groupTableRow(group, columns) {
  const cells = columns.map((c) => {
    if (c.id === 'name') {
      return el('td', { class: 'name' }, el('span', { class: 'chip', style: { background: groupColor(group.key) } }), ' ',
        el('strong', { text: group.key }), ` (${group.members.length} runs)`);
    }
    const v = group.cells.get(c.id);
    if (v && typeof v === 'object' && 'mean' in v) {
      const fmt = c.id === 'duration' ? formatDuration : c.id === 'start' ? formatTime : (x) => formatNumber(x, 4);
      return el('td', { dataset: { mean: v.mean, std: v.std }, text: c.id === 'start' ? fmt(v.mean) : `${fmt(v.mean)} ± ${fmt(v.std)}` });
    }
    return el('td', { text: v ?? '—' });
  });
  return el('tr', { class: 'group-row', dataset: { group: group.key } }, el('td'), cells);
}
