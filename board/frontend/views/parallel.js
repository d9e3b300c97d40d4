// The Runs view's hparams plots: parallel coordinates (plotly parcoords; every hparam and the
// metrics most runs have on axes, linear / log / quantile scales, brushing an axis filters the
// runs) and a scatter-plot matrix of the same axes, as TensorBoard's HParams dashboard shows.
import { Plotly, baseLayout, plotConfig, plotlyText } from '../widgets/plots.js';
import { el, formatNumber } from '../dom.js';

export const SCALES = ['linear', 'log', 'quantile'];
const MAX_METRIC_AXES = 4;
const MAX_MATRIX_AXES = 6;
const NONE = '(none)';

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

/** The indices of the rows inside every brushed range of `dimensions` (plotly's own state). */
export function brushedRows(dimensions, count) {
  const keep = [];
  for (let i = 0; i < count; i++) {
    const inside = dimensions.every((d) => {
      const range = d.constraintrange;
      if (!range || !range.length) return true;
      const ranges = Array.isArray(range[0]) ? range : [range];
      return ranges.some(([a, b]) => d.values[i] >= a && d.values[i] <= b);
    });
    if (inside) keep.push(i);
  }
  return keep;
}

/**
 * Draw the parallel coordinates of `rows` into `host`; `onBrush(names)` gets the names of the
 * runs inside the brushed ranges after every brush (all names when nothing is brushed).
 */
export function renderParallel(host, columns, rows, metricId, { scale = 'linear', onBrush } = {}) {
  const axes = parallelDimensions(columns, rows, metricId, scale);
  host.axes = axes;
  if (axes.length < 2 || !rows.length) {
    if (host.data) Plotly.purge(host);
    host.replaceChildren(el('p', { class: 'empty', text: 'Parallel coordinates need at least two hparams or an hparam and a metric.' }));
    return axes;
  }
  if (!host.data) host.replaceChildren();
  const colour = axes.find((a) => a.id === metricId);
  const trace = {
    type: 'parcoords',
    labelangle: -12,
    labelside: 'top',
    dimensions: axes.map((a) => ({
      label: plotlyText(a.label),
      values: a.values,
      ...(a.tickvals ? { tickvals: a.tickvals, ticktext: a.ticktext.map(plotlyText) } : {}),
    })),
    line: colour
      ? { color: colour.values, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: plotlyText(colour.label) } } }
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
      host.onBrush(brushedRows(dims, host.rowNames.length).map((i) => host.rowNames[i]));
    });
  }
  return axes;
}

/** A scatter-plot matrix of the first axes (the colour-by metric among them), coloured by it. */
export function renderScatterMatrix(host, axes, rows, metricId) {
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
      values: a.raw.map((v) => (present(v) ? (a.numeric ? v : plotlyText(String(v))) : a.numeric ? Number.NaN : NONE)),
    })),
    text: rows.map((r) => plotlyText(r.name)),
    hovertemplate: '%{text}<extra></extra>',
    diagonal: { visible: false },
    marker: colour
      ? { color: colour.values, colorscale: 'Viridis', size: 6, line: { width: 0 } }
      : { color: '#0072B2', size: 6 },
  };
  Plotly.react(host, [trace], layout, plotConfig);
}
