// Stable run colours: a run's colour depends only on its name, so it survives reloads and does
// not shift when other runs appear. Hue comes from a hash of the name; lightness and saturation
// vary a little too, so two names rarely share a colour.

// FNV-1a over UTF-16 code units: cheap, deterministic, spreads similar names apart.
function hashName(name) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche so that names differing in their last character land far apart.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  return hash >>> 0;
}

function hslToHex(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

const cache = new Map();

export function runColor(name) {
  let color = cache.get(name);
  if (!color) {
    const hash = hashName(String(name));
    const hue = hash % 360;
    const saturation = 0.55 + ((hash >>> 9) % 4) * 0.1;
    const lightness = 0.38 + ((hash >>> 12) % 3) * 0.07;
    color = hslToHex(hue, saturation, lightness);
    cache.set(name, color);
  }
  return color;
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
