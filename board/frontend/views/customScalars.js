// Custom scalars: the charts of the layout the runs declare (add_custom_scalars), one section
// per category: a multiline chart draws every scalar tag its regexes match, in every visible
// run; a margin chart draws its value tag as a line inside a band from its lower to its upper
// tag. Beyond TensorBoard, the user composes charts of their own (a title and tag regexes);
// those live in the URL (`cs`), so a link reproduces them.
import { getJson } from '../api.js';
import { runColor, withAlpha } from '../colors.js';
import { el, safeRegex } from '../dom.js';
import { Plotly, baseLayout, loadPlotly, plotConfig, plotlyText } from '../widgets/plots.js';

/** A composed chart as its URL item: JSON of {title, tags}. */
export const encodeChart = (title, tags) => JSON.stringify({ title, tags });

function decodeChart(item) {
  try {
    const { title, tags } = JSON.parse(item);
    if (typeof title === 'string' && Array.isArray(tags)) return { title, multiline: { tag: tags.map(String) } };
  } catch {
    // not one of ours: ignored
  }
  return null;
}

export function createCustomScalarsView(ctx) {
  const sections = el('div', { class: 'sections' });
  const note = el('p', { class: 'empty' });
  const root = el('div', { class: 'view custom-scalars' }, composer(ctx), note, sections);
  const view = { root, layout: null, charts: new Map() };

  async function refresh() {
    const answer = await getJson('api/custom_scalars');
    view.layout = answer.layout;
    render();
  }

  function categories() {
    const out = (view.layout?.category ?? []).map((c) => ({ title: c.title, chart: c.chart ?? [] }));
    const mine = ctx.store.get().customCharts.map(decodeChart).filter(Boolean);
    if (mine.length) out.unshift({ title: 'Composed charts', chart: mine, composed: true });
    return out;
  }

  function render() {
    const cats = categories();
    note.textContent = cats.length ? '' : 'No custom-scalars layout in these runs: compose a chart above.';
    view.charts.clear();
    sections.replaceChildren(...cats.map((cat) => section(cat)));
  }

  function section(category) {
    const body = el('div', { class: 'card-grid' });
    for (const chart of category.chart) body.append(chartCard(chart, category.composed));
    return el('section', { class: 'tag-section', dataset: { category: category.title } },
      el('h3', { class: 'section-title', text: category.title }), body);
  }

  function chartCard(chart, composed) {
    const plot = el('div', { class: 'cs-plot' });
    const remove = composed
      ? el('button', {
          class: 'cs-remove', text: '×', title: 'remove this chart',
          onclick: () => {
            const item = encodeChart(chart.title, chart.multiline.tag);
            ctx.store.set({ customCharts: ctx.store.get().customCharts.filter((c) => c !== item) }, { push: true });
          },
        })
      : null;
    const kind = chart.margin ? 'margin' : 'multiline';
    const what = chart.margin
      ? chart.margin.series.map((s) => `${s.value} [${s.lower}, ${s.upper}]`).join('; ')
      : (chart.multiline?.tag ?? []).join(', ');
    const card = el('div', { class: 'card cs-card', dataset: { chart: chart.title, kind } },
      el('div', { class: 'card-header' }, el('span', { class: 'card-title', text: chart.title }),
        el('span', { class: 'card-subtitle', text: what }), remove),
      plot);
    view.charts.set(chart.title, plot);
    drawChart(plot, chart).catch((err) => plot.replaceChildren(el('p', { class: 'error', text: String(err.message ?? err) })));
    return card;
  }

  async function seriesOf(run, regex) {
    const answer = await getJson('api/custom_scalars/scalars', { run, tag: regex });
    return answer.series;
  }

  async function drawChart(plot, chart) {
    const runs = ctx.visibleRuns();
    const traces = [];
    if (chart.margin) {
      for (const run of runs) {
        for (const s of chart.margin.series) {
          const exact = (t) => `^${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
          const [v, lo, hi] = await Promise.all([s.value, s.lower, s.upper].map((t) => seriesOf(run, exact(t))));
          const value = v[s.value];
          if (!value) continue;
          const color = runColor(run);
          if (lo[s.lower] && hi[s.upper]) {
            traces.push({ type: 'scatter', mode: 'lines', x: lo[s.lower].step, y: lo[s.lower].value, line: { width: 0 },
              hoverinfo: 'skip', showlegend: false });
            traces.push({ type: 'scatter', mode: 'lines', x: hi[s.upper].step, y: hi[s.upper].value, line: { width: 0 },
              fill: 'tonexty', fillcolor: withAlpha(color, 0.2), name: plotlyText(`${run} ${s.lower}…${s.upper}`) });
          }
          traces.push({ type: 'scatter', mode: 'lines', x: value.step, y: value.value, line: { color, width: 2 },
            name: plotlyText(`${run}: ${s.value}`) });
        }
      }
    } else {
      const regexes = chart.multiline?.tag ?? [];
      for (const run of runs) {
        const seen = new Set();
        for (const regex of regexes) {
          for (const [tag, cols] of Object.entries(await seriesOf(run, regex))) {
            if (seen.has(tag)) continue;
            seen.add(tag);
            traces.push({ type: 'scattergl', mode: 'lines', x: cols.step, y: cols.value,
              line: { color: runColor(run), width: 1.5, dash: seen.size > 1 ? ['solid', 'dot', 'dash', 'dashdot'][(seen.size - 1) % 4] : 'solid' },
              name: plotlyText(`${run}: ${tag}`) });
          }
        }
      }
    }
    plot.dataset.traces = String(traces.filter((t) => t.hoverinfo !== 'skip').length);
    if (!traces.length) {
      plot.replaceChildren(el('p', { class: 'empty', text: 'No scalar tag matches in the visible runs.' }));
      return;
    }
    await loadPlotly();
    await Plotly.react(plot, traces, baseLayout({ showlegend: true, legend: { orientation: 'h', y: -0.25 },
      height: 300, xaxis: { title: 'step', gridcolor: '#e5e5e5' } }), plotConfig);
  }

  return {
    ...view,
    root,
    activate: () => refresh(),
    onState(changed) {
      if (['customCharts', 'off', 'runFilter'].some((k) => changed.has(k))) render();
    },
    onRuns: () => refresh(),
    onEvent(kind) {
      if (kind === 'custom_scalars') refresh();
    },
  };
}

function composer(ctx) {
  const title = el('input', { type: 'text', class: 'cs-title', placeholder: 'chart title', 'aria-label': 'chart title' });
  const tags = el('input', { type: 'text', class: 'cs-tags', placeholder: 'tag regexes, comma-separated: loss/.*, acc', 'aria-label': 'tag regexes' });
  const error = el('span', { class: 'filter-error' });
  const add = el('button', {
    class: 'cs-add', text: 'Add chart',
    onclick: () => {
      const regexes = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
      const bad = regexes.find((r) => safeRegex(r) === null);
      error.textContent = !regexes.length ? 'give at least one tag regex' : bad ? `not a regex: ${bad}` : '';
      if (error.textContent) return;
      const item = encodeChart(title.value.trim() || regexes.join(', '), regexes);
      const charts = ctx.store.get().customCharts;
      if (!charts.includes(item)) ctx.store.set({ customCharts: [...charts, item] }, { push: true });
      title.value = '';
      tags.value = '';
    },
  });
  return el('div', { class: 'toolbar cs-composer' }, title, tags, add, error);
}
