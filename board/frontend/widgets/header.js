// The top bar's own widgets: the tab bar that keeps to one row (tabs that do not fit move into a
// "More" menu), the light/dark toggle and the settings menu (theme, card width, run colours).
import { onColorChange, resetPickedColors } from '../colors.js';
import { el } from '../dom.js';
import { CARD_WIDTH } from '../state.js';
import { applyTheme, effectiveTheme, onThemeChange } from '../theme.js';

const SELECTED_SLACK = 1.06; // the open tab is set in a bolder weight, a little wider

/** Keep the tab buttons in `nav` on one row; the ones that do not fit go into a menu. */
export function fitTabs(nav) {
  const tabs = [...nav.querySelectorAll('.tab')];
  const more = el('button', {
    class: 'tab-more', type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', hidden: true,
    title: 'More tabs', text: 'More ▾',
  });
  const menu = el('div', { class: 'menu tab-menu', role: 'menu', hidden: true });
  nav.append(more);
  document.body.append(menu);

  // Widths are measured once, while the page is still empty (a forced layout later, under a
  // page of charts, costs hundreds of milliseconds); the nav's width comes from the observer.
  let widths = null;
  let moreWidth = 0;
  let available = 0;

  function measure() {
    for (const tab of tabs) tab.hidden = false;
    more.hidden = false;
    widths = tabs.map((tab) => tab.getBoundingClientRect().width * SELECTED_SLACK);
    moreWidth = more.getBoundingClientRect().width;
    available = nav.clientWidth;
  }

  function fit() {
    if (!widths) measure();
    const selected = Math.max(0, tabs.findIndex((tab) => tab.getAttribute('aria-selected') === 'true'));
    const overflow = [];
    if (widths.reduce((a, b) => a + b, 0) > available) {
      let room = available - moreWidth - widths[selected];
      for (const [i, tab] of tabs.entries()) {
        if (i === selected) continue;
        if (widths[i] <= room && !overflow.length) room -= widths[i];
        else overflow.push(tab);
      }
    }
    for (const tab of tabs) tab.hidden = overflow.includes(tab);
    finish(overflow);
  }

  function finish(overflow) {
    more.hidden = !overflow.length;
    more.hiddenTabs = overflow;
    if (!overflow.length) closeMenu();
  }

  function openMenu() {
    menu.replaceChildren(
      ...more.hiddenTabs.map((tab) =>
        el('button', {
          role: 'menuitem', type: 'button', text: tab.textContent, dataset: { tab: tab.dataset.tab },
          onclick: () => {
            closeMenu();
            tab.click();
          },
        }),
      ),
    );
    placeMenu(menu, more);
    more.setAttribute('aria-expanded', 'true');
    menu.querySelector('button')?.focus();
  }

  function closeMenu() {
    if (menu.hidden) return;
    menu.hidden = true;
    more.setAttribute('aria-expanded', 'false');
  }

  more.addEventListener('click', () => (menu.hidden ? openMenu() : closeMenu()));
  menuKeys(menu, closeMenu, more);
  dismissOnOutsideClick(menu, more, closeMenu);
  new ResizeObserver((entries) => {
    available = entries[entries.length - 1].contentRect.width;
    if (widths) fit();
  }).observe(nav);
  new MutationObserver(() => fit()).observe(nav, { subtree: true, attributeFilter: ['aria-selected'] });
  fit();
  return { fit };
}

