// Stable run colours: a run's colour depends only on its name, so it survives reloads and does
// not shift when other runs appear.

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

// 24 hues x 2 lightness levels, ordered so that neighbouring indices differ strongly.
const PALETTE = buildPalette();

function buildPalette() {
  const colors = [];
  for (let i = 0; i < 48; i++) {
    const hue = (i * 7 * 15) % 360; // 7 is coprime with 24: consecutive entries jump hue
    const light = i < 24 ? 0.48 : 0.34;
    colors.push(hslToHex(hue, 0.7, light));
  }
  return colors;
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
    color = PALETTE[hashName(String(name)) % PALETTE.length];
    cache.set(name, color);
  }
  return color;
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
