// Draws a scene from /api/graph into an SVG group: groups (expanded: a frame with a header;
// collapsed: a box with its op count), ops, series, edges as splines, bridge stubs.
import { fitLabel, splinePath, svg } from './svg.js';

function formatCount(value) {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

function tooltip(node) {
  const lines = [node.name, node.kind === 'op' ? `op: ${node.op}` : `${node.leaf_count} ops`];
  if (node.device) lines.push(`device: ${node.device}`);
  if (node.params) lines.push(`params: ${formatCount(node.params)}`);
  if (node.flops) lines.push(`FLOPs: ${formatCount(node.flops)}`);
  if (node.compute_micros != null) lines.push(`compute: ${node.compute_micros.toFixed(1)} µs`);
  if (node.memory_bytes != null) lines.push(`memory: ${formatCount(node.memory_bytes)}B`);
  if (node.embeddings) lines.push(`${node.embeddings} constant input(s) embedded`);
  if (node.auxiliary) lines.push('auxiliary: drawn at the side, edges hidden');
  return lines.join('\n');
}

function drawNode(node, fill) {
  const g = svg('g', {
    class: `gnode kind-${node.kind}${node.expanded ? ' expanded' : ''}${node.auxiliary ? ' aux' : ''}`,
    transform: `translate(${node.x},${node.y})`,
  });
  g.dataset.name = node.name;
  g.append(svg('title', {}, tooltip(node)));
  if (node.expanded) {
    g.append(svg('rect', { class: 'g-frame', width: node.w, height: node.h, rx: 6, fill }));
    g.append(svg('rect', { class: 'g-header', width: node.w, height: 22, rx: 6 }));
    g.append(svg('text', { class: 'g-label', x: 8, y: 15 }, `− ${fitLabel(node.label, node.w - 20)}`));
    return g;
  }
  if (node.kind === 'series') {
    g.append(svg('rect', { class: 'g-stack', x: 4, y: -4, width: node.w, height: node.h, rx: 5, fill }));
  }
  const rx = node.kind === 'op' ? node.h / 2 : 5;
  g.append(svg('rect', { class: 'g-box', width: node.w, height: node.h, rx, fill }));
  const prefix = node.expandable ? '+ ' : '';
  const text = fitLabel(prefix + node.label, node.w);
  if (node.kind === 'op') {
    g.append(svg('text', { class: 'g-label', x: node.w / 2, y: node.h / 2 + 4, 'text-anchor': 'middle' }, text));
  } else {
    g.append(svg('text', { class: 'g-label', x: 8, y: 14 }, text));
    g.append(svg('text', { class: 'g-sub', x: 8, y: 27 }, `${node.leaf_count} ops`));
  }
  if (node.embeddings) {
    for (let i = 0; i < Math.min(node.embeddings, 4); i += 1) {
      g.append(svg('circle', { class: 'g-embed', cx: -5 - 7 * i, cy: node.h / 2, r: 3 }));
    }
  }
  return g;
}

function drawEdge(edge) {
  const count = edge.data + edge.control;
  const width = Math.min(1 + Math.log2(count), 6);
  const path = svg('path', {
    class: `gedge${edge.data ? '' : ' control'}`,
    d: splinePath(edge.points),
    'stroke-width': width.toFixed(2),
    'marker-end': 'url(#graph-arrow)',
  });
  path.dataset.src = edge.src;
  path.dataset.dst = edge.dst;
  const what = [];
  if (edge.data) what.push(`${edge.data} tensor${edge.data > 1 ? 's' : ''}`);
  if (edge.control) what.push(`${edge.control} control`);
  const shapes = edge.shapes.length ? `\n${edge.shapes.join(' ')}` : '';
  path.append(svg('title', {}, `${edge.src} → ${edge.dst}: ${what.join(', ')}${shapes}`));
  return path;
}

function edgeLabel(edge) {
  if (!edge.data || !edge.shapes.length || edge.points.length < 4) return null;
  const mid = Math.floor(edge.points.length / 4) * 2;
  const x = (edge.points[mid - 2] + edge.points[mid]) / 2 || edge.points[0];
  const y = (edge.points[mid - 1] + edge.points[mid + 1]) / 2 || edge.points[1];
  const more = edge.shapes.length > 1 ? ' …' : '';
  return svg('text', { class: 'g-elabel', x: x + 4, y }, edge.shapes[0] + more);
}

/** Build the drawing; returns {root, nodeElements: Map(name -> <g>)}. */
export function renderScene(scene, fillOf, showShapes) {
  const root = svg('g', { class: 'g-scene' });
  const defs = svg('defs');
  const marker = svg('marker', {
    id: 'graph-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'g-arrow' }));
  defs.append(marker);
  root.append(defs);
  const groups = svg('g', { class: 'layer-groups' });
  const edges = svg('g', { class: 'layer-edges' });
  const nodes = svg('g', { class: 'layer-nodes' });
  const nodeElements = new Map();
  for (const node of scene.nodes) {
    const element = drawNode(node, fillOf(node));
    nodeElements.set(node.name, element);
    (node.expanded ? groups : nodes).append(element);
  }
  for (const edge of scene.edges) {
    edges.append(drawEdge(edge));
    if (showShapes) {
      const label = edgeLabel(edge);
      if (label) edges.append(label);
    }
  }
  for (const bridge of scene.bridges) {
    const [x0, y0, x1, y1] = bridge.points;
    const line = svg('path', { class: 'g-bridge', d: `M${x0},${y0} L${x1},${y1}`, 'marker-end': 'url(#graph-arrow)' });
    line.append(svg('title', {}, `${bridge.count} edge(s) ${bridge.dir === 'in' ? 'from outside into' : 'from'} ${bridge.node}${bridge.dir === 'out' ? ' to outside' : ''}`));
    edges.append(line);
  }
  root.append(groups, edges, nodes);
  return { root, nodeElements };
}

export { formatCount };
