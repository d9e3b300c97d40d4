// Rows and columns of the runs comparison table, derived from /api/runs and /api/hparams.
import { meanStd } from '../stats.js';

export const STATS = ['last', 'min', 'max'];

/** One row per run: fixed fields, hparams and per-tag metric summaries. Runs that only hold
 * a session's metric values (`<run>/<group>`, folded into that run's row by the server) have
 * no row of their own. */
export function buildRows(index, hparamsBody) {
  const metricsByRun = new Map((hparamsBody?.runs ?? []).map((r) => [r.run, r]));
  const folded = new Set(hparamsBody?.folded_runs ?? []);
  return index.list.filter((run) => !folded.has(run.name)).map((run) => {
    const extra = metricsByRun.get(run.name);
    return {
      name: run.name,
      start: run.first_wall_time,
      duration: run.last_wall_time != null && run.first_wall_time != null ? run.last_wall_time - run.first_wall_time : null,
      last_step: run.last_step,
      hparams: extra?.hparams ?? run.hparams ?? {},
      metrics: extra?.metrics ?? {},
    };
  });
}

/** Column descriptors: {id, label, kind: 'fixed'|'hparam'|'metric', get(row)}. */
export function buildColumns(rows, tagFilter) {
  const hparams = new Set();
  const tags = new Set();
  for (const row of rows) {
    for (const key of Object.keys(row.hparams)) hparams.add(key);
    for (const key of Object.keys(row.metrics)) tags.add(key);
  }
  const columns = [
    { id: 'name', label: 'run', kind: 'fixed', get: (r) => r.name },
    { id: 'start', label: 'start', kind: 'fixed', get: (r) => r.start },
    { id: 'duration', label: 'duration', kind: 'fixed', get: (r) => r.duration },
    { id: 'last_step', label: 'last step', kind: 'fixed', get: (r) => r.last_step },
  ];
  for (const name of [...hparams].sort()) columns.push({ id: name, label: name, kind: 'hparam', get: (r) => (Object.hasOwn(r.hparams, name) ? r.hparams[name] : undefined) });
  const tagRegex = safeTagRegex(tagFilter);
  for (const tag of [...tags].sort()) {
    if (tagRegex && !tagRegex.test(tag)) continue;
    for (const stat of STATS) columns.push({ id: `${tag}.${stat}`, label: `${tag}.${stat}`, kind: 'metric', get: (r) => (Object.hasOwn(r.metrics, tag) ? r.metrics[tag][stat] : undefined) });
  }
  return columns;
}

function safeTagRegex(pattern) {
  if (!pattern) return null;
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return null;
  }
}

/** Value of a name used in a filter expression for `row`. */
export function lookupIn(row, name) {
  if (name === 'name' || name === 'run') return row.name;
  if (name === 'start' || name === 'duration' || name === 'last_step') return row[name];
  if (Object.hasOwn(row.hparams, name)) return row.hparams[name];
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const tag = name.slice(0, dot);
    const stat = name.slice(dot + 1);
    if (Object.hasOwn(row.metrics, tag) && ['last', 'min', 'max', 'step'].includes(stat)) return row.metrics[tag][stat];
  }
  if (Object.hasOwn(row.metrics, name)) return row.metrics[name].last;
  return undefined;
}

/** Every name a filter may use, for "unknown name" messages. */
export function knownNames(rows) {
  const names = new Set(['name', 'run', 'start', 'duration', 'last_step']);
  for (const row of rows) {
    for (const key of Object.keys(row.hparams)) names.add(key);
    for (const key of Object.keys(row.metrics)) {
      names.add(key);
      for (const stat of [...STATS, 'step']) names.add(`${key}.${stat}`);
    }
  }
  return names;
}

/** A group's table row: numeric columns as {mean, std}, others the common value or 'mixed'. */
export function groupRow(key, members, columns) {
  const cells = new Map(); // column id -> cell (ids are hparam and tag names: `__proto__` too)
  for (const column of columns) {
    if (column.id === 'name') continue;
    const values = members.map((m) => column.get(m));
    const numeric = values.filter((v) => typeof v === 'number');
    if (numeric.length && numeric.length === values.filter((v) => v != null).length) {
      cells.set(column.id, meanStd(numeric));
    } else {
      const distinct = new Set(values.map((v) => String(v)));
      cells.set(column.id, distinct.size === 1 ? values[0] : 'mixed');
    }
  }
  return { key, members, cells };
}

export function toCsv(columns, rows) {
  const quote = (v) => {
    const s = v == null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map((c) => quote(c.label)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => quote(c.get(row))).join(','));
  return `${lines.join('\n')}\n`;
}
