// The Runs view's hparams plots: parallel coordinates (plotly parcoords; every hparam and the
// metrics most runs have on axes, linear / log / quantile scales, brushing an axis filters the
// runs) and a scatter-plot matrix of the same axes, as TensorBoard's HParams dashboard shows.
//
// Both are WebGL, and costly in a software renderer: seconds for the first draw whatever the
// number of lines, tens of seconds for 10,000 lines, in one task that blocks the page. So they
// draw only when their section is open and on screen, the section starts closed above
// AUTO_OPEN_RUNS runs, and at most MAX_LINES runs are drawn (evenly spaced in the table's order,
// said under the plot); brushing still selects among every run.
import { Plotly, baseLayout, loadPlotly, plotConfig, plotlyText } from '../widgets/plots.js';
import { debounce, el, formatNumber } from '../dom.js';

export const SCALES = ['linear', 'log', 'quantile'];
export const AUTO_OPEN_RUNS = 500;
export const MAX_LINES = 1000;
const MAX_METRIC_AXES = 4;
const MAX_MATRIX_AXES = 6;
const NONE = '(none)';
const formatCount = (n) => n.toLocaleString('en-US');

/**
 * The hparams plots section of the Runs view: `show(columns, rows)` gives it the table's runs
 * (drawn once the section is open and on screen), `setBrushed(...nodes)` the brush summary
 * (null clears it); `onBrush(names)` gets the runs inside the brushed ranges.
 */
export function createHparamPlots(ctx, { onBrush }) {
  const metricSelect = el('select', { class: 'parallel-metric', 'aria-label': 'metric for parallel coordinates' });
  const scaleSelect = el('select', { class: 'parallel-scale', 'aria-label': 'scale of the numeric axes' },
    SCALES.map((s) => el('option', { value: s, text: s })));
  const brushed = el('span', { class: 'parallel-brushed' });
  const hint = el('span', { class: 'hparam-plots-hint' });
  const note = el('p', { class: 'parallel-note' });
  const parallelHost = el('div', { class: 'parallel' });
  const matrixHost = el('div', { class: 'scatter-matrix' });
  const summary = el('summary', {}, el('strong', { text: 'Parallel coordinates and scatter-plot matrix' }), hint);
  const root = el('details', { class: 'hparam-plots', open: true },
    summary,
    el('div', { class: 'runs-controls' }, 'colour by ', metricSelect, 'scale ', scaleSelect, brushed),
    note,
    parallelHost,
    el('div', { class: 'runs-controls' }, el('strong', { text: 'Scatter-plot matrix' })),
    matrixHost);
  let userChose = false; // once the user opens or closes the section, the run count no longer does
  let pending = null; // [columns, rows] not drawn yet
  let current = { columns: [], rows: [] };
  let onScreen = false;
  summary.addEventListener('click', () => { userChose = true; });
  root.addEventListener('toggle', () => {
    if (root.open) hint.textContent = '';
    drawSoon();
  });
  scaleSelect.addEventListener('change', () => show(current.columns, current.rows));
  metricSelect.addEventListener('change', () => ctx.store.set({ parallelMetric: metricSelect.value }));
  new IntersectionObserver((entries) => {
    onScreen = entries.some((e) => e.isIntersecting);
    drawSoon();
  }).observe(parallelHost);

  const drawSoon = debounce(async () => {
    if (!pending || !onScreen || !root.open) return;
    await loadPlotly();
    if (!pending || !onScreen || !root.open) return;
    const [columns, rows] = pending;
    pending = null;
    const metric = metricSelect.value;
    brushed.replaceChildren();
    const { axes, drawn } = renderParallel(parallelHost, columns, rows, metric, { scale: scaleSelect.value, onBrush });
    note.textContent = drawn.length < rows.length
      ? `Drawn: ${formatCount(drawn.length)} of ${formatCount(rows.length)} runs, evenly spaced in the table's sort order; brushing an axis selects among all ${formatCount(rows.length)}.`
      : '';
    renderScatterMatrix(matrixHost, axes, rows, metric, drawn);
  }, 150);

  function show(columns, rows) {
    current = { columns, rows };
    fillMetricSelect(columns, rows);
    if (!userChose) {
      root.open = rows.length <= AUTO_OPEN_RUNS;
      hint.textContent = root.open ? '' : ` — ${formatCount(rows.length)} runs: closed until you open it (drawing takes a while)`;
    }
    pending = [columns, rows];
    drawSoon();
  }

  function fillMetricSelect(columns, rows) {
    const metrics = columns.filter((c) => c.kind === 'metric');
    const wanted = metrics.map((c) => c.id).join('\n');
    if (metricSelect.dataset.options !== wanted) {
      metricSelect.replaceChildren(...metrics.map((c) => el('option', { value: c.id, text: c.label })));
      metricSelect.dataset.options = wanted;
    }
    const chosen = ctx.store.get().parallelMetric;
    metricSelect.value = metrics.some((c) => c.id === chosen) ? chosen : defaultColorMetric(columns, rows);
  }

  return {
    root,
    show,
    setBrushed(...nodes) {
      brushed.replaceChildren(...(nodes[0] === null ? [] : nodes));
    },
  };
}

