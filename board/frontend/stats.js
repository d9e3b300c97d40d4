// Numeric helpers for the charts: display downsampling, robust ranges, group aggregation.

/** Index of the first element of sorted `arr` that is >= value. */
export function lowerBound(arr, value) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Indices to draw of a series with `n` points restricted to [start, end): at most about
 * `maxPoints`, keeping each bucket's min and max of `values` and always the last point.
 */
export function displayIndices(values, start, end, maxPoints) {
  const count = end - start;
  if (count <= maxPoints) {
    const all = new Int32Array(count);
    for (let i = 0; i < count; i++) all[i] = start + i;
    return all;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = count / buckets;
  const picked = [];
  for (let b = 0; b < buckets; b++) {
    const lo = start + Math.floor(b * size);
    const hi = Math.min(end, start + Math.floor((b + 1) * size));
    if (hi <= lo) continue;
    let minAt = lo;
    let maxAt = lo;
    for (let i = lo + 1; i < hi; i++) {
      const v = values[i];
      if (v < values[minAt]) minAt = i;
      if (v > values[maxAt]) maxAt = i;
    }
    if (minAt === maxAt) picked.push(minAt);
    else picked.push(Math.min(minAt, maxAt), Math.max(minAt, maxAt));
  }
  if (picked[picked.length - 1] !== end - 1) picked.push(end - 1);
  return Int32Array.from(picked);
}

export function pick(array, indices) {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = array[indices[i]];
  return out;
}

/** Linear-interpolated quantile of an ascending-sorted array. */
export function quantileSorted(sorted, q) {
  if (!sorted.length) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** [5th, 95th] percentile of all finite values, padded by 5% of the spread. */
export function robustRange(arrays, logScale = false) {
  const all = [];
  for (const arr of arrays) {
    for (const v of arr) if (Number.isFinite(v) && (!logScale || v > 0)) all.push(v);
  }
  if (!all.length) return null;
  all.sort((a, b) => a - b);
  let lo = quantileSorted(all, 0.05);
  let hi = quantileSorted(all, 0.95);
  if (logScale) {
    lo = Math.log10(lo);
    hi = Math.log10(hi);
  }
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/** Value of a step-sorted series at `step` by linear interpolation; NaN outside its range. */
function interpolateAt(steps, values, step, cursor) {
  const n = steps.length;
  while (cursor.i < n - 1 && steps[cursor.i + 1] <= step) cursor.i++;
  const i = cursor.i;
  if (!n || step < steps[0] || step > steps[n - 1]) return Number.NaN;
  if (steps[i] === step || i === n - 1) return values[i];
  const t = (step - steps[i]) / (steps[i + 1] - steps[i]);
  return values[i] + (values[i + 1] - values[i]) * t;
}

/**
 * Aggregate member series ({step, value} step-sorted) onto the union of their steps.
 * Members are linearly interpolated between their own points and absent outside their range.
 * Returns {step, mean, std, min, max, count}; std is the population standard deviation.
 */
export function aggregate(members) {
  const stepSet = new Set();
  for (const m of members) for (const s of m.step) stepSet.add(s);
  const steps = Float64Array.from(stepSet).sort();
  const n = steps.length;
  const out = {
    step: steps,
    mean: new Float64Array(n),
    std: new Float64Array(n),
    min: new Float64Array(n),
    max: new Float64Array(n),
    count: new Int32Array(n),
  };
  const cursors = members.map(() => ({ i: 0 }));
  for (let k = 0; k < n; k++) {
    let sum = 0;
    let sumSq = 0;
    let count = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let m = 0; m < members.length; m++) {
      const v = interpolateAt(members[m].step, members[m].value, steps[k], cursors[m]);
      if (!Number.isFinite(v)) continue;
      sum += v;
      sumSq += v * v;
      count++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const mean = count ? sum / count : Number.NaN;
    out.mean[k] = mean;
    out.std[k] = count ? Math.sqrt(Math.max(0, sumSq / count - mean * mean)) : Number.NaN;
    out.min[k] = count ? lo : Number.NaN;
    out.max[k] = count ? hi : Number.NaN;
    out.count[k] = count;
  }
  return out;
}

export function meanStd(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return { mean: Number.NaN, std: Number.NaN, count: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const variance = finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length;
  return { mean, std: Math.sqrt(variance), count: finite.length };
}
