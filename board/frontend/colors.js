// Run and group colours (docs/design.md, "Data colours"). Colours come from the Okabe–Ito
// palette, which stays distinguishable under the common colour-vision deficiencies. A run is
// given a palette slot the first time it is seen, and keeps it: the slots are remembered in
// localStorage, so a run's colour does not change when other runs appear, are filtered out or
// the page is reloaded. A colour the user picks for a run wins over its slot.

// Okabe & Ito (2008), "Color Universal Design". Both themes share the slots; the seventh slot is
// black on a light page and yellow on a dark one (yellow has no contrast against white, black
// none against the dark surface).
const SLOTS = {
  light: ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#000000'],
  dark: ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442'],
};
export const PALETTE_SIZE = SLOTS.light.length;
const STORAGE_KEY = 'flowboard.colors.v1';
const MAX_REMEMBERED = 5000; // names per namespace; the oldest are forgotten first

const memory = load();
const listeners = new Set();
// How many remembered runs hold each slot, kept up to date as runs are given slots (a new run
// at 10,000 runs must not count them all again).
const runCounts = slotCounts(memory.runs, memory.runs.keys());
let saveTimer = null;
window.addEventListener('pagehide', () => saveTimer !== null && save());

function load() {
  const empty = { runs: new Map(), groups: new Map(), picked: new Map() };
  let saved;
  try {
    saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null');
  } catch {
    return empty; // unreadable or blocked storage: colours still work for this visit
  }
  if (!saved || typeof saved !== 'object') return empty;
  const pairs = (list, valid) => new Map((Array.isArray(list) ? list : []).filter((p) => Array.isArray(p) && typeof p[0] === 'string' && valid(p[1])));
  const isSlot = (v) => Number.isInteger(v) && v >= 0 && v < PALETTE_SIZE;
  return { runs: pairs(saved.runs, isSlot), groups: pairs(saved.groups, isSlot), picked: pairs(saved.picked, isHex) };
}

// Slots given while the page builds its views are written once, after the current task: at
// 10,000 new runs, one write per run was most of the first render.
function saveSoon() {
  if (saveTimer === null) saveTimer = setTimeout(save, 0);
}

function save() {
  if (saveTimer !== null) clearTimeout(saveTimer);
  saveTimer = null;
  const trimmed = (map) => [...map].slice(-MAX_REMEMBERED);
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify({ runs: trimmed(memory.runs), groups: trimmed(memory.groups), picked: trimmed(memory.picked) }));
  } catch {
    // storage full or disabled: the colours hold for this visit only
  }
}

function isHex(value) {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value);
}

function theme() {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** The palette of the current theme, in slot order. */
export function palette() {
  return SLOTS[theme()];
}

// How many of `names` hold each slot in `slots`.
function slotCounts(slots, names) {
  const counts = new Array(PALETTE_SIZE).fill(0);
  for (const name of names) {
    const slot = slots.get(name);
    if (slot !== undefined) counts[slot]++;
  }
  return counts;
}

// The slot used least often; ties go to the lowest slot.
function leastUsed(counts) {
  return counts.indexOf(Math.min(...counts));
}

// Give each new name among `names` the slot least used among `names` so far (one pass).
function assign(slots, names, all = null) {
  const list = [...names];
  const counts = slotCounts(slots, list);
  let changed = false;
  for (const name of list) {
    if (slots.has(name)) continue;
    const slot = leastUsed(counts);
    slots.set(name, slot);
    counts[slot]++;
    if (all) all[slot]++;
    changed = true;
  }
  return changed;
}

/** Give each new name among `names` (the runs now known, in display order) a slot. */
export function assignRunColors(names) {
  if (assign(memory.runs, names, runCounts)) saveSoon();
}

/**
 * Give the groups of the current grouping their slots: new keys take the least used slots, and
 * when there are no more groups than slots, no two groups share one (a group whose remembered
 * slot another earlier group holds moves to a free slot).
 */
export function assignGroupColors(keys) {
  let changed = assign(memory.groups, keys);
  if (keys.length <= PALETTE_SIZE) {
    const taken = new Set();
    for (const key of keys) {
      let slot = memory.groups.get(key);
      if (taken.has(slot)) {
        slot = [...Array(PALETTE_SIZE).keys()].find((s) => !taken.has(s));
        memory.groups.set(key, slot);
        changed = true;
      }
      taken.add(slot);
    }
  }
  if (changed) save();
}

/** The colour of run `name`: the user's pick, else its slot in the current theme's palette. */
export function runColor(name) {
  const key = String(name);
  const picked = memory.picked.get(key);
  if (picked) return picked;
  if (!memory.runs.has(key)) {
    const slot = leastUsed(runCounts);
    memory.runs.set(key, slot);
    runCounts[slot]++;
    saveSoon();
  }
  return palette()[memory.runs.get(key)];
}

/** The colour of a group of runs (a grouping's key, e.g. `optimizer=adam`). */
export function groupColor(key) {
  const name = String(key);
  if (!memory.groups.has(name)) assignGroupColors([name]);
  return palette()[memory.groups.get(name)];
}

/** Whether the user picked `name`'s colour. */
export function isPicked(name) {
  return memory.picked.has(String(name));
}

/** Set run `name`'s colour to `hex` (#rrggbb), or back to its palette colour with null. */
export function setRunColor(name, hex) {
  const key = String(name);
  if (hex == null) memory.picked.delete(key);
  else if (isHex(hex)) memory.picked.set(key, hex.toLowerCase());
  else throw new Error(`not a colour: ${hex}`);
  save();
  for (const listener of listeners) listener(key);
}

/** Forget every picked colour. */
export function resetPickedColors() {
  if (!memory.picked.size) return;
  memory.picked.clear();
  save();
  for (const listener of listeners) listener(null);
}

/** Call `listener(name)` when a run's picked colour changes (null: all of them). */
export function onColorChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
