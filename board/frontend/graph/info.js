// The info panel: one node's details from /api/graph/node, every value set as text.
import { formatCount } from './render.js';

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function row(key, value) {
  return h('tr', {}, h('th', { text: key }), h('td', { text: value }));
}

function costRows(cost) {
  const rows = [row('parameters', cost.params.toLocaleString())];
  rows.push(row('FLOPs (est.)', cost.flops ? formatCount(cost.flops) : '0'));
  if (cost.flops_unknown) rows.push(row('ops without shapes', String(cost.flops_unknown)));
  if (cost.traced != null) {
    rows.push(row('compute time', `${cost.compute_micros.toFixed(1)} µs`));
    rows.push(row('memory', `${formatCount(cost.memory_bytes)}B`));
    rows.push(row('traced ops', String(cost.traced)));
  }
  return rows;
}

function edgeList(title, items, onJump) {
  if (!items.length) return null;
  return h(
    'div',
    { class: 'ginfo-section' },
    h('h4', { text: `${title} (${items.length})` }),
    h(
      'ul',
      { class: 'ginfo-edges' },
      items.map((item) =>
        h(
          'li',
          { class: item.control ? 'control' : '' },
          h('a', { href: '#', text: item.name, onclick: (e) => { e.preventDefault(); onJump(item.name); } }),
          h('span', { class: 'meta', text: ` ${item.control ? '(control)' : item.shape ?? ''} ${item.op ?? ''}` }),
        ),
      ),
    ),
  );
}

/** Fill `panel` with the details of one node; `onJump(opName)` reveals another node. */
export function renderInfo(panel, details, { onJump, onTrace, onClose }) {
  const title = h('div', { class: 'ginfo-title' }, h('strong', { text: details.label }), h('button', { class: 'ginfo-close', text: '×', title: 'Close', onclick: onClose }));
  const table = h('table', { class: 'ginfo-table' },
    row('name', details.name),
    row('kind', details.kind === 'op' ? `op: ${details.op}` : `${details.kind} (${details.leaf_count} ops)`),
    details.device ? row('device', details.device) : null,
    !details.device && details.traced_device ? row('device (traced)', details.traced_device) : null,
    details.auxiliary ? row('auxiliary', details.auxiliary === 'in' ? 'input-like, drawn at the side' : 'sink, drawn at the side') : null,
    details.embedded_in ? row('embedded in', details.embedded_in) : null,
    ...costRows(details.cost),
    ...Object.entries(details.compute_by_device ?? {}).map(([device, micros]) => row(`time on ${device.replace(/^.*\/device:/, '')}`, `${micros.toFixed(1)} µs`)),
  );
  const parts = [title, table, h('button', { class: 'ginfo-trace', text: 'Trace inputs', onclick: onTrace })];
  if (details.embeddings.length) {
    parts.push(edgeList('Constants drawn beside it', details.embeddings.map((name) => ({ name, control: false, op: 'Const' })), onJump));
  }
  if (details.kind !== 'op') {
    const ops = Object.entries(details.op_counts).slice(0, 12);
    parts.push(h('div', { class: 'ginfo-section' }, h('h4', { text: 'Op types' }),
      h('table', { class: 'ginfo-table' }, ops.map(([op, count]) => row(op, String(count))))));
  } else {
    const attrs = Object.entries(details.attrs);
    if (attrs.length) {
      parts.push(h('div', { class: 'ginfo-section' }, h('h4', { text: 'Attributes' }),
        h('table', { class: 'ginfo-table' }, attrs.map(([k, v]) => row(k, v)))));
    }
    if (details.output_shapes.length) parts.push(h('div', { class: 'ginfo-section' }, h('h4', { text: 'Output shapes' }), h('div', { text: details.output_shapes.join('  ') })));
    parts.push(edgeList('Inputs', details.inputs, onJump), edgeList('Outputs', details.outputs, onJump));
  }
  panel.replaceChildren(...parts.filter(Boolean));
  panel.hidden = false;
}
