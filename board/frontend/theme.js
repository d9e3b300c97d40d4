// Light and dark themes (docs/design.md). The page's colours are CSS custom properties in
// style.css, switched by `data-theme` on <html>; charts read the same properties here, so a
// plotly layout built through widgets/plots.js `baseLayout` follows the theme.

const system = window.matchMedia?.('(prefers-color-scheme: dark)');
let choice = ''; // '' follows the system
let chartColors = null; // cached: computed style is read once per theme, not per chart
const listeners = new Set();

/** The theme in effect for a choice ('' = the system's, 'light' or 'dark'). */
export function effectiveTheme(value = choice) {
  if (value === 'light' || value === 'dark') return value;
  return system?.matches ? 'dark' : 'light';
}

/** Apply a theme choice to the page; listeners hear of it when the effective theme changes. */
export function applyTheme(value) {
  choice = value ?? '';
  const next = effectiveTheme();
  const root = document.documentElement;
  if (root.dataset.theme === next) return;
  root.dataset.theme = next;
  root.style.colorScheme = next; // native controls (scrollbars, pickers) follow
  chartColors = null;
  for (const listener of listeners) listener(next);
}

system?.addEventListener?.('change', () => applyTheme(choice));

/** Call `listener(theme)` after the effective theme changes. */
export function onThemeChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function readChartColors() {
  const style = getComputedStyle(document.documentElement);
  const value = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: value('--chart-text', '#444444'),
    font: value('--font-sans', 'system-ui, sans-serif'),
    grid: value('--chart-grid', '#e5e5e5'),
    axis: value('--chart-axis', '#9aa0a6'),
    hoverBg: value('--surface', '#ffffff'),
    hoverBorder: value('--border', '#d5d9e0'),
  };
}

/** The chart colours of the current theme: text, grid, axis lines. */
export function chartTheme() {
  chartColors ??= readChartColors();
  return chartColors;
}

const AXES = /^(x|y)axis\d*$/;

/**
 * `layout` with the theme's colours filled in: transparent backgrounds (the card's surface
 * shows), font, grid and axis line colours on every 2-D axis and 3-D scene axis, hover labels
 * and legend. The theme's grid colour replaces a grid colour a view set for the light page.
 */
export function themed(layout) {
  const c = chartTheme();
  const axis = (spec) => ({ ...spec, gridcolor: c.grid, linecolor: c.axis, zerolinecolor: c.axis, tickcolor: c.axis });
  const out = {
    ...layout,
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: c.font, ...layout.font, color: c.text },
    hoverlabel: { bgcolor: c.hoverBg, bordercolor: c.hoverBorder, font: { color: c.text }, ...layout.hoverlabel },
    legend: { ...layout.legend, font: { color: c.text, ...layout.legend?.font } },
  };
  for (const key of Object.keys(out)) if (AXES.test(key)) out[key] = axis(out[key]);
  if (out.scene) {
    const scene = { ...out.scene };
    for (const key of ['xaxis', 'yaxis', 'zaxis']) scene[key] = { ...axis(scene[key]), backgroundcolor: 'rgba(0,0,0,0)' };
    out.scene = scene;
  }
  return out;
}
