// Per-card scalar settings kept in the URL: a card's own y range ("yr" entries
// `TAG\tMIN\tMAX\tZERO`) and the extra tags drawn on it ("mt" entries `TAG\tEXTRA`). The tag
// comes first and may itself hold a tab: the y range's fields are split off from the end.

/** The card's {min, max, zero} (NaN for a free end), or null when it has none. */
export function cardLimits(state, tag) {
  for (const entry of state.yRanges) {
    const parts = entry.split('\t');
    if (parts.length < 4 || parts.slice(0, -3).join('\t') !== tag) continue;
    const [min, max, zero] = parts.slice(-3);
    const number = (text) => (text === '' ? Number.NaN : Number(text));
    return { min: number(min), max: number(max), zero: zero === '1' };
  }
  return null;
}

/** `state.yRanges` with the card's limits replaced (removed when `limits` sets nothing). */
export function withLimits(state, tag, limits) {
  const others = state.yRanges.filter((entry) => entry.split('\t').slice(0, -3).join('\t') !== tag);
  const text = (v) => (Number.isFinite(v) ? String(v) : '');
  if (!Number.isFinite(limits.min) && !Number.isFinite(limits.max) && !limits.zero) return others;
  return [...others, [tag, text(limits.min), text(limits.max), limits.zero ? '1' : '0'].join('\t')];
}

/** The tags a card draws: its own, then the ones the user added to it, in the order added. */
export function cardTags(state, tag) {
  const tags = [tag];
  for (const entry of state.tagSets) {
    const cut = entry.indexOf('\t');
    if (cut < 0 || entry.slice(0, cut) !== tag) continue;
    const extra = entry.slice(cut + 1);
    if (!tags.includes(extra)) tags.push(extra);
  }
  return tags;
}

/** `state.tagSets` with `extra` added to (or, `add` false, removed from) the card of `tag`. */
export function withExtraTag(state, tag, extra, add) {
  const entry = `${tag}\t${extra}`;
  const others = state.tagSets.filter((e) => e !== entry);
  return add ? [...others, entry] : others;
}