/** The theme toggle and the settings menu, for the right end of the top bar. */
export function createHeaderTools(ctx) {
  const { store } = ctx;
  const toggle = el('button', {
    class: 'icon theme-toggle', type: 'button',
    onclick: () => store.set({ theme: effectiveTheme(store.get().theme) === 'dark' ? 'light' : 'dark' }),
  });
  const gear = el('button', {
    class: 'icon settings-button', type: 'button', text: '⚙', title: 'Settings', 'aria-label': 'Settings',
    'aria-haspopup': 'dialog', 'aria-expanded': 'false',
  });
  const themeButtons = [['', 'System'], ['light', 'Light'], ['dark', 'Dark']].map(([value, text]) =>
    el('button', { type: 'button', text, dataset: { theme: value }, onclick: () => store.set({ theme: value }) }),
  );
  const width = el('input', {
    type: 'range', class: 'card-width', min: CARD_WIDTH.min, max: CARD_WIDTH.max, step: 20,
    value: store.get().cardWidth, 'aria-label': 'card width',
  });
  const widthValue = el('span', { class: 'card-width-value muted' });
  width.addEventListener('input', () => store.set({ cardWidth: Number(width.value) }));
  const resetColors = el('button', { type: 'button', class: 'reset-colors', text: 'Reset picked run colours', onclick: () => resetPickedColors() });
  const panel = el(
    'div',
    { class: 'menu settings-panel', role: 'dialog', 'aria-label': 'Settings', hidden: true },
    el('div', { class: 'setting' }, el('span', { class: 'setting-label', text: 'Theme' }),
      el('div', { class: 'segmented', role: 'group', 'aria-label': 'theme' }, themeButtons)),
    el('div', { class: 'setting' }, el('span', { class: 'setting-label', text: 'Card width' }),
      el('div', { class: 'setting-row' }, width, widthValue)),
    el('div', { class: 'setting' }, el('span', { class: 'setting-label', text: 'Run colours' }),
      el('span', { class: 'muted', text: 'Click a run’s colour in the sidebar to change it.' }), resetColors),
  );
  document.body.append(panel);
  const close = () => {
    if (panel.hidden) return;
    panel.hidden = true;
    gear.setAttribute('aria-expanded', 'false');
  };
  gear.addEventListener('click', () => {
    if (!panel.hidden) return close();
    placeMenu(panel, gear);
    gear.setAttribute('aria-expanded', 'true');
    panel.querySelector('button[aria-pressed="true"]')?.focus();
  });
  menuKeys(panel, close, gear);
  dismissOnOutsideClick(panel, gear, close);

  function show(state) {
    applyTheme(state.theme);
    const dark = effectiveTheme(state.theme) === 'dark';
    toggle.textContent = dark ? '☀' : '☾';
    toggle.title = dark ? 'Switch to the light theme' : 'Switch to the dark theme';
    toggle.setAttribute('aria-label', toggle.title);
    for (const button of themeButtons) button.setAttribute('aria-pressed', String(button.dataset.theme === state.theme));
    document.documentElement.style.setProperty('--card-width', `${state.cardWidth}px`);
    if (Number(width.value) !== state.cardWidth) width.value = state.cardWidth;
    widthValue.textContent = `${state.cardWidth} px`;
  }
  // Charts take their colours when drawn: a new theme or run colour redraws every view.
  const redrawViews = () => {
    for (const view of ctx.views.values()) view.onRuns?.();
  };
  onThemeChange(() => {
    show(store.get());
    redrawViews();
  });
  onColorChange(redrawViews);
  store.subscribe((changed, state) => {
    if (changed.has('theme') || changed.has('cardWidth')) show(state);
  });
  show(store.get());
  return el('div', { class: 'header-tools' }, toggle, gear);
}

// A menu or panel opened under (and right-aligned to, when that fits better) its button.
function placeMenu(menu, anchor) {
  menu.hidden = false;
  const box = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const left = Math.max(4, Math.min(box.left, window.innerWidth - width - 4));
  menu.style.left = `${left}px`;
  menu.style.top = `${box.bottom + 2}px`;
}

// Escape closes and returns focus to the opener; arrow keys move between the menu's buttons.
function menuKeys(menu, close, opener) {
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      close();
      opener.focus();
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const items = [...menu.querySelectorAll('[role="menuitem"]')];
    if (!items.length) return;
    event.preventDefault();
    const at = items.indexOf(document.activeElement);
    const next = event.key === 'ArrowDown' ? (at + 1) % items.length : (at - 1 + items.length) % items.length;
    items[next].focus();
  });
}

function dismissOnOutsideClick(menu, opener, close) {
  document.addEventListener('pointerdown', (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !opener.contains(event.target)) close();
  });
}
