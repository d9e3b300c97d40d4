// Scalars dashboard: one chart per tag, one trace per selected run (or per group). Plotly draws
// the axes and handles zoom and pan; the traces are painted on a canvas layer (lineLayer.js).
// Until plotly.js is evaluated, charts on linear axes are drawn complete with axes of our own
// (quickAxes.js), and plotly's evaluation waits until the cards on screen have painted.
import { scalarsExportUrl } from '../api.js';
import { runColor } from '../colors.js';
import { debounce, el, formatDuration, formatNumber, formatTime, throttle } from '../dom.js';
import { toggled } from '../state.js';
import { createCard, layoutSections, renderTurn } from '../widgets/card.js';
import { drawLines, extentTrace, followAxes, trackPointer } from '../widgets/lineLayer.js';
import { Plotly, baseLayout, loadPlotly, plotConfig } from '../widgets/plots.js';
import { autoRanges, quickChart, removeQuickChart } from '../widgets/quickAxes.js';
import { hideTooltip, showTooltip } from '../widgets/tooltip.js';
import { ScalarCache } from './scalarData.js';
import { buildTraces, nearestIndex, rangeBound, relativeUnit, yRange } from './scalarTraces.js';

const REDRAW_KEYS = ['smoothing', 'xAxis', 'logY', 'logX', 'ignoreOutliers', 'off', 'runFilter', 'groupBy', 'band'];
const LAYOUT_KEYS = ['tagFilter', 'pinned', 'collapsed'];
const LIVE_FLUSH_MS = 250;

