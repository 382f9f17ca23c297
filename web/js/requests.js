// SPDX-License-Identifier: Apache-2.0
// "Requests": everyone's requests (this browser's, `ebb submit`'s, other producers'),
// newest first, from GET /api/v1/requests with the status and text filters, kept live
// by `request`, `images` and `deleted` events: an event about a request not shown reads
// the list's first page again (debounced; the list never answers 404 for a request the
// server cannot see yet, e.g. one queued on RabbitMQ by someone else); a finished
// request is read once more for its timings and images. Never polled.
import { api } from './api.js';
import { $, everySecond } from './ui.js';
import { renderRequest } from './request_item.js';

const PAGE = 20;
const FINAL = new Set(['done', 'failed', 'cancelled', 'deleted']);
const RANK = { queued: 0, running: 1, done: 2, failed: 2, cancelled: 2, deleted: 3 };

const requests = new Map(); // id -> request as in docs/api.md, plus history/submittedAt
const early = new Map(); // the latest event of ids being read for the first time
let reloadTimer = null;
const filter = { status: '', q: '' };
let next = null; // the list's cursor, or null when everything matching is shown
let shown = PAGE; // how many rows the list asked for (when the API gives no cursor)
let hooks = { finished: () => {}, changed: () => {} };
let listGeneration = 0;

/** hooks.finished(r): a request reached a final status; hooks.changed(): anything changed. */
export function initRequests(h) {
  hooks = { ...hooks, ...h };
  $('#requests-filter').addEventListener('submit', (e) => e.preventDefault());
  $('#requests-status').addEventListener('change', () => setFilter({ status: $('#requests-status').value }));
  let typing = null;
  $('#requests-q').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => setFilter({ q: $('#requests-q').value.trim() }), 250);
  });
  $('#requests-more').addEventListener('click', loadMore);
  everySecond(() => {
    for (const r of requests.values()) if (!FINAL.has(r.status)) renderOne(r);
  });
  return reload();
}

/** Every request known to the page (for the gallery's actions and the tests). */
export function knownRequest(id) {
  return requests.get(id);
}

function setFilter(f) {
  Object.assign(filter, f);
  shown = PAGE;
  reload();
}

function matches(r) {
  if (filter.status && !filter.status.split(',').includes(r.status)) return false;
  if (filter.q && !String(r.prompt || '').toLowerCase().includes(filter.q.toLowerCase())) return false;
  return r.status !== 'deleted';
}

/** Reads the first page again (load, filter change, reconnect). */
export async function reload() {
  const generation = ++listGeneration;
  try {
    const res = await api.requests({ status: filter.status, q: filter.q, limit: shown });
    if (generation !== listGeneration) return;
    const fresh = new Map();
    for (const got of res.requests || []) {
      const r = merge(requests.get(got.id), got);
      if (matches(r)) fresh.set(r.id, r);
    }
    // Keep what events brought in while the read was in flight.
    for (const [id, r] of requests) if (!fresh.has(id) && matches(r) && isRecent(r)) fresh.set(id, r);
    // The list is newer than the events that made us read it.
    for (const id of fresh.keys()) early.delete(id);
    requests.clear();
    for (const [id, r] of fresh) requests.set(id, r);
    next = res.next || ((res.requests || []).length >= shown ? 'more' : null);
    $('#requests-error').hidden = true;
  } catch (err) {
    if (generation !== listGeneration) return;
    $('#requests-error').hidden = err.status === 401;
    $('#requests-error').textContent = `Cannot list requests: ${err.message}`;
  }
  render();
}

// Brought by an event after the list was read: newer than anything on the first page.
const isRecent = (r) => r.live === true;

async function loadMore() {
  if (!next) return;
  const button = $('#requests-more');
  button.disabled = true;
  try {
    if (next !== 'more') {
      const res = await api.requests({ status: filter.status, q: filter.q, limit: PAGE, before: next });
      for (const got of res.requests || []) {
        const r = merge(requests.get(got.id), got);
        if (matches(r)) requests.set(r.id, r);
      }
      next = res.next || null;
      render();
    } else {
      shown += PAGE;
      await reload();
    }
  } finally {
    button.disabled = false;
  }
}

/**
 * The queue moved (a `queue` event): reads the queued requests shown again for their
 * wait estimates (at most 10, at most every 2 s; estimates are not in every event).
 */
let estimatesAt = 0;
let estimatesTimer = null;
export function refreshEstimates() {
  if (estimatesTimer) return;
  const wait = Math.max(0, estimatesAt + 2000 - Date.now());
  estimatesTimer = setTimeout(() => {
    estimatesTimer = null;
    estimatesAt = Date.now();
    if (!sorted().some((r) => r.status === 'queued')) return;
    // One list read (never a 404 for a request the server cannot see, unlike GET {id}).
    api.requests({ status: 'queued', limit: 50 }).then((res) => {
      for (const got of res.requests || []) {
        const r = requests.get(got.id);
        if (r && r.status === 'queued') {
          r.estimate = got.estimate;
          renderOne(r);
        }
      }
    }, () => {});
  }, wait);
}

/** The ids the API returned for one form submitted on this page. */
export function addRequests(ids, body) {
  const now = Date.now();
  ids.forEach((id, i) => {
    const r = requests.get(id) || { id, status: 'queued', history: [] };
    Object.assign(r, {
      prompt: r.prompt ?? body.prompt,
      count: r.count ?? (body.parallel ? 1 : body.count),
      seed: r.seed ?? body.seed,
      submittedAt: now + i,
      created_at: r.created_at || new Date(now + i).toISOString(),
      mine: true,
      live: true,
    });
    if (!r.history.length || r.history[0].status !== 'queued') r.history.unshift({ status: 'queued', t: now });
    requests.set(id, r);
    const ev = early.get(id);
    if (ev) {
      early.delete(id);
      applyEvent(r, ev);
    }
  });
  render();
  refreshEstimates();
}

