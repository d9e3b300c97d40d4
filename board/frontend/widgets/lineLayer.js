// Line traces drawn on a canvas over a plotly chart's plot area. Plotly keeps the axes, grid,
// zoom / pan and layout; the lines themselves are painted here, because plotly's SVG traces cost
// ~60 ms per chart with hundreds of runs (per-point calcdata, path strings, per-trace styling)
// while a canvas repaints them in a few. This is the analogue of plotly's WebGL traces, which
// also draw into a layer between plotly's two SVGs, without needing a fast WebGL.
//
// Traces keep plotly's shape: {x, y, line: {color, width}, opacity, fill: 'tonexty',
// fillcolor, meta}. A point with a non-finite y (or y <= 0 on a log axis) breaks the line, as
// plotly's connectgaps: false does. A point with no drawable neighbour (a series of one point,
// or one between gaps) is painted as a dot, as TensorBoard does, so that it stays visible.

/**
 * One invisible plotly trace spanning the traces' finite extremes, so that plotly's autorange
 * (padding, log and date axes included) gives the range it would give for the full traces.
 */
export function extentTrace(traces, logX, logY) {
  const x = extent(traces.map((t) => t.x), logX);
  const y = extent(traces.map((t) => t.y), logY);
  return {
    type: 'scatter',
    mode: 'lines',
    x: x ? [x[0], x[1]] : [],
    y: y ? [y[0], y[1]] : [],
    line: { width: 0 },
    hoverinfo: 'skip',
    showlegend: false,
  };
}

function extent(arrays, positiveOnly) {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * Data → pixel mapping of one plotly axis (from its full layout), for a plot area `length`
 * pixels long. `range` overrides the axis range (plotly's relayouting events during a pan).
 */
export function axisMapping(axis, length, flip, range = axis.range) {
  const lo = axis.r2l(range[0]);
  const hi = axis.r2l(range[1]);
  const scale = length / (hi - lo);
  const log = axis.type === 'log';
  return {
    log,
    key: `${lo}:${hi}:${length}:${log}:${flip}`, // what the pixels depend on

    toPixel: flip ? (v) => length - ((log ? Math.log10(v) : v) - lo) * scale : (v) => ((log ? Math.log10(v) : v) - lo) * scale,
    fromPixel: (p) => {
      const l = lo + (flip ? length - p : p) / scale;
      return log ? 10 ** l : l;
    },
  };
}

/** Data → pixel mapping of a linear axis showing `range` on `length` pixels (no plotly needed). */
export function linearMapping(range, length, flip) {
  return axisMapping({ r2l: Number, type: 'linear' }, length, flip, range);
}

/** Mappings of both axes of the chart `gd`, with optional range overrides. */
export function chartMappings(gd, ranges = {}) {
  const layout = gd._fullLayout;
  const size = layout._size;
  return {
    size,
    x: axisMapping(layout.xaxis, size.w, false, ranges.x ?? layout.xaxis.range),
    y: axisMapping(layout.yaxis, size.h, true, ranges.y ?? layout.yaxis.range),
  };
}

/** The canvas of `gd`, placed between plotly's lower SVG (grid, axes) and upper one (zoom box). */
function canvasOf(gd) {
  const container = gd.querySelector('.svg-container');
  let canvas = gd._lineCanvas;
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.className = 'line-layer';
    gd._lineCanvas = canvas;
  }
  if (container && canvas.parentNode !== container) {
    const lower = container.querySelector('.main-svg');
    container.insertBefore(canvas, lower ? lower.nextSibling : container.firstChild);
  }
  return canvas;
}

/** Paint `traces` on the chart `gd` with its current axes (or the `ranges` given). */
export function drawLines(gd, traces, ranges) {
  if (!gd._fullLayout?._size) return;
  paintLines(canvasOf(gd), chartMappings(gd, ranges), traces);
}

/**
 * Paint `traces` on `canvas`, placed over the plot area `map.size` with the axes of `map`.
 * `once`: the canvas is painted only this once (no layers kept for a later repaint).
 */
export function paintLines(canvas, map, traces, once = false) {
  const { size } = map;
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(size.w * ratio));
  const height = Math.max(1, Math.round(size.h * ratio));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  Object.assign(canvas.style, { left: `${size.l}px`, top: `${size.t}px`, width: `${size.w}px`, height: `${size.h}px` });
  const ctx = canvas.getContext('2d');
  const layers = once || traces.length < LAYERED_FROM ? null : layersOf(traces);
  // A chart whose layers would take more than a third of the budget is painted directly, so
  // that a few such charts (large, or on a high-density screen) never evict each other's
  // layers on every repaint.
  if (!layers || layers.length * width * height > LAYER_PIXEL_BUDGET / 3) {
    dropLayers(canvas);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.w, size.h);
    drawTraces(ctx, map, traces);
    return;
  }
  paintLayered(canvas, ctx, map, layers, ratio);
}

