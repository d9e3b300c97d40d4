// Mesh: per (run, mesh) a 3-D plot of one step: plotly `mesh3d` when the mesh has faces, a
// `scatter3d` point cloud otherwise, coloured by the vertex colours written with it; a step
// slider picks the step (the newest first).
import { getJson } from '../api.js';
import { el } from '../dom.js';
import { Plotly, baseLayout, loadPlotly, plotConfig } from '../widgets/plots.js';
import { createRunTagView } from './runTagView.js';

export function createMeshView(ctx) {
  return createRunTagView(ctx, {
    kind: 'mesh',
    className: 'mesh',
    fetch: (run, tag) => getJson('api/mesh', { run, tag }),
    render: renderMesh,
  });
}

const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** The plotly trace of one step: a surface of triangles, or the vertices as points. */
export function meshTrace(step) {
  const v = step.vertices ?? [];
  const xyz = { x: v.map((p) => p[0]), y: v.map((p) => p[1]), z: v.map((p) => p[2]) };
  const colors = step.colors ? step.colors.map(rgb) : null;
  if (step.faces && step.faces.length) {
    return {
      type: 'mesh3d', ...xyz,
      i: step.faces.map((f) => f[0]), j: step.faces.map((f) => f[1]), k: step.faces.map((f) => f[2]),
      ...(colors ? { vertexcolor: colors } : { color: '#7aa6d8' }),
      flatshading: true, hoverinfo: 'x+y+z',
    };
  }
  return {
    type: 'scatter3d', mode: 'markers', ...xyz,
    marker: { size: 3, color: colors ?? '#1f77b4' },
    hoverinfo: 'x+y+z',
  };
}

async function renderMesh(card, data) {
  const steps = data.steps.filter((s) => s.vertices);
  if (!steps.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No mesh data.' }));
    return;
  }
  card.stepIndex = Math.min(card.stepIndex ?? steps.length - 1, steps.length - 1);
  const label = el('span', { class: 'mesh-step' });
  const plot = el('div', { class: 'mesh-plot' });
  const slider = el('input', {
    type: 'range', class: 'step-slider', min: 0, max: steps.length - 1, value: card.stepIndex,
    'aria-label': 'step',
  });
  const draw = async () => {
    const step = steps[card.stepIndex];
    label.textContent = `step ${step.step} · ${step.vertices.length} vertices` +
      (step.faces ? ` · ${step.faces.length} faces` : ' · point cloud');
    plot.dataset.step = step.step;
    await loadPlotly();
    const layout = baseLayout({
      height: 340, margin: { l: 0, r: 0, t: 0, b: 0 },
      scene: { aspectmode: 'data', xaxis: { title: 'x' }, yaxis: { title: 'y' }, zaxis: { title: 'z' } },
      uirevision: 'keep-camera',
    });
    await Plotly.react(plot, [meshTrace(step)], layout, plotConfig);
  };
  slider.addEventListener('input', () => {
    card.stepIndex = Number(slider.value);
    draw();
  });
  card.body.replaceChildren(el('div', { class: 'mesh-controls' }, slider, label), plot);
  await draw();
}