export function createScalarsView(ctx) {
  const cache = new ScalarCache();
  const cards = new Map();
  const container = el('div', { class: 'sections' });
  const settingsBar = toolbar(ctx);
  const root = el('div', { class: 'view scalars-view' }, settingsBar, container);
  const pendingLive = new Set();
  // Cards drawing before plotly is evaluated: plotly's evaluation (~0.5 s of main thread) and
  // the plotly charts wait until they have all painted.
  let quickPending = 0;
  const quickWaiters = [];

  function settings() {
    return ctx.store.get();
  }

  function tags() {
    return ctx.tagsOf('scalars');
  }

  function layout() {
    const st = settings();
    layoutSections(container, tags(), cards, {
      pinned: st.pinned,
      collapsed: st.collapsed,
      onToggle: (name) => ctx.store.set({ collapsed: toggled(st.collapsed, name) }),
      make: makeCard,
    });
  }

  function makeCard(tag) {
    const card = createCard({
      key: tag,
      title: tag,
      kind: 'scalar-card',
      pinned: settings().pinned.includes(tag),
      onPin: (key) => ctx.store.set({ pinned: toggled(settings().pinned, key) }),
      draw: drawCard,
    });
    card.tag = tag;
    card.staleRuns = new Set();
    card.plot = el('div', { class: 'plot', dataset: { tag } });
    card.legend = el('div', { class: 'chart-legend' });
    card.body.append(card.plot, card.legend);
    card.actions.append(downloadControl(ctx, tag));
    // Before plotly, the chart is drawn again at its new width.
    card.onResize = () => (card.plotted ? Plotly.Plots.resize(card.plot) : card.redraw());
    card.onDispose = () => card.plotted && Plotly.purge(card.plot);
    return card;
  }

  async function drawCard(card) {
    const runs = ctx.visibleRuns().filter((run) => ctx.runHasTag(run, 'scalars', card.tag));
    await catchUp(card, runs);
    const loading = cache.ensure(card.tag, runs);
    if (window.Plotly || !quickFits()) loadPlotly(); // evaluates while the server answers
    else await paintBeforePlotly(card, runs, loading);
    await loading;
    await renderTurn();
    await render(card, runs);
    const missingFull = cache.needsFull(card.tag, runs);
    if (missingFull.length) {
      await cache.loadFull(card.tag, missingFull);
      card.redraw();
    } else if (card.xRange) {
      await refineZoom(card, runs);
    }
  }

  // The card drawn without plotly as soon as its data is in; plotly is evaluated once every
  // card drawing this way has painted, and then this card waits for its plotly turn.
  async function paintBeforePlotly(card, runs, loading) {
    quickPending++;
    try {
      await loading;
      quickRender(card, runs);
    } finally {
      if (--quickPending === 0) {
        loadPlotly();
        for (const resolve of quickWaiters.splice(0)) resolve();
      }
    }
    if (quickPending) await new Promise((resolve) => quickWaiters.push(resolve));
  }

  function quickFits() {
    const st = settings();
    return !st.logX && !st.logY && st.xAxis !== 'wall';
  }

  // The chart before plotly: lines and axes, no zoom or tooltip yet.
  function quickRender(card, runs) {
    const { built, plotLayout, extent, range, groups, resolution } = chartSpec(card, runs);
    if (plotLayout.xaxis.type !== 'linear' || plotLayout.yaxis.type !== 'linear') return;
    const ranges = autoRanges(extent, range);
    if (ranges && quickChart(card.plot, built.traces, plotLayout, ranges)) shown(card, built, groups, resolution, 'quick');
  }

  // Traces, plotly layout and data extremes of the chart for `runs`, from the current settings.
  function chartSpec(card, runs) {
    const st = settings();
    const entries = runs.map((run) => ({ run, series: card.zoomData?.get(run) ?? cache.series(card.tag, run) })).filter((e) => e.series);
    const unit = relativeUnit(entries.map((e) => e.series));
    const groups = ctx.groups(runs);
    const xAxisMode = groups ? 'step' : st.xAxis;
    const drawSettings = { ...st, xAxis: xAxisMode };
    const built = buildTraces(entries, groups, drawSettings, unit, card.xRange);
    card.display = built.display;
    card.unit = unit;
    card.xAxisMode = xAxisMode;
    card.traces = built.traces;
    const range = yRange(built.yArrays, st);
    const xTitle = { step: 'step', relative: `relative (${unit.name})`, wall: 'wall time' }[xAxisMode];
    const plotLayout = baseLayout({
      hovermode: false, // the tooltip follows the pointer itself (trackPointer)
      uirevision: `${card.tag}|${xAxisMode}|${st.logX}|${st.logY}|${st.ignoreOutliers}`,
      xaxis: {
        ...baseLayout().xaxis,
        title: { text: xTitle, standoff: 4 },
        type: xAxisMode === 'wall' ? 'date' : st.logX ? 'log' : 'linear',
        // plotly labels a log axis' 2x and 5x ticks with a lone digit ("2, 1, 5, 2, 0.1");
        // a tick format gives every tick its whole value
        ...(st.logX && xAxisMode !== 'wall' ? { tickformat: '~g' } : {}),
      },
      // A fixed left margin instead of automargin: plotly would measure every tick label again
      // on each redraw (a run toggle), and plotly's tick labels fit in 60 px.
      margin: { ...baseLayout().margin, l: 60 },
      yaxis: {
        ...baseLayout().yaxis,
        automargin: false,
        type: st.logY ? 'log' : 'linear',
        ...(st.logY ? { tickformat: '~g' } : {}),
        ...(range ? { range, autorange: false } : { autorange: true }),
      },
    });
    const extent = extentTrace(built.traces, st.logX && xAxisMode !== 'wall', st.logY);
    const resolution = entries.every((e) => e.series.full) ? 'full' : 'overview';
    return { built, plotLayout, extent, range, groups, resolution };
  }

  // `data-chart` says which axes the lines are drawn on: "quick" (ours, before plotly; no zoom
  // or tooltip yet) or "plotly" (the interactive chart).
  function shown(card, built, groups, resolution, chart) {
    card.plot.lines = built.traces; // what the chart shows: read by tests and the benchmark
    card.plot.dataset.chart = chart;
    card.plot.drawnAt = performance.now();
    card.root.dataset.resolution = resolution;
    showLegend(card, groups ? built.traces.filter((t) => t.meta.kind === 'mean') : []);
  }

  async function render(card, runs) {
    const { built, plotLayout, extent, groups, resolution } = chartSpec(card, runs);
    // Plotly only draws the axes: when neither their layout nor the data's extremes changed (a
    // run toggled inside the range), plotly has nothing to redo and is not called.
    const plotKey = JSON.stringify([plotLayout, extent.x, extent.y]);
    if (plotKey !== card.plotKey) {
      removeQuickChart(card.plot);
      await Plotly.react(card.plot, [extent], plotLayout, plotConfig);
      card.plotKey = plotKey;
    }
    drawLines(card.plot, built.traces);
    if (!card.plotted) {
      card.plotted = true;
      trackPointer(card.plot, (point) => (point ? hover(card, point) : hideTooltip()));
      followAxes(card.plot, () => card.traces);
      card.plot.on('plotly_relayout', (change) => onZoom(card, change));
    }
    shown(card, built, groups, resolution, 'plotly');
  }

  // Group names under the chart, as text.
  function showLegend(card, meanTraces) {
    card.legend.replaceChildren(
      ...meanTraces.map((t) =>
        el('span', { class: 'legend-item' }, el('span', { class: 'chip', style: { background: t.line.color } }), el('span', { class: 'legend-name', text: t.name })),
      ),
    );
  }

  function onZoom(card, change) {
    let next = card.xRange;
    if (change['xaxis.autorange'] || change.autosize) next = null;
    else if ('xaxis.range[0]' in change) {
      next = [rangeBound(change['xaxis.range[0]'], card.xAxisMode), rangeBound(change['xaxis.range[1]'], card.xAxisMode)];
    } else if (Array.isArray(change['xaxis.range'])) {
      next = change['xaxis.range'].map((v) => rangeBound(v, card.xAxisMode));
    } else return;
    if (JSON.stringify(next) === JSON.stringify(card.xRange)) return;
    card.xRange = next;
    card.zoomData = null;
    card.redraw();
  }

  // Series held only as an overview get finer points for the visible range from the server.
  async function refineZoom(card, runs) {
    const coarse = runs.filter((run) => !cache.series(card.tag, run)?.full);
    if (!coarse.length || card.xAxisMode !== 'step') return;
    const [lo, hi] = card.xRange;
    const requested = JSON.stringify(card.xRange);
    const fine = await cache.fetchRange(card.tag, coarse, lo, hi);
    await renderTurn();
    if (JSON.stringify(card.xRange) !== requested) return;
    card.zoomData = fine;
    await render(card, runs);
  }

  // Tooltip rows: every run (or group) at the pointer's x, from the drawn data.
  function hover(card, point) {
    const st = settings();
    if (!card.display?.size) return hideTooltip();
    const x = point.x;
    const grouped = card.display.values().next().value.mean !== undefined;
    const rows = [];
    for (const [name, d] of card.display) {
      const i = nearestIndex(d.x, x);
      if (i < 0) continue;
      if (grouped) {
        rows.push({
          name,
          value: d.mean[i],
          color: runColor(name),
          cells: [name, formatNumber(d.mean[i]), `± ${formatNumber(d.std[i])}`, String(d.x[i]), `n=${d.count[i]}`],
        });
      } else {
        const first = cache.series(card.tag, name)?.wall[0] ?? d.wall[i];
        rows.push({
          name,
          value: d.smooth[i],
          color: runColor(name),
          cells: [name, formatNumber(d.smooth[i]), formatNumber(d.raw[i]), String(d.step[i]), formatTime(d.wall[i]), formatDuration(d.wall[i] - first)],
        });
      }
    }
    const order = {
      nearest: (a, b) => Math.abs(point.yPixel(a.value) - point.cursorY) - Math.abs(point.yPixel(b.value) - point.cursorY),
      value: (a, b) => b.value - a.value,
      name: (a, b) => a.name.localeCompare(b.name),
    }[st.tooltipSort] ?? (() => 0);
    rows.sort(order);
    const columns = grouped ? ['group', 'mean', 'std', 'step', 'runs'] : ['run', 'smoothed', 'value', 'step', 'time', 'relative'];
    showTooltip(point.clientX, point.clientY, columns, rows.slice(0, 30));
  }

  function redrawAll() {
    for (const card of cards.values()) card.redraw();
  }

  // Live updates: on-screen cards fetch the new points now (one request per tag); cards off
  // screen only remember which runs grew and catch up when they are drawn.
  const flushLive = throttle(() => {
    const byTag = new Map();
    for (const key of pendingLive) {
      const [tag, run] = key.split('\u0000');
      if (!byTag.has(tag)) byTag.set(tag, new Set());
      byTag.get(tag).add(run);
    }
    pendingLive.clear();
    for (const [tag, runs] of byTag) {
      const card = cards.get(tag);
      if (!card) continue;
      for (const run of runs) card.staleRuns.add(run);
      card.redraw();
    }
  }, LIVE_FLUSH_MS);

  async function catchUp(card, runs) {
    if (!card.staleRuns.size) return;
    const stale = runs.filter((run) => card.staleRuns.has(run));
    card.staleRuns.clear();
    const fresh = stale.filter((run) => cache.series(card.tag, run));
    if (fresh.length && (await cache.extend(card.tag, fresh)).length) card.zoomData = null;
  }

  return {
    root,
    activate() {
      layout();
    },
    onState(changed) {
      if (LAYOUT_KEYS.some((k) => changed.has(k))) layout();
      if (REDRAW_KEYS.some((k) => changed.has(k))) redrawAll();
    },
    onRuns() {
      layout();
      redrawAll();
    },
    onEvent(kind, data) {
      if (kind !== 'scalars') return;
      pendingLive.add(`${data.tag}\u0000${data.run}`);
      flushLive();
    },
    cards,
    cache,
    // For the time-series page (timeSeries.js), which lays out this view's cards itself: it
    // creates them with makeCard, keeps them in `cards` (so live points reach them), redraws
    // them when one of `redrawKeys` changes, and shows this view's toolbar.
    makeCard,
    redrawKeys: REDRAW_KEYS,
    toolbar: settingsBar,
  };
}

