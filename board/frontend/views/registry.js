// The registry of views: one line per tab, in tab-bar order. app.js builds the tab bar from it,
// loads a view module the first time its tab is shown, and subscribes to the live events of
// every `kind` listed here (the server's kind names, see board/kinds/__init__.py).
//
// Adding a view: write views/<kind>.js exporting a factory `(ctx) => view` (a view has `root`
// and optional activate/deactivate/onState/onRuns/onEvent(kind, data); views/text.js is a
// small one built on runTagView.js; it may fetch its kind's endpoints itself with api.js's
// `getJson('api/<kind>', {run, tag})`), and add one line below.
//   id:    the tab's id in the URL (`?tab=`)
//   label: the tab's text
//   kind:  the server kind whose tags and live events the view shows (null: none, or several
//          kinds listed by other entries, as the time-series page's scalars, histograms, images)
//   load:  () => the module's factory
//
// The board opens on the time-series page when the logdir has scalars (app.js `landingTab`).

export const VIEWS = [
  { id: 'timeseries', label: 'Time Series', kind: null, load: () => import('./timeSeries.js').then((m) => m.createTimeSeriesView) },
  { id: 'scalars', label: 'Scalars', kind: 'scalars', load: () => import('./scalars.js').then((m) => m.createScalarsView) },
  { id: 'histograms', label: 'Histograms', kind: 'histograms', load: () => import('./histograms.js').then((m) => m.createHistogramsView) },
  { id: 'distributions', label: 'Distributions', kind: 'histograms', load: () => import('./distributions.js').then((m) => m.createDistributionsView) },
  { id: 'images', label: 'Images', kind: 'images', load: () => import('./images.js').then((m) => m.createImagesView) },
  { id: 'audio', label: 'Audio', kind: 'audio', load: () => import('./audio.js').then((m) => m.createAudioView) },
  { id: 'text', label: 'Text', kind: 'text', load: () => import('./text.js').then((m) => m.createTextView) },
  { id: 'pr_curves', label: 'PR Curves', kind: 'pr_curves', load: () => import('./prCurves.js').then((m) => m.createPrCurvesView) },
  { id: 'tensors', label: 'Tensors', kind: 'tensors', load: () => import('./tensors.js').then((m) => m.createTensorsView) },
  { id: 'custom_scalars', label: 'Custom Scalars', kind: 'custom_scalars', load: () => import('./customScalars.js').then((m) => m.createCustomScalarsView) },
  { id: 'mesh', label: 'Mesh', kind: 'mesh', load: () => import('./mesh.js').then((m) => m.createMeshView) },
  { id: 'projector', label: 'Projector', kind: null, load: () => import('./projector.js').then((m) => m.createProjectorView) },
  { id: 'runs', label: 'Runs', kind: null, load: () => import('./runsTable.js').then((m) => m.createRunsView) },
  { id: 'graph', label: 'Graph', kind: null, load: () => import('./graphTab.js').then((m) => m.createGraphTab) },
];

/** The server kinds whose live events the views listen to, each once. */
export const LIVE_KINDS = [...new Set(VIEWS.map((v) => v.kind).filter((k) => k !== null))];
