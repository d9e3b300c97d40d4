// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments
// (divide by 1 - w^n so the first points are not pulled toward zero). Non-finite values pass
// through unsmoothed and do not enter the average; a constant series is returned unchanged.

/**
 * @param {ArrayLike<number>} values  full-resolution series, in step order
 * @param {number} weight             smoothing in [0, 1)
 * @returns {Float64Array}
 */
export function smooth(values, weight) {
  const out = new Float64Array(values.length);
  if (!(weight > 0) || isConstant(values)) {
    out.set(values);
    return out;
  }
  const state = newEmaState();
  for (let i = 0; i < values.length; i++) out[i] = emaStep(state, values[i], weight);
  return out;
}

export function newEmaState() {
  return { last: 0, count: 0 };
}

/** Advance the running average by one value; used to extend a smoothed series in place. */
export function emaStep(state, value, weight) {
  if (!Number.isFinite(value)) return value;
  state.last = state.last * weight + (1 - weight) * value;
  state.count += 1;
  const debias = weight === 1 ? 1 : 1 - weight ** state.count;
  return state.last / debias;
}

function isConstant(values) {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/**
 * Trailing moving average over the last `window` finite values (fewer at the start, where the
 * window is not yet full): out[i] = mean of the finite values among values[i-window+1 .. i].
 * Non-finite values pass through and do not enter the average.
 */
export function movingAverage(values, window) {
  const out = new Float64Array(values.length);
  const size = Math.max(1, Math.floor(window) || 1);
  const held = new Float64Array(size); // ring of the finite values in the window
  let sum = 0;
  let count = 0;
  let next = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    if (count === size) sum -= held[next];
    else count++;
    held[next] = v;
    next = (next + 1) % size;
    sum += v;
    out[i] = sum / count;
  }
  return out;
}

/** The smoother the settings choose: `smoother` 'ema' (weight `smoothing`) or 'mean' (`smoothWindow`). */
export function smoothWith(values, settings) {
  if (settings.smoother === 'mean') return movingAverage(values, settings.smoothWindow);
  return smooth(values, settings.smoothing);
}

/** Whether the settings smooth at all (and so draw faint raw lines under the smoothed ones). */
export function isSmoothing(settings) {
  return settings.smoother === 'mean' ? settings.smoothWindow > 1 : settings.smoothing > 0;
}

/** A key naming the smoother and its parameter, for memo tables. */
export function smootherKey(settings) {
  return settings.smoother === 'mean' ? `mean:${Math.floor(settings.smoothWindow)}` : `ema:${settings.smoothing}`;
}
