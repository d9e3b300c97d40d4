// Turn cached scalar series into plotly traces for one card: per-run raw + smoothed lines,
// or per-group mean lines with a ±1 std (or min–max) band.
import { runColor, withAlpha } from '../colors.js';
import { smooth } from '../smoothing.js';
import { aggregate, displayIndices, lowerBound, pick, robustRange } from '../stats.js';
import { hasWebGL, plotlyText } from '../widgets/plots.js';

const MAX_DISPLAY_POINTS = 1500;
const WEBGL_POINTS = 20_000;

// Memo of derived arrays per series object (a new series object replaces an old one).
const derived = new WeakMap();

function memo(series, key, compute) {
  let table = derived.get(series);
  if (!table) derived.set(series, (table = new Map()));
  if (!table.has(key)) table.set(key, compute());
  return table.get(key);
}

export function smoothedValues(series, weight) {
  return memo(series, `smooth:${weight}`, () => smooth(series.value, weight));
}

/** Relative-time unit for a set of series: seconds, minutes or hours. */
export function relativeUnit(seriesList) {
  let longest = 0;
  for (const s of seriesList) {
    if (s.wall.length) longest = Math.max(longest, s.wall[s.wall.length - 1] - s.wall[0]);
  }
  if (longest < 120) return { name: 's', divisor: 1 };
  if (longest < 7200) return { name: 'min', divisor: 60 };
  return { name: 'h', divisor: 3600 };
}

function xValues(series, xAxis, unit) {
  if (xAxis === 'step') return series.step;
  if (xAxis === 'wall') return memo(series, 'wall-ms', () => series.wall.map((w) => w * 1000));
  return memo(series, `rel:${unit.divisor}`, () => {
    const start = series.wall.length ? series.wall[0] : 0;
    return series.wall.map((w) => (w - start) / unit.divisor);
  });
}

/** Plotly gives date-axis ranges as strings; turn any range bound into the number we plot. */
export function rangeBound(value, xAxis) {
  if (xAxis === 'wall' && typeof value === 'string') return Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number(value);
}

/** Points of one series to draw, restricted to the zoomed x range, with both value arrays. */
export function displaySeries(series, settings, unit, xRange) {
  const x = xValues(series, settings.xAxis, unit);
  const smoothed = settings.smoothing > 0 ? smoothedValues(series, settings.smoothing) : series.value;
  let start = 0;
  let end = x.length;
  if (xRange) {
    start = Math.max(0, lowerBound(x, xRange[0]) - 1);
    end = Math.min(x.length, lowerBound(x, xRange[1]) + 1);
  }
  const key = `disp:${settings.xAxis}:${unit.divisor}:${settings.smoothing}:${start}:${end}`;
  return memo(series, key, () => {
    const idx = displayIndices(smoothed, start, end, MAX_DISPLAY_POINTS);
    return {
      x: pick(x, idx),
      raw: pick(series.value, idx),
      smooth: pick(smoothed, idx),
      step: pick(series.step, idx),
      wall: pick(series.wall, idx),
    };
  });
}

function lineTrace(type, x, y, color, extra) {
  return { type, mode: 'lines', x, y, line: { color, width: 1.5 }, hoverinfo: 'none', showlegend: false, ...extra };
}

/**
 * Build traces. `entries` is [{run, series}] for visible runs; `groups` null or
 * [{key, members}] (member run names). Returns {traces, display, yArrays}.
 */
export function buildTraces(entries, groups, settings, unit, xRange) {
  const totalPoints = entries.reduce((n, e) => n + Math.min(e.series.step.length, MAX_DISPLAY_POINTS), 0);
  const type = hasWebGL() && (totalPoints > WEBGL_POINTS || entries.length > 40) ? 'scattergl' : 'scatter';
  const traces = [];
  const display = new Map();
  const yArrays = [];
  if (groups) {
    buildGroupTraces(entries, groups, settings, xRange, type, traces, display, yArrays);
    return { traces, display, yArrays, type };
  }
  const smoothing = settings.smoothing > 0;
  for (const { run, series } of entries) {
    if (!series.step.length) continue;
    const d = displaySeries(series, settings, unit, xRange);
    display.set(run, d);
    const color = runColor(run);
    traces.push(
      lineTrace(type, d.x, d.raw, color, {
        name: run,
        opacity: smoothing ? 0.25 : 1,
        meta: { run, kind: 'raw' },
      }),
    );
    if (smoothing) {
      traces.push(lineTrace(type, d.x, d.smooth, color, { name: run, meta: { run, kind: 'smoothed' } }));
    }
    yArrays.push(smoothing ? d.smooth : d.raw);
  }
  return { traces, display, yArrays, type };
}

function buildGroupTraces(entries, groups, settings, xRange, type, traces, display, yArrays) {
  const byRun = new Map(entries.map((e) => [e.run, e.series]));
  for (const group of groups) {
    const members = group.members
      .map((run) => byRun.get(run))
      .filter((s) => s?.step.length)
      .map((s) => ({
        step: s.step,
        value: settings.smoothing > 0 ? smoothedValues(s, settings.smoothing) : s.value,
      }));
    if (!members.length) continue;
    const agg = aggregate(members);
    let start = 0;
    let end = agg.step.length;
    if (xRange) {
      start = Math.max(0, lowerBound(agg.step, xRange[0]) - 1);
      end = Math.min(agg.step.length, lowerBound(agg.step, xRange[1]) + 1);
    }
    const idx = displayIndices(agg.mean, start, end, MAX_DISPLAY_POINTS);
    const x = pick(agg.step, idx);
    const mean = pick(agg.mean, idx);
    const spread = settings.band === 'minmax';
    const lower = spread ? pick(agg.min, idx) : mean.map((m, i) => m - agg.std[idx[i]]);
    const upper = spread ? pick(agg.max, idx) : mean.map((m, i) => m + agg.std[idx[i]]);
    const color = runColor(group.key);
    const meta = { group: group.key, members: group.members.length };
    display.set(group.key, { x, mean, lower, upper, std: pick(agg.std, idx), count: pick(agg.count, idx) });
    traces.push(
      lineTrace(type, x, lower, color, { line: { width: 0, color }, meta: { ...meta, kind: 'lower' } }),
      lineTrace(type, x, upper, color, {
        line: { width: 0, color },
        fill: 'tonexty',
        fillcolor: withAlpha(color, 0.2),
        meta: { ...meta, kind: 'upper' },
      }),
      lineTrace(type, x, mean, color, { name: plotlyText(group.key), showlegend: true, meta: { ...meta, kind: 'mean' } }),
    );
    yArrays.push(lower, upper);
  }
}

export function yRange(yArrays, settings) {
  return settings.ignoreOutliers ? robustRange(yArrays, settings.logY) : null;
}
