// View state: one plain object mirrored in the URL's query string so a link reproduces a view.
// The settings in SETTINGS are also remembered across visits (localStorage); on load the URL
// wins for every setting it names, the remembered value fills in the others.

// name → [url key (null: not in the URL), kind, default]. Kinds: str, num, bool, list.
const FIELDS = {
  tab: ['tab', 'str', ''], // '': the landing page (app.js), so ?tab=scalars stays in links
  runFilter: ['runs', 'str', ''],
  tagFilter: ['tags', 'str', ''],
  off: ['off', 'list', []],
  sidebarHidden: ['nosidebar', 'bool', false],
  smoothing: ['smooth', 'num', 0.6],
  smoother: ['smoother', 'str', 'ema'],
  smoothWindow: ['window', 'num', 10],
  yRanges: ['yr', 'list', []],
  tagSets: ['mt', 'list', []],
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
  theme: ['theme', 'str', ''], // '' follows the system (prefers-color-scheme), else light / dark
  cardWidth: ['cw', 'num', 420], // px, the narrowest a card may be
  sidebarWidth: [null, 'num', 260], // px
};

/** The fields remembered across visits. */
export const SETTINGS = ['smoothing', 'smoother', 'smoothWindow', 'xAxis', 'logY', 'logX', 'ignoreOutliers', 'tagFilter', 'runFilter', 'off', 'theme', 'cardWidth', 'sidebarWidth'];
const SETTINGS_KEY = 'flowboard.settings.v1';
export const CARD_WIDTH = { min: 280, max: 1200 };
export const SIDEBAR_WIDTH = { min: 180, max: 720 };

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
    state[name] = key ? parseValue(kind, params.get(key), params, key, fallback) : fallback;
  }
  return withDerived(state, params);
}

// Values kept in range, and the graph explorer's `g.` fields.
function withDerived(state, params) {
  state.smoothing = Math.min(0.999, Math.max(0, state.smoothing));
  state.cardWidth = Math.round(Math.min(CARD_WIDTH.max, Math.max(CARD_WIDTH.min, state.cardWidth)));
  state.sidebarWidth = Math.round(Math.min(SIDEBAR_WIDTH.max, Math.max(SIDEBAR_WIDTH.min, state.sidebarWidth)));
  if (!['', 'light', 'dark'].includes(state.theme)) state.theme = '';
  state.graph = {};
  for (const [key, value] of params) {
    if (key.startsWith(GRAPH_PREFIX)) state.graph[key.slice(GRAPH_PREFIX.length)] = value;
  }
  return state;
}

/** The state for a page load: the URL's, with remembered settings for those it does not name. */
export function loadState(search) {
  const params = new URLSearchParams(search);
  const state = parseUrl(search);
  const saved = readSettings();
  for (const name of SETTINGS) {
    const [key, kind, fallback] = FIELDS[name];
    if ((key && params.has(key)) || !Object.hasOwn(saved, name)) continue;
    if (sameKind(saved[name], kind, fallback)) state[name] = saved[name];
  }
  return withDerived(state, params);
}

function sameKind(value, kind, fallback) {
  if (kind === 'list') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (kind === 'num') return Number.isFinite(value);
  return typeof value === typeof fallback;
}

function readSettings() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(SETTINGS_KEY) ?? '{}');
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? saved : {};
  } catch {
    return {}; // unreadable or blocked storage: defaults and the URL
  }
}

function saveSettings(state) {
  const saved = Object.fromEntries(SETTINGS.map((name) => [name, state[name]]));
  try {
    window.localStorage.setItem(SETTINGS_KEY, JSON.stringify(saved));
  } catch {
    // storage full or disabled: settings hold for this visit only
  }
}

export function toSearch(state) {
  const params = new URLSearchParams();
  for (const [name, [key, kind, fallback]] of Object.entries(FIELDS)) {
    const value = state[name];
    if (!key) continue;
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
    // remembered settings go into the address bar too, so a link copied now reproduces the view
    const search = toSearch(initial);
    if (search !== toSearch(parseUrl(window.location.search))) {
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}`);
    }
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
    if (SETTINGS.some((name) => changed.has(name))) saveSettings(this.state);
    for (const listener of this.listeners) listener(changed, this.state);
  }

  /** Replace everything from the URL (back/forward navigation). */
  reload() {
    const next = loadState(window.location.search);
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
