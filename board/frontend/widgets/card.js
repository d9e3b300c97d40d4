// Card frame shared by the views: title, pin / enlarge buttons, lazy drawing when on screen,
// and a chart re-layout when the card's width changes (card width setting, sidebar, enlarge).
import { el } from '../dom.js';
import { Plotly, loadPlotly } from './plots.js';

const RESIZE_SETTLE_MS = 120; // a drag resizes many times; the charts re-layout once it pauses

/**
 * Create a card. `onPin(key)` toggles pinning; `draw(card)` is called when the card is on
 * screen and dirty. Extra header controls go into `card.actions`.
 */
export function createCard({ key, title, subtitle, pinned = false, onPin, draw, kind }) {
  const actions = el('span', { class: 'card-actions' });
  const pinButton = onPin
    ? el('button', {
        class: 'icon pin',
        title: 'Pin to top',
        'aria-pressed': String(pinned),
        text: pinned ? '★' : '☆',
        onclick: () => onPin(key),
      })
    : null;
  const card = {
    key,
    visible: false,
    dirty: true,
    body: el('div', { class: 'card-body' }),
    actions,
  };
  const enlarge = el('button', {
    class: 'icon enlarge',
    title: 'Enlarge',
    text: '⤢',
    onclick: () => card.root.classList.toggle('wide'), // the resize observer re-lays out
  });
  card.root = el(
    'div',
    { class: `card ${kind ?? ''}`, dataset: { key } },
    el(
      'div',
      { class: 'card-header' },
      el('span', { class: 'card-title', title, text: title }),
      subtitle ? el('span', { class: 'card-subtitle', text: subtitle }) : null,
      actions,
      pinButton,
      enlarge,
    ),
    card.body,
  );
  card.redraw = () => {
    card.dirty = true;
    if (card.visible) scheduleDraw(card, draw);
  };
  card.draw = () => draw(card);
  card.setPinned = (value) => {
    if (!pinButton) return;
    pinButton.textContent = value ? '★' : '☆';
    pinButton.setAttribute('aria-pressed', String(value));
    pinButton.title = value ? 'Unpin' : 'Pin to top';
  };
  card.root._card = card;
  card.root._drawFn = draw;
  observer().observe(card.root);
  sizeObserver().observe(card.root);
  card.dispose = () => {
    observer().unobserve(card.root);
    sizeObserver().unobserve(card.root);
    clearTimeout(card.resizeTimer);
    card.onDispose?.();
  };
  return card;
}

let sharedSizeObserver = null;

// Width changes only: a card growing taller as its chart draws is not a resize.
function sizeObserver() {
  sharedSizeObserver ??= new ResizeObserver((entries) => {
    for (const entry of entries) {
      const card = entry.target._card;
      const width = Math.round(entry.contentRect.width);
      if (card.width === undefined || card.width === width) {
        card.width = width;
        continue;
      }
      card.width = width;
      clearTimeout(card.resizeTimer);
      card.resizeTimer = setTimeout(() => {
        if (card.visible) relayout(card);
        else card.resizePending = true;
      }, RESIZE_SETTLE_MS);
    }
  });
  return sharedSizeObserver;
}

function relayout(card) {
  card.resizePending = false;
  if (card.onResize) return card.onResize();
  if (!window.Plotly) return;
  for (const plot of card.root.querySelectorAll('.js-plotly-plot')) Plotly.Plots.resize(plot);
}

let sharedObserver = null;

function observer() {
  sharedObserver ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const card = entry.target._card;
        card.visible = entry.isIntersecting;
        if (card.visible && card.dirty) scheduleDraw(card, entry.target._drawFn);
        else if (card.visible && card.resizePending) relayout(card);
      }
    },
    { rootMargin: '0px' }, // each drawn chart costs a redraw on every run toggle
  );
  return sharedObserver;
}

function scheduleDraw(card, draw) {
  if (card.scheduled) return;
  card.scheduled = true;
  requestAnimationFrame(async () => {
    card.scheduled = false;
    if (!card.dirty || !card.visible) return;
    card.dirty = false;
    try {
      await draw(card);
    } catch (err) {
      card.body.replaceChildren(el('div', { class: 'error', text: String(err.message ?? err) }));
    }
  });
}

/** Group keyed cards into sections by the tag's first path component, as TensorBoard does. */
export function tagGroup(tag) {
  const slash = tag.indexOf('/');
  return slash > 0 ? tag.slice(0, slash) : tag;
}

/**
 * Keep `container` showing sections of cards for `keys` (already filtered), pinned first.
 * Reuses existing cards in `cards` (Map key → card); creates missing ones with `make(key)`.
 */
export function layoutSections(container, keys, cards, { pinned, collapsed, onToggle, make, groupOf = tagGroup }) {
  const wanted = new Set(keys);
  for (const [key, card] of cards) {
    if (!wanted.has(key)) {
      card.dispose();
      card.root.remove();
      cards.delete(key);
    }
  }
  const sections = new Map();
  const pinnedKeys = keys.filter((k) => pinned.includes(k));
  if (pinnedKeys.length) sections.set('★ Pinned', pinnedKeys);
  for (const key of keys) {
    if (pinned.includes(key)) continue;
    const group = groupOf(key);
    if (!sections.has(group)) sections.set(group, []);
    sections.get(group).push(key);
  }
  const nodes = [];
  for (const [name, sectionKeys] of sections) {
    const isCollapsed = collapsed.includes(name);
    const grid = el('div', { class: 'card-grid' });
    if (!isCollapsed) {
      for (const key of sectionKeys) {
        if (!cards.has(key)) cards.set(key, make(key));
        const card = cards.get(key);
        card.setPinned(pinned.includes(key));
        grid.append(card.root);
      }
    }
    nodes.push(
      el(
        'section',
        { class: 'tag-section', dataset: { group: name } },
        el(
          'h3',
          { class: 'section-title', onclick: () => onToggle(name) },
          el('span', { class: 'caret', text: isCollapsed ? '▸' : '▾' }),
          el('span', { text: name }),
          el('span', { class: 'count', text: ` (${sectionKeys.length})` }),
        ),
        grid,
      ),
    );
  }
  for (const [key, card] of cards) {
    if (!nodes.some((n) => n.contains(card.root))) {
      card.dispose();
      cards.delete(key);
    }
  }
  container.replaceChildren(...nodes);
  if (!nodes.length) container.append(el('p', { class: 'empty', text: 'No data for the selected runs and tag filter.' }));
}

const turns = [];
let turning = false;

/**
 * Resolve when it is this caller's turn to draw: charts render one per task, so a page full of
 * large charts never blocks input for longer than one chart takes.
 */
export async function renderTurn() {
  await loadPlotly();
  return new Promise((resolve) => {
    turns.push(resolve);
    if (!turning) {
      turning = true;
      setTimeout(nextTurn, 0);
    }
  });
}

function nextTurn() {
  const resolve = turns.shift();
  if (!resolve) {
    turning = false;
    return;
  }
  resolve();
  setTimeout(nextTurn, 0);
}
