// Node fill colours for each "colour by" mode.

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6', '#d37295', '#a0cbe8'];

function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const categorical = (key) => (key ? PALETTE[hash(key) % PALETTE.length] : '#e0e0e0');

function lighten(hex, amount) {
  const value = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  const r = mix(value >> 16), g = mix((value >> 8) & 255), b = mix(value & 255);
  return `rgb(${r},${g},${b})`;
}

/** Sequential scale (pale yellow → deep red) on a log axis from 0 to `max`. */
function heat(value, max) {
  if (!(max > 0) || !(value > 0)) return '#f5f5f5';
  const t = Math.min(1, Math.log1p(value) / Math.log1p(max));
  const r = Math.round(255 - 40 * t), g = Math.round(240 - 200 * t), b = Math.round(200 - 170 * t);
  return `rgb(${r},${g},${b})`;
}

export const COLOR_MODES = [
  ['structure', 'Structure'],
  ['device', 'Device'],
  ['op', 'Op type'],
  ['compute', 'Compute time'],
  ['memory', 'Memory'],
];

/** A function node -> fill colour for `mode`, scaled over the visible `nodes`. */
export function colorer(mode, nodes) {
  if (mode === 'device') return (n) => lighten(categorical(n.device), 0.45);
  if (mode === 'op') return (n) => lighten(categorical(n.op), 0.45);
  if (mode === 'compute' || mode === 'memory') {
    const field = mode === 'compute' ? 'compute_micros' : 'memory_bytes';
    const leaves = nodes.filter((n) => !n.expanded);
    const max = Math.max(0, ...leaves.map((n) => n[field] ?? 0));
    return (n) => heat(n[field] ?? 0, max);
  }
  return (n) => (n.kind === 'op' ? '#ffffff' : lighten(categorical(n.structure), 0.55));
}

/** Legend entries [[colour, text], ...] for categorical modes (most common first). */
export function legend(mode, nodes) {
  if (mode !== 'device' && mode !== 'op') return [];
  const counts = new Map();
  for (const n of nodes) if (!n.expanded) counts.set(n[mode], (counts.get(n[mode]) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([key]) => [lighten(categorical(key), 0.45), key || '(unspecified)']);
}
