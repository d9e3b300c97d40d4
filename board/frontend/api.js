// The HTTP endpoints the UI shares, in one place. See docs/http-api.md for the contract. A kind's
// own endpoints may instead be called from its view module with `getJson` (see views/registry.js).

const BASE = new URL('.', window.location.href);

export class ApiError extends Error {
  constructor(url, status, detail) {
    super(`${status} from ${url}: ${detail}`);
    this.status = status;
  }
}

export function apiUrl(path, params = {}) {
  const url = new URL(path, BASE);
  for (const [key, value] of Object.entries(params)) {
    if (value == null) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
    else url.searchParams.set(key, value);
  }
  return url.toString();
}

/** GET `path` (relative to the board) with query `params` → the parsed JSON; throws ApiError. */
export async function getJson(path, params, init) {
  return (await get(path, params, init)).json();
}

async function get(path, params, init) {
  const url = apiUrl(path, params);
  const response = await fetch(url, init);
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // the body was not JSON; keep the status text
    }
    throw new ApiError(url, response.status, typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
  return response;
}

/**
 * The series of a `format=binary` /api/scalars body (docs/http-api.md): its JSON header's
 * entries, each with `step`, `wall_time` and `value` as Float64Array views of the body (no
 * parsing, no copies; NaN and infinities as sent).
 */
export function readBinaryScalars(buffer) {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'FBS1') throw new Error(`not a binary scalars body (${JSON.stringify(magic)})`);
  const length = new DataView(buffer).getUint32(4, true);
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  let offset = 8 + length;
  const view = (n) => {
    const out = new Float64Array(buffer, offset, n);
    offset += n * 8;
    return out;
  };
  const series = head.series.map(({ n, ...entry }) => ({
    ...entry,
    step: view(n),
    wall_time: view(n),
    value: view(n),
  }));
  if (offset !== buffer.byteLength) throw new Error('binary scalars body of the wrong length');
  return series;
}

// Long run lists are split so no URL grows past what servers accept.
const RUNS_PER_REQUEST = 40;

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** GET /api/runs → {runs: [...], hparams_config}. */
export const fetchRuns = () => getJson('api/runs');

/**
 * GET /api/scalars for one tag and many runs, in its binary form; merges batched requests
 * into one series list (Float64Array columns). Options: maxPoints (0 = full resolution),
 * sinceStep, minStep, maxStep, signal.
 */
export async function fetchScalars(tag, runs, options = {}) {
  const { maxPoints, sinceStep, minStep, maxStep, signal } = options;
  const batches = await Promise.all(
    chunks(runs, RUNS_PER_REQUEST).map(async (batch) => {
      const params = {
        tag,
        run: batch,
        max_points: maxPoints,
        since_step: sinceStep,
        min_step: minStep,
        max_step: maxStep,
        format: 'binary',
      };
      const response = await get('api/scalars', params, { signal });
      return readBinaryScalars(await response.arrayBuffer());
    }),
  );
  return batches.flat();
}

export const scalarsExportUrl = (run, tag, format) =>
  apiUrl('api/scalars/export', { run, tag, format });

/** Every point of `tag` for `runs` (null: every run with the tag) in one file with a run column. */
export const scalarsTagExportUrl = (tag, runs, format) =>
  apiUrl('api/scalars/export_tag', { tag, run: runs ?? undefined, format });

export const fetchHistograms = (run, tag) => getJson('api/histograms', { run, tag });
export const fetchDistributions = (run, tag) => getJson('api/distributions', { run, tag });
export const fetchImages = (run, tag) => getJson('api/images', { run, tag });
export const fetchText = (run, tag) => getJson('api/text', { run, tag });
export const fetchHparams = () => getJson('api/hparams');

/** Resolve an image `url` from /api/images relative to the board. */
export const resourceUrl = (url) => new URL(url, BASE).toString();

/** Server-Sent Events stream of ingest notifications. */
export const openEvents = () => new EventSource(apiUrl('api/events'));