function toolbar(ctx) {
  const st = ctx.store.get();
  const setLater = debounce((patch) => ctx.store.set(patch), 120);
  const smoothingValue = el('input', {
    type: 'number', min: 0, max: 0.999, step: 0.001, value: st.smoothing, class: 'smoothing-number',
    'aria-label': 'smoothing value',
  });
  const slider = el('input', {
    type: 'range', min: 0, max: 0.999, step: 0.001, value: st.smoothing, class: 'smoothing',
    'aria-label': 'smoothing',
  });
  const setSmoothing = (value) => {
    const v = Math.min(0.999, Math.max(0, Number(value) || 0));
    slider.value = v;
    smoothingValue.value = v;
    setLater({ smoothing: v });
  };
  slider.addEventListener('input', () => setSmoothing(slider.value));
  smoothingValue.addEventListener('change', () => setSmoothing(smoothingValue.value));
  const select = (name, options, label) =>
    el(
      'label',
      {},
      `${label} `,
      el(
        'select',
        { name, onchange: (e) => ctx.store.set({ [name]: e.target.value }) },
        options.map(([value, text]) => el('option', { value, text, selected: st[name] === value })),
      ),
    );
  const check = (name, label) =>
    el('label', {}, el('input', { type: 'checkbox', name, checked: st[name], onchange: (e) => ctx.store.set({ [name]: e.target.checked }) }), ` ${label}`);
  const bar = el(
    'div',
    { class: 'toolbar' },
    el('label', {}, 'Smoothing ', slider, smoothingValue),
    select('xAxis', [['step', 'step'], ['relative', 'relative'], ['wall', 'wall time']], 'X axis'),
    check('logY', 'log y'),
    check('logX', 'log x'),
    check('ignoreOutliers', 'ignore outliers'),
    select('tooltipSort', [['nearest', 'nearest'], ['value', 'value'], ['name', 'name']], 'Tooltip order'),
  );
  ctx.store.subscribe((changed, state) => {
    if (changed.has('smoothing') && Number(slider.value) !== state.smoothing) {
      slider.value = state.smoothing;
      smoothingValue.value = state.smoothing;
    }
  });
  return bar;
}