/** Indices of at most `limit` of `n` items, evenly spaced, first and last included. */
export function evenSample(n, limit) {
  if (n <= limit) return Array.from({ length: n }, (_, i) => i);
  if (limit < 2) return limit === 1 ? [0] : [];
  return Array.from({ length: limit }, (_, i) => Math.round((i * (n - 1)) / (limit - 1)));
}

const present = (v) => v != null && !(typeof v === 'number' && Number.isNaN(v));

/** The metric most runs have (the colour-by default): a metric few runs have draws few lines. */
export function defaultColorMetric(columns, rows) {
  let best = '';
  let bestCount = 0;
  for (const column of columns) {
    if (column.kind !== 'metric') continue;
    const count = rows.reduce((n, r) => n + (present(column.get(r)) ? 1 : 0), 0);
    if (count > bestCount) [best, bestCount] = [column.id, count];
  }
  return best;
}

/**
 * One axis per hparam column, then the metrics (last values) that at least half the runs have
 * (at most MAX_METRIC_AXES, the colour-by metric `metricId` always, last). Each axis is {id, label,
 * raw, values, numeric, log, tickvals?, ticktext?}: `values` are what is drawn (scaled; a run
 * without a value sits at a "(none)" tick below the others, so its line is still drawn).
 */
export function parallelDimensions(columns, rows, metricId, scale = 'linear') {
  const axes = [];
  const metrics = [];
  for (const column of columns) {
    if (column.kind !== 'hparam' && column.kind !== 'metric') continue;
    const raw = rows.map((r) => column.get(r));
    const count = raw.filter(present).length;
    if (!count) continue;
    if (column.kind === 'metric') {
      // one axis per tag (its last value), unless another statistic is the colour-by metric
      const lastOfTag = column.id.endsWith('.last');
      if (column.id === metricId || (lastOfTag && count * 2 >= rows.length)) metrics.push({ column, raw, count });
      continue;
    }
    axes.push(makeAxis(column, raw, scale));
  }
  metrics.sort((a, b) => (a.column.id === metricId) - (b.column.id === metricId) || b.count - a.count);
  const kept = metrics.slice(-MAX_METRIC_AXES);
  if (metricId && !kept.some((m) => m.column.id === metricId)) {
    const chosen = metrics.find((m) => m.column.id === metricId);
    if (chosen) kept.splice(0, 1, chosen);
  }
  for (const { column, raw } of kept) axes.push(makeAxis(column, raw, scale));
  return axes;
}

