// plotly.js helpers: the global Plotly object, WebGL detection and a shared base layout.

export const Plotly = window.Plotly;

let webgl = null;

/** True when the browser can create a WebGL context (scattergl needs one). */
export function hasWebGL() {
  if (webgl === null) {
    try {
      webgl = Boolean(document.createElement('canvas').getContext('webgl'));
    } catch {
      webgl = false;
    }
  }
  return webgl;
}

export function baseLayout(extra = {}) {
  return {
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
  };
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
