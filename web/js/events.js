// SPDX-License-Identifier: Apache-2.0
// The live event stream (GET /api/v1/events, Server-Sent Events): request, decision,
// job, queue, images and deleted events. The browser reconnects by itself; after a reconnect the
// modules resynchronise (events sent while disconnected are gone).

const TYPES = ['request', 'decision', 'job', 'queue', 'images', 'deleted'];
const handlers = { request: [], decision: [], job: [], queue: [], images: [], deleted: [], open: [], down: [] };

/** on('request' | 'decision' | 'job' | 'queue' | 'images' | 'deleted', fn(data)); on('open', fn(isReconnect)); on('down', fn()). */
export function on(type, fn) {
  handlers[type].push(fn);
}

function emit(type, arg) {
  for (const fn of handlers[type]) {
    try {
      fn(arg);
    } catch (e) {
      console.error(`ebb: ${type} handler failed`, e);
    }
  }
}

let source = null;
let everOpened = false;

export function connect() {
  if (source) source.close();
  source = new EventSource('/api/v1/events', { withCredentials: true });
  source.addEventListener('open', () => {
    setStatus('live', 'live');
    emit('open', everOpened);
    everOpened = true;
  });
  source.addEventListener('error', () => {
    // CONNECTING: the browser retries; CLOSED: it gave up (e.g. 401/404), retry ourselves.
    setStatus('down', 'reconnecting…');
    emit('down');
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
  });
  for (const type of TYPES) {
    source.addEventListener(type, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      emit(type, data);
    });
  }
}

/** True while the stream is open (not reconnecting). */
export function isLive() {
  return source !== null && source.readyState === EventSource.OPEN;
}

function setStatus(state, text) {
  const el = document.getElementById('live');
  if (!el) return;
  el.dataset.state = state;
  el.querySelector('.live-text').textContent = text;
  el.title = state === 'live' ? 'Live updates connected' : 'Live updates disconnected; retrying';
}
