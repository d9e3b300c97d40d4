// Time series, TensorBoard's default page: for the tag filter, the scalar, histogram and image
// cards of every matching tag on one page, grouped by the tag's first path component, with the
// pinned cards (from this page or the scalars, histograms and images tabs) in a section on top.
// The cards are those views' own: this page creates them with each view's makeCard and only
// lays them out, a slice at a time as the page scrolls (lazySections.js).
import { el } from '../dom.js';
import { toggled } from '../state.js';
import { tagGroup } from '../widgets/card.js';
import { createHistogramsView } from './histograms.js';
import { createImagesView } from './images.js';
import { createLazySections } from './lazySections.js';
import { cardKey } from './runTagView.js';
import { FIRST_SCREEN_CARDS, createScalarsView } from './scalars.js';

// In this order within a tag: one scalar chart across runs, then per run histograms and images.
const KINDS = ['scalars', 'histograms', 'images'];
const PINNED = '★ Pinned';
const LAYOUT_KEYS = ['tagFilter', 'pinned', 'collapsed', 'off', 'runFilter'];
const ITEM_SEPARATOR = '\u001e';

export function createTimeSeriesView(ctx) {
  // The views whose cards this page shows; their own roots are never put in the page.
  const sources = {
    scalars: createScalarsView(ctx),
    histograms: createHistogramsView(ctx),
    images: createImagesView(ctx),
  };
  const container = el('div', { class: 'sections' });
  const root = el('div', { class: 'view timeseries-view' }, toolbar(ctx, sources.scalars.toolbar), container);
  const sections = createLazySections(container, {
    cardOf,
    prefetch: (id) => sources[id.slice(0, id.indexOf(ITEM_SEPARATOR))].prefetch?.(cardOf(id)),
    firstScreen: FIRST_SCREEN_CARDS,
    onToggle: (name) => ctx.store.set({ collapsed: toggled(ctx.store.get().collapsed, name) }),
    emptyText: 'No scalars, histograms or images for the selected runs and tag filter.',
  });

  // The cards `kind` has for tags matching `filter` over the visible runs: [{kind, key, tag}].
  function itemsOf(kind, runs, filter) {
    const out = [];
    for (const tag of ctx.index.tags(kind, runs, filter)) {
      if (kind === 'scalars') out.push({ kind, key: tag, tag });
      else for (const run of runs) if (ctx.runHasTag(run, kind, tag)) out.push({ kind, key: cardKey(run, tag), tag });
    }
    return out;
  }

  function items(filter) {
    const runs = ctx.visibleRuns();
    const all = KINDS.flatMap((kind) => itemsOf(kind, runs, filter));
    // Stable: within a tag the kinds keep KINDS' order and the runs the run list's.
    return all.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  // Sections in page order: pinned cards (whatever the tag filter), then one per tag group.
  function plan() {
    const st = ctx.store.get();
    const pinOrder = new Map(st.pinned.map((key, i) => [key, i]));
    const pinned = pinOrder.size ? items('').filter((item) => pinOrder.has(item.key)) : [];
    pinned.sort((a, b) => pinOrder.get(a.key) - pinOrder.get(b.key));
    const groups = new Map();
    for (const item of items(st.tagFilter)) {
      if (pinOrder.has(item.key)) continue;
      const group = tagGroup(item.tag);
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(item);
    }
    const out = pinned.length ? [{ name: PINNED, items: pinned }] : [];
    for (const [name, members] of groups) out.push({ name, items: members });
    return out;
  }

  const itemId = (item) => `${item.kind}${ITEM_SEPARATOR}${item.key}`;

  function cardOf(id) {
    const at = id.indexOf(ITEM_SEPARATOR);
    const kind = id.slice(0, at);
    const key = id.slice(at + 1);
    const source = sources[kind];
    let card = source.cards.get(key);
    if (!card) {
      card = source.makeCard(key);
      card.root.classList.add('ts-card');
      card.root.dataset.kind = kind;
      source.cards.set(key, card);
    }
    card.setPinned(ctx.store.get().pinned.includes(key));
    return card;
  }

  function layout() {
    const sectionList = plan();
    const wanted = new Set(sectionList.flatMap((s) => s.items.map(itemId)));
    for (const kind of KINDS) {
      const { cards } = sources[kind];
      for (const [key, card] of cards) {
        if (wanted.has(`${kind}${ITEM_SEPARATOR}${key}`)) continue;
        card.dispose();
        card.root.remove();
        cards.delete(key);
      }
    }
    sections.show(
      sectionList.map((s) => ({ name: s.name, keys: s.items.map(itemId) })),
      ctx.store.get().collapsed,
    );
  }

  // A histogram or image card here shows one run: the run selection only adds or removes cards.
  const redrawKeys = (kind) =>
    kind === 'scalars' ? sources.scalars.redrawKeys : sources[kind].redrawKeys.filter((k) => k !== 'off' && k !== 'runFilter');

  function redraw(kinds) {
    for (const kind of kinds) for (const card of sources[kind].cards.values()) card.redraw();
  }

  const view = {
    root,
    // app.js marks this view stale instead of passing it state changes while another tab shows.
    lazyState: true,
    stale: false,
    sources,
    activate() {
      layout();
      if (view.stale) redraw(KINDS);
      view.stale = false;
    },
    onState(changed) {
      if (LAYOUT_KEYS.some((k) => changed.has(k))) layout();
      redraw(KINDS.filter((kind) => redrawKeys(kind).some((k) => changed.has(k))));
    },
    onRuns() {
      if (!root.isConnected) {
        view.stale = true; // laid out again when shown
        return;
      }
      layout();
      redraw(['scalars']); // a new run may add a line to every chart
    },
    onEvent(kind, data) {
      sources[kind]?.onEvent(kind, data);
    },
    mountedCards: () => sections.mounted(),
  };
  return view;
}

function toolbar(ctx, scalarSettings) {
  const mode = el(
    'select',
    { name: 'tsHistMode', 'aria-label': 'histogram mode', onchange: (e) => ctx.store.set({ histMode: e.target.value }) },
    el('option', { value: 'offset', text: 'offset' }),
    el('option', { value: 'overlay', text: 'overlay' }),
  );
  const showMode = (st) => (mode.value = st.histMode === 'overlay' ? 'overlay' : 'offset');
  showMode(ctx.store.get());
  ctx.store.subscribe((changed, st) => changed.has('histMode') && showMode(st));
  // The histogram setting joins the scalar settings' row (it wraps on narrow screens).
  scalarSettings.append(el('label', { class: 'ts-hist-mode' }, 'Histograms ', mode));
  return scalarSettings;
}
