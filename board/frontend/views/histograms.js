// Histograms: per (run, tag) in offset (stacked by step) or overlay mode, or one card per tag
// overlaying every selected run at a chosen step.
import { fetchHistograms } from '../api.js';
import { runColor, withAlpha } from '../colors.js';
import { el, formatNumber } from '../dom.js';
import { bucketsToBins, rebin, sampleEvenly, valueRange } from '../histogramMath.js';
import { Plotly, baseLayout, plotConfig, plotlyText } from '../widgets/plots.js';
import { createRunTagView } from './runTagView.js';

const MAX_STEPS_DRAWN = 40;

export function createHistogramsView(ctx) {
  return createRunTagView(ctx, {
    kind: 'histograms',
    className: 'histograms',
    fetch: fetchHistograms,
    fetchTag: async (tag, runs) => ({
      tag,
      perRun: await Promise.all(runs.map((run) => fetchHistograms(run, tag))),
    }),
    perTag: (st) => st.histMode === 'runs',
    redrawKeys: ['histMode'],
    toolbar: histogramToolbar,
    render: (card, data, st) => {
      if (card.run === null) return renderAcrossRuns(card, data);
      return renderOneRun(card, data, st.histMode);
    },
  });
}

function histogramToolbar(ctx) {
  const st = ctx.store.get();
  const modes = [['offset', 'offset'], ['overlay', 'overlay'], ['runs', 'compare runs at a step']];
  return el(
    'div',
    { class: 'toolbar' },
    el('span', { text: 'Histogram mode' }),
    modes.map(([value, label]) =>
      el('label', {}, el('input', {
        type: 'radio', name: 'histMode', value, checked: st.histMode === value,
        onchange: () => ctx.store.set({ histMode: value }),
      }), ` ${label}`),
    ),
  );
}

function plotDiv(card) {
  if (!card.plot) {
    card.plot = el('div', { class: 'plot' });
    card.body.append(card.plot);
  }
  return card.plot;
}

// Older steps light, newer dark, in the run's colour.
function stepShade(color, fraction) {
  return withAlpha(color, 0.25 + 0.75 * fraction);
}

function renderOneRun(card, data, mode) {
  const points = sampleEvenly(data.steps, MAX_STEPS_DRAWN);
  const [lo, hi] = valueRange(points);
  const color = runColor(data.run);
  const shapes = points.map((p) => ({ step: p.step, ...rebin(bucketsToBins(p), lo, hi) }));
  const peak = Math.max(1e-12, ...shapes.map((s) => Math.max(...s.counts)));
  const traces = [];
  card.root.dataset.steps = String(points.length);
  if (mode === 'overlay') {
    shapes.forEach((s, i) => {
      traces.push({
        type: 'scatter', mode: 'lines', x: s.centers, y: s.counts, name: `step ${s.step}`,
        line: { color: stepShade(color, (i + 1) / shapes.length), width: 1.2, shape: 'hvh' },
        hovertemplate: `step ${s.step}<br>value %{x:.4g}<br>count %{y:.4g}<extra></extra>`,
        meta: { step: s.step },
      });
    });
    Plotly.react(plotDiv(card), traces, baseLayout({ xaxis: { title: { text: 'value' } }, yaxis: { title: { text: 'count' } } }), plotConfig);
    return;
  }
  // Offset: each step is a ridge whose baseline is its step on a reversed y axis, drawn back
  // (oldest) to front (newest) so newer ridges hide what is behind them.
  const stepsSpan = shapes.length > 1 ? shapes[shapes.length - 1].step - shapes[0].step : 1;
  const height = (stepsSpan / Math.max(1, shapes.length - 1)) * 2.5 || 1;
  shapes.forEach((s, i) => {
    const xs = [s.centers[0], ...s.centers, s.centers[s.centers.length - 1]];
    const ys = [s.step, ...Array.from(s.counts, (c) => s.step - (c / peak) * height), s.step];
    // A filled trace hovers on its fill by default, and a fill's label is the trace's name
    // ("trace 18"): hover on the points instead, each labelled with its step, value and count.
    traces.push({
      type: 'scatter', mode: 'lines', x: xs, y: ys, fill: 'toself', hoveron: 'points',
      fillcolor: stepShade(color, (i + 1) / shapes.length),
      line: { color: '#fff', width: 0.6 },
      name: `step ${s.step}`,
      customdata: xs.map((x, k) => [formatNumber(x), formatNumber(k === 0 || k === xs.length - 1 ? 0 : s.counts[k - 1])]),
      hovertemplate: `step ${s.step}<br>value %{customdata[0]}<br>count %{customdata[1]}<extra></extra>`,
      meta: { step: s.step },
    });
  });
  const layout = baseLayout({
    xaxis: { title: { text: 'value' }, gridcolor: '#eee' },
    yaxis: { title: { text: 'step' }, autorange: 'reversed', gridcolor: '#eee' },
  });
  Plotly.react(plotDiv(card), traces, layout, plotConfig);
}

function renderAcrossRuns(card, data) {
  const allSteps = [...new Set(data.perRun.flatMap((h) => h.steps.map((p) => p.step)))].sort((a, b) => a - b);
  if (!allSteps.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No histograms.' }));
    return;
  }
  if (!card.slider) {
    card.slider = el('input', { type: 'range', class: 'step-slider', min: 0, step: 1, 'aria-label': 'step' });
    card.stepLabel = el('span', { class: 'step-label' });
    card.slider.addEventListener('input', () => {
      card.chosenStep = card.steps[Number(card.slider.value)];
      card.redraw();
    });
    card.body.append(el('div', { class: 'image-controls' }, 'step ', card.slider, card.stepLabel));
  }
  card.steps = allSteps;
  card.slider.max = allSteps.length - 1;
  const chosen = card.chosenStep ?? allSteps[allSteps.length - 1];
  const position = Math.max(0, allSteps.findLastIndex((s) => s <= chosen));
  card.slider.value = position;
  const step = allSteps[position];
  card.stepLabel.textContent = String(step);
  const atStep = data.perRun
    .map((h) => ({ run: h.run, point: h.steps.findLast((p) => p.step <= step) }))
    .filter((x) => x.point);
  const [lo, hi] = valueRange(atStep.map((x) => x.point));
  const traces = atStep.map(({ run, point }) => {
    const { centers, counts } = rebin(bucketsToBins(point), lo, hi);
    return {
      type: 'scatter', mode: 'lines', x: centers, y: counts, name: plotlyText(run),
      line: { color: runColor(run), width: 1.5, shape: 'hvh' },
      hovertemplate: `step ${point.step}<br>value %{x:.4g}<br>count %{y:.4g}<extra>${plotlyText(run)}</extra>`,
      meta: { run, step: point.step },
    };
  });
  Plotly.react(plotDiv(card), traces, baseLayout({ xaxis: { title: { text: `value at step ${step}` } }, yaxis: { title: { text: 'count' } } }), plotConfig);
}
