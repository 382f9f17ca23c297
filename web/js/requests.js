// SPDX-License-Identifier: Apache-2.0
// "Your requests": the requests submitted from this browser, with live status from
// `request` events (one GET per request on load, and once more when one finishes to
// read its timings and images; never polled).
import { api } from './api.js';
import { $, clockTime, formatMs, h, plural, relativeTime, timingParts, everySecond } from './ui.js';
import { loadTracked, saveTracked } from './store.js';
import { openLightbox } from './gallery.js';

const FINAL = new Set(['done', 'failed']);
const RANK = { queued: 0, running: 1, done: 2, failed: 2 };
const LABEL = { queued: 'queued', running: 'running', done: 'done', failed: 'failed', unknown: 'unknown' };

const requests = new Map(); // id -> state, insertion order = newest first after sort
const early = new Map(); // events for ids not yet known (arrived before the POST replied)
let onFinished = () => {};

export function initRequests(finished) {
  onFinished = finished;
  for (const r of loadTracked()) {
    requests.set(r.id, { ...r, status: 'unknown', history: [] });
  }
  $('#requests-clear').addEventListener('click', clearFinished);
  render();
  for (const id of requests.keys()) refresh(id, true);
  everySecond(() => {
    for (const r of requests.values()) if (!FINAL.has(r.status)) renderOne(r);
  });
}

/** The ids the API returned for one submitted form. */
export function addRequests(ids, body) {
  const now = Date.now();
  ids.forEach((id, i) => {
    if (requests.has(id)) return;
    const r = {
      id,
      prompt: body.prompt,
      count: body.parallel ? 1 : body.count,
      submittedAt: now + i, // keeps submission order stable
      status: 'queued',
      attempt: 1,
      history: [{ status: 'queued', t: now }],
    };
    requests.set(id, r);
    const ev = early.get(id);
    if (ev) {
      early.delete(id);
      applyEvent(r, ev);
    }
  });
  persist();
  render();
}

/** A `request` event: {id, status, attempt, error?}. */
export function handleRequestEvent(ev) {
  if (!ev || !ev.id) return;
  const r = requests.get(ev.id);
  if (!r) {
    early.set(ev.id, ev);
    if (early.size > 200) early.delete(early.keys().next().value);
    return;
  }
  applyEvent(r, ev);
  renderOne(r);
}

/** After the event stream reconnects: events may have been missed. */
export function resyncRequests() {
  for (const r of requests.values()) if (!FINAL.has(r.status)) refresh(r.id, false);
}

/** Starts tracking a request this browser did not submit (a replayed dead letter). */
export function trackRequest(id, prompt) {
  if (!requests.has(id)) {
    requests.set(id, { id, prompt, submittedAt: Date.now(), status: 'queued', history: [] });
    persist();
    render();
  }
  refresh(id, false);
}

function applyEvent(r, ev) {
  const was = r.status;
  setStatus(r, ev.status, Date.now());
  if (ev.attempt) r.attempt = ev.attempt;
  if (ev.error !== undefined) r.error = ev.error;
  if (FINAL.has(r.status) && r.status !== was) {
    // One read for the timings, images and error of the finished request.
    refresh(r.id, false).then(() => onFinished(r));
  }
}

function setStatus(r, status, t) {
  if (!status || status === r.status) return;
  r.status = status;
  const last = r.history[r.history.length - 1];
  if (!last || last.status !== status) r.history.push({ status, t });
}

async function refresh(id, initial) {
  const r = requests.get(id);
  if (!r) return;
  try {
    const got = await api.request(id);
    const newer =
      initial || r.status === 'unknown' || (got.attempt || 1) > (r.attempt || 1) ||
      (RANK[got.status] ?? 0) >= (RANK[r.status] ?? 0);
    Object.assign(r, {
      prompt: got.prompt ?? r.prompt,
      count: got.count ?? r.count,
      timings: got.timings || r.timings,
      images: got.images || r.images,
      created_at: got.created_at,
      updated_at: got.updated_at,
    });
    if (newer) {
      if (got.attempt) r.attempt = got.attempt;
      if ('error' in got) r.error = got.error;
      setStatus(r, got.status, initial ? Date.parse(got.updated_at) || Date.now() : Date.now());
    }
  } catch (err) {
    if (err.status === 404) {
      r.status = 'unknown';
      r.error = 'no longer known to ebb (its record was removed)';
    }
  }
  renderOne(r);
}

