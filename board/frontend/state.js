// View state: one plain object mirrored in the URL's query string so a link reproduces a view.

// name → [url key, kind, default]. Kinds: str, num, bool, list.
const FIELDS = {
  tab: ['tab', 'str', 'scalars'],
  runFilter: ['runs', 'str', ''],
  tagFilter: ['tags', 'str', ''],
  off: ['off', 'list', []],
  sidebarHidden: ['nosidebar', 'bool', false],
  smoothing: ['smooth', 'num', 0.6],
  xAxis: ['x', 'str', 'step'],
  logY: ['logy', 'bool', false],
  logX: ['logx', 'bool', false],
  ignoreOutliers: ['robust', 'bool', false],
  tooltipSort: ['tip', 'str', 'nearest'],
  pinned: ['pin', 'list', []],
  collapsed: ['fold', 'list', []],
  groupBy: ['group', 'str', ''],
  band: ['band', 'str', 'std'],
  histMode: ['hist', 'str', 'offset'],
  tableQuery: ['q', 'str', ''],
  tableSort: ['sort', 'str', ''],
  parallelMetric: ['pmetric', 'str', ''],
  customCharts: ['cs', 'list', []],
  projector: ['proj', 'str', ''],
};

const GRAPH_PREFIX = 'g.';

function parseValue(kind, raw, params, key, fallback) {
  if (kind === 'list') return params.getAll(key);
  if (raw == null) return fallback;
  if (kind === 'num') {
    const num = Number(raw);
    return Number.isFinite(num) ? num : fallback;
  }
  if (kind === 'bool') return raw === '1' || raw === 'true';
  return raw;
}

export function parseUrl(search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const [name, [key, kind, fallback]] of Object.entries(FIELDS)) {
    state[name] = parseValue(kind, params.get(key), params, key, fallback);
  }
  state.smoothing = Math.min(0.999, Math.max(0, state.smoothing));
  state.graph = {};
  for (const [key, value] of params) {
    if (key.startsWith(GRAPH_PREFIX)) state.graph[key.slice(GRAPH_PREFIX.length)] = value;
  }
  return state;
}

export function toSearch(state) {
  const params = new URLSearchParams();
  for (const [name, [key, kind, fallback]] of Object.entries(FIELDS)) {
    const value = state[name];
    if (kind === 'list') {
      for (const item of value) params.append(key, item);
    } else if (value !== fallback) {
      params.set(key, kind === 'bool' ? (value ? '1' : '0') : String(value));
    }
  }
  for (const [key, value] of Object.entries(state.graph ?? {})) {
    if (value != null && value !== '') params.set(GRAPH_PREFIX + key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A tiny observable store; `set` notifies listeners with the set of changed field names. */
export class Store {
  constructor(initial) {
    this.state = initial;
    this.listeners = new Set();
  }

  get() {
    return this.state;
  }

  set(patch, { push = false } = {}) {
    const changed = new Set();
    for (const [name, value] of Object.entries(patch)) {
      if (!sameValue(this.state[name], value)) changed.add(name);
    }
    if (!changed.size) return;
    this.state = { ...this.state, ...patch };
    const url = `${window.location.pathname}${toSearch(this.state)}`;
    if (push) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    for (const listener of this.listeners) listener(changed, this.state);
  }

  /** Replace everything from the URL (back/forward navigation). */
  reload() {
    const next = parseUrl(window.location.search);
    const changed = new Set(Object.keys(next).filter((k) => !sameValue(this.state[k], next[k])));
    this.state = next;
    if (changed.size) for (const listener of this.listeners) listener(changed, this.state);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function sameValue(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a == null || b == null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function toggled(list, item) {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}
