// The search box: matching node names as you type; Enter or a click jumps to one.
import { h } from './info.js';

const DEBOUNCE_MS = 150;

/** `find(query) -> Promise<{results}>` asks the server; `onPick(name)` reveals a node. */
export function createSearch(find, onPick) {
  const input = h('input', { type: 'search', class: 'g-search', placeholder: 'Search nodes…', autocomplete: 'off' });
  const list = h('ul', { class: 'g-search-results', hidden: true });
  let timer = 0;

  function pick(name) {
    list.hidden = true;
    onPick(name);
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) {
      list.hidden = true;
      return;
    }
    timer = setTimeout(async () => {
      let results = [];
      try {
        ({ results } = await find(query));
      } catch (error) {
        list.replaceChildren(h('li', { class: 'meta', text: `Error: ${error.message}` }));
        list.hidden = false;
        return;
      }
      if (input.value.trim() !== query) return;
      list.replaceChildren(...results.map((r) => h('li', {},
        h('a', { href: '#', text: r.name, onclick: (e) => { e.preventDefault(); pick(r.name); } }),
        h('span', { class: 'meta', text: ` ${r.op ?? r.kind}` }))));
      if (!results.length) list.replaceChildren(h('li', { class: 'meta', text: 'No match' }));
      list.hidden = false;
    }, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') list.querySelector('a')?.click();
    if (event.key === 'Escape') list.hidden = true;
  });
  return { element: h('span', { class: 'g-search-box' }, input, list) };
}
