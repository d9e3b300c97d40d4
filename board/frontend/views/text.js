// Text: per (run, tag) the text summaries as safe Markdown, newest step first; string tensors
// of rank 1 or 2 as tables of Markdown cells, as TensorBoard shows them (higher ranks: the 2-D
// slice at index 0 of the leading dimensions, with a note).
import { fetchText } from '../api.js';
import { el } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { createRunTagView } from './runTagView.js';

const PAGE = 20;

export function createTextView(ctx) {
  return createRunTagView(ctx, {
    kind: 'text',
    className: 'text',
    fetch: fetchText,
    render: renderTexts,
  });
}

function renderTexts(card, data) {
  card.limit ??= PAGE;
  const newestFirst = [...data.texts].sort((a, b) => b.step - a.step);
  const shown = newestFirst.slice(0, card.limit);
  const entries = shown.map((t) =>
    el('div', { class: 'text-entry', dataset: { step: t.step } },
      el('div', { class: 'text-step', text: `step ${t.step}` }),
      renderEntry(t)),
  );
  const more = newestFirst.length > shown.length
    ? el('button', {
        class: 'more',
        text: `show ${Math.min(PAGE, newestFirst.length - shown.length)} more of ${newestFirst.length - shown.length}`,
        onclick: () => {
          card.limit += PAGE;
          card.redraw();
        },
      })
    : null;
  card.body.replaceChildren(...entries, more ?? '');
  if (!entries.length) card.body.append(el('p', { class: 'empty', text: 'No text.' }));
}

function cellCount(shape) {
  return shape.reduce((n, d) => n * d, 1);
}

function renderEntry(t) {
  // One string (rank 0, or torch's add_text: shape [1]) reads as Markdown, not as a 1×1 table.
  if (!t.table || cellCount(t.shape) === 1) return el('div', { class: 'markdown' }, renderMarkdown(t.text));
  const note = t.shape.length > 2
    ? el('p', { class: 'text-note', text: `A ${t.shape.length}-D text tensor [${t.shape.join(', ')}]: showing the 2-D slice at index 0 of the leading dimensions.` })
    : null;
  const rows = t.table.map((row) => el('tr', {}, row.map((cell) => el('td', {}, el('div', { class: 'markdown' }, renderMarkdown(cell))))));
  return el('div', { class: 'text-table-wrap' }, note,
    el('table', { class: 'text-table', dataset: { shape: t.shape.join('x') } }, el('tbody', {}, rows)));
}
