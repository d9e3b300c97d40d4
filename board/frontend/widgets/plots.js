// plotly.js helpers: the global Plotly object and a shared base layout.
import { themed } from '../theme.js';

// plotly.js (3.5 MB) is loaded only when a plotting view needs it, and after that view has
// sent its data requests, so that parsing it overlaps with the server's work instead of
// delaying the first requests. Every use goes through this forwarder; drawing awaits
// `loadPlotly()`.
export const Plotly = new Proxy({}, { get: (_, key) => window.Plotly[key] });

const PLOTLY_URL = 'vendor/plotly.min.js';
let plotlyPromise = null;

/** Load plotly.js once (a classic script tag); resolves when `window.Plotly` is usable. */
export function loadPlotly() {
  plotlyPromise ??= new Promise((resolve, reject) => {
    if (window.Plotly) return resolve();
    const script = document.createElement('script');
    script.id = 'plotly-script';
    script.async = true;
    script.src = new URL(PLOTLY_URL, document.baseURI).href;
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => {
      plotlyPromise = null;
      script.remove();
      reject(new Error('plotly.js failed to load'));
    });
    document.head.append(script);
  });
  return plotlyPromise;
}

/** The layout every chart starts from, in the current theme's colours (theme.js). */
export function baseLayout(extra = {}) {
  return themed({
    margin: { l: 55, r: 12, t: 8, b: 36 },
    height: 260,
    showlegend: false,
    hovermode: 'closest',
    font: { size: 11 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    xaxis: { automargin: true, gridcolor: '#e5e5e5', zeroline: false },
    yaxis: { automargin: true, gridcolor: '#e5e5e5', zeroline: false },
    ...extra,
  });
}

export const plotConfig = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['lasso2d', 'select2d', 'toImage'],
};

/**
 * Text from the logs for a place where plotly renders its own tag subset (<b>, <a>, <br>...):
 * entity-escaped so it shows literally and creates no element.
 */
export function plotlyText(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
