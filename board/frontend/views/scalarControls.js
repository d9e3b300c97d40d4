// Controls of the scalars dashboard: the toolbar (smoother, axes, tooltip order), each card's
// download menu, and each card's tools (extra tags on the chart, its own y range).
import { scalarsExportUrl, scalarsTagExportUrl } from '../api.js';
import { debounce, el } from '../dom.js';
import { cardLimits, cardTags, withExtraTag, withLimits } from './cardSettings.js';

export function toolbar(ctx) {
  const st = ctx.store.get();
  const setLater = debounce((patch) => ctx.store.set(patch), 120);
  const smoothingValue = el('input', {
    type: 'number', min: 0, max: 0.999, step: 0.001, value: st.smoothing, class: 'smoothing-number',
    'aria-label': 'smoothing value',
  });
  const slider = el('input', {
    type: 'range', min: 0, max: 0.999, step: 0.001, value: st.smoothing, class: 'smoothing',
    'aria-label': 'smoothing',
  });
  const setSmoothing = (value) => {
    const v = Math.min(0.999, Math.max(0, Number(value) || 0));
    slider.value = v;
    smoothingValue.value = v;
    setLater({ smoothing: v });
  };
  slider.addEventListener('input', () => setSmoothing(slider.value));
  smoothingValue.addEventListener('change', () => setSmoothing(smoothingValue.value));
  const windowInput = el('input', {
    type: 'number', min: 1, max: 100000, step: 1, value: st.smoothWindow, class: 'smoothing-window',
    'aria-label': 'moving average window',
  });
  windowInput.addEventListener('change', () => {
    const n = Math.max(1, Math.min(100000, Math.floor(Number(windowInput.value)) || 1));
    windowInput.value = n;
    ctx.store.set({ smoothWindow: n });
  });
  const emaControls = el('span', { class: 'ema-controls' }, slider, smoothingValue);
  const windowControls = el('label', { class: 'window-controls' }, 'window ', windowInput, ' points');
  const showSmoother = (smoother) => {
    emaControls.hidden = smoother === 'mean';
    windowControls.hidden = smoother !== 'mean';
  };
  showSmoother(st.smoother);
  const select = (name, options, label) =>
    el(
      'label',
      {},
      `${label} `,
      el(
        'select',
        { name, onchange: (e) => ctx.store.set({ [name]: e.target.value }) },
        options.map(([value, text]) => el('option', { value, text, selected: st[name] === value })),
      ),
    );
  const check = (name, label) =>
    el('label', {}, el('input', { type: 'checkbox', name, checked: st[name], onchange: (e) => ctx.store.set({ [name]: e.target.checked }) }), ` ${label}`);
  const bar = el(
    'div',
    { class: 'toolbar' },
    el('span', { class: 'smoothing-controls' },
      select('smoother', [['ema', 'EMA (debiased)'], ['mean', 'moving average']], 'Smoothing'), emaControls, windowControls),
    select('xAxis', [['step', 'step'], ['relative', 'relative'], ['wall', 'wall time']], 'X axis'),
    check('logY', 'log y'),
    check('logX', 'log x'),
    check('ignoreOutliers', 'ignore outliers'),
    select('tooltipSort', [['nearest', 'nearest'], ['value', 'value'], ['name', 'name']], 'Tooltip order'),
  );
  ctx.store.subscribe((changed, state) => {
    if (changed.has('smoothing') && Number(slider.value) !== state.smoothing) {
      slider.value = state.smoothing;
      smoothingValue.value = state.smoothing;
    }
    if (changed.has('smoother')) showSmoother(state.smoother);
    if (changed.has('smoothWindow') && Number(windowInput.value) !== state.smoothWindow) windowInput.value = state.smoothWindow;
  });
  return bar;
}

const ALL_RUNS = '\u0000all';

