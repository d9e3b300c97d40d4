// Runs: a comparison table (hparams, metric summaries), expression filter, sort, selection into
// the charts, CSV export, group rows with mean ± std, and a parallel-coordinates plot.
import { fetchHparams } from '../api.js';
import { groupColor, runColor } from '../colors.js';
import { debounce, el, formatDuration, formatNumber, formatTime, throttle } from '../dom.js';
import { ExprError, compileFilter } from '../expr.js';
import { buildColumns, buildRows, groupRow, knownNames, lookupIn, toCsv } from './runsModel.js';
import { SCALES, defaultColorMetric, renderParallel, renderScatterMatrix } from './parallel.js';
import { loadPlotly } from '../widgets/plots.js';

// One collator for the whole sort (localeCompare with options builds one per comparison).
const byNaturalText = new Intl.Collator(undefined, { numeric: true }).compare;

const LIVE_REFRESH_MS = 2000;

export function createRunsView(ctx) {
  let hparamsBody = null;
  let view = { rows: [], columns: [], shown: [] };
  const st0 = ctx.store.get();
  const query = el('input', {
    type: 'search', class: 'runs-query', value: st0.tableQuery, 'aria-label': 'filter expression',
    placeholder: 'filter, e.g. optimizer = adam and learning_rate < 0.01',
  });
  const queryError = el('span', { class: 'filter-error query-error' });
  const count = el('span', { class: 'runs-count' });
  const table = el('table', { class: 'runs-table' });
  const parallelHost = el('div', { class: 'parallel' });
  const metricSelect = el('select', { class: 'parallel-metric', 'aria-label': 'metric for parallel coordinates' });
  const scaleSelect = el('select', { class: 'parallel-scale', 'aria-label': 'scale of the numeric axes' },
    SCALES.map((s) => el('option', { value: s, text: s })));
  const brushed = el('span', { class: 'parallel-brushed' });
  const matrixHost = el('div', { class: 'scatter-matrix' });
  scaleSelect.addEventListener('change', () => render());
  const setQuery = debounce(() => ctx.store.set({ tableQuery: query.value }), 200);
  query.addEventListener('input', setQuery);
  metricSelect.addEventListener('change', () => ctx.store.set({ parallelMetric: metricSelect.value }));

  const root = el(
    'div',
    { class: 'view runs-view' },
    el('div', { class: 'runs-controls' },
      query,
      el('button', { class: 'select-into-charts', text: 'Show only these runs in the charts', onclick: selectIntoCharts }),
      el('button', { class: 'export-csv', text: 'Export CSV', onclick: exportCsv }),
      count),
    queryError,
    el('div', { class: 'table-wrap' }, table),
    el('div', { class: 'runs-controls' }, el('strong', { text: 'Parallel coordinates' }), 'colour by ', metricSelect,
      'scale ', scaleSelect, brushed),
    parallelHost,
    el('div', { class: 'runs-controls' }, el('strong', { text: 'Scatter-plot matrix' })),
    matrixHost,
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
    return [...rows].sort((a, b) => {
      const x = column.get(a);
      const y = column.get(b);
      if (x == null || Number.isNaN(x)) return 1;
      if (y == null || Number.isNaN(y)) return -1;
      if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
      return sign * byNaturalText(String(x), String(y));
    });
  }

  function render() {
    const st = ctx.store.get();
    const rows = buildRows(ctx.index, hparamsBody);
    const columns = buildColumns(rows, st.tagFilter);
    const shown = sortRows(filterRows(rows), columns);
    view = { rows, columns, shown };
    count.textContent = `${shown.length} of ${rows.length} runs`;
    renderTable(columns, shown, st);
    const metric = fillMetricSelect(columns, st);
    parallelArgs = [parallelHost, columns, shown, metric];
    drawParallelSoon();
  }

  // parcoords is WebGL and costly: draw it once typing settles, and only when it is on screen.
  let parallelArgs = null;
  let parallelOnScreen = false;
  const drawParallelSoon = debounce(async () => {
    await loadPlotly();
    if (parallelArgs && parallelOnScreen) {
      const [host, columns, shown, metric] = parallelArgs;
      brushed.textContent = '';
      const axes = renderParallel(host, columns, shown, metric, { scale: scaleSelect.value, onBrush: showBrushed });
      renderScatterMatrix(matrixHost, axes, shown, metric);
      parallelArgs = null;
    }
  }, 150);
  new IntersectionObserver((entries) => {
    parallelOnScreen = entries.some((e) => e.isIntersecting);
    drawParallelSoon();
  }).observe(parallelHost);

  function renderTable(columns, shown, st) {
    const off = new Set(st.off);
    const sortSpec = st.tableSort;
    const header = el('tr', {}, el('th', { text: '' }), columns.map((c) => {
      const mark = sortSpec === c.id ? ' ▲' : sortSpec === `-${c.id}` ? ' ▼' : '';
      return el('th', {
        class: c.id === 'name' ? 'name' : c.kind,
        dataset: { column: c.id },
        title: 'Sort',
        text: `${c.label}${mark}`,
        onclick: () => ctx.store.set({ tableSort: sortSpec === c.id ? `-${c.id}` : c.id }),
      });
    }));
    const body = [];
    const groups = ctx.groups(shown.map((r) => r.name));
    const byName = new Map(shown.map((r) => [r.name, r]));
    const emitRun = (row) => body.push(runRow(row, columns, off));
    if (groups) {
      for (const group of groups) {
        const members = group.members.map((name) => byName.get(name));
        body.push(groupTableRow(groupRow(group.key, members, columns), columns));
        members.forEach(emitRun);
      }
    } else shown.forEach(emitRun);
    table.replaceChildren(el('thead', {}, header), el('tbody', {}, body));
  }

  function runRow(row, columns, off) {
    const box = el('input', { type: 'checkbox', checked: !off.has(row.name), 'aria-label': `show ${row.name} in charts` });
    box.addEventListener('change', () => {
      const next = new Set(ctx.store.get().off);
      if (box.checked) next.delete(row.name);
      else next.add(row.name);
      ctx.store.set({ off: [...next] });
    });
    return el('tr', { dataset: { run: row.name } }, el('td', {}, box), columns.map((c) => cell(c, c.get(row))));
  }

  function fillMetricSelect(columns, st) {
    const metrics = columns.filter((c) => c.kind === 'metric');
    const wanted = metrics.map((c) => c.id).join('\n');
    if (metricSelect.dataset.options !== wanted) {
      metricSelect.replaceChildren(...metrics.map((c) => el('option', { value: c.id, text: c.label })));
      metricSelect.dataset.options = wanted;
    }
    const chosen = metrics.some((c) => c.id === st.parallelMetric) ? st.parallelMetric : defaultColorMetric(columns, view.shown);
    metricSelect.value = chosen;
    return chosen;
  }

  // Brushing axes of the parallel coordinates narrows the runs: say how many, and let the
  // table and charts follow.
  function showBrushed(names) {
    brushed.replaceChildren();
    const keep = new Set(names);
    for (const tr of table.querySelectorAll('tbody tr[data-run]')) tr.classList.toggle('brushed-out', !keep.has(tr.dataset.run));
    if (names.length === view.shown.length) return;
    brushed.append(` ${names.length} of ${view.shown.length} runs in the brushed ranges `,
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
      if (['tableQuery', 'tableSort', 'off', 'tagFilter', 'groupBy', 'parallelMetric'].some((k) => changed.has(k)) && root.isConnected) render();
      if (changed.has('tableQuery') && query.value !== ctx.store.get().tableQuery) query.value = ctx.store.get().tableQuery;
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
