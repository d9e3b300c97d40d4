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
