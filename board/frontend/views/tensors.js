// Tensors: per (run, tag) a card with a step slider showing the chosen step's dtype, shape,
// plugin, statistics and first values; "all values" fetches the whole tensor (2-D ones as a grid).
import { getJson } from '../api.js';
import { el, formatNumber } from '../dom.js';
import { createRunTagView } from './runTagView.js';

export const fetchTensors = (run, tag) => getJson('api/tensors', { run, tag });
export const fetchTensorValues = (run, tag, step) => getJson('api/tensors/values', { run, tag, step });

const GRID_ROWS = 40;
const GRID_COLUMNS = 16;

export function createTensorsView(ctx) {
  return createRunTagView(ctx, {
    kind: 'tensors',
    className: 'tensors',
    fetch: fetchTensors,
    render: renderTensors,
  });
}

const show = (v) => (typeof v === 'number' ? formatNumber(v) : v === null ? 'nan/inf' : String(v));

function buildControls(card) {
  const c = {};
  c.step = el('input', { type: 'range', class: 'step-slider', min: 0, step: 1, value: 0, 'aria-label': 'step' });
  c.stepLabel = el('span', { class: 'step-label' });
  c.summary = el('div', { class: 'tensor-summary' });
  c.stats = el('div', { class: 'tensor-stats' });
  c.preview = el('div', { class: 'tensor-preview' });
  c.more = el('button', { class: 'more', text: 'all values' });
  c.values = el('div', { class: 'tensor-values' });
  c.step.addEventListener('input', () => {
    card.position = Number(c.step.value);
    card.followLatest = card.position === Number(c.step.max);
    card.redraw();
  });
  c.more.addEventListener('click', () => loadValues(card));
  card.body.replaceChildren(el('div', { class: 'image-controls' }, 'step ', c.step, c.stepLabel), c.summary, c.stats, c.preview, c.more, c.values);
  return c;
}

async function loadValues(card) {
  const c = card.controls;
  const step = card.shownStep;
  const body = await fetchTensorValues(card.run, card.tag, step.step);
  if (card.shownStep !== step) return;
  const shape = body.shape;
  let rows;
  if (shape.length === 2) {
    rows = [];
    for (let r = 0; r < Math.min(shape[0], GRID_ROWS); r++) rows.push(body.values.slice(r * shape[1], r * shape[1] + Math.min(shape[1], GRID_COLUMNS)));
  } else {
    rows = [];
    const flat = body.values.slice(0, GRID_ROWS * GRID_COLUMNS);
    for (let i = 0; i < flat.length; i += GRID_COLUMNS) rows.push(flat.slice(i, i + GRID_COLUMNS));
  }
  const cut = body.truncated || (shape.length === 2 ? shape[0] > GRID_ROWS || shape[1] > GRID_COLUMNS : body.values.length > GRID_ROWS * GRID_COLUMNS);
  c.values.replaceChildren(
    el('table', { class: 'tensor-grid' }, el('tbody', {}, rows.map((row) => el('tr', {}, row.map((v) => el('td', { text: show(v) })))))),
    cut ? el('div', { class: 'image-info', text: `first ${rows.length} rows of ${shape.length === 2 ? shape[0] : Math.ceil(body.size / GRID_COLUMNS)} shown` }) : null,
  );
}

function renderTensors(card, data) {
  const steps = data.steps;
  if (!steps.length) {
    card.body.replaceChildren(el('p', { class: 'empty', text: 'No tensors.' }));
    return;
  }
  card.controls ??= buildControls(card);
  card.followLatest ??= true;
  const c = card.controls;
  c.step.max = steps.length - 1;
  if (card.followLatest || card.position == null || card.position >= steps.length) card.position = steps.length - 1;
  c.step.value = card.position;
  const t = steps[card.position];
  c.stepLabel.textContent = `${t.step} (${card.position + 1}/${steps.length})`;
  card.root.dataset.step = String(t.step);
  if (card.shownStep?.step !== t.step) c.values.replaceChildren();
  card.shownStep = t;
  c.summary.textContent = `${t.dtype} [${t.shape.join(', ')}] · ${t.size} value${t.size === 1 ? '' : 's'} · plugin ${t.plugin || '(none)'}`;
  c.stats.textContent = t.stats ? `min ${show(t.stats.min)} · max ${show(t.stats.max)} · mean ${show(t.stats.mean)}` : '';
  const more = t.size > t.preview.length ? ', …' : '';
  c.preview.textContent = `[${t.preview.map(show).join(', ')}${more}]`;
  c.more.hidden = t.size <= t.preview.length && t.shape.length < 2;
}
