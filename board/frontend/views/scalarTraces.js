// Turn cached scalar series into line traces for one card: per-run raw + smoothed lines, or
// per-group mean lines with a ±1 std (or min–max) band. The traces keep plotly's shape; the
// chart paints them on a canvas (widgets/lineLayer.js).
import { groupColor, runColor, withAlpha } from '../colors.js';
import { isSmoothing, smoothWith, smootherKey } from '../smoothing.js';
import { aggregate, displayIndices, lowerBound, pick, robustRange } from '../stats.js';

const MAX_DISPLAY_POINTS = 1500;
// Budget of drawn points per chart: a card is ~500 px wide, so with many runs each line gets
// fewer points (bucket extremes are kept). Rounded to a multiple of 50 so that toggling one run
// does not change every line's sampling.
const CHART_POINT_BUDGET = 12_000;
const MIN_POINTS_PER_TRACE = 50;
// Above this many runs the faint raw lines are grey rather than in each run's colour: a
// hundred coloured shadows would hide the smoothed lines.
const GREY_RAW_ABOVE = 20;

// Memo of derived arrays per series object (a new series object replaces an old one).
const derived = new WeakMap();

function memo(series, key, compute) {
  let table = derived.get(series);
  if (!table) derived.set(series, (table = new Map()));
  if (!table.has(key)) table.set(key, compute());
  return table.get(key);
}

