// A complete chart before plotly.js is evaluated: the line canvas over axes drawn here, with the
// ranges, ticks, labels, margins and fonts plotly gives the same layout, so that nothing moves
// when plotly takes over. plotly's ~0.5 s of script evaluation then runs after the first paint
// instead of before it; zoom, pan and the tooltip wait for plotly. Linear axes only: the caller
// waits for plotly for log and date axes.
import { svg as svgNode } from '../graph/svg.js';
import { chartTheme } from '../theme.js';
import { linearMapping, paintLines } from './lineLayer.js';

/**
 * Plotly's autorange of our charts' traces (lines without markers): x spans the data exactly;
 * y is padded so that the data keeps 5 % of the axis length free at each end. Null when a range
 * is empty (plotly has its own rules there; the caller waits for it).
 */
export function autoRanges(extent, yRange) {
  const [x0, x1] = extent.x;
  const [y0, y1] = extent.y;
  if (!(x1 > x0) || (!yRange && !(y1 > y0))) return null;
  const pad = (y1 - y0) / 18; // data span / (1 - 2 × 0.05) × 0.05
  return { x: [x0, x1], y: yRange ?? [y0 - pad, y1 + pad] };
}

/**
 * Tick values as plotly's auto ticks place them on a linear axis of `length` pixels: about one
 * per 80 px (x) or 40 px (y), 4–9 intervals, a step of 2, 5 or 10 × 10^n, multiples of it.
 */
export function niceTicks(range, length, isY) {
  const intervals = Math.min(9, Math.max(4, length / (isY ? 40 : 80))) + 1;
  const rough = (range[1] - range[0]) / intervals;
  const base = 10 ** Math.floor(Math.log10(rough));
  const step = base * [2, 5, 10].find((m) => m >= rough / base - 1e-9);
  const ticks = [];
  const tolerance = step * 1e-6;
  for (let k = Math.ceil((range[0] - tolerance) / step); k * step <= range[1] + tolerance; k++) ticks.push(k * step);
  return { step, ticks };
}

const SI = { '-12': 'p', '-9': 'n', '-6': '\u03bc', '-3': 'm', 3: 'k', 6: 'M', 9: 'G', 12: 'T' };

/**
 * A tick label as plotly writes it: trailing zeros dropped, an SI suffix when the axis' largest
 * magnitude is 10^4 or more or under 10^-3, a true minus sign.
 */
export function tickLabel(value, step, rangeMax) {
  const exponent = Math.floor(Math.log10(rangeMax) + 0.01);
  const si = Math.abs(exponent) > 3 ? Math.max(-12, Math.min(12, 3 * Math.round((exponent - 1) / 3))) : 0;
  const scaled = value / 10 ** si;
  const decimals = Math.max(0, -Math.floor(Math.log10(step / 10 ** si) + 1e-9));
  let text = scaled.toFixed(decimals);
  if (text.includes('.')) text = text.replace(/\.?0+$/, '');
  if (/^-?0$/.test(text)) return '0';
  return text.replace('-', '\u2212') + (si ? SI[si] : '');
}


function label(kind, x, y, text, anchor, size = 11) {
  return svgNode('text', { class: kind, x, y, 'text-anchor': anchor, style: `font-family: ${chartTheme().font}; font-size: ${size}px; fill: ${chartTheme().text}` }, text);
}

/**
 * Paint `traces` into `gd` (a chart's div, not yet a plotly chart) with axes of our own, for the
 * plotly `layout` the chart will get (margin, height, x-axis title) and data `ranges`. The
 * element it adds carries `data-ticks` (the tick counts); `removeQuickChart` takes it away.
 */
export function quickChart(gd, traces, layout, ranges) {
  const width = gd.clientWidth;
  const { l, r, t, b } = layout.margin;
  const size = { l, t, w: width - l - r, h: layout.height - t - b };
  if (size.w < 20 || size.h < 20) return false;
  const x = niceTicks(ranges.x, size.w, false);
  const y = niceTicks(ranges.y, size.h, true);
  const map = { size, x: linearMapping(ranges.x, size.w, false), y: linearMapping(ranges.y, size.h, true) };
  const svg = svgNode('svg', { class: 'quick-svg', width, height: layout.height });
  const grid = svgNode('g', { stroke: chartTheme().grid, 'stroke-width': 1, fill: 'none' });
  svg.append(grid);
  const xMax = Math.max(Math.abs(ranges.x[0]), Math.abs(ranges.x[1]));
  const yMax = Math.max(Math.abs(ranges.y[0]), Math.abs(ranges.y[1]));
  for (const value of x.ticks) {
    const px = Math.round((l + map.x.toPixel(value)) * 100) / 100;
    grid.append(svgNode('path', { d: `M${px},${t}v${size.h}` }));
    svg.append(label('xtick', px, t + size.h + 12, tickLabel(value, x.step, xMax), 'middle'));
  }
  for (const value of y.ticks) {
    const py = Math.round((t + map.y.toPixel(value)) * 100) / 100;
    grid.append(svgNode('path', { d: `M${l},${py}h${size.w}` }));
    svg.append(label('ytick', l - 1, py + 3.85, tickLabel(value, y.step, yMax), 'end'));
  }
  const title = layout.xaxis?.title?.text;
  if (title) svg.append(label('xtitle', l + size.w / 2, layout.height - 9.4, title, 'middle', 13));
  const canvas = document.createElement('canvas');
  canvas.className = 'line-layer';
  const holder = document.createElement('div');
  holder.className = 'quick-chart';
  holder.dataset.ticks = `${x.ticks.length}x${y.ticks.length}`;
  Object.assign(holder.style, { position: 'relative', width: `${width}px`, height: `${layout.height}px` });
  holder.append(svg, canvas);
  removeQuickChart(gd);
  gd.append(holder);
  paintLines(canvas, map, traces, true); // plotly's chart replaces this one
  return true;
}

/** Take away the chart `quickChart` drew (plotly's axes replace it). */
export function removeQuickChart(gd) {
  gd.querySelector(':scope > .quick-chart')?.remove();
}
