// Rows of the scalar charts' tooltip: every run (or group) at the pointer's x, from the data the
// chart draws, sorted as the user chose.
import { formatDuration, formatNumber, formatTime } from '../dom.js';
import { nearestIndex } from './scalarTraces.js';

const MAX_ROWS = 30;

/** {columns, rows} for the tooltip of a chart showing `display` (name → drawn data) at `point`. */
export function tooltipTable(display, point, sortBy) {
  const grouped = display.values().next().value.mean !== undefined;
  const rows = [];
  for (const [name, d] of display) {
    const i = nearestIndex(d.x, point.x);
    if (i < 0) continue;
    if (grouped) {
      rows.push({
        name,
        value: d.mean[i],
        color: d.color,
        cells: [name, formatNumber(d.mean[i]), `± ${formatNumber(d.std[i])}`, String(d.x[i]), `n=${d.count[i]}`],
      });
    } else {
      const first = d.origin ?? d.wall[i];
      rows.push({
        name,
        value: d.smooth[i],
        color: d.color,
        cells: [name, formatNumber(d.smooth[i]), formatNumber(d.raw[i]), String(d.step[i]), formatTime(d.wall[i]), formatDuration(d.wall[i] - first)],
      });
    }
  }
  const order = {
    nearest: (a, b) => Math.abs(point.yPixel(a.value) - point.cursorY) - Math.abs(point.yPixel(b.value) - point.cursorY),
    value: (a, b) => b.value - a.value,
    name: (a, b) => a.name.localeCompare(b.name),
  }[sortBy] ?? (() => 0);
  rows.sort(order);
  const columns = grouped ? ['group', 'mean', 'std', 'step', 'runs'] : ['run', 'smoothed', 'value', 'step', 'time', 'relative'];
  return { columns, rows: rows.slice(0, MAX_ROWS) };
}
