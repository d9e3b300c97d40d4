// Projector: the embeddings the runs declare (projector_config.pbtxt), projected on the server
// (PCA, or t-SNE when the server has scikit-learn: polled until done) and drawn as a 2-D
// (scattergl) or 3-D (scatter3d) scatter, coloured and labelled by a metadata column. Search
// highlights the points whose label matches; clicking a point lists its nearest neighbours
// (cosine or euclidean, k points) and highlights them. The choice lives in the URL (`proj`).
import { getJson } from '../api.js';
import { el } from '../dom.js';
import { Plotly, baseLayout, loadPlotly, plotConfig, plotlyText } from '../widgets/plots.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173'];
const DEFAULTS = { run: '', name: '', method: 'pca', dims: 3, color: '', query: '', k: 10, metric: 'cosine' };

/** Colours per point for a metadata column: categorical (≤ 15 values) or a numeric ramp. */
export function pointColors(values) {
  const distinct = [...new Set(values)];
  const numbers = values.map(Number);
  if (distinct.length > PALETTE.length && numbers.every(Number.isFinite)) return { color: numbers, colorscale: 'Viridis' };
  const index = new Map(distinct.map((v, i) => [v, i]));
  return { color: values.map((v) => PALETTE[index.get(v) % PALETTE.length]) };
}

