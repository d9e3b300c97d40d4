// Shared frame for dashboards with one card per (run, tag): histograms, distributions,
// images, text. Data is fetched per card when it comes on screen and refetched on live events.
import { el, throttle } from '../dom.js';
import { toggled } from '../state.js';
import { createCard, layoutSections, renderTurn, tagGroup } from '../widgets/card.js';

export const KEY_SEPARATOR = '\u001f';

export const cardKey = (run, tag) => `${tag}${KEY_SEPARATOR}${run}`;

export function splitKey(key) {
  const at = key.indexOf(KEY_SEPARATOR);
  return at < 0 ? { tag: key, run: null } : { tag: key.slice(0, at), run: key.slice(at + 1) };
}

/**
 * Options: kind (tag kind in /api/runs), className, fetch(run, tag) → data,
 * render(card, data, state), toolbar(ctx) → element or null, redrawKeys (state fields whose
 * change redraws every card), perTag(state) → true to show one card per tag across runs,
 * fetchTag(tag, runs) → data for such cards.
 */
export function createRunTagView(ctx, options) {
  const cards = new Map();
  const container = el('div', { class: 'sections' });
  const root = el('div', { class: `view ${options.className}` }, options.toolbar?.(ctx), container);
  const redrawKeys = ['off', 'runFilter', ...(options.redrawKeys ?? [])];

  function keys() {
    const st = ctx.store.get();
    const runs = ctx.visibleRuns();
    const tags = ctx.tagsOf(options.kind);
    if (options.perTag?.(st)) return tags;
    const out = [];
    for (const tag of tags) for (const run of runs) if (ctx.runHasTag(run, options.kind, tag)) out.push(cardKey(run, tag));
    return out;
  }

  function layout() {
    const st = ctx.store.get();
    layoutSections(container, keys(), cards, {
      pinned: st.pinned,
      collapsed: st.collapsed,
      onToggle: (name) => ctx.store.set({ collapsed: toggled(ctx.store.get().collapsed, name) }),
      make: makeCard,
      groupOf: (key) => tagGroup(splitKey(key).tag),
    });
  }

  function makeCard(key) {
    const { tag, run } = splitKey(key);
    const card = createCard({
      key,
      title: tag,
      subtitle: run ?? 'all runs',
      kind: `${options.className}-card`,
      pinned: ctx.store.get().pinned.includes(key),
      onPin: (k) => ctx.store.set({ pinned: toggled(ctx.store.get().pinned, k) }),
      draw: async (c) => {
        if (c.data === undefined) {
          c.data = run === null
            ? await options.fetchTag(tag, ctx.visibleRuns().filter((r) => ctx.runHasTag(r, options.kind, tag)))
            : await options.fetch(run, tag);
        }
        await renderTurn();
        await options.render(c, c.data, ctx.store.get());
      },
    });
    card.tag = tag;
    card.run = run;
    // Live events may come many times a second; refetch a card at most twice a second.
    card.refetchSoon = throttle(() => refetch(card), 500);
    card.root.dataset.tag = tag;
    if (run !== null) card.root.dataset.run = run;
    return card;
  }

  function refetch(card) {
    card.data = undefined;
    card.redraw();
  }

  return {
    root,
    cards,
    // The time-series page (timeSeries.js) lays out this view's cards itself: it creates them
    // with makeCard, keeps them in `cards` (so live events reach them) and redraws them when
    // one of `redrawKeys` changes.
    makeCard,
    redrawKeys,
    activate: layout,
    onState(changed) {
      const perTagChanged = options.perTag && changed.has('histMode');
      if (perTagChanged) {
        for (const card of cards.values()) {
          card.dispose();
          card.root.remove();
        }
        cards.clear();
      }
      if (perTagChanged || ['tagFilter', 'pinned', 'collapsed', 'off', 'runFilter'].some((k) => changed.has(k))) layout();
      if (redrawKeys.some((k) => changed.has(k))) {
        for (const card of cards.values()) {
          if (card.run === null && (changed.has('off') || changed.has('runFilter'))) refetch(card);
          else card.redraw();
        }
      }
    },
    onRuns() {
      layout();
    },
    onEvent(kind, data) {
      if (kind !== options.kind) return;
      for (const card of cards.values()) {
        if (card.tag === data.tag && (card.run === null || card.run === data.run)) card.refetchSoon();
      }
    },
  };
}
