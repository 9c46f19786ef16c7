// The JSON API (API.md). Conditional requests make polling an unchanged Play cost a 304.
// Every request carries the viewer's token; a 401 sends the app to the login page.
import { authHeaders, unauthorized } from './session.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * GET a JSON document. With `etag`, an unchanged resource answers {notModified: true}.
 * The browser's own cache is bypassed so that the caller sees every 304 itself.
 */
export async function getJson(path, { etag, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (etag) headers['If-None-Match'] = etag;
  const response = await fetch(path, { headers, cache: 'no-store', signal });
  if (response.status === 304) return { notModified: true, etag };
  if (!response.ok) throw await failure(response);
  return { body: await response.json(), etag: response.headers.get('ETag') };
}

export async function getText(path, { signal } = {}) {
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store', signal });
  if (!response.ok) throw await failure(response);
  return { text: await response.text(), digest: response.headers.get('X-Herologic-Digest') };
}

/**
 * A write: POST/DELETE with a JSON body. The operator makes it with the viewer's own token, so a
 * refusal is the API server's (RBAC, an admission policy, the schema) and its message is thrown.
 */
export async function sendJson(method, path, body) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

async function failure(response) {
  const error = new ApiError(response.status, await errorText(response));
  if (response.status === 401) unauthorized(error.message);
  return error;
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch (e) {
    // not JSON
  }
  return response.status + ' ' + response.statusText;
}

/** What GET /api/v1/session said about this installation (app.js fills it in before any page shows). */
export const installation = { traceUrlTemplate: '' };

export const paths = {
  session: () => '/api/v1/session',
  plays: query => {
    const q = new URLSearchParams(Object.entries(query || {}).filter(([, v]) => v)).toString();
    return '/api/v1/plays' + (q ? '?' + q : '');
  },
  createPlay: ns => `/api/v1/namespaces/${encodeURIComponent(ns)}/plays`,
  cancelPlay: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/plays/${encodeURIComponent(name)}/cancel`,
  playEvents: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/plays/${encodeURIComponent(name)}/events`,
  playLog: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/plays/${encodeURIComponent(name)}/log`,
  play: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/plays/${encodeURIComponent(name)}`,
  workflows: () => '/api/v1/workflows',
  workflowStats: (ns, name, last) => `/api/v1/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(name)}/stats?last=${last}`,
  workflow: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(name)}`,
  version: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/workflowversions/${encodeURIComponent(name)}`,
  source: (ns, name) => `/api/v1/namespaces/${encodeURIComponent(ns)}/workflowversions/${encodeURIComponent(name)}/source`,
};