export function createProjectorView(ctx) {
  const view = {
    embeddings: new Map(), // "run\u001fname" -> {run, name, shape, has_metadata}
    methods: ['pca'],
    points: null, // {columns, rows, shape} of the current embedding
    coords: null,
    selected: null,
    neighbors: [],
    token: 0,
  };
  const pick = el('select', { class: 'proj-embedding', 'aria-label': 'embedding' });
  const method = el('select', { class: 'proj-method', 'aria-label': 'projection' });
  const dims = el('select', { class: 'proj-dims', 'aria-label': 'dimensions' },
    el('option', { value: '2', text: '2-D' }), el('option', { value: '3', text: '3-D' }));
  const color = el('select', { class: 'proj-color', 'aria-label': 'colour by' });
  const search = el('input', { type: 'search', class: 'proj-search', placeholder: 'Search labels', 'aria-label': 'search labels' });
  const k = el('input', { type: 'number', class: 'proj-k', min: 1, max: 1000, 'aria-label': 'neighbours' });
  const metric = el('select', { class: 'proj-metric', 'aria-label': 'distance' },
    el('option', { value: 'cosine', text: 'cosine' }), el('option', { value: 'euclidean', text: 'euclidean' }));
  const status = el('div', { class: 'proj-status' });
  const plot = el('div', { class: 'proj-plot' });
  const details = el('div', { class: 'proj-details' });
  const root = el('div', { class: 'view projector' },
    el('div', { class: 'toolbar' }, pick, method, dims, el('label', { text: 'colour by ' }, color), search,
      el('label', { text: 'neighbours ' }, k), metric),
    status, el('div', { class: 'proj-main' }, plot, details));

  const settings = () => {
    try {
      return { ...DEFAULTS, ...JSON.parse(ctx.store.get().projector || '{}') };
    } catch {
      return { ...DEFAULTS };
    }
  };
  const save = (patch) => ctx.store.set({ projector: JSON.stringify({ ...settings(), ...patch }) });

  for (const [control, field, parse] of [[pick, 'embedding', String], [method, 'method', String], [dims, 'dims', Number],
    [color, 'color', String], [metric, 'metric', String], [k, 'k', Number]]) {
    control.addEventListener('change', () => {
      if (field === 'embedding') {
        const entry = view.embeddings.get(control.value);
        save({ run: entry.run, name: entry.name, color: '', query: '' });
      } else save({ [field]: parse(control.value) });
    });
  }
  search.addEventListener('input', () => save({ query: search.value }));

  async function refresh() {
    const answer = await getJson('api/projector/embeddings');
    view.methods = answer.methods;
    view.embeddings.clear();
    for (const [run, list] of Object.entries(answer.runs)) {
      for (const e of list) view.embeddings.set(`${run}\u001f${e.name}`, { run, ...e });
    }
    pick.replaceChildren(...[...view.embeddings].map(([key, e]) =>
      el('option', { value: key, text: `${e.run}: ${e.name} [${e.shape.join('×')}]` })));
    method.replaceChildren(...view.methods.map((m) => el('option', { value: m, text: m === 'pca' ? 'PCA' : 't-SNE' })));
    await load();
  }

  async function load() {
    const s = settings();
    if (!view.embeddings.size) {
      status.textContent = 'No embeddings: write some with add_embedding (a projector_config.pbtxt in a run).';
      plot.replaceChildren();
      return;
    }
    let key = `${s.run}\u001f${s.name}`;
    if (!view.embeddings.has(key)) key = view.embeddings.keys().next().value;
    const entry = view.embeddings.get(key);
    pick.value = key;
    method.value = view.methods.includes(s.method) ? s.method : 'pca';
    dims.value = String(s.dims);
    metric.value = s.metric;
    k.value = String(s.k);
    if (search.value !== s.query) search.value = s.query;
    const token = ++view.token;
    const points = await getJson('api/projector/points', { run: entry.run, name: entry.name });
    if (token !== view.token) return;
    view.points = points;
    view.entry = entry;
    color.replaceChildren(el('option', { value: '', text: '(none)' }),
      ...points.columns.map((c) => el('option', { value: c, text: c })));
    color.value = points.columns.includes(s.color) ? s.color : (points.columns[0] ?? '');
    view.coords = await project(entry, method.value, Number(dims.value), token);
    if (view.coords) await draw();
  }

  async function project(entry, how, n, token) {
    for (;;) {
      const r = await getJson('api/projector/projection', { run: entry.run, name: entry.name, method: how, dims: n });
      if (token !== view.token) return null;
      if (r.state === 'done') {
        status.textContent = how === 'pca'
          ? `PCA of ${entry.shape.join('×')}: variance explained ${r.variance.map((v) => `${(100 * v).toFixed(1)}%`).join(', ')}`
          : `t-SNE of ${entry.shape.join('×')} in ${r.elapsed.toFixed(1)} s`;
        status.dataset.state = 'done';
        return r.coords;
      }
      if (r.state === 'error') {
        status.textContent = `${how}: ${r.error}`;
        status.dataset.state = 'error';
        return null;
      }
      status.textContent = `${how === 'tsne' ? 't-SNE' : 'PCA'} running… ${r.elapsed.toFixed(1)} s`;
      status.dataset.state = 'running';
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  function labels() {
    const { columns, rows } = view.points;
    const at = Math.max(0, columns.indexOf(color.value));
    return view.coords.map((_, i) => (rows[i] ? rows[i][at] : String(i)));
  }

  function matches() {
    const query = settings().query.trim().toLowerCase();
    if (!query || !view.points.columns.length) return null;
    const names = labels();
    return new Set(names.flatMap((name, i) => (name.toLowerCase().includes(query) ? [i] : [])));
  }

  async function draw() {
    const three = view.coords[0]?.length === 3;
    const names = labels();
    const found = matches();
    const near = new Set(view.neighbors.map((n) => n.index));
    const colors = color.value ? pointColors(names) : { color: '#1f77b4' };
    const emphasised = (i) => i === view.selected || near.has(i) || found?.has(i);
    const dim = found !== null || view.selected !== null;
    const marker = {
      ...colors,
      size: view.coords.map((_, i) => (emphasised(i) ? (three ? 8 : 10) : (three ? 4 : 6))),
      opacity: dim ? 0.9 : 0.8,
      line: { width: view.coords.map((_, i) => (emphasised(i) ? 1.5 : 0)), color: '#000' },
    };
    if (dim && !colors.colorscale) marker.color = view.coords.map((_, i) => (emphasised(i) ? (Array.isArray(colors.color) ? colors.color[i] : colors.color) : '#d0d0d0'));
    const trace = {
      type: three ? 'scatter3d' : 'scattergl', mode: 'markers',
      x: view.coords.map((c) => c[0]), y: view.coords.map((c) => c[1]),
      ...(three ? { z: view.coords.map((c) => c[2]) } : {}),
      text: names.map(plotlyText), hoverinfo: 'text', marker,
    };
    plot.dataset.points = String(view.coords.length);
    plot.dataset.matches = found ? String(found.size) : '';
    status.dataset.matches = found ? `${found.size} match${found.size === 1 ? '' : 'es'}` : '';
    await loadPlotly();
    const layout = baseLayout({ height: 520, margin: { l: 30, r: 10, t: 10, b: 30 }, uirevision: view.entry.run + view.entry.name,
      ...(three ? { scene: { aspectmode: 'cube' } } : {}) });
    await Plotly.react(plot, [trace], layout, plotConfig);
    plot.removeAllListeners?.('plotly_click');
    plot.on('plotly_click', (event) => select(event.points[0].pointNumber));
    renderDetails(names, found);
  }

  async function select(index) {
    const s = settings();
    view.selected = index;
    const r = await getJson('api/projector/neighbors', { run: view.entry.run, name: view.entry.name, index, k: s.k, metric: s.metric });
    view.neighbors = r.neighbors;
    await draw();
  }

  function renderDetails(names, found) {
    const parts = [];
    if (found) parts.push(el('p', { class: 'proj-found', text: `${found.size} point${found.size === 1 ? '' : 's'} match “${settings().query}”` }));
    if (view.selected !== null) {
      parts.push(el('h4', { text: `Point ${view.selected}: ${names[view.selected]}` }),
        el('p', { class: 'muted', text: `nearest ${view.neighbors.length} by ${settings().metric} distance` }),
        el('ol', { class: 'proj-neighbors' }, view.neighbors.map((n) =>
          el('li', { dataset: { index: n.index } }, el('span', { text: names[n.index] ?? String(n.index) }),
            el('span', { class: 'muted', text: ` ${n.distance.toFixed(4)}` })))));
    } else parts.push(el('p', { class: 'muted', text: 'Click a point to list its nearest neighbours.' }));
    details.replaceChildren(...parts);
  }

  return {
    root,
    activate: () => refresh().catch((err) => (status.textContent = String(err.message ?? err))),
    onState(changed) {
      if (!changed.has('projector')) return;
      const s = settings();
      const prev = view.last ?? {};
      view.last = s;
      if (prev.query !== s.query && prev.run === s.run && prev.name === s.name && prev.method === s.method &&
        prev.dims === s.dims && prev.color === s.color && view.coords) {
        draw();
        return;
      }
      if (prev.k !== s.k || prev.metric !== s.metric) {
        if (view.selected !== null && prev.run === s.run && prev.name === s.name) {
          select(view.selected);
          return;
        }
      }
      view.selected = null;
      view.neighbors = [];
      load().catch((err) => (status.textContent = String(err.message ?? err)));
    },
    onRuns: () => refresh().catch(() => {}),
  };
}