function makeAxis(column, raw, scale) {
  const base = { id: column.id, label: column.label, raw };
  if (raw.every((v) => !present(v) || typeof v === 'number')) return numericAxis(base, raw, scale);
  const text = raw.map((v) => (present(v) ? String(v) : NONE));
  const categories = [...new Set(text)].sort((a, b) => (a === NONE) - (b === NONE) || a.localeCompare(b, undefined, { numeric: true }));
  return {
    ...base,
    numeric: false,
    log: false,
    values: text.map((v) => categories.indexOf(v)),
    tickvals: categories.map((_, i) => i),
    ticktext: categories,
  };
}

function numericAxis(base, raw, scale) {
  const finite = raw.filter((v) => Number.isFinite(v));
  const log = scale === 'log' && finite.length > 0 && finite.every((v) => v > 0);
  const sorted = [...new Set(finite)].sort((a, b) => a - b);
  let transform = (v) => v;
  if (log) transform = Math.log10;
  else if (scale === 'quantile') {
    const rank = new Map(sorted.map((v, i) => [v, sorted.length > 1 ? i / (sorted.length - 1) : 0.5]));
    transform = (v) => rank.get(v);
  }
  const lo = sorted.length ? transform(sorted[0]) : 0;
  const hi = sorted.length ? transform(sorted.at(-1)) : 1;
  const none = lo - 0.1 * (hi - lo || 1);
  const values = raw.map((v) => (Number.isFinite(v) ? transform(v) : none));
  const ticks = tickValues(sorted, scale, log, lo, hi, transform);
  const axis = { ...base, numeric: true, log, values };
  if (scale !== 'linear' || values.includes(none)) {
    axis.tickvals = ticks.map((t) => t.at);
    axis.ticktext = ticks.map((t) => t.text);
    if (values.includes(none)) {
      axis.tickvals.unshift(none);
      axis.ticktext.unshift(NONE);
    }
  }
  return axis;
}

// Ticks labelled with the data's own units: powers of ten (log), the values at the quartiles
// (quantile), or five even steps (linear).
function tickValues(sorted, scale, log, lo, hi, transform) {
  if (!sorted.length) return [];
  if (log) {
    const ticks = [];
    for (let p = Math.floor(lo); p <= Math.ceil(hi); p++) if (p >= lo - 1e-9 && p <= hi + 1e-9) ticks.push({ at: p, text: formatNumber(10 ** p) });
    if (ticks.length < 2) return [...new Set([sorted[0], sorted.at(-1)])].map((v) => ({ at: Math.log10(v), text: formatNumber(v) }));
    return ticks;
  }
  if (scale === 'quantile') {
    const picks = [0, 0.25, 0.5, 0.75, 1].map((q) => sorted[Math.round(q * (sorted.length - 1))]);
    return [...new Set(picks)].map((v) => ({ at: transform(v), text: formatNumber(v) }));
  }
  if (hi === lo) return [{ at: lo, text: formatNumber(lo) }];
  return [0, 0.25, 0.5, 0.75, 1].map((q) => ({ at: lo + q * (hi - lo), text: formatNumber(lo + q * (hi - lo)) }));
}

/** The indices of the rows inside every brushed range: `constraintrange`s as plotly keeps them
 * on `dimensions`, tested against the values of every row (`axes`, in the same order), so a
 * brush selects among all runs, drawn or not. */
export function brushedRows(dimensions, axes) {
  const count = axes[0]?.values.length ?? 0;
  const ranges = dimensions.map((d) => {
    const range = d.constraintrange;
    if (!range || !range.length) return null;
    return Array.isArray(range[0]) ? range : [range];
  });
  const keep = [];
  for (let i = 0; i < count; i++) {
    const inside = ranges.every((r, k) => r === null || r.some(([a, b]) => axes[k].values[i] >= a && axes[k].values[i] <= b));
    if (inside) keep.push(i);
  }
  return keep;
}

/**
 * Draw the parallel coordinates of `rows` into `host` (at most MAX_LINES of them, evenly
 * spaced); `onBrush(names)` gets the names of the runs inside the brushed ranges after every
 * brush (all names when nothing is brushed). Returns {axes (over every row), drawn (indices)}.
 */
