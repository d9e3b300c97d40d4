// The graph explorer. `mount(container, {runs, selectedRun, state, onState})` draws the graph
// of one run as a collapsible hierarchy of name scopes: pan and zoom, click a group to expand
// or collapse it, breadcrumbs, search with jump, trace inputs, colour by structure / device /
// op / compute time / memory, a minimap, and an info panel. Layout happens on the server; this
// module only draws. View state goes to `onState` (the app keeps it in the URL as `g.*`).
import { fetchNode, fetchRuns, fetchScene, searchNodes, traceInputs } from './api.js';
import { COLOR_MODES, colorer, legend } from './colors.js';
import { h, renderInfo } from './info.js';
import { createMinimap } from './minimap.js';
import { formatCount, renderScene } from './render.js';
import { createSearch } from './search.js';
import { svg } from './svg.js';

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;

function parseExpanded(text) {
  if (!text) return new Set();
  try {
    const list = JSON.parse(text);
    return new Set(Array.isArray(list) ? list.filter((x) => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export async function mount(container, { runs = [], selectedRun = null, state = {}, onState = () => {} } = {}) {
  const view = {
    run: state.run && runs.includes(state.run) ? state.run : selectedRun ?? runs[0] ?? null,
    tag: state.tag || '',
    color: COLOR_MODES.some(([m]) => m === state.color) ? state.color : 'structure',
    expanded: parseExpanded(state.x),
    selected: state.sel || null,
    shapes: state.shapes === '1',
    scene: null,
    transform: { x: 20, y: 20, k: 1 },
    traced: null,
    runTags: new Map(), // run name -> its run_metadata tags (a Map: a run may be named `constructor`)
    generation: 0,
  };

  // ----- DOM -----
  const runSelect = h('select', { class: 'g-run', title: 'Run' });
  const tagSelect = h('select', { class: 'g-tag', title: 'RunMetadata (adds compute time and memory)' });
  const colorSelect = h('select', { class: 'g-color', title: 'Colour by' },
    COLOR_MODES.map(([value, text]) => h('option', { value, text })));
  const shapesBox = h('input', { type: 'checkbox', class: 'g-shapes' });
  const search = createSearch((query) => (view.run ? searchNodes(view.run, query) : Promise.resolve({ results: [] })), (name) => jumpTo(name));
  const fitButton = h('button', { class: 'g-fit', text: 'Fit', title: 'Fit the graph to the window' });
  const status = h('span', { class: 'g-status' });
  const toolbar = h('div', { class: 'g-toolbar' },
    h('label', {}, 'Run ', runSelect), h('label', {}, 'Trace ', tagSelect), h('label', {}, 'Colour ', colorSelect),
    h('label', { title: 'Label edges with tensor shapes' }, shapesBox, ' shapes'),
    search.element, fitButton, status);
  const crumbs = h('nav', { class: 'g-crumbs', 'aria-label': 'Breadcrumbs' });
  const canvas = svg('svg', { class: 'g-canvas' });
  const viewport = svg('g', { class: 'g-viewport' });
  canvas.append(viewport);
  const legendBox = h('div', { class: 'g-legend' });
  const minimap = createMinimap((x, y) => centerOn(x, y));
  const stage = h('div', { class: 'g-stage' }, canvas, legendBox, minimap.element);
  const info = h('aside', { class: 'g-info', hidden: true });
  const body = h('div', { class: 'g-body' }, stage, info);
  const root = h('div', { class: 'graph-explorer' }, toolbar, crumbs, body);
  container.replaceChildren(root);
  let nodeElements = new Map();

  function save() {
    onState({
      run: view.run ?? '',
      tag: view.tag,
      color: view.color === 'structure' ? '' : view.color,
      x: view.expanded.size ? JSON.stringify([...view.expanded].sort()) : '',
      sel: view.selected ?? '',
      shapes: view.shapes ? '1' : '',
    });
  }

  // ----- pan and zoom -----
  function applyTransform() {
    const { x, y, k } = view.transform;
    viewport.setAttribute('transform', `translate(${x},${y}) scale(${k})`);
    const box = canvas.getBoundingClientRect();
    minimap.setWindow(-x / k, -y / k, box.width / k, box.height / k);
  }
  function fit() {
    if (!view.scene) return;
    const box = canvas.getBoundingClientRect();
    const { width, height } = view.scene;
    const k = Math.min(1.2, Math.max(MIN_ZOOM, Math.min((box.width - 40) / Math.max(width, 1), (box.height - 40) / Math.max(height, 1))));
    view.transform = { k, x: (box.width - width * k) / 2, y: 20 };
    applyTransform();
  }
  /** Pan (and zoom out if it must) so that the whole box of `node` is on screen. */
  function bringIntoView(node) {
    const box = canvas.getBoundingClientRect();
    const margin = 16;
    let { x, y, k } = view.transform;
    const fitK = Math.min((box.width - 2 * margin) / node.w, (box.height - 2 * margin) / node.h);
    if (fitK < k) {
      const cx = node.x + node.w / 2, cy = node.y + node.h / 2;
      const sx = cx * k + x, sy = cy * k + y;
      k = Math.max(MIN_ZOOM, fitK);
      x = sx - cx * k;
      y = sy - cy * k;
    }
    const overflowRight = node.x * k + x + node.w * k - (box.width - margin);
    if (overflowRight > 0) x -= overflowRight;
    if (node.x * k + x < margin) x += margin - (node.x * k + x);
    const overflowBottom = node.y * k + y + node.h * k - (box.height - margin);
    if (overflowBottom > 0) y -= overflowBottom;
    if (node.y * k + y < margin) y += margin - (node.y * k + y);
    view.transform = { x, y, k };
    applyTransform();
  }
  function centerOn(x, y) {
    const box = canvas.getBoundingClientRect();
    const { k } = view.transform;
    view.transform = { k, x: box.width / 2 - x * k, y: box.height / 2 - y * k };
    applyTransform();
  }
  canvas.addEventListener('wheel', (event) => {
    event.preventDefault();
    const box = canvas.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    const { x, y, k } = view.transform;
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k * Math.exp(-event.deltaY * 0.0015)));
    view.transform = { k: next, x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k };
    applyTransform();
  }, { passive: false });
  let drag = null;
  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, tx: view.transform.x, ty: view.transform.y, moved: false };
  });
  window.addEventListener('pointermove', onPointerMove);
  window.addEventListener('pointerup', onPointerUp);
  function onPointerMove(event) {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) {
      view.transform = { ...view.transform, x: drag.tx + dx, y: drag.ty + dy };
      applyTransform();
    }
  }
  function onPointerUp() {
    setTimeout(() => { drag = null; }, 0);
  }

  // ----- drawing -----
  function nodeByName(name) {
    return view.scene?.nodes.find((n) => n.name === name) ?? null;
  }
  function draw() {
    const scene = view.scene;
    const fillOf = colorer(view.color, scene.nodes);
    const drawing = renderScene(scene, fillOf, view.shapes);
    nodeElements = drawing.nodeElements;
    viewport.replaceChildren(drawing.root);
    minimap.setScene(scene);
    const box = canvas.getBoundingClientRect();
    minimap.show(scene.width > box.width || scene.height > box.height);
    legendBox.replaceChildren(...legend(view.color, scene.nodes).map(([color, text]) =>
      h('span', { class: 'g-legend-item' }, h('i', { style: `background:${color}` }), text)));
    if ((view.color === 'compute' || view.color === 'memory') && !view.tag) {
      legendBox.replaceChildren(h('span', { class: 'g-hint', text: 'Pick a run_metadata trace to colour by compute time or memory.' }));
    } else if (view.color === 'compute' || view.color === 'memory') {
      const field = view.color === 'compute' ? 'compute_micros' : 'memory_bytes';
      const max = Math.max(0, ...scene.nodes.filter((n) => !n.expanded).map((n) => n[field] ?? 0));
      const unit = view.color === 'compute' ? `${max.toFixed(1)} µs` : `${formatCount(max)}B`;
      legendBox.replaceChildren(h('span', { class: 'g-legend-item' }, '0 ', h('i', { class: 'g-heat' }), ` ${unit} (log scale)`));
    }
    markSelection();
    markTrace();
    applyTransform();
  }
  function markSelection() {
    for (const [name, element] of nodeElements) element.classList.toggle('selected', name === view.selected);
  }
  function markTrace() {
    const traced = view.traced;
    viewport.classList.toggle('tracing', Boolean(traced));
    for (const [name, element] of nodeElements) element.classList.toggle('upstream', Boolean(traced?.has(name)));
    for (const path of viewport.querySelectorAll('.gedge')) {
      path.classList.toggle('upstream', Boolean(traced?.has(path.dataset.src) && traced?.has(path.dataset.dst)));
    }
  }
  function updateCrumbs() {
    const parts = [];
    let node = view.selected ? nodeByName(view.selected) : null;
    while (node) {
      parts.unshift(node);
      node = node.parent ? nodeByName(node.parent) : null;
    }
    const items = [h('a', { href: '#', class: 'crumb', text: view.run ?? '(no run)', onclick: (e) => { e.preventDefault(); select(null); fit(); } })];
    for (const part of parts) {
      items.push(h('span', { class: 'sep', text: '›' }));
      items.push(h('a', { href: '#', class: 'crumb', text: part.label, onclick: (e) => { e.preventDefault(); select(part.name); reveal(part.name); } }));
    }
    crumbs.replaceChildren(...items);
  }

  // ----- loading -----
  async function load({ keepAnchor = null } = {}) {
    if (!view.run) {
      status.textContent = '';
      viewport.replaceChildren();
      crumbs.replaceChildren(h('span', { text: 'No run has a graph.' }));
      return;
    }
    const generation = ++view.generation;
    const started = performance.now();
    status.textContent = 'Loading…';
    let scene;
    try {
      scene = await fetchScene(view.run, view.tag || null, view.expanded);
    } catch (error) {
      if (generation !== view.generation) return;
      status.textContent = `Error: ${error.message}`;
      viewport.replaceChildren();
      return;
    }
    if (generation !== view.generation) return;
    const anchorBefore = keepAnchor ? nodeByName(keepAnchor) : null;
    const firstScene = !view.scene;
    view.scene = scene;
    // Names in the URL that no longer exist (another graph) are dropped.
    const names = new Set(scene.nodes.map((n) => n.name));
    for (const name of [...view.expanded]) if (!names.has(name)) view.expanded.delete(name);
    draw();
    if (firstScene) fit();
    else if (anchorBefore) {
      const anchorAfter = nodeByName(keepAnchor);
      if (anchorAfter) {
        const { k } = view.transform;
        view.transform.x += (anchorBefore.x - anchorAfter.x) * k;
        view.transform.y += (anchorBefore.y - anchorAfter.y) * k;
        bringIntoView(anchorAfter);
      }
    }
    updateCrumbs();
    const opCount = scene.op_count.toLocaleString();
    status.textContent = `${opCount} ops · ${scene.root.params.toLocaleString()} params${scene.missing_inputs ? ` · ${scene.missing_inputs} inputs name no node` : ''}`;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const elapsed = performance.now() - started;
    root.dataset.renderMs = elapsed.toFixed(1);
    root.dataset.paintedAt = performance.now().toFixed(1); // ms since navigation start
    root.dataset.renders = String(Number(root.dataset.renders ?? 0) + 1);
    root.dataset.nodes = String(scene.nodes.length);
    if (view.selected && names.has(view.selected)) showInfo(view.selected);
    save();
  }

  // ----- interaction -----
  async function toggle(name) {
    const node = nodeByName(name);
    if (!node || !node.expandable) return;
    if (view.expanded.has(name)) {
      for (const other of [...view.expanded]) if (other === name || isInside(other, name)) view.expanded.delete(other);
    } else view.expanded.add(name);
    view.traced = null;
    await load({ keepAnchor: name });
  }
  function isInside(name, ancestor) {
    let node = nodeByName(name);
    while (node && node.parent) {
      if (node.parent === ancestor) return true;
      node = nodeByName(node.parent);
    }
    return false;
  }
  async function showInfo(name) {
    try {
      const details = await fetchNode(view.run, name, view.tag || null);
      if (view.selected !== name) return;
      renderInfo(info, details, {
        onJump: (opName) => jumpTo(opName),
        onTrace: () => trace(name),
        onClose: () => select(null),
      });
    } catch (error) {
      info.replaceChildren(h('p', { text: `Error: ${error.message}` }));
      info.hidden = false;
    }
  }
  function select(name) {
    view.selected = name;
    markSelection();
    updateCrumbs();
    if (name) showInfo(name);
    else {
      info.hidden = true;
      view.traced = null;
      markTrace();
    }
    save();
  }
  function reveal(name) {
    const node = nodeByName(name);
    if (node) centerOn(node.x + node.w / 2, node.y + node.h / 2);
    const element = nodeElements.get(name);
    if (element) {
      element.classList.add('flash');
      setTimeout(() => element.classList.remove('flash'), 1200);
    }
  }
  async function jumpTo(name) {
    // `name` may be an op name or a node name: ask search for the path to open.
    const { results } = await searchNodes(view.run, name);
    const hit = results.find((r) => r.name === name || r.name.endsWith(`/(${name.split('/').pop()})`) && r.name.startsWith(name)) ?? results[0];
    if (!hit) return;
    let changed = false;
    for (const group of hit.path) {
      if (!view.expanded.has(group)) {
        view.expanded.add(group);
        changed = true;
      }
    }
    view.selected = hit.name;
    if (changed) await load();
    else {
      markSelection();
      updateCrumbs();
      showInfo(hit.name);
    }
    reveal(hit.name);
  }
  async function trace(name) {
    const result = await traceInputs(view.run, name, view.expanded);
    view.traced = new Set(result.nodes);
    markTrace();
    status.textContent = `${result.ops} ops upstream of ${name}`;
  }

  canvas.addEventListener('click', (event) => {
    if (drag?.moved) return;
    const target = event.target.closest?.('.gnode');
    if (!target) {
      select(null);
      return;
    }
    const name = target.dataset.name;
    const node = nodeByName(name);
    select(name);
    if (node?.expandable && (!node.expanded || event.target.closest('.g-header') || event.target.classList.contains('g-label'))) toggle(name);
  });
  canvas.addEventListener('dblclick', (event) => {
    const target = event.target.closest?.('.gnode');
    if (target && nodeByName(target.dataset.name)?.expanded) toggle(target.dataset.name);
  });

  function fillRunSelect() {
    runSelect.replaceChildren(...runs.map((run) => h('option', { value: run, text: run })));
    if (view.run) runSelect.value = view.run;
  }
  function fillTagSelect() {
    const known = view.runTags.get(view.run);
    const tags = known ?? (view.tag ? [view.tag] : []);
    if (known && view.tag && !tags.includes(view.tag)) {
      view.tag = '';
      if (view.scene) load();
    }
    tagSelect.replaceChildren(h('option', { value: '', text: tags.length ? '(none)' : '(no traces)' }),
      ...tags.map((tag) => h('option', { value: tag, text: tag })));
    tagSelect.value = view.tag;
    tagSelect.disabled = !tags.length;
  }
  runSelect.addEventListener('change', () => {
    view.run = runSelect.value;
    view.expanded = new Set();
    view.selected = null;
    view.scene = null;
    view.traced = null;
    info.hidden = true;
    fillTagSelect();
    load();
  });
  tagSelect.addEventListener('change', () => {
    view.tag = tagSelect.value;
    if (view.tag && view.color === 'structure') view.color = 'compute';
    colorSelect.value = view.color;
    load();
  });
  colorSelect.value = view.color;
  colorSelect.addEventListener('change', () => {
    view.color = colorSelect.value;
    // a traced subgraph dims every other node, which would hide the new colouring
    view.traced = null;
    if (view.scene) draw();
    save();
  });
  shapesBox.checked = view.shapes;
  shapesBox.addEventListener('change', () => {
    view.shapes = shapesBox.checked;
    if (view.scene) draw();
    save();
  });
  fitButton.addEventListener('click', fit);
  const resize = new ResizeObserver(() => view.scene && applyTransform());
  resize.observe(canvas);

  fillRunSelect();
  fillTagSelect();
  const ready = load();
  // The traces (run_metadata tags) are listed in /api/runs; fetched while the graph loads.
  fetchRuns()
    .then((index) => {
      for (const run of index.runs ?? []) view.runTags.set(run.name, run.tags?.run_metadata ?? []);
      fillTagSelect();
    })
    .catch(() => {
      // traces are optional: the graph works without them
    });

  return {
    ready,
    unmount() {
      window.removeEventListener('pointermove', onPointerMove);
      window.removeEventListener('pointerup', onPointerUp);
      resize.disconnect();
      container.replaceChildren();
    },
  };
}
