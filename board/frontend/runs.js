// The run list from /api/runs and what is derived from it: visibility, tags, groups.
import { safeRegex } from './dom.js';

// One collator for every comparison: localeCompare with options builds a new one per call
// (~50 µs each, tens of milliseconds for sorting a few hundred runs).
const byNaturalName = new Intl.Collator(undefined, { numeric: true }).compare;

export class RunIndex {
  constructor() {
    this.list = [];
    this.byName = new Map();
    this.tagSets = new Map();
    this.hparamsConfig = null;
  }

  update(body) {
    this.list = [...body.runs].sort((a, b) => byNaturalName(a.name, b.name));
    this.byName = new Map(this.list.map((run) => [run.name, run]));
    this.tagSets = new Map(
      this.list.map((run) => [
        run.name,
        Object.fromEntries(Object.entries(run.tags ?? {}).map(([kind, tags]) => [kind, new Set(tags)])),
      ]),
    );
    this.hparamsConfig = body.hparams_config ?? null;
  }

  names() {
    return this.list.map((run) => run.name);
  }

  /** Runs matching the run filter regex and not switched off. */
  visible(state) {
    const regex = safeRegex(state.runFilter);
    const off = new Set(state.off);
    return this.list.filter((run) => !off.has(run.name) && (!regex || regex.test(run.name))).map((run) => run.name);
  }

  hasTag(run, kind, tag) {
    return this.tagSets.get(run)?.[kind]?.has(tag) ?? false;
  }

  /** Sorted union of `kind` tags over `runs`, filtered by the tag regex. */
  tags(kind, runs, tagFilter) {
    const regex = safeRegex(tagFilter);
    const all = new Set();
    for (const run of runs) for (const tag of this.tagSets.get(run)?.[kind] ?? []) all.add(tag);
    return [...all].filter((tag) => !regex || regex.test(tag)).sort();
  }

  hparamNames() {
    const names = new Set();
    for (const run of this.list) for (const key of Object.keys(run.hparams ?? {})) names.add(key);
    return [...names].sort();
  }
}

/**
 * Group key of a run name under a grouping spec: `hp:NAME` groups by an hparam value,
 * `re:PATTERN` by a regex over names (its capture groups joined, or else the name with
 * every match removed, so `re:_seed\d+` puts `lr0.1_seed1` and `lr0.1_seed2` together).
 */
export function groupKey(spec, run, runInfo) {
  if (spec.startsWith('hp:')) {
    const name = spec.slice(3);
    const hparams = runInfo?.hparams;
    const value = hparams && Object.hasOwn(hparams, name) ? hparams[name] : undefined;
    return `${name}=${value === undefined ? '(none)' : value}`;
  }
  if (spec.startsWith('re:')) {
    const regex = safeRegex(spec.slice(3));
    if (!regex) return run;
    const match = run.match(regex);
    if (!match) return run;
    if (match.length > 1) return match.slice(1).map((g) => g ?? '').join('/');
    return run.replace(new RegExp(regex.source, 'gi'), '') || run;
  }
  return run;
}

/** [{key, members}] for `runs` under `spec`, or null when grouping is off. */
export function groupRuns(spec, runs, index) {
  if (!spec) return null;
  const groups = new Map();
  for (const run of runs) {
    const key = groupKey(spec, run, index.byName.get(run));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  return [...groups].map(([key, members]) => ({ key, members }));
}