// Line layers. Rasterizing anti-aliased strokes is most of a redraw (~80 ms for 400 traces of
// 50 points on a software-rendered canvas); toggling one run of 200 changes two of them. So a
// chart with many traces paints them in layers: runs of consecutive traces, cut after each
// trace whose key (kind, run, tag, group) hashes to 0 modulo LAYER_SPAN, so that adding or
// removing a trace changes only the layer it is in. Each layer is kept as a bitmap while its
// traces (their x / y arrays by identity, and their styles) and the axes stay the same; the
// chart is the layers composited in order (~0.1 ms each). Source-over is associative, so the
// result is the same picture as painting every trace onto one canvas.
const LAYERED_FROM = 48;
const LAYER_SPAN = 16;
// Layer bitmaps kept across charts, in pixels (4 bytes each): about 64 MB, the least recently
// painted charts' layers are dropped first (they are rebuilt when painted again).
const LAYER_PIXEL_BUDGET = 16_000_000;
const layered = new Map(); // canvas -> {view, layers: Map(signature -> canvas), pixels}, LRU order
let layeredPixels = 0;

const arrayIds = new WeakMap();
let nextArrayId = 1;
function arrayId(values) {
  if (!values || typeof values !== 'object') return 0;
  let id = arrayIds.get(values);
  if (!id) arrayIds.set(values, (id = nextArrayId++));
  return id;
}

function traceKey(trace) {
  const m = trace.meta ?? {};
  return `${m.kind ?? ''}\u0000${m.run ?? m.group ?? trace.name ?? ''}\u0000${m.tag ?? ''}`;
}

function hash(text) {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function traceToken(t) {
  const line = t.line ?? {};
  return `${arrayId(t.x)},${arrayId(t.y)},${line.color},${line.width},${line.dash},${t.opacity},${t.fill},${t.fillcolor}`;
}

/** The traces in layers: [{traces, signature}], never cut before a band's upper edge. */
function layersOf(traces) {
  const out = [];
  let current = [];
  for (let i = 0; i < traces.length; i++) {
    current.push(traces[i]);
    const next = traces[i + 1];
    const cut = !next || (next.fill !== 'tonexty' && hash(traceKey(traces[i])) % LAYER_SPAN === 0);
    if (cut) {
      out.push({ traces: current, signature: current.map(traceToken).join(';') });
      current = [];
    }
  }
  return out;
}

function paintLayered(canvas, ctx, map, layers, ratio) {
  const view = `${canvas.width}x${canvas.height}@${ratio}|${map.x.key}|${map.y.key}`;
  let entry = layered.get(canvas);
  if (entry) layered.delete(canvas); // re-inserted below: most recently painted last
  if (!entry || entry.view !== view) {
    if (entry) layeredPixels -= entry.pixels;
    entry = { view, layers: new Map(), pixels: 0 };
  }
  const kept = new Map();
  const area = canvas.width * canvas.height;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const { traces: members, signature } of layers) {
    let bitmap = entry.layers.get(signature) ?? kept.get(signature);
    if (!bitmap) {
      bitmap = document.createElement('canvas');
      bitmap.width = canvas.width;
      bitmap.height = canvas.height;
      const layer = bitmap.getContext('2d');
      layer.setTransform(ratio, 0, 0, ratio, 0, 0);
      drawTraces(layer, map, members);
    }
    kept.set(signature, bitmap);
    ctx.drawImage(bitmap, 0, 0);
  }
  layeredPixels += (kept.size - entry.layers.size) * area;
  entry.layers = kept;
  entry.pixels = kept.size * area;
  layered.set(canvas, entry);
  for (const [other, old] of layered) {
    // charts taken off the page, then the least recently painted while over the budget
    if (other.isConnected && (layeredPixels <= LAYER_PIXEL_BUDGET || other === canvas)) continue;
    layered.delete(other);
    layeredPixels -= old.pixels;
  }
}

function dropLayers(canvas) {
  const entry = layered.get(canvas);
  if (!entry) return;
  layered.delete(canvas);
  layeredPixels -= entry.pixels;
}

/** Stroke (and fill) `traces` on `ctx`, whose transform maps CSS pixels of the plot area. */
function drawTraces(ctx, map, traces) {
  ctx.lineJoin = 'bevel'; // round joins cost 15-30% more to rasterize, invisibly at these widths
  let previous = null;
  for (const trace of traces) {
    ctx.globalAlpha = trace.opacity ?? 1;
    if (trace.fill === 'tonexty' && previous) fillBetween(ctx, map, previous, trace);
    const width = trace.line?.width ?? 1.5;
    if (width > 0) {
      ctx.strokeStyle = trace.line.color;
      ctx.lineWidth = width;
      ctx.setLineDash(DASHES[trace.line.dash] ?? []);
      ctx.beginPath();
      tracePath(ctx, map, trace.x, trace.y, false);
      ctx.stroke();
      ctx.setLineDash([]);
      paintIsolated(ctx, map, trace.x, trace.y, Math.max(3, width * 2), trace.line.color);
    }
    previous = trace;
  }
  ctx.globalAlpha = 1;
}

// plotly's dash names, as canvas dash patterns (px)
const DASHES = { dash: [6, 4], dot: [2, 3], dashdot: [6, 3, 2, 3], longdash: [10, 4] };

