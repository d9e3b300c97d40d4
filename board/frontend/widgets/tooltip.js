// One floating tooltip for all charts; rows are built with textContent only.
import { el } from '../dom.js';

let box = null;

function node() {
  if (!box) {
    box = el('div', { class: 'chart-tooltip', role: 'tooltip' });
    box.hidden = true;
    document.body.append(box);
  }
  return box;
}

/** Show a table: `columns` header names, `rows` [{color, cells: [...]}], near (x, y). */
export function showTooltip(clientX, clientY, columns, rows) {
  const tip = node();
  const head = el('tr', {}, el('th'), columns.map((c) => el('th', { text: c })));
  const body = rows.map((row) =>
    el(
      'tr',
      {},
      el('td', {}, el('span', { class: 'chip', style: { background: row.color } })),
      row.cells.map((c) => el('td', { text: c })),
    ),
  );
  tip.replaceChildren(el('table', {}, el('thead', {}, head), el('tbody', {}, body)));
  tip.hidden = false;
  const { innerWidth, innerHeight } = window;
  const rect = tip.getBoundingClientRect();
  const left = clientX + 16 + rect.width > innerWidth ? clientX - rect.width - 16 : clientX + 16;
  const top = Math.min(innerHeight - rect.height - 4, Math.max(4, clientY - rect.height / 2));
  tip.style.left = `${Math.max(4, left)}px`;
  tip.style.top = `${top}px`;
}

export function hideTooltip() {
  if (box) box.hidden = true;
}
