// Scalars dashboard: one chart per tag (plus any tags the user adds to it), one trace per
// selected run (or per group). Plotly draws the axes and handles zoom and pan; the traces are
// painted on a canvas layer (lineLayer.js). Until plotly.js is evaluated, charts on linear axes
// are drawn complete with axes of our own (quickAxes.js), and plotly's evaluation waits until
// the cards on screen have painted.
import { runColor } from '../colors.js';
import { el, formatNumber, formatTime, throttle } from '../dom.js';
import { toggled } from '../state.js';
import { chartTheme } from '../theme.js';
import { createCard, layoutSections, renderTurn } from '../widgets/card.js';
import { drawLines, extentTrace, followAxes, trackClicks, trackPointer } from '../widgets/lineLayer.js';
import { Plotly, baseLayout, loadPlotly, plotConfig } from '../widgets/plots.js';
import { autoRanges, quickChart, removeQuickChart } from '../widgets/quickAxes.js';
import { hideTooltip, showTooltip } from '../widgets/tooltip.js';
import { cardLimits, cardTags } from './cardSettings.js';
import { renderDataTable, selectionRows, snapToData } from './dataTable.js';
import { cardTools, downloadControl, toolbar } from './scalarControls.js';
import { ScalarCache } from './scalarData.js';
import { tooltipTable } from './scalarHover.js';
import { buildTraces, rangeBound, relativeUnit, yRange } from './scalarTraces.js';

const REDRAW_KEYS = ['smoothing', 'smoother', 'smoothWindow', 'xAxis', 'logY', 'logX', 'ignoreOutliers', 'off', 'runFilter', 'groupBy', 'band', 'yRanges', 'tagSets'];
const LAYOUT_KEYS = ['tagFilter', 'pinned', 'collapsed'];
// A changed run selection can leave a tag without any shown run: its card goes.
const RUN_KEYS = ['runFilter', 'off'];
const LIVE_FLUSH_MS = 250;
// Cards whose data is asked for as soon as they are laid out (a first screen at 1280x800 holds 2-6).
export const FIRST_SCREEN_CARDS = 6;
// A double click goes back to the ranges the chart was drawn with (a card's own y range
// included), not to plotly's autorange of the data.
const chartConfig = { ...plotConfig, doubleClick: 'reset' };
// Line styles of a chart's tags: its own tag solid, added tags dashed, dotted, ...
const TAG_DASHES = [undefined, 'dash', 'dot', 'dashdot', 'longdash'];

