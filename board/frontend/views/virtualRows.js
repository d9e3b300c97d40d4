// A table body that holds only the rows in (or near) its scrolled window. Every row has one
// height; two spacer blocks above and below the table stand for the rows left out, so the
// scroll bar measures every item while 10,000 runs cost a few dozen <tr>s. The spacers sit
// outside the <table>, so `tbody tr` is only ever real rows.
import { el } from '../dom.js';

const ROW_HEIGHT = 21; // px, as `.runs-table tbody tr` in runs.css; measured again after a paint
const OVERSCAN = 12; // rows rendered beyond each edge of the window

/**
 * `makeRow(item)` builds the <tr> of one item, `updateRow(tr, item)` refreshes what may change
 * without a rebuild (checkboxes, faded rows), `keyOf(item)` names an item while scrolling.
 * `wrap` (the scrolling element, holding `table`) goes into the page.
 */
export class VirtualRows {
  constructor({ tableClass, makeRow, updateRow, keyOf }) {
    this.makeRow = makeRow;
    this.updateRow = updateRow;
    this.keyOf = keyOf;
    this.items = [];
    this.rowHeight = ROW_HEIGHT;
    this.rows = new Map(); // key -> <tr>, for the rows in the DOM only
    this.widths = []; // the widest each header cell has been: columns do not jump on scroll
    this.scrollTop = 0; // kept across detaching (a tab switch), which forgets scroll offsets
    this.head = el('thead');
    this.body = el('tbody');
    this.table = el('table', { class: tableClass }, this.head, this.body);
    this.topPad = el('div', { class: 'table-pad', 'aria-hidden': 'true' });
    this.bottomPad = el('div', { class: 'table-pad', 'aria-hidden': 'true' });
    this.wrap = el('div', { class: 'table-wrap' }, this.topPad, this.table, this.bottomPad);
    let frame = 0;
    this.wrap.addEventListener('scroll', () => {
      if (this.wrap.isConnected && this.wrap.clientHeight) this.scrollTop = this.wrap.scrollTop;
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; this.refresh(); });
    });
    new ResizeObserver(() => this.restoreScroll()).observe(this.wrap);
  }

  /** New items under a new header row; `columnsKey` says whether the columns changed (then
   * they may narrow again). Every row is built anew: its values may have changed. */
  setItems(items, { header, columnsKey = '', resetScroll = false }) {
    this.items = items;
    this.head.replaceChildren(header);
    if (columnsKey !== this.columnsKey) this.widths = [];
    this.columnsKey = columnsKey;
    this.widths.forEach((w, i) => {
      if (header.children[i]) header.children[i].style.minWidth = `${Math.ceil(w)}px`;
    });
    for (const tr of this.rows.values()) tr.remove();
    this.rows.clear();
    if (resetScroll) this.scrollTop = 0;
    this.restoreScroll();
  }

  /** Refresh the rows in the DOM from `updateRow` (a change that does not rebuild them). */
  update() {
    for (const tr of this.rows.values()) this.updateRow(tr, tr.item);
  }

  restoreScroll() {
    if (this.wrap.clientHeight && Math.abs(this.wrap.scrollTop - this.scrollTop) > 1) {
      this.refresh(); // the spacers first, so the offset fits in the scroll height
      this.wrap.scrollTop = this.scrollTop;
    }
    this.refresh();
  }

  rowCount() {
    return this.rows.size;
  }

  /** Render the rows of the current window and update the ones kept. */
  refresh() {
    const height = this.wrap.clientHeight || 600;
    const headHeight = this.head.offsetHeight || this.rowHeight;
    const total = this.items.length;
    const top = Math.max(0, Math.min(this.scrollTop, headHeight + total * this.rowHeight - height) - headHeight);
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    const wanted = this.items.slice(first, last);
    const keys = wanted.map(this.keyOf);
    const keep = new Set(keys);
    for (const [key, tr] of this.rows) {
      if (!keep.has(key)) {
        tr.remove();
        this.rows.delete(key);
      }
    }
    let previous = null;
    wanted.forEach((item, i) => {
      let tr = this.rows.get(keys[i]);
      if (!tr) {
        this.rows.set(keys[i], (tr = this.makeRow(item)));
        tr.item = item;
        this.updateRow(tr, item);
      }
      const next = previous ? previous.nextSibling : this.body.firstChild;
      if (next !== tr) this.body.insertBefore(tr, next);
      previous = tr;
    });
    this.topPad.style.height = `${first * this.rowHeight}px`;
    this.bottomPad.style.height = `${(total - last) * this.rowHeight}px`;
    if (this.wrap.isConnected && wanted.length) this.measure();
  }

  // The real row height (fonts differ) and header widths, read once the rows are laid out.
  measure() {
    const measured = this.body.firstChild.getBoundingClientRect().height;
    const cells = this.head.firstChild ? [...this.head.firstChild.children] : [];
    const widths = cells.map((th) => th.getBoundingClientRect().width);
    widths.forEach((w, i) => {
      if (w > (this.widths[i] ?? 0) + 0.5) {
        this.widths[i] = w;
        cells[i].style.minWidth = `${Math.ceil(w)}px`;
      }
    });
    if (measured > 0 && Math.abs(measured - this.rowHeight) > 0.5) {
      this.rowHeight = measured;
      this.refresh();
    }
  }
}