export function renderParallel(host, columns, rows, metricId, { scale = 'linear', onBrush } = {}) {
  const axes = parallelDimensions(columns, rows, metricId, scale);
  host.axes = axes;
  if (axes.length < 2 || !rows.length) {
    if (host.data) Plotly.purge(host);
    host.replaceChildren(el('p', { class: 'empty', text: 'Parallel coordinates need at least two hparams or an hparam and a metric.' }));
    return { axes, drawn: [] };
  }
  if (!host.data) host.replaceChildren();
  const drawn = evenSample(rows.length, MAX_LINES);
  const pick = (values) => (drawn.length === values.length ? values : drawn.map((i) => values[i]));
  const colour = axes.find((a) => a.id === metricId);
  const trace = {
    type: 'parcoords',
    labelangle: -12,
    labelside: 'top',
    dimensions: axes.map((a) => ({
      label: plotlyText(a.label),
      values: pick(a.values),
      ...(a.tickvals ? { tickvals: a.tickvals, ticktext: a.ticktext.map(plotlyText) } : {}),
    })),
    line: colour
      ? { color: pick(colour.values), colorscale: 'Viridis', showscale: true, colorbar: { title: { text: plotlyText(colour.label) } } }
      : { color: '#0072B2' },
  };
  Plotly.react(host, [trace], baseLayout({ height: 360, margin: { l: 70, r: 70, t: 50, b: 24 } }), plotConfig);
  host.rowNames = rows.map((r) => r.name);
  host.onBrush = onBrush;
  if (!host.brushBound) {
    host.brushBound = true;
    host.on('plotly_restyle', () => {
      const dims = host.data?.[0]?.dimensions;
      if (!dims || !host.onBrush) return;
      host.onBrush(brushedRows(dims, host.axes).map((i) => host.rowNames[i]));
    });
  }
  return { axes, drawn };
}

/** A scatter-plot matrix of the first axes (the colour-by metric among them), coloured by it,
 * of the rows at the indices `drawn`. */
export function renderScatterMatrix(host, axes, rows, metricId, drawn) {
  const colour = axes.find((a) => a.id === metricId);
  let shown = axes.slice(0, MAX_MATRIX_AXES);
  if (colour && !shown.includes(colour)) shown = [...shown.slice(0, MAX_MATRIX_AXES - 1), colour];
  if (shown.length < 2 || !rows.length) {
    if (host.data) Plotly.purge(host);
    host.replaceChildren();
    return;
  }
  if (!host.data) host.replaceChildren();
  const layout = baseLayout({ height: 150 * shown.length + 60, margin: { l: 60, r: 20, t: 20, b: 50 }, dragmode: 'select', hovermode: 'closest' });
  shown.forEach((a, i) => {
    const axis = { title: { text: plotlyText(a.label), font: { size: 10 } }, type: a.log ? 'log' : a.numeric ? 'linear' : 'category', automargin: true };
    layout[`xaxis${i ? i + 1 : ''}`] = axis;
    layout[`yaxis${i ? i + 1 : ''}`] = axis;
  });
  const trace = {
    type: 'splom',
    dimensions: shown.map((a) => ({
      label: plotlyText(a.label),
      values: drawn.map((i) => a.raw[i]).map((v) => (present(v) ? (a.numeric ? v : plotlyText(String(v))) : a.numeric ? Number.NaN : NONE)),
    })),
    text: drawn.map((i) => plotlyText(rows[i].name)),
    hovertemplate: '%{text}<extra></extra>',
    diagonal: { visible: false },
    marker: colour
      ? { color: drawn.map((i) => colour.values[i]), colorscale: 'Viridis', size: 6, line: { width: 0 } }
      : { color: '#0072B2', size: 6 },
  };
  Plotly.react(host, [trace], layout, plotConfig);
}
