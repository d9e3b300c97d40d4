// Stable run colours: a run's colour depends only on its name, so it survives reloads.

const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf', '#3949ab', '#f4511e', '#00897b', '#c2185b', '#6d4c41', '#7cb342',
  '#5e35b1', '#fb8c00', '#039be5', '#8e24aa',
];

// FNV-1a over UTF-16 code units: cheap, deterministic, spreads similar names apart.
function hashName(name) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function runColor(name) {
  return PALETTE[hashName(name) % PALETTE.length];
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
