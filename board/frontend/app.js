// Entry point: builds the frame (tabs, sidebar, tag filter), owns the run index and the live
// event stream, and hands both to the views. The tabs are views/registry.js; a view is created
// the first time it is shown.
import { fetchRuns, openEvents } from './api.js';
import { debounce, el, safeRegex, throttle } from './dom.js';
import { RunIndex, groupRuns } from './runs.js';
import { Store, loadState } from './state.js';
import { LIVE_KINDS, VIEWS } from './views/registry.js';
import { createHeaderTools, fitTabs } from './widgets/header.js';
import { createSidebar } from './widgets/sidebar.js';

const store = new Store(loadState(window.location.search));
const index = new RunIndex();
const views = new Map();
const main = el('main', { class: 'content' });
const status = el('div', { class: 'status', role: 'status' });

const ctx = {
  store,
  index,
  visibleRuns: () => index.visible(store.get()),
  runHasTag: (run, kind, tag) => index.hasTag(run, kind, tag),
  tagsOf: (kind) => index.tags(kind, ctx.visibleRuns(), store.get().tagFilter),
  groups: (runs) => groupRuns(store.get().groupBy, runs, index),
  setStatus: (text) => (status.textContent = text),
  views,
};
window.flowboard = ctx;

const tabButtons = VIEWS.map(({ id, label }) =>
  el('button', {
    class: 'tab', role: 'tab', dataset: { tab: id }, text: label,
    onclick: () => store.set({ tab: id }, { push: true }),
  }),
);

function tagFilterBox() {
  const error = el('span', { class: 'filter-error' });
  const input = el('input', {
    type: 'search', class: 'tag-filter', placeholder: 'Filter tags (regex)', value: store.get().tagFilter,
    'aria-label': 'tag filter',
  });
  const set = debounce(() => store.set({ tagFilter: input.value }), 150);
  input.addEventListener('input', () => {
    safeRegex(input.value, (msg) => (error.textContent = msg ?? ''));
    set();
  });
  return el('span', { class: 'tag-filter-box' }, input, error);
}

const sidebar = createSidebar(ctx);
const showSidebar = el('button', { class: 'icon show-sidebar', title: 'Show the run sidebar', text: '⟩', onclick: () => store.set({ sidebarHidden: false }) });
const frame = el(
  'div',
  { class: 'frame' },
  el('header', { class: 'topbar' }, showSidebar, el('span', { class: 'brand', text: 'Flowboard' }),
    el('nav', { class: 'tabs', role: 'tablist' }, tabButtons), tagFilterBox(), status, createHeaderTools(ctx)),
  el('div', { class: 'body' }, sidebar.root, main),
);
document.body.append(frame);
fitTabs(frame.querySelector('.tabs'));

let activeTab = null;
// The tab of a URL without `?tab=` (or with an unknown one), chosen once the runs are known.
let landing = 'timeseries';

/**
 * TensorBoard's landing page: the time series when the logdir has scalars; otherwise the first
 * tab whose kind has data (a graph-only logdir opens on the graph); an empty logdir (points may
 * come) the time series.
 */
function landingTab() {
  const kinds = [...index.tagSets.values()];
  const has = (kind) => kinds.some((tags) => tags[kind]?.size);
  if (has('scalars')) return 'timeseries';
  const withData = VIEWS.find((view) => view.kind && has(view.kind));
  if (withData) return withData.id;
  if (index.list.some((run) => run.has_graph)) return 'graph';
  return 'timeseries';
}

async function showTab(id) {
  const entry = VIEWS.find((view) => view.id === id) ?? VIEWS.find((view) => view.id === landing);
  const tab = entry.id;
  for (const button of tabButtons) button.setAttribute('aria-selected', String(button.dataset.tab === tab));
  if (!views.has(tab)) {
    const factory = await entry.load();
    views.set(tab, factory(ctx));
  }
  if (activeTab && activeTab !== tab) views.get(activeTab)?.deactivate?.();
  activeTab = tab;
  const view = views.get(tab);
  main.replaceChildren(view.root);
  document.body.dataset.tab = tab;
  view.activate?.();
}

function applyFrameState(state) {
  frame.classList.toggle('no-sidebar', state.sidebarHidden);
  showSidebar.hidden = !state.sidebarHidden;
}

store.subscribe((changed, state) => {
  applyFrameState(state);
  sidebar.onState(changed);
  if (changed.has('tab')) showTab(state.tab);
  for (const [tab, view] of views) {
    if (tab === activeTab || !view.lazyState) view.onState?.(changed);
    else view.stale = true;
  }
});
window.addEventListener('popstate', () => store.reload());

// The store version the run list was read at (/api/runs), compared with the event stream's
// `hello` to tell whether data arrived while the stream was not yet (or no longer) listening.
let runsVersion = null;

async function refreshRuns() {
  try {
    const body = await fetchRuns();
    runsVersion = body.version ?? null;
    index.update(body);
    ctx.setStatus('');
  } catch (err) {
    ctx.setStatus(`Could not load runs: ${err.message}`);
    return;
  }
  sidebar.onRuns();
  for (const view of views.values()) view.onRuns?.();
}

const refreshRunsSoon = throttle(refreshRuns, 300);

// Something was written while the stream was not listening (before it first connected, or
// between a drop and its reconnection): re-read the run list, and let every view treat each of
// its runs' tags as announced (scalars fetch only the steps after those they hold).
async function catchUp() {
  await refreshRuns();
  for (const run of index.list) {
    for (const kind of LIVE_KINDS) {
      for (const tag of index.tagSets.get(run.name)?.[kind] ?? []) {
        for (const view of views.values()) view.onEvent?.(kind, { run: run.name, tag, last_step: null });
      }
    }
  }
}

function connectLive() {
  const source = openEvents();
  for (const kind of LIVE_KINDS) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      const known = index.byName.has(data.run) && index.hasTag(data.run, kind, data.tag);
      if (!known) refreshRunsSoon();
      for (const view of views.values()) view.onEvent?.(kind, data);
    });
  }
  source.addEventListener('runs', refreshRunsSoon);
  source.addEventListener('hello', (message) => {
    let version = null;
    try {
      version = JSON.parse(message.data).version ?? null;
    } catch {
      // no version: catch up
    }
    if (version === null || version !== runsVersion) catchUp();
  });
  source.addEventListener('open', () => document.body.setAttribute('data-live', 'open'));
  source.addEventListener('error', () => document.body.setAttribute('data-live', 'reconnecting'));
}

applyFrameState(store.get());
await refreshRuns();
landing = landingTab();
await showTab(store.get().tab);
// The stream connects once the first view has drawn (its first request builds the server's
// web app, a few tenths of a second of its CPU, which the first charts' data should not wait
// behind); what arrives before it listens is caught up on its `hello`.
if (window.requestIdleCallback) window.requestIdleCallback(connectLive, { timeout: 2000 });
else setTimeout(connectLive, 0);
document.body.dataset.ready = '1';
