// The top bar's own widgets: the tab bar that keeps to one row (it scrolls sideways, and a
// "More" menu lists the tabs out of view), the light/dark toggle and the settings menu (theme,
// card width, run colours).
import { onColorChange, resetPickedColors } from '../colors.js';
import { el } from '../dom.js';
import { CARD_WIDTH } from '../state.js';
import { applyTheme, effectiveTheme, onThemeChange } from '../theme.js';


/**
 * Keep the tab buttons in `nav` on one row: the row scrolls sideways when the tabs do not fit,
 * the open tab is scrolled into view, and a "More" menu after the row lists the tabs out of view.
 */
export function fitTabs(nav) {
  const tabs = [...nav.querySelectorAll('.tab')];
  const more = el('button', {
    class: 'tab-more', type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', hidden: true,
    title: 'More tabs', text: 'More ▾',
  });
  const menu = el('div', { class: 'menu tab-menu', role: 'menu', hidden: true });
  nav.after(more);
  document.body.append(menu);

  // Tab widths are measured once, while the page is still empty (a forced layout later, under a
  // page of charts, costs hundreds of milliseconds); the row's width comes from the observer.
  let edges = null; // [left, right] of each tab within the row
  let available = 0;

  // False while the row has no width (not laid out yet, or hidden): tabs measured then would all
  // sit at 0, and the open tab would be scrolled far past the end.
  function measure() {
    if (nav.clientWidth <= 0) return false;
    const origin = nav.getBoundingClientRect().left - nav.scrollLeft;
    edges = tabs.map((tab) => {
      const box = tab.getBoundingClientRect();
      return [box.left - origin, box.right - origin];
    });
    available = nav.clientWidth;
    return true;
  }

  function fit() {
    if (!edges && !measure()) return;
    const overflowing = edges[edges.length - 1][1] > available + 1;
    more.hidden = !overflowing;
    if (!overflowing) closeMenu();
    shade();
  }

  // A fade at each end of the row that has tabs beyond it.
  function shade() {
    const end = edges[edges.length - 1][1];
    const scroll = nav.scrollLeft;
    nav.classList.toggle('more-left', scroll > 1);
    nav.classList.toggle('more-right', scroll + available < end - 1);
  }

  function showSelected() {
    if ((!edges && !measure()) || available <= 0) return;
    const i = tabs.findIndex((tab) => tab.getAttribute('aria-selected') === 'true');
    if (i < 0) return;
    const [left, right] = edges[i];
    const scroll = nav.scrollLeft;
    const margin = 36; // clear of the fade at the row's ends, and the open tab is set bolder
    if (left < scroll) nav.scrollLeft = left - margin;
    else if (right + margin > scroll + available) nav.scrollLeft = right + margin - available;
  }

  // The tabs not wholly inside the row's scrolled window.
  function outOfView() {
    const scroll = nav.scrollLeft;
    return tabs.filter((_, i) => edges[i][0] < scroll - 1 || edges[i][1] > scroll + available + 1);
  }

  function openMenu() {
    menu.replaceChildren(
      ...outOfView().map((tab) =>
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
  nav.addEventListener('scroll', () => edges && shade(), { passive: true });
  // a mouse wheel scrolls the row sideways
  nav.addEventListener('wheel', (event) => {
    if (more.hidden || Math.abs(event.deltaX) > Math.abs(event.deltaY)) return;
    event.preventDefault();
    nav.scrollLeft += event.deltaY;
  }, { passive: false });
  menuKeys(menu, closeMenu, more);
  dismissOnOutsideClick(menu, more, closeMenu);
  new ResizeObserver((entries) => {
    available = entries[entries.length - 1].contentRect.width;
    if (available <= 0) return;
    fit();
    // the open tab stays in view when the row's width changes (the status text and the tools
    // beside it take their width once the runs are known)
    showSelected();
  }).observe(nav);
  new MutationObserver(showSelected).observe(nav, { subtree: true, attributeFilter: ['aria-selected'] });
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