/** A `request` event: {id, status, attempt, error?, progress?, estimate?}. */
export function handleRequestEvent(ev) {
  if (!ev || !ev.id) return;
  const r = requests.get(ev.id);
  if (r) {
    applyEvent(r, ev);
    if (!matches(r)) requests.delete(r.id);
    render();
    return;
  }
  // Someone else's request (or one the POST has not answered yet): read the list again.
  early.set(ev.id, ev);
  if (early.size > 500) early.delete(early.keys().next().value);
  if (ev.status !== 'deleted') scheduleReload();
}

function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(reload, 300);
}

/** A `deleted` event {id}: the request and its images are gone. */
export function handleDeletedEvent(ev) {
  if (!ev || !ev.id) return;
  const r = requests.get(ev.id);
  if (r) {
    setStatus(r, 'deleted', Date.now());
    requests.delete(ev.id);
    render();
  }
}

/** An `images` event {id, images}: the request's images are stored. */
export function handleImagesEvent(ev) {
  if (!ev || !ev.id) return;
  const r = requests.get(ev.id);
  if (r) refresh(r.id);
  else scheduleReload();
}

/** Starts showing a request this page did not list (a replayed dead letter). */
export function trackRequest(id) {
  if (requests.has(id)) refresh(id);
  else readNew(id);
}

/** After the event stream reconnects: events may have been missed. */
export function resyncRequests() {
  return reload();
}

/** The page's own view of a request changed (cancel/delete answered). */
export function updateRequest(id, fields) {
  const r = requests.get(id);
  if (!r) return;
  if (fields.status) setStatus(r, fields.status, Date.now());
  if (!matches(r)) requests.delete(id);
  render();
}

// A request the page did not list, that the server knows (a replayed dead letter).
async function readNew(id) {
  try {
    const got = await api.request(id);
    const r = merge(requests.get(id), got);
    r.live = true;
    const ev = early.get(id);
    early.delete(id);
    if (ev) applyEvent(r, ev);
    if (matches(r)) {
      requests.set(id, r);
      render();
      hooks.changed();
    }
  } catch {
    /* deleted meanwhile, or ebb up went away (the stale banner says so) */
  }
}

function applyEvent(r, ev) {
  const was = r.status;
  if (ev.attempt && ev.attempt > (r.attempt || 1) && FINAL.has(r.status)) r.status = 'queued'; // retried
  setStatus(r, ev.status, Date.now());
  if (ev.attempt) r.attempt = ev.attempt;
  if (ev.error !== undefined) r.error = ev.error;
  r.progress = r.status === 'running' ? ev.progress ?? r.progress : undefined;
  r.estimate = r.status === 'queued' ? ev.estimate ?? r.estimate : undefined;
  if (FINAL.has(r.status) && r.status !== was) {
    // One read for the timings, images and error of the finished request.
    refresh(r.id).then(() => hooks.finished(r));
  }
}

function setStatus(r, status, t) {
  if (!status || status === r.status) return;
  r.status = status;
  const last = r.history[r.history.length - 1];
  if (!last || last.status !== status) r.history.push({ status, t });
}

/** Merges a GET reply into what the page knows (older replies never undo newer events). */
function merge(r, got) {
  r = r || { id: got.id, history: [{ status: got.status, t: Date.now() }], status: got.status };
  const newer = (got.attempt || 1) > (r.attempt || 1) || (RANK[got.status] ?? 0) >= (RANK[r.status] ?? 0);
  for (const k of ['prompt', 'count', 'seed', 'timings', 'images', 'created_at', 'updated_at', 'download']) {
    if (got[k] !== undefined && got[k] !== null) r[k] = got[k];
  }
  if (newer) {
    if (got.attempt) r.attempt = got.attempt;
    if ('error' in got) r.error = got.error;
    r.status = got.status;
    r.progress = got.progress;
    r.estimate = got.estimate;
    const last = r.history[r.history.length - 1];
    if (last && last.status !== got.status) r.history.push({ status: got.status, t: Date.now() });
  }
  return r;
}

async function refresh(id) {
  const r = requests.get(id);
  if (!r) return;
  try {
    merge(r, await api.request(id));
  } catch (err) {
    // 404 for a finished request: its record is gone (one still queued on RabbitMQ
    // may have no record yet, and stays as it was).
    if (err.status === 404 && FINAL.has(r.status)) {
      r.status = 'unknown';
      r.error = 'no longer known to ebb (its record was removed)';
    }
  }
  renderOne(r);
}

const sorted = () =>
  [...requests.values()].sort((a, b) => (Date.parse(b.created_at) || b.submittedAt || 0) - (Date.parse(a.created_at) || a.submittedAt || 0));

/** Draws the list again (e.g. when the page turns stale or live). */
export function renderRequests() {
  render();
}

function render() {
  const list = $('#requests');
  const items = sorted();
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  list.replaceChildren(...items.map((r) => existing.get(r.id) || Object.assign(document.createElement('li'), {
    className: 'request', id: `req-${r.id}`,
  })));
  items.forEach(renderOne);
  const filtered = filter.status || filter.q;
  $('#requests-empty').hidden = items.length > 0;
  $('#requests-empty').textContent = filtered
    ? 'No request matches these filters.'
    : 'No requests yet. Prompts from this page, `ebb submit` and other producers appear here, live.';
  $('#requests-more').hidden = !next;
  hooks.changed();
}

function renderOne(r) {
  const li = document.getElementById(`req-${r.id}`);
  if (li) renderRequest(li, r);
}