/** The series' values under the settings' smoother (debiased EMA or moving average). */
export function smoothedValues(series, settings) {
  return memo(series, `smooth:${smootherKey(settings)}`, () => smoothWith(series.value, settings));
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

/** The x values of every point of `series` on the x axis `xAxis` ('step', 'relative', 'wall' in ms). */
export function xValues(series, xAxis, unit) {
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
export function displaySeries(series, settings, unit, xRange, maxPoints = MAX_DISPLAY_POINTS) {
  const x = xValues(series, settings.xAxis, unit);
  const smoothing = isSmoothing(settings);
  const smoothed = smoothing ? smoothedValues(series, settings) : series.value;
  let start = 0;
  let end = x.length;
  if (xRange) {
    start = Math.max(0, lowerBound(x, xRange[0]) - 1);
    end = Math.min(x.length, lowerBound(x, xRange[1]) + 1);
  }
  const key = `disp:${settings.xAxis}:${unit.divisor}:${smoothing ? smootherKey(settings) : 'raw'}:${start}:${end}:${maxPoints}`;
  return memo(series, key, () => {
    const idx = displayIndices(smoothed, start, end, maxPoints);
    return {
      x: pick(x, idx),
      raw: pick(series.value, idx),
      smooth: pick(smoothed, idx),
      step: pick(series.step, idx),
      wall: pick(series.wall, idx),
    };
  });
}

function lineTrace(x, y, color, extra, dash) {
  const trace = { type: 'scatter', mode: 'lines', x, y, line: { color, width: 1.5 }, ...extra };
  if (dash) trace.line = { ...trace.line, dash };
  return trace;
}

/**
 * Build traces. `entries` is [{run, series}] for visible runs, optionally with `key` (the
 * display name, e.g. "run · tag" on a chart of several tags) and `dash` (the line style of the
 * entry's tag); `groups` null or [{key, members}] (member run names). Returns {traces, display,
 * yArrays}: one raw trace per run (faint when smoothing) and one smoothed trace per run, raw
 * lines first so that none covers a smoothed line.
 */
export function buildTraces(entries, groups, settings, unit, xRange, tagInfo = null) {
  const live = entries.filter((e) => e.series.step.length);
  const smoothing = isSmoothing(settings);
  const lines = Math.max(1, groups ? groups.length * 3 : live.length * (smoothing ? 2 : 1));
  const budget = Math.floor(CHART_POINT_BUDGET / lines / 50) * 50;
  const perTrace = Math.max(MIN_POINTS_PER_TRACE, Math.min(MAX_DISPLAY_POINTS, budget));
  const display = new Map();
  const yArrays = [];
  if (groups) {
    const traces = buildGroupTraces(live, groups, settings, xRange, display, yArrays, perTrace, tagInfo);
    return { traces, display, yArrays };
  }
  const grey = live.length > GREY_RAW_ABOVE;
  const raw = [];
  const smoothed = [];
  for (const { run, series, key = run, tag, dash, origin = series.wall[0] } of live) {
    const d = displaySeries(series, settings, unit, xRange, perTrace);
    const color = runColor(run);
    display.set(key, { ...d, run, tag, series, color, origin });
    const meta = tag === undefined ? { run } : { run, tag };
    yArrays.push(smoothing ? d.smooth : d.raw);
    if (!smoothing) {
      raw.push(lineTrace(d.x, d.raw, color, { name: key, meta: { ...meta, kind: 'raw' } }, dash));
      continue;
    }
    const faint = grey ? { opacity: 0.2, line: { color: '#888', width: 1 } } : { opacity: 0.25 };
    raw.push(lineTrace(d.x, d.raw, color, { name: key, ...faint, meta: { ...meta, kind: 'raw' } }, dash));
    smoothed.push(lineTrace(d.x, d.smooth, color, { name: key, meta: { ...meta, kind: 'smoothed' } }, dash));
  }
  return { traces: raw.concat(smoothed), display, yArrays };
}

/** Index of the point of sorted `xs` nearest to `x`, or -1 when `xs` is empty. */
export function nearestIndex(xs, x) {
  if (!xs.length || !Number.isFinite(x)) return -1;
  const i = lowerBound(xs, x);
  if (i === 0) return 0;
  if (i >= xs.length) return xs.length - 1;
  return x - xs[i - 1] <= xs[i] - x ? i - 1 : i;
}

// `tagInfo` {tag, dash}: on a chart of several tags, each group's lines are named for the tag too.
function buildGroupTraces(entries, groups, settings, xRange, display, yArrays, perTrace, tagInfo) {
  const traces = [];
  const byRun = new Map(entries.map((e) => [e.run, e.series]));
  for (const group of groups) {
    const members = group.members
      .map((run) => byRun.get(run))
      .filter((s) => s?.step.length)
      .map((s) => ({
        step: s.step,
        value: isSmoothing(settings) ? smoothedValues(s, settings) : s.value,
      }));
    if (!members.length) continue;
    const agg = aggregate(members);
    let start = 0;
    let end = agg.step.length;
    if (xRange) {
      start = Math.max(0, lowerBound(agg.step, xRange[0]) - 1);
      end = Math.min(agg.step.length, lowerBound(agg.step, xRange[1]) + 1);
    }
    const idx = displayIndices(agg.mean, start, end, perTrace);
    const x = pick(agg.step, idx);
    const mean = pick(agg.mean, idx);
    const spread = settings.band === 'minmax';
    const lower = spread ? pick(agg.min, idx) : mean.map((m, i) => m - agg.std[idx[i]]);
    const upper = spread ? pick(agg.max, idx) : mean.map((m, i) => m + agg.std[idx[i]]);
    const color = groupColor(group.key);
    const name = tagInfo ? `${group.key} · ${tagInfo.tag}` : group.key;
    const meta = { group: group.key, members: group.members.length, ...(tagInfo ? { tag: tagInfo.tag } : {}) };
    display.set(name, { x, mean, lower, upper, std: pick(agg.std, idx), count: pick(agg.count, idx), color });
    traces.push(
      lineTrace(x, lower, color, { line: { width: 0, color }, meta: { ...meta, kind: 'lower' } }),
      lineTrace(x, upper, color, {
        line: { width: 0, color },
        fill: 'tonexty',
        fillcolor: withAlpha(color, 0.2),
        meta: { ...meta, kind: 'upper' },
      }),
      lineTrace(x, mean, color, { name, meta: { ...meta, kind: 'mean' } }, tagInfo?.dash),
    );
    yArrays.push(lower, upper);
  }
  return traces;
}

/**
 * The y range of a chart in plotly's axis units (log10 on a log axis), or null for plotly's
 * autorange. `limits` are the card's own {min, max, zero} (NaN for a free end): the automatic
 * range (robust or the data's extremes `extentY`, padded as plotly pads) is widened to hold 0
 * when `zero` is set (not on a log axis), then each given end replaces the automatic one.
 */
export function yRange(yArrays, settings, limits = null, extentY = null) {
  const robust = settings.ignoreOutliers ? robustRange(yArrays, settings.logY) : null;
  const active = limits && (Number.isFinite(limits.min) || Number.isFinite(limits.max) || limits.zero);
  if (!active) return robust;
  const log = settings.logY;
  const toAxis = (v) => (log ? Math.log10(v) : v);
  let auto = robust;
  if (!auto && extentY?.length === 2) {
    let [lo, hi] = extentY.map(toAxis);
    if (limits.zero && !log) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
    const pad = (hi - lo) / 18 || Math.abs(hi) * 0.05 || 1;
    auto = [lo === 0 && limits.zero ? 0 : lo - pad, hi === 0 && limits.zero ? 0 : hi + pad];
  } else if (auto && limits.zero && !log) {
    auto = [Math.min(auto[0], 0), Math.max(auto[1], 0)];
  }
  const given = (v) => Number.isFinite(v) && (!log || v > 0);
  const lo = given(limits.min) ? toAxis(limits.min) : auto?.[0];
  const hi = given(limits.max) ? toAxis(limits.max) : auto?.[1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return auto;
  return [lo, hi];
}