function usable(map, x, y) {
  return Number.isFinite(x) && Number.isFinite(y) && !(map.x.log && x <= 0) && !(map.y.log && y <= 0);
}

// Adds the polyline of (xs, ys) to the current path; `reverse` walks it backwards (continuing a
// polygon). Returns the number of points added.
function tracePath(ctx, map, xs, ys, reverse) {
  const toX = map.x.toPixel;
  const toY = map.y.toPixel;
  let pen = reverse;
  let added = 0;
  for (let k = 0; k < xs.length; k++) {
    const i = reverse ? xs.length - 1 - k : k;
    if (!usable(map, xs[i], ys[i])) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(toX(xs[i]), toY(ys[i]));
    else ctx.moveTo(toX(xs[i]), toY(ys[i]));
    pen = true;
    added++;
  }
  return added;
}

// Dots of radius `radius` at the points that no line segment reaches.
function paintIsolated(ctx, map, xs, ys, radius, color) {
  const n = xs.length;
  let prevUsable = false;
  let here = n > 0 && usable(map, xs[0], ys[0]);
  ctx.fillStyle = color;
  for (let i = 0; i < n; i++) {
    const nextUsable = i + 1 < n && usable(map, xs[i + 1], ys[i + 1]);
    if (here && !prevUsable && !nextUsable) {
      ctx.beginPath();
      ctx.arc(map.x.toPixel(xs[i]), map.y.toPixel(ys[i]), radius, 0, 2 * Math.PI);
      ctx.fill();
    }
    prevUsable = here;
    here = nextUsable;
  }
}

// The band between two traces on the same x values (a group's lower and upper lines).
function fillBetween(ctx, map, lower, upper) {
  ctx.fillStyle = upper.fillcolor ?? upper.line.color;
  ctx.beginPath();
  if (tracePath(ctx, map, upper.x, upper.y, false)) {
    tracePath(ctx, map, lower.x, lower.y, true);
    ctx.closePath();
    ctx.fill();
  }
}

/** The pointer event at `event`'s position in the plot area of `gd`, or null outside it. */
function plotPoint(gd, event) {
  if (!gd._fullLayout?._size) return null;
  const map = chartMappings(gd);
  const box = gd.getBoundingClientRect();
  const px = event.clientX - box.left - map.size.l;
  const py = event.clientY - box.top - map.size.t;
  if (px < 0 || py < 0 || px > map.size.w || py > map.size.h) return null;
  return { x: map.x.fromPixel(px), cursorY: py, yPixel: map.y.toPixel, clientX: event.clientX, clientY: event.clientY };
}

/**
 * Follow the pointer over the plot area of `gd`: `onPoint({x, cursorY, yPixel, clientX,
 * clientY})` with x in data units (ms on a date axis), or `onPoint(null)` when the pointer is
 * outside the plot area, has left the chart, or a zoom / pan drag is in progress. At most once
 * per frame. Returns `{refresh}`: report the pointer's last position again (the chart's data
 * or axes changed under a pointer that did not move), if it is still over the chart.
 */
export function trackPointer(gd, onPoint) {
  let pending = null;
  let scheduled = false;
  let last = null;
  gd.addEventListener('mousemove', (event) => {
    pending = event;
    last = event;
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(report);
    }
  });
  // A move reported after the pointer left would show the tooltip again.
  gd.addEventListener('mouseleave', () => {
    pending = null;
    last = null;
    onPoint(null);
  });
  function report() {
    scheduled = false;
    const event = pending;
    pending = null;
    if (!event) return;
    if (event.buttons) return onPoint(null);
    onPoint(plotPoint(gd, event));
  }
  return {
    refresh() {
      if (last && !last.buttons) onPoint(plotPoint(gd, last));
    },
  };
}

/**
 * Clicks on the plot area of `gd` that are not drags (a zoom box or a pan moves the pointer):
 * `onClick(point, event)` with the point as `trackPointer` reports it.
 */
export function trackClicks(gd, onClick) {
  // plotly covers the page while a button is down, so the button comes up on its cover, not
  // on the chart: the release is caught on the window.
  gd.addEventListener('mousedown', (down) => {
    if (down.button !== 0) return;
    const up = (event) => {
      if (Math.abs(event.clientX - down.clientX) + Math.abs(event.clientY - down.clientY) > 3) return;
      const point = plotPoint(gd, event);
      if (point) onClick(point, event);
    };
    window.addEventListener('mouseup', up, { capture: true, once: true });
  });
}

/**
 * Keep the canvas of `gd` in step with plotly's axes: repaint `traces()` after every relayout
 * (zoom, autorange, resize) and while a pan drags the axes.
 */
export function followAxes(gd, traces) {
  gd.on('plotly_relayout', () => drawLines(gd, traces()));
  gd.on('plotly_relayouting', (change) => {
    if (gd._fullLayout.dragmode !== 'pan') return; // a zoom box only previews its range
    const range = (axis) => (`${axis}.range[0]` in change ? [change[`${axis}.range[0]`], change[`${axis}.range[1]`]] : undefined);
    drawLines(gd, traces(), { x: range('xaxis'), y: range('yaxis') });
  });
}
