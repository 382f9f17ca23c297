// SPDX-License-Identifier: Apache-2.0
// Wires the page: the modules' initial reads, then the live event stream; marks the
// page stale while `ebb up` is unreachable and resynchronises when it is back.
import { onUnauthorized } from './api.js';
import * as events from './events.js';
import { initPromptForm } from './prompt.js';
import {
  initRequests, addRequests, handleRequestEvent, handleDeletedEvent, handleImagesEvent, resyncRequests, trackRequest, renderRequests,
  refreshEstimates,
} from './requests.js';
import { initGallery, scheduleGalleryRefresh, refreshGallery, dropImagesOf } from './gallery.js';
import { initAutoscaler, handleDecision, handleJob, handleQueue, resyncAutoscaler, renderStale } from './autoscaler.js';
import { initDeadLetters, refreshDeadLetters } from './deadletters.js';
import { clockTime } from './ui.js';

// Signed out: one message, and none of the panels (each would repeat the API's 401).
onUnauthorized(() => {
  const banner = document.getElementById('signin');
  banner.querySelector('.host').textContent = location.host;
  banner.hidden = false;
  document.body.dataset.auth = 'out';
  setStale(false);
});

// `ebb up` unreachable: say since when, and show nothing as queued or running.
function setStale(stale) {
  const was = document.body.dataset.stale === 'true';
  if (stale && document.body.dataset.auth === 'out') stale = false;
  if (stale === was) return;
  document.body.dataset.stale = String(stale);
  document.getElementById('stale').hidden = !stale;
  if (stale) document.getElementById('stale-since').textContent = `at ${clockTime(Date.now())}`;
  renderStale();
  renderRequests();
}

initPromptForm((ids, body) => addRequests(ids, body));

events.on('request', handleRequestEvent);
events.on('decision', (d) => handleDecision(d));
events.on('job', handleJob);
events.on('queue', (q) => {
  handleQueue(q);
  refreshEstimates();
});
// New images from any source (this page, `ebb submit`, another producer).
events.on('images', (ev) => {
  handleImagesEvent(ev);
  scheduleGalleryRefresh();
});
events.on('deleted', (ev) => {
  handleDeletedEvent(ev);
  if (ev && ev.id) dropImagesOf(ev.id);
});
events.on('down', () => {
  if (document.body.dataset.ready === 'true') setStale(true);
});
events.on('open', (reconnected) => {
  document.body.dataset.auth = 'in';
  document.getElementById('signin').hidden = true;
  if (!reconnected && document.body.dataset.stale !== 'true') return;
  // Back: read everything again, then clear the stale marks, unless the stream
  // dropped again meanwhile (a server that is shutting down accepts a reconnect,
  // then closes it: the page stays stale).
  Promise.allSettled([resyncRequests(), resyncAutoscaler(), refreshGallery(true), refreshDeadLetters()]).then(() => {
    if (events.isLive()) setStale(false);
  });
});

const decisions = document.getElementById('decisions-box');
decisions.open = window.matchMedia('(min-width: 801px)').matches;

// Listen first, then read: nothing that happens during the initial reads is missed.
events.connect();
Promise.allSettled([
  initRequests({
    finished: (r) => {
      if (r.status === 'done') scheduleGalleryRefresh();
      if (r.status === 'failed') refreshDeadLetters();
    },
  }),
  initGallery(),
  initAutoscaler(refreshDeadLetters),
  initDeadLetters((id) => trackRequest(id)),
]).then(() => {
  document.body.dataset.ready = 'true';
});
