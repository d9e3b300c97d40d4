// Text: per (run, tag) the text summaries as safe Markdown, newest step first.
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
      el('div', { class: 'markdown' }, renderMarkdown(t.text))),
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
