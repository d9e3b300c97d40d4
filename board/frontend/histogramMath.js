// Histogram geometry: TensorBoard-style buckets (right edges in `bucket_limit`) turned into
// [left, right) bins and re-binned onto a shared uniform grid so steps can be compared.

/** Bins of one histogram point: [{left, right, count}], infinite edges clipped to min/max. */
export function bucketsToBins(point) {
  const bins = [];
  let left = point.min;
  for (let i = 0; i < point.bucket.length; i++) {
    let right = point.bucket_limit[i];
    if (!Number.isFinite(right) || right > point.max) right = Math.max(point.max, left);
    const count = point.bucket[i];
    if (count > 0) bins.push({ left: Math.min(left, right), right, count });
    left = Math.max(left, right);
  }
  return bins;
}

/** [lo, hi] over the bins of every point. */
export function valueRange(points) {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (Number.isFinite(p.min)) lo = Math.min(lo, p.min);
    if (Number.isFinite(p.max)) hi = Math.max(hi, p.max);
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/**
 * Re-bin onto `binCount` equal bins over [lo, hi], spreading each bin's count in proportion to
 * its overlap (a zero-width bin puts its whole count into the bin holding it).
 * Returns {centers, counts}.
 */
export function rebin(bins, lo, hi, binCount = 30) {
  const width = (hi - lo) / binCount;
  const counts = new Float64Array(binCount);
  const centers = new Float64Array(binCount);
  for (let i = 0; i < binCount; i++) centers[i] = lo + (i + 0.5) * width;
  const indexOf = (v) => Math.min(binCount - 1, Math.max(0, Math.floor((v - lo) / width)));
  for (const bin of bins) {
    const span = bin.right - bin.left;
    if (span <= 0) {
      counts[indexOf(bin.left)] += bin.count;
      continue;
    }
    const first = indexOf(bin.left);
    const last = indexOf(bin.right);
    for (let i = first; i <= last; i++) {
      const a = Math.max(bin.left, lo + i * width);
      const b = Math.min(bin.right, lo + (i + 1) * width);
      if (b > a) counts[i] += (bin.count * (b - a)) / span;
    }
  }
  return { centers, counts };
}

/** At most `limit` items evenly spread over `items`, always keeping the last. */
export function sampleEvenly(items, limit) {
  if (items.length <= limit) return items;
  const out = [];
  for (let i = 0; i < limit; i++) out.push(items[Math.round((i * (items.length - 1)) / (limit - 1))]);
  return out;
}