function downloadControl(ctx, tag) {
  const runSelect = el('select', { class: 'download-run', 'aria-label': 'run to download' });
  const links = ['csv', 'json'].map((format) =>
    el('a', { class: `download ${format}`, text: format.toUpperCase(), download: '', title: `Download ${format.toUpperCase()} at full resolution` }),
  );
  const update = () => {
    for (const [i, format] of ['csv', 'json'].entries()) {
      if (runSelect.value) links[i].href = scalarsExportUrl(runSelect.value, tag, format);
      else links[i].removeAttribute('href');
    }
  };
  // Until the list is opened it holds only the first run: a hundred options per card would
  // cost the first paint of a page of charts tens of milliseconds for nothing.
  const fill = (limit = Infinity) => {
    const runs = ctx.visibleRuns().filter((run) => ctx.runHasTag(run, 'scalars', tag)).slice(0, limit);
    const current = runSelect.value;
    runSelect.replaceChildren(...runs.map((run) => el('option', { value: run, text: run })));
    if (runs.includes(current)) runSelect.value = current;
    update();
  };
  runSelect.addEventListener('change', update);
  runSelect.addEventListener('focus', () => fill());
  const wrap = el('span', { class: 'download-control' }, '⤓ ', runSelect, ...links);
  queueMicrotask(() => fill(1));
  return wrap;
}