function clearFinished() {
  for (const [id, r] of requests) if (FINAL.has(r.status) || r.status === 'unknown') requests.delete(id);
  persist();
  render();
}

function persist() {
  saveTracked(sorted());
}

const sorted = () => [...requests.values()].sort((a, b) => (b.submittedAt || 0) - (a.submittedAt || 0));

function render() {
  const list = $('#requests');
  const items = sorted();
  list.replaceChildren(...items.map((r) => h('li', { class: 'request', id: `req-${r.id}` })));
  items.forEach(renderOne);
  $('#requests-empty').hidden = items.length > 0;
  $('#requests-clear').hidden = !items.some((r) => FINAL.has(r.status) || r.status === 'unknown');
}

function renderOne(r) {
  const li = document.getElementById(`req-${r.id}`);
  if (!li) return;
  li.dataset.status = r.status;
  li.dataset.id = r.id;
  li.dataset.history = r.history.map((x) => x.status).join(' ');
  const now = Date.now();
  const since = r.created_at ? Date.parse(r.created_at) : r.submittedAt;
  const images = (r.images || []).map((url, i) =>
    h('button', {
      type: 'button', class: 'thumb-btn', 'aria-label': `Open image ${i + 1} of "${r.prompt}"`,
      onclick: () => openLightbox({ url, prompt: r.prompt, timings: r.timings, created_at: r.updated_at }),
    }, h('img', { src: url, alt: '', loading: 'lazy', width: 56, height: 56 })));
  const timeline = r.history.map((x, i) =>
    h('span', { class: `step step-${x.status}` }, x.status,
      i > 0 ? h('small', {}, ` +${formatMs(x.t - r.history[0].t)}`) : null));
  const active = !FINAL.has(r.status) && r.status !== 'unknown';
  li.replaceChildren(
    h('div', { class: 'request-visual' }, images.length ? images
      : h('span', { class: `placeholder${active ? ' spinner' : ''}`, 'aria-hidden': 'true' }, active ? '' : r.status === 'failed' ? '!' : '?')),
    h('div', { class: 'request-body' },
      h('div', { class: 'request-top' },
        h('span', { class: 'request-prompt', title: r.prompt || '' }, r.prompt || '(prompt unknown)'),
        h('span', { class: `pill pill-${r.status}` }, LABEL[r.status] || r.status)),
      h('div', { class: 'request-meta muted' },
        [r.count ? plural(r.count, 'image') : null,
          active ? `waiting ${formatMs(now - since)}` : `submitted ${relativeTime(since, now)}`,
          (r.attempt || 1) > 1 ? `attempt ${r.attempt}` : null,
          h('code', { title: 'request id' }, r.id.slice(0, 8))].filter(Boolean)
          .flatMap((x, i) => (i ? [' · ', x] : [x]))),
      timeline.length > 1 ? h('div', { class: 'timeline', 'aria-label': 'status history' }, timeline) : null,
      r.status === 'done' && r.timings
        ? h('div', { class: 'timings' }, timingParts(r.timings).map((p) => h('span', {}, p)))
        : null,
      r.error ? h('div', { class: 'request-error', role: 'note' }, r.error) : null,
      r.status === 'done' && r.updated_at ? h('div', { class: 'muted small' }, `finished at ${clockTime(r.updated_at)}`) : null));
  $('#requests-clear').hidden = ![...requests.values()].some((x) => FINAL.has(x.status) || x.status === 'unknown');
}