export function createScalarsView(ctx) {
  const cache = new ScalarCache();
  const cards = new Map();
  const container = el('div', { class: 'sections' });
  const settingsBar = toolbar(ctx);
  const root = el('div', { class: 'view scalars-view' }, settingsBar, container);
  const pendingLive = new Set();
  let laidOut = '';
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
    const keys = tags();
    laidOut = JSON.stringify(keys);
    layoutSections(container, keys, cards, {
      pinned: st.pinned,
      collapsed: st.collapsed,
      onToggle: (name) => ctx.store.set({ collapsed: toggled(st.collapsed, name) }),
      make: makeCard,
    });
    const first = [...container.querySelectorAll('.scalar-card')].slice(0, FIRST_SCREEN_CARDS);
    for (const root of first) prefetch(root._card);
  }

  // Ask for a card's data before it is on screen: the cards at the top of a page being laid
  // out are, and their data then arrives while the page is still being laid out and painted
  // (a card draws only once the browser has reported it visible, ~0.4 s later on a first load).
  function prefetch(card) {
    if (!card) return;
    for (const [tag, runs] of runsByTag(card)) cache.ensure(tag, runs).catch(() => {}); // drawing reports errors
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
    card.tools = cardTools(ctx, tag);
    card.plot = el('div', { class: 'plot', dataset: { tag } });
    card.legend = el('div', { class: 'chart-legend' });
    card.table = el('div', { class: 'data-table-box' });
    card.table.hidden = true;
    card.body.append(card.tools.box, card.plot, card.legend, card.table);
    card.actions.append(downloadControl(ctx, tag), card.tools.button);
    // Before plotly, the chart is drawn again at its new width.
    card.onResize = () => (card.plotted ? Plotly.Plots.resize(card.plot) : card.redraw());
    card.onDispose = () => card.plotted && Plotly.purge(card.plot);
    return card;
  }

  // The runs to draw for each tag of the card, in the card's tag order.
  function runsByTag(card) {
    const shown = ctx.visibleRuns();
    return new Map(cardTags(settings(), card.tag).map((tag) => [tag, shown.filter((run) => ctx.runHasTag(run, 'scalars', tag))]));
  }

  async function drawCard(card) {
    card.tools.sync();
    const byTag = runsByTag(card);
    await catchUp(card, byTag);
    const loading = Promise.all([...byTag].map(([tag, runs]) => cache.ensure(tag, runs)));
    if (window.Plotly || !quickFits()) loadPlotly(); // evaluates while the server answers
    else await paintBeforePlotly(card, byTag, loading);
    await loading;
    await renderTurn();
    await render(card, byTag);
    let refined = false;
    for (const [tag, runs] of byTag) {
      const missingFull = cache.needsFull(tag, runs);
      if (!missingFull.length) continue;
      await cache.loadFull(tag, missingFull);
      refined = true;
    }
    if (refined) card.redraw();
    else if (card.xRange) await refineZoom(card, byTag);
  }

  // The card drawn without plotly as soon as its data is in; plotly is evaluated once every
  // card drawing this way has painted, and then this card waits for its plotly turn.
  async function paintBeforePlotly(card, byTag, loading) {
    quickPending++;
    try {
      await loading;
      quickRender(card, byTag);
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
  function quickRender(card, byTag) {
    const { built, plotLayout, extent, range, resolution } = chartSpec(card, byTag);
    if (plotLayout.xaxis.type !== 'linear' || plotLayout.yaxis.type !== 'linear') return;
    const ranges = autoRanges(extent, range);
    if (ranges && quickChart(card.plot, built.traces, plotLayout, ranges)) shown(card, built, resolution, 'quick');
  }

  // Every (run, tag) series the card draws: [{run, tag, series, origin, key, dash}].
  function cardEntries(card, byTag) {
    const multi = byTag.size > 1;
    const entries = [];
    [...byTag].forEach(([tag, runs], i) => {
      for (const run of runs) {
        const held = cache.series(tag, run);
        const series = card.zoomData?.get(tag)?.get(run) ?? held;
        if (!series) continue;
        const origin = held?.wall[0];
        entries.push(multi ? { run, tag, series, origin, key: `${run} · ${tag}`, dash: TAG_DASHES[i % TAG_DASHES.length] } : { run, series, origin });
      }
    });
    return entries;
  }

  // Traces of every tag of the card, in one list (raw lines first when not grouped).
  function buildCardTraces(card, byTag, entries, drawSettings, unit) {
    const multi = byTag.size > 1;
    const display = new Map();
    const yArrays = [];
    let traces = [];
    [...byTag].forEach(([tag, runs], i) => {
      const own = multi ? entries.filter((e) => e.tag === tag) : entries;
      const groups = ctx.groups(runs);
      const tagInfo = multi ? { tag, dash: TAG_DASHES[i % TAG_DASHES.length] } : null;
      const built = buildTraces(own, groups, drawSettings, unit, card.xRange, tagInfo);
      traces = traces.concat(built.traces);
      for (const [key, d] of built.display) display.set(key, d);
      yArrays.push(...built.yArrays);
    });
    if (multi && !settings().groupBy) traces.sort((a, b) => (a.meta.kind === 'raw' ? 0 : 1) - (b.meta.kind === 'raw' ? 0 : 1));
    return { traces, display, yArrays, grouped: Boolean(settings().groupBy) };
  }

  // Traces, plotly layout and data extremes of the chart, from the current settings.
  function chartSpec(card, byTag) {
    const st = settings();
    const entries = cardEntries(card, byTag);
    const unit = relativeUnit(entries.map((e) => e.series));
    const xAxisMode = st.groupBy ? 'step' : st.xAxis;
    const drawSettings = { ...st, xAxis: xAxisMode };
    if (card.selection?.axis !== xAxisMode) card.selection = null; // picked on another x axis
    const built = buildCardTraces(card, byTag, entries, drawSettings, unit);
    card.display = built.display;
    card.entries = entries;
    card.drawSettings = drawSettings;
    card.unit = unit;
    card.xAxisMode = xAxisMode;
    card.traces = built.traces;
    const extent = extentTrace(built.traces, st.logX && xAxisMode !== 'wall', st.logY);
    const limits = cardLimits(st, card.tag);
    const range = yRange(built.yArrays, st, limits, extent.y);
    const xTitle = { step: 'step', relative: `relative (${unit.name})`, wall: 'wall time' }[xAxisMode];
    const plotLayout = baseLayout({
      hovermode: false, // the tooltip follows the pointer itself (trackPointer)
      uirevision: `${card.tag}|${xAxisMode}|${st.logX}|${st.logY}|${st.ignoreOutliers}|${JSON.stringify(limits)}`,
      xaxis: {
        ...baseLayout().xaxis,
        // Fixed margins, as the axes drawn before plotly assume (widgets/quickAxes.js): with
        // automargin plotly grows the bottom margin by a few pixels for the theme's font.
        automargin: false,
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
      shapes: selectionShapes(card),
    });
    const resolution = entries.every((e) => e.series.full) ? 'full' : 'overview';
    return { built, plotLayout, extent, range, resolution };
  }

  // A line at the selected step, or a shaded band over the selected range.
  function selectionShapes(card) {
    const sel = card.selection;
    if (!sel) return [];
    const common = { xref: 'x', yref: 'paper', y0: 0, y1: 1, layer: 'above' };
    const color = chartTheme().text; // dark on the light theme, light on the dark one
    if (sel.start === sel.end) return [{ ...common, type: 'line', x0: sel.start, x1: sel.start, line: { color, width: 1, dash: 'dot' } }];
    return [{ ...common, type: 'rect', x0: sel.start, x1: sel.end, fillcolor: color, opacity: 0.12, line: { width: 0 } }];
  }

  // `data-chart` says which axes the lines are drawn on: "quick" (ours, before plotly; no zoom
  // or tooltip yet) or "plotly" (the interactive chart).
  function shown(card, built, resolution, chart) {
    card.plot.lines = built.traces; // what the chart shows: read by tests and the benchmark
    card.plot.dataset.chart = chart;
    card.plot.drawnAt = performance.now();
    card.root.dataset.resolution = resolution;
    showLegend(card, built);
  }

  async function render(card, byTag) {
    const { built, plotLayout, extent, resolution } = chartSpec(card, byTag);
    // Plotly only draws the axes: when neither their layout nor the data's extremes changed (a
    // run toggled inside the range), plotly has nothing to redo and is not called.
    const plotKey = JSON.stringify([plotLayout, extent.x, extent.y]);
    if (plotKey !== card.plotKey) {
      removeQuickChart(card.plot);
      await Plotly.react(card.plot, [extent], plotLayout, chartConfig);
      card.plotKey = plotKey;
    }
    drawLines(card.plot, built.traces);
    if (!card.plotted) {
      card.plotted = true;
      card.pointer = trackPointer(card.plot, (point) => (point ? hover(card, point) : hideTooltip()));
      trackClicks(card.plot, (point, event) => selectStep(card, point.x, event.shiftKey));
      followAxes(card.plot, () => card.traces);
      card.plot.on('plotly_relayout', (change) => onZoom(card, change));
    }
    shown(card, built, resolution, 'plotly');
    showTable(card);
    // the data under a pointer that did not move changed: the tooltip shows the new values
    card.pointer.refresh();
  }

  // Group names (a grouped chart) and tag line styles (a chart of several tags) under the chart.
  function showLegend(card, built) {
    const items = [];
    if (built.grouped) {
      for (const t of built.traces.filter((t) => t.meta.kind === 'mean')) {
        items.push(el('span', { class: 'legend-item' }, el('span', { class: 'chip', style: { background: t.line.color } }), el('span', { class: 'legend-name', text: t.name })));
      }
    }
    const tagList = cardTags(settings(), card.tag);
    if (tagList.length > 1) {
      tagList.forEach((tag, i) => {
        const dash = TAG_DASHES[i % TAG_DASHES.length] ?? 'solid';
        items.push(el('span', { class: 'legend-item legend-tag', dataset: { tag } }, el('span', { class: `legend-dash ${dash}` }), el('span', { class: 'legend-name', text: tag })));
      });
    }
    card.legend.replaceChildren(...items);
  }

  // A click picks the step nearest to it; a shift-click makes a range with the earlier pick.
  function selectStep(card, x, extend) {
    if (!card.entries?.length) return;
    const at = snapToData(card.entries, x, card.drawSettings, card.unit);
    const anchor = extend && card.selection ? card.selection.anchor : at;
    card.selection = { start: Math.min(anchor, at), end: Math.max(anchor, at), anchor, axis: card.xAxisMode };
    card.redraw();
  }

  function showTable(card) {
    if (!card.selection || !card.entries?.length) {
      card.table.hidden = true;
      card.table.replaceChildren();
      return;
    }
    const rows = selectionRows(card.entries, card.selection, card.drawSettings, card.unit);
    const describe = (x) => {
      if (card.xAxisMode === 'wall') return formatTime(x / 1000);
      if (card.xAxisMode === 'relative') return `${formatNumber(x)} ${card.unit.name}`;
      return `step ${x}`;
    };
    const clear = () => {
      card.selection = null;
      card.redraw();
    };
    renderDataTable(card.table, rows, card.selection, runColor, clear, describe);
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
  async function refineZoom(card, byTag) {
    if (card.xAxisMode !== 'step') return;
    const [lo, hi] = card.xRange;
    const requested = JSON.stringify(card.xRange);
    const fine = new Map();
    for (const [tag, runs] of byTag) {
      const coarse = runs.filter((run) => !cache.series(tag, run)?.full);
      if (coarse.length) fine.set(tag, await cache.fetchRange(tag, coarse, lo, hi));
    }
    if (!fine.size) return;
    await renderTurn();
    if (JSON.stringify(card.xRange) !== requested) return;
    card.zoomData = fine;
    await render(card, byTag);
  }

  function hover(card, point) {
    if (!card.display?.size) return hideTooltip();
    const { columns, rows } = tooltipTable(card.display, point, settings().tooltipSort);
    showTooltip(point.clientX, point.clientY, columns, rows);
  }

  function redrawAll() {
    for (const card of cards.values()) card.redraw();
  }

  // Live updates: on-screen cards fetch the new points now (one request per tag); cards off
  // screen only remember which runs grew and catch up when they are drawn.
  const flushLive = throttle(() => {
    const grown = [...pendingLive];
    pendingLive.clear();
    for (const card of cards.values()) {
      const drawn = new Set(cardTags(settings(), card.tag));
      let stale = false;
      for (const key of grown) {
        const [tag] = key.split('\u0000');
        if (!drawn.has(tag)) continue;
        card.staleRuns.add(key);
        stale = true;
      }
      if (stale) card.redraw();
    }
  }, LIVE_FLUSH_MS);

  async function catchUp(card, byTag) {
    if (!card.staleRuns.size) return;
    const stale = new Set(card.staleRuns);
    card.staleRuns.clear();
    for (const [tag, runs] of byTag) {
      const fresh = runs.filter((run) => stale.has(`${tag}\u0000${run}`) && cache.series(tag, run));
      if (fresh.length && (await cache.extend(tag, fresh)).length) card.zoomData = null;
    }
  }

  return {
    root,
    activate() {
      layout();
    },
    onState(changed) {
      const runsChanged = RUN_KEYS.some((k) => changed.has(k));
      if (LAYOUT_KEYS.some((k) => changed.has(k)) || (runsChanged && JSON.stringify(tags()) !== laidOut)) layout();
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
    prefetch,
    // For the time-series page (timeSeries.js), which lays out this view's cards itself: it
    // creates them with makeCard, keeps them in `cards` (so live points reach them), redraws
    // them when one of `redrawKeys` changes, and shows this view's toolbar.
    makeCard,
    redrawKeys: REDRAW_KEYS,
    toolbar: settingsBar,
  };
}
