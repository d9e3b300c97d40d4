// Distributions: TensorBoard's percentile bands over steps, from the nine basis points
// (min, 6.68%, 15.87%, 30.85%, median, 69.15%, 84.13%, 93.32%, max).
import { fetchDistributions } from '../api.js';
import { runColor, withAlpha } from '../colors.js';
import { el } from '../dom.js';
import { Plotly, baseLayout, plotConfig } from '../widgets/plots.js';
import { createRunTagView } from './runTagView.js';

// Pairs of basis-point indices, outermost first, each filled a little darker.
const BANDS = [[0, 8], [1, 7], [2, 6], [3, 5]];
const LABELS = ['min', '6.7%', '15.9%', '30.9%', 'median', '69.1%', '84.1%', '93.3%', 'max'];

export function createDistributionsView(ctx) {
  return createRunTagView(ctx, {
    kind: 'histograms',
    className: 'distributions',
    fetch: fetchDistributions,
    render: renderDistribution,
  });
}

export function distributionTraces(run, points) {
  const color = runColor(run);
  const x = points.map((p) => p.step);
  const column = (i) => points.map((p) => p.bps[i]);
  const traces = [];
  BANDS.forEach(([lo, hi], depth) => {
    const fill = withAlpha(color, 0.15 + 0.15 * depth);
    traces.push(
      { type: 'scatter', mode: 'lines', x, y: column(lo), line: { width: 0, color }, hoverinfo: 'skip', meta: { bp: lo } },
      {
        type: 'scatter', mode: 'lines', x, y: column(hi), line: { width: 0, color }, fill: 'tonexty', fillcolor: fill,
        hoverinfo: 'skip', meta: { bp: hi },
      },
    );
  });
  traces.push({
    type: 'scatter', mode: 'lines', x, y: column(4), line: { color, width: 1.5 },
    customdata: points.map((p) => p.bps.map((v) => v.toPrecision(4)).join(' / ')),
    hovertemplate: `step %{x}<br>${LABELS.join(' / ')}<br>%{customdata}<extra></extra>`,
    meta: { bp: 4 },
  });
  return traces;
}

function renderDistribution(card, data) {
  if (!card.plot) {
    card.plot = el('div', { class: 'plot' });
    card.body.append(card.plot);
  }
  card.root.dataset.steps = String(data.points.length);
  Plotly.react(
    card.plot,
    distributionTraces(data.run, data.points),
    baseLayout({ hovermode: 'x', xaxis: { title: { text: 'step' }, gridcolor: '#eee' } }),
    plotConfig,
  );
}
