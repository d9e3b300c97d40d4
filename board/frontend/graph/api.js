// Every /api/graph... request of the graph explorer, in one place.

async function getJSON(path, params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => search.append(key, item));
    else search.set(key, String(value));
  }
  const response = await fetch(`${path}?${search}`);
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.detail) detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(detail);
  }
  return response.json();
}

export const fetchScene = (run, tag, expanded) => getJSON('api/graph', { run, tag, expanded: [...expanded] });
export const fetchNode = (run, name, tag) => getJSON('api/graph/node', { run, name, tag });
export const searchNodes = (run, q) => getJSON('api/graph/search', { run, q, limit: 30 });
export const traceInputs = (run, name, expanded) => getJSON('api/graph/trace', { run, name, expanded: [...expanded] });
export const fetchRuns = () => getJSON('api/runs', {});
