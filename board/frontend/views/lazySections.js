// Sections of cards mounted a slice at a time as the page scrolls: a page that could hold
// thousands of cards builds only the ones near the screen, and each mounted card still draws
// only while it is on screen (widgets/card.js).
import { el } from '../dom.js';

const SLICE = 24;
// How far below the visible part of the page the next slice is mounted.
const AHEAD_PX = 900;

/**
 * Keep `container` showing `sections` ([{name, keys}], in order), mounting cards in slices.
 * Options: cardOf(key) → card (created on demand), onToggle(name) (a section title clicked),
 * emptyText (shown when there is no section), prefetch(key) and firstScreen: when the
 * sections change, prefetch is called for the first `firstScreen` cards of the page (the top
 * of the page is on screen: their data can be asked for before the browser reports them
 * visible).
 */
export function createLazySections(container, { cardOf, onToggle, emptyText, prefetch, firstScreen = 0 }) {
  const sentinel = el('div', { class: 'lazy-sentinel', 'aria-hidden': 'true' });
  let plan = [];
  let collapsed = new Set();
  let cursor = { section: 0, index: 0 };
  let mounted = 0;
  let grid = null; // the grid of the section being filled
  let observer = null;
  let shown = null; // what the page shows: the sections' names and keys, and the collapsed ones

  function sectionNode(section) {
    const isCollapsed = collapsed.has(section.name);
    grid = el('div', { class: 'card-grid' });
    const node = el(
      'section',
      { class: 'tag-section', dataset: { group: section.name } },
      el(
        'h3',
        { class: 'section-title', onclick: () => onToggle(section.name) },
        el('span', { class: 'caret', text: isCollapsed ? '▸' : '▾' }),
        el('span', { text: section.name }),
        el('span', { class: 'count', text: ` (${section.keys.length})` }),
      ),
      grid,
    );
    sentinel.before(node);
  }

  // Mount the next `count` cards (and the titles of the sections they open).
  function mountMore(count) {
    let added = 0;
    while (added < count && cursor.section < plan.length) {
      const section = plan[cursor.section];
      if (cursor.index === 0) sectionNode(section);
      if (!collapsed.has(section.name)) {
        const end = Math.min(section.keys.length, cursor.index + count - added);
        for (let i = cursor.index; i < end; i++) grid.append(cardOf(section.keys[i]).root);
        added += end - cursor.index;
        cursor.index = end;
        if (cursor.index < section.keys.length) break;
      }
      cursor = { section: cursor.section + 1, index: 0 };
    }
    mounted += added;
    const done = cursor.section >= plan.length;
    sentinel.hidden = done;
    // Observing again reports the sentinel's current state: when the slice just mounted did not
    // reach below the screen, the next one follows.
    if (!done && observer) {
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  }

  function watch() {
    if (observer || !container.isConnected) return;
    let scroller = container.parentElement;
    while (scroller && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement;
    observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !sentinel.hidden) mountMore(SLICE);
      },
      { root: scroller, rootMargin: `0px 0px ${AHEAD_PX}px 0px` },
    );
    if (!sentinel.hidden) observer.observe(sentinel);
  }

  return {
    /** Lay out `sections` again: as many cards as were mounted before (at least a slice). */
    show(sections, collapsedNames) {
      // A run toggled on the charts usually leaves the cards as they are: nothing to move.
      const next = JSON.stringify([sections, collapsedNames]);
      if (next === shown && container.contains(sentinel)) return;
      shown = next;
      const keep = Math.max(SLICE, mounted);
      plan = sections;
      collapsed = new Set(collapsedNames);
      cursor = { section: 0, index: 0 };
      mounted = 0;
      container.replaceChildren(sentinel);
      if (!sections.length) sentinel.before(el('p', { class: 'empty', text: emptyText }));
      if (prefetch) {
        // first, so that the requests are out while the cards are built
        const open = sections.filter((section) => !collapsed.has(section.name));
        for (const key of open.flatMap((section) => section.keys).slice(0, firstScreen)) prefetch(key);
      }
      watch();
      mountMore(keep);
    },
    /** How many cards are in the page now. */
    mounted: () => mounted,
  };
}