/** The card's download menu: one run, or every shown run of the tag in one file (a run column). */
export function downloadControl(ctx, tag) {
  const runSelect = el('select', { class: 'download-run', 'aria-label': 'run to download' });
  const links = ['csv', 'json'].map((format) =>
    el('a', { class: `download ${format}`, text: format.toUpperCase(), download: '', title: `Download ${format.toUpperCase()} at full resolution` }),
  );
  const shownRuns = () => ctx.visibleRuns().filter((run) => ctx.runHasTag(run, 'scalars', tag));
  const update = () => {
    for (const [i, format] of ['csv', 'json'].entries()) {
      if (runSelect.value === ALL_RUNS) {
        const shown = shownRuns();
        const everyRun = ctx.index.names().filter((run) => ctx.runHasTag(run, 'scalars', tag));
        links[i].href = scalarsTagExportUrl(tag, shown.length === everyRun.length ? null : shown, format);
      } else if (runSelect.value) links[i].href = scalarsExportUrl(runSelect.value, tag, format);
      else links[i].removeAttribute('href');
    }
  };
  // Until the list is opened it holds only the first run: a hundred options per card would
  // cost the first paint of a page of charts tens of milliseconds for nothing.
  const fill = (limit = Infinity) => {
    const runs = shownRuns().slice(0, limit);
    const current = runSelect.value;
    const options = runs.map((run) => el('option', { value: run, text: run }));
    if (limit === Infinity && runs.length > 1) options.unshift(el('option', { value: ALL_RUNS, text: `all ${runs.length} runs` }));
    runSelect.replaceChildren(...options);
    if (current === ALL_RUNS || runs.includes(current)) runSelect.value = current;
    update();
  };
  runSelect.addEventListener('change', update);
  runSelect.addEventListener('focus', () => fill());
  const wrap = el('span', { class: 'download-control' }, '⤓ ', runSelect, ...links);
  queueMicrotask(() => fill(1));
  return wrap;
}

/**
 * The card's tools, under its header: the extra tags drawn on the chart (each removable, more
 * added from a list of the other scalar tags) and the card's y range (min, max, include zero).
 * Shown when the card has such settings or the user opens them (`toggle`).
 */
export function cardTools(ctx, tag) {
  const box = el('div', { class: 'card-tools' });
  const tagList = el('span', { class: 'card-tags' });
  const addTag = el('select', { class: 'add-tag', 'aria-label': `add a tag to the chart of ${tag}` });
  const yMin = el('input', { type: 'number', class: 'y-min', step: 'any', placeholder: 'auto', 'aria-label': 'y min' });
  const yMax = el('input', { type: 'number', class: 'y-max', step: 'any', placeholder: 'auto', 'aria-label': 'y max' });
  const zero = el('input', { type: 'checkbox', class: 'y-zero', 'aria-label': 'include zero' });
  let open = false;
  const storeLimits = () => {
    const number = (input) => (input.value.trim() === '' ? Number.NaN : Number(input.value));
    const limits = { min: number(yMin), max: number(yMax), zero: zero.checked };
    ctx.store.set({ yRanges: withLimits(ctx.store.get(), tag, limits) });
  };
  yMin.addEventListener('change', storeLimits);
  yMax.addEventListener('change', storeLimits);
  zero.addEventListener('change', storeLimits);
  addTag.addEventListener('focus', () => fillTagOptions());
  addTag.addEventListener('change', () => {
    if (!addTag.value) return;
    ctx.store.set({ tagSets: withExtraTag(ctx.store.get(), tag, addTag.value, true) });
    addTag.value = '';
  });
  const fillTagOptions = () => {
    const drawn = cardTags(ctx.store.get(), tag);
    const others = ctx.index.tags('scalars', ctx.visibleRuns(), '').filter((t) => !drawn.includes(t));
    addTag.replaceChildren(el('option', { value: '', text: '+ add a tag' }), ...others.map((t) => el('option', { value: t, text: t })));
  };
  box.append(
    tagList,
    addTag,
    el('span', { class: 'y-range' }, el('label', {}, 'y min ', yMin), el('label', {}, 'y max ', yMax),
      el('label', {}, zero, ' include 0')),
  );
  const sync = () => {
    const state = ctx.store.get();
    const extras = cardTags(state, tag).slice(1);
    tagList.replaceChildren(
      ...extras.map((extra) =>
        el('span', { class: 'card-tag', dataset: { tag: extra } }, el('span', { text: extra }),
          el('button', {
            class: 'icon remove-tag', title: `Remove ${extra} from this chart`, text: '×',
            onclick: () => ctx.store.set({ tagSets: withExtraTag(ctx.store.get(), tag, extra, false) }),
          })),
      ),
    );
    const limits = cardLimits(state, tag);
    const text = (v) => (Number.isFinite(v) ? String(v) : '');
    if (document.activeElement !== yMin) yMin.value = text(limits?.min);
    if (document.activeElement !== yMax) yMax.value = text(limits?.max);
    zero.checked = Boolean(limits?.zero);
    box.hidden = !open && !extras.length && !limits;
    if (!addTag.options.length) addTag.append(el('option', { value: '', text: '+ add a tag' }));
  };
  sync();
  const button = el('button', {
    class: 'icon card-tools-toggle', title: 'Tags on this chart and its y range', text: '⋯',
    onclick: () => {
      open = !open;
      sync();
    },
  });
  return { box, button, sync };
}
