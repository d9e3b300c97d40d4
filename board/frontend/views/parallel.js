// Parallel coordinates of hparams against a chosen metric (plotly parcoords).
import { Plotly, baseLayout, plotConfig, plotlyText } from '../widgets/plots.js';
import { el } from '../dom.js';

/** One axis per hparam column (categorical values become ticks) plus the metric axis. */
export function parallelDimensions(columns, rows, metricId) {
  const dims = [];
  for (const column of columns) {
    if (column.kind !== 'hparam' && column.id !== metricId) continue;
    const values = rows.map((r) => column.get(r));
    if (values.every((v) => v == null)) continue;
    if (values.every((v) => v == null || typeof v === 'number')) {
      dims.push({ label: plotlyText(column.label), values: values.map((v) => v ?? Number.NaN), id: column.id });
    } else {
      const text = values.map((v) => (v == null ? '(none)' : String(v)));
      const categories = [...new Set(text)].sort();
      dims.push({
        label: plotlyText(column.label),
        values: text.map((v) => categories.indexOf(v)),
        tickvals: categories.map((_, i) => i),
        ticktext: categories.map(plotlyText),
        id: column.id,
      });
    }
  }
  const metricIndex = dims.findIndex((d) => d.id === metricId);
  if (metricIndex >= 0) dims.push(...dims.splice(metricIndex, 1));
  return dims;
}

export function renderParallel(host, columns, rows, metricId) {
  const dims = parallelDimensions(columns, rows, metricId);
  if (dims.length < 2 || !rows.length) {
    if (host.data) Plotly.purge(host);
    host.replaceChildren(el('p', { class: 'empty', text: 'Parallel coordinates need at least two hparams or an hparam and a metric.' }));
    return;
  }
  if (!host.data) host.replaceChildren();
  const metric = dims.find((d) => d.id === metricId);
  const trace = {
    type: 'parcoords',
    dimensions: dims.map(({ id, ...d }) => d),
    line: metric
      ? { color: metric.values, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: plotlyText(metricId) } } }
      : { color: '#1f77b4' },
  };
  Plotly.react(host, [trace], baseLayout({ height: 340, margin: { l: 60, r: 60, t: 40, b: 20 } }), plotConfig);
}
