// SVG helpers: elements are built with createElementNS and setAttribute; text only ever goes
// in as textContent, so node names and attrs from a graph can never become markup.
const NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value != null) node.setAttribute(key, String(value));
  }
  if (text != null) node.textContent = String(text);
  return node;
}

/** A smooth path through polyline points [x0, y0, x1, y1, ...] (vertical tangents at ends). */
export function splinePath(points) {
  const n = points.length / 2;
  if (n < 2) return '';
  const p = (i) => [points[2 * i], points[2 * i + 1]];
  const [x0, y0] = p(0);
  let d = `M${x0},${y0}`;
  if (n === 2) {
    const [x1, y1] = p(1);
    const my = (y0 + y1) / 2;
    return `${d} C${x0},${my} ${x1},${my} ${x1},${y1}`;
  }
  // Catmull-Rom through the points, as cubic Béziers.
  for (let i = 0; i < n - 1; i += 1) {
    const [ax, ay] = p(Math.max(i - 1, 0));
    const [bx, by] = p(i);
    const [cx, cy] = p(i + 1);
    const [dx, dy] = p(Math.min(i + 2, n - 1));
    const c1x = i === 0 ? bx : bx + (cx - ax) / 6;
    const c1y = by + (cy - ay) / 6;
    const c2x = i === n - 2 ? cx : cx - (dx - bx) / 6;
    const c2y = cy - (dy - by) / 6;
    d += ` C${c1x},${c1y} ${c2x},${c2y} ${cx},${cy}`;
  }
  return d;
}

/** Shorten `text` to fit about `width` pixels at ~6.6 px per character. */
export function fitLabel(text, width) {
  const max = Math.max(3, Math.floor((width - 10) / 6.6));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
