// The data table under a scalar chart: for a selected step, each run's step, value, smoothed
// value and wall time; for a selected range, each run's first and last step and value, the
// change between them, and the min, max and mean of its values in the range. Computed from
// every point the client holds, not the points drawn.
import { el, formatDuration, formatNumber, formatTime } from '../dom.js';
import { isSmoothing } from '../smoothing.js';
import { lowerBound } from '../stats.js';
import { nearestIndex, smoothedValues, xValues } from './scalarTraces.js';

/** The x of the point nearest to `x` among every entry's points (a click snaps to data). */
export function snapToData(entries, x, settings, unit) {
  let best = x;
  let distance = Number.POSITIVE_INFINITY;
  for (const { series } of entries) {
    const xs = xValues(series, settings.xAxis, unit);
    const i = nearestIndex(xs, x);
    if (i >= 0 && Math.abs(xs[i] - x) < distance) {
      distance = Math.abs(xs[i] - x);
      best = xs[i];
    }
  }
  return best;
}

// First index of sorted `xs` whose value is above `x`.
function upperBound(xs, x) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows of the table for `selection` {start, end} (x units of the chart's axis). */
export function selectionRows(entries, selection, settings, unit) {
  const rows = [];
  for (const { key, run, series, origin } of entries) {
    if (!series.step.length) continue;
    const xs = xValues(series, settings.xAxis, unit);
    const smoothed = isSmoothing(settings) ? smoothedValues(series, settings) : series.value;
    const name = key ?? run;
    if (selection.start === selection.end) {
      const i = nearestIndex(xs, selection.start);
      const first = origin ?? series.wall[0];
      rows.push({ name, run, step: series.step[i], value: series.value[i], smoothed: smoothed[i], wall: series.wall[i], relative: series.wall[i] - first });
      continue;
    }
    const lo = lowerBound(xs, selection.start);
    const hi = upperBound(xs, selection.end) - 1;
    if (hi < lo) continue;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let count = 0;
    for (let i = lo; i <= hi; i++) {
      const v = series.value[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      count++;
    }
    rows.push({
      name, run,
      startStep: series.step[lo], endStep: series.step[hi],
      startValue: series.value[lo], endValue: series.value[hi],
      change: series.value[hi] - series.value[lo],
      min: count ? min : Number.NaN, max: count ? max : Number.NaN, mean: count ? sum / count : Number.NaN,
      count: hi - lo + 1,
    });
  }
  return rows;
}

// Wall times of one day show as the time of day (the day is in the column's title).
function stepColumns(rows) {
  const day = (r) => formatTime(r.wall).slice(0, 10);
  const oneDay = rows.length > 0 && rows.every((r) => day(r) === day(rows[0]));
  return [
    ['run', (r) => r.name], ['step', (r) => String(r.step)], ['value', (r) => formatNumber(r.value)],
    ['smoothed', (r) => formatNumber(r.smoothed)],
    [oneDay ? `wall time (${day(rows[0])})` : 'wall time', (r) => (oneDay ? formatTime(r.wall).slice(11) : formatTime(r.wall))],
    ['relative', (r) => formatDuration(r.relative)],
  ];
}
// A range's steps are in the caption, and each run's own first and last step in its row's title.
const RANGE_COLUMNS = [
  ['run', (r) => r.name], ['start', (r) => formatNumber(r.startValue)], ['end', (r) => formatNumber(r.endValue)],
  ['change', (r) => formatNumber(r.change)], ['min', (r) => formatNumber(r.min)], ['max', (r) => formatNumber(r.max)],
  ['mean', (r) => formatNumber(r.mean)],
];

// Length of the prefix every name shares, cut back to just after a separator ('/', '_', '-',
// '.', ' '), so that long names that differ only at the end show the part that differs.
function sharedPrefix(names) {
  if (names.length < 2) return 0;
  let n = 0;
  const first = names[0];
  while (n < first.length && names.every((name) => name[n] === first[n])) n++;
  while (n > 0 && !'/_-. '.includes(first[n - 1])) n--;
  return n > 3 ? n : 0;
}

/** Fill `box` with the table of `rows` (see selectionRows); `colorOf(run)` colours the chips. */
export function renderDataTable(box, rows, selection, colorOf, onClear, describe) {
  const range = selection.start !== selection.end;
  const cut = sharedPrefix(rows.map((row) => row.name));
  rows = rows.map((row) => ({ ...row, name: cut ? `…${row.name.slice(cut)}` : row.name, fullName: row.name }));
  const columns = range ? RANGE_COLUMNS : stepColumns(rows);
  const head = el('tr', {}, el('th'), columns.map(([name]) => el('th', { text: name })));
  const body = rows.map((row) =>
    el('tr', { dataset: { run: row.fullName }, title: range ? `${row.fullName}: steps ${row.startStep}–${row.endStep}, ${row.count} points` : row.fullName },
      el('td', {}, el('span', { class: 'chip', style: { background: colorOf(row.run) } })),
      columns.map(([, cell]) => el('td', { text: cell(row) }))),
  );
  const caption = range ? `${describe(selection.start)} – ${describe(selection.end)}` : describe(selection.start);
  box.replaceChildren(
    el('div', { class: 'data-table-head' },
      el('span', { class: 'data-table-title', text: `${range ? 'Range' : 'At'} ${caption}` }),
      el('span', { class: 'data-table-hint', text: range ? '' : 'shift-click another step for a range' }),
      el('button', { class: 'icon data-table-clear', title: 'Clear the selection', text: '×', onclick: onClear })),
    el('table', { class: 'data-table' }, el('thead', {}, head), el('tbody', {}, body)),
  );
  box.hidden = false;
}
