// PR curves: one card per tag, each selected run's curve (precision against recall) at the step
// its slider picks (the newest by default); the tooltip names the threshold, precision, recall
// and the four counts there.
import { getJson } from '../api.js';
import { runColor } from '../colors.js';
import { el } from '../dom.js';
import { Plotly, baseLayout, plotConfig, plotlyText } from '../widgets/plots.js';
import { createRunTagView } from './runTagView.js';

export const fetchPrCurves = (run, tag) => getJson('api/pr_curves', { run, tag });

export function createPrCurvesView(ctx) {
  return createRunTagView(ctx, {
    kind: 'pr_curves',
    className: 'pr-curves',
    fetch: async (run, tag) => ({ tag, perRun: [await fetchPrCurves(run, tag)] }),
    fetchTag: async (tag, runs) => ({ tag, perRun: await Promise.all(runs.map((run) => fetchPrCurves(run, tag))) }),
    perTag: () => true,
    render: renderPrCurves,
  });
}

/** The card's state: per run the chosen step index and whether it follows the newest step. */
function sliderFor(card, run, steps) {
  card.sliders ??= new Map();
  let s = card.sliders.get(run);
  if (!s) {
    s = { followLatest: true, position: 0 };
    s.input = el('input', { type: 'range', class: 'step-slider', min: 0, step: 1, 'aria-label': `step of ${run}` });
    s.label = el('span', { class: 'step-label' });
    s.row = el('div', { class: 'pr-run', dataset: { run } },
      el('span', { class: 'swatch', style: { background: runColor(run) } }),
      el('span', { class: 'pr-run-name', text: run }), ' step ', s.input, s.label);
    s.input.addEventListener('input', () => {
      s.position = Number(s.input.value);
      s.followLatest = s.position === Number(s.input.max);
      card.redraw();
    });
    card.sliders.set(run, s);
  }
  s.input.max = String(steps.length - 1);
  if (s.followLatest || s.position >= steps.length) s.position = steps.length - 1;
  s.input.value = String(s.position);
  const step = steps[s.position];
  s.label.textContent = `${step.step} (${s.position + 1}/${steps.length})`;
  s.row.dataset.step = String(step.step);
  return { slider: s, step };
}

function curveTrace(run, step) {
  const custom = step.thresholds.map((t, i) => [t, step.true_positives[i], step.false_positives[i], step.true_negatives[i], step.false_negatives[i]]);
  return {
    type: 'scatter',
    mode: 'lines+markers',
    x: step.recall,
    y: step.precision,
    customdata: custom,
    name: run,
    line: { color: runColor(run), width: 2 },
    marker: { size: 4, color: runColor(run) },
    meta: { run, step: step.step },
    hovertemplate:
      `${plotlyText(run)} · step ${step.step}<br>threshold %{customdata[0]:.3f}<br>` +
      'precision %{y:.4f}<br>recall %{x:.4f}<br>' +
      'TP %{customdata[1]} FP %{customdata[2]} TN %{customdata[3]} FN %{customdata[4]}<extra></extra>',
  };
}

function renderPrCurves(card, data) {
  const runs = data.perRun.filter((d) => d.steps.length);
  if (!runs.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No PR curves.' }));
    return;
  }
  card.plot ??= el('div', { class: 'plot' });
  card.controls ??= el('div', { class: 'pr-controls' });
  const traces = [];
  const rows = [];
  for (const d of runs) {
    const { slider, step } = sliderFor(card, d.run, d.steps);
    rows.push(slider.row);
    traces.push(curveTrace(d.run, step));
  }
  card.controls.replaceChildren(...rows);
  if (card.plot.parentNode !== card.body) card.body.replaceChildren(card.plot, card.controls);
  card.root.dataset.traces = String(traces.length);
  const layout = baseLayout({
    height: 300,
    xaxis: { title: { text: 'recall' }, range: [-0.02, 1.02], gridcolor: '#e5e5e5', zeroline: false },
    yaxis: { title: { text: 'precision' }, range: [-0.02, 1.02], gridcolor: '#e5e5e5', zeroline: false },
  });
  Plotly.react(card.plot, traces, layout, plotConfig);
}
