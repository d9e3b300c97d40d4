// Client cache of scalar series: per tag, per run, columnar Float64Arrays.
import { fetchScalars } from '../api.js';

// First request per card is downsampled so first paint is quick; series with at most this many
// points are then fetched at full resolution, so smoothing runs on every point.
const OVERVIEW_POINTS = 2000;
export const FULL_RESOLUTION_LIMIT = 200_000;

// Columns arrive as Float64Arrays (the binary /api/scalars); an empty placeholder is a plain [].
const column = (values) => (values instanceof Float64Array ? values : new Float64Array(values));

function toSeries(raw) {
  return {
    run: raw.run,
    step: column(raw.step),
    wall: column(raw.wall_time),
    value: column(raw.value),
    total: raw.total ?? raw.step.length,
    full: !raw.downsampled,
    version: 0,
  };
}

function concat(a, b) {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class ScalarCache {
  constructor() {
    this.byTag = new Map();
    this.pending = new Map();
  }

  series(tag, run) {
    return this.byTag.get(tag)?.get(run);
  }

  forget(runs) {
    for (const map of this.byTag.values()) for (const run of runs) map.delete(run);
  }

  /** Fetch the overview of every run in `runs` not yet cached for `tag`. */
  async ensure(tag, runs) {
    if (!this.byTag.has(tag)) this.byTag.set(tag, new Map());
    const map = this.byTag.get(tag);
    const waits = [];
    const missing = [];
    for (const run of runs) {
      if (map.has(run)) continue;
      const key = `${tag}\u0000${run}`;
      if (this.pending.has(key)) waits.push(this.pending.get(key));
      else missing.push(run);
    }
    if (missing.length) {
      const request = fetchScalars(tag, missing, { maxPoints: OVERVIEW_POINTS }).then((list) => {
        for (const raw of list) map.set(raw.run, toSeries(raw));
        // A run without this tag gets an empty series so it is not requested again.
        for (const run of missing) if (!map.has(run)) map.set(run, toSeries({ run, step: [], wall_time: [], value: [], total: 0 }));
      });
      for (const run of missing) this.pending.set(`${tag}\u0000${run}`, request);
      waits.push(request);
      request.finally(() => {
        for (const run of missing) this.pending.delete(`${tag}\u0000${run}`);
      });
    }
    await Promise.all(waits);
  }

  /** Runs of `tag` whose cached series is downsampled but small enough to hold in full. */
  needsFull(tag, runs) {
    const map = this.byTag.get(tag);
    if (!map) return [];
    return runs.filter((run) => {
      const s = map.get(run);
      return s && !s.full && s.total <= FULL_RESOLUTION_LIMIT;
    });
  }

  async loadFull(tag, runs) {
    if (!runs.length) return;
    const list = await fetchScalars(tag, runs, { maxPoints: 0 });
    const map = this.byTag.get(tag);
    for (const raw of list) {
      const series = toSeries(raw);
      series.full = true;
      series.version = (map.get(raw.run)?.version ?? 0) + 1;
      map.set(raw.run, series);
    }
  }

  /**
   * Append points newer than each run's cached last step, in one request for the tag (from the
   * oldest of those steps; each run keeps only its own newer points). Returns the runs that grew.
   */
  async extend(tag, runs) {
    const map = this.byTag.get(tag);
    const known = runs.filter((run) => map?.has(run));
    if (!known.length) return [];
    const lastOf = (run) => {
      const s = map.get(run);
      return s.step.length ? s.step[s.step.length - 1] : Number.NEGATIVE_INFINITY;
    };
    const oldest = Math.min(...known.map(lastOf));
    const list = await fetchScalars(tag, known, {
      maxPoints: 0,
      sinceStep: Number.isFinite(oldest) ? oldest : undefined,
    });
    const grown = [];
    for (const raw of list) {
      const current = map.get(raw.run);
      if (!current) continue;
      const last = lastOf(raw.run);
      const fresh = toSeries(raw);
      let start = 0;
      while (start < fresh.step.length && fresh.step[start] <= last) start++;
      if (start === fresh.step.length) continue;
      map.set(raw.run, {
        ...current,
        step: concat(current.step, fresh.step.subarray(start)),
        wall: concat(current.wall, fresh.wall.subarray(start)),
        value: concat(current.value, fresh.value.subarray(start)),
        total: current.total + (fresh.step.length - start),
        version: current.version + 1,
      });
      grown.push(raw.run);
    }
    return grown;
  }

  /** Finer data for a step range of series that are not held at full resolution. */
  async fetchRange(tag, runs, minStep, maxStep) {
    const list = await fetchScalars(tag, runs, {
      maxPoints: OVERVIEW_POINTS,
      minStep: Math.floor(minStep),
      maxStep: Math.ceil(maxStep),
    });
    return new Map(list.map((raw) => [raw.run, toSeries(raw)]));
  }
}
