// The Graph tab hosts the graph explorer (board/frontend/graph/view.js, owned by the graph
// view). Its view state lives in the URL under the `g.` prefix.
import { el } from '../dom.js';

export function createGraphTab(ctx) {
  const root = el('div', { class: 'view graph-view' });
  const host = el('div', { class: 'graph-host' });
  let mounted = null;
  let mountedRuns = '';

  function graphRuns() {
    return ctx.index.list.filter((run) => run.has_graph).map((run) => run.name);
  }

  async function mount() {
    const runs = graphRuns();
    const key = JSON.stringify(runs);
    if (mounted && key === mountedRuns) return;
    let module;
    try {
      module = await import('../graph/view.js');
    } catch {
      root.replaceChildren(el('p', { class: 'empty', text: 'The graph explorer is not available in this build.' }));
      return;
    }
    ensureStylesheet();
    mounted?.unmount?.();
    host.replaceChildren();
    root.replaceChildren(host);
    const visible = ctx.visibleRuns();
    mountedRuns = key;
    mounted = (await module.mount(host, {
      runs,
      selectedRun: runs.find((run) => visible.includes(run)) ?? runs[0] ?? null,
      state: { ...ctx.store.get().graph },
      onState: (obj) => ctx.store.set({ graph: { ...obj } }),
    })) ?? {};
  }

  return {
    root,
    activate: mount,
    onRuns() {
      if (root.isConnected) mount();
    },
  };
}

function ensureStylesheet() {
  if (document.querySelector('link[data-graph-css]')) return;
  document.head.append(el('link', { rel: 'stylesheet', href: 'static/graph.css', dataset: { graphCss: '1' } }));
}
