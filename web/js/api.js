// SPDX-License-Identifier: Apache-2.0
// The ebb API (docs/api.md) over fetch, authenticated by the cookie that /login sets.
// Writes carry X-Ebb-Csrf: 1 (a form on another site cannot set it).

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

const unauthorizedListeners = new Set();
/** Calls fn() once per 401 reply (the page is not signed in). */
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
}

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers['X-Ebb-Csrf'] = '1';
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'ebb is not reachable (is `ebb up` running?)');
  }
  const type = res.headers.get('Content-Type') || '';
  const payload = type.includes('application/json')
    ? await res.json().catch(() => null)
    : await res.text();
  if (!res.ok) {
    if (res.status === 401) unauthorizedListeners.forEach((fn) => fn());
    const message =
      (payload && payload.error) || (typeof payload === 'string' && payload.trim()) ||
      `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, payload && payload.field);
  }
  return payload;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body),

  submit: (body) => call('POST', '/api/v1/requests', body),
  request: (id) => call('GET', `/api/v1/requests/${encodeURIComponent(id)}`),
  /** Everyone's requests, newest first: {status, q, limit, before} (empty ones left out). */
  requests: (params) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    return call('GET', `/api/v1/requests?${q}`);
  },
  cancel: (id) => call('POST', `/api/v1/requests/${encodeURIComponent(id)}/cancel`),
  remove: (id) => call('DELETE', `/api/v1/requests/${encodeURIComponent(id)}`),
  images: (limit, before) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (before) q.set('before', before);
    return call('GET', `/api/v1/images?${q}`);
  },
  /** The model the jobs serve: {model, bundled, example_prompts}. */
  model: () => call('GET', '/api/v1/model'),
  scaledJobs: () => call('GET', '/api/v1/scaledjobs'),
  scaledJob: (name, limit) =>
    call('GET', `/api/v1/scaledjobs/${encodeURIComponent(name)}?limit=${limit}`),
  jobs: () => call('GET', '/api/v1/jobs'),
  jobLogs: (name) => call('GET', `/api/v1/jobs/${encodeURIComponent(name)}/logs`),
  deadLetters: () => call('GET', '/api/v1/dead-letters'),
  replay: (id) => call('POST', `/api/v1/dead-letters/${encodeURIComponent(id)}/replay`),
  discard: (id) => call('POST', `/api/v1/dead-letters/${encodeURIComponent(id)}/discard`),
  purgeDeadLetters: () => call('POST', '/api/v1/dead-letters/purge'),
};
