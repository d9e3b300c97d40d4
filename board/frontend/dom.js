// Small DOM helpers. Data only ever enters the DOM as text nodes or attribute values.

/**
 * Build an element. `attrs` keys: `class`, `text` (textContent), `style` (object),
 * `on<event>` (listener functions), `dataset` (object); anything else is set with setAttribute.
 * Children may be nodes or strings (strings become text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key.startsWith('on')) {
      throw new Error(`refusing non-function event handler attribute ${key}`);
    } else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Call `fn` at most once per animation frame with the latest arguments. */
export function rafThrottle(fn) {
  let pending = null;
  return (...args) => {
    const first = pending === null;
    pending = args;
    if (first) {
      requestAnimationFrame(() => {
        const latest = pending;
        pending = null;
        fn(...latest);
      });
    }
  };
}

/** Debounce: run `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Run `fn` once, `ms` after the first call of a burst (later calls join it): unlike a
 *  debounce, a steady stream of calls cannot postpone it forever. */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

/** Compile a user regex; an invalid pattern is reported through `onError` and matches all. */
export function safeRegex(pattern, onError = () => {}) {
  onError(null); // an empty or valid pattern clears an earlier error
  if (!pattern) return null;
  try {
    return new RegExp(pattern, 'i');
  } catch (err) {
    onError(err.message);
    return null;
  }
}

export function formatNumber(value, digits = 4) {
  if (value == null || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return Number(value.toPrecision(digits)).toString();
}

export function formatTime(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}
