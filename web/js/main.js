// SPDX-License-Identifier: Apache-2.0
// Wires the page: the modules' initial reads, then the live event stream.
import { onUnauthorized } from './api.js';
import * as events from './events.js';
import { initPromptForm } from './prompt.js';
import { initRequests, addRequests, handleRequestEvent, resyncRequests, trackRequest } from './requests.js';
import { initGallery, scheduleGalleryRefresh, refreshGallery } from './gallery.js';
import { initAutoscaler, handleDecision, handleJob, handleQueue, resyncAutoscaler } from './autoscaler.js';
import { initDeadLetters, refreshDeadLetters } from './deadletters.js';

onUnauthorized(() => {
  const banner = document.getElementById('signin');
  banner.querySelector('.host').textContent = location.host;
  banner.hidden = false;
});

initPromptForm((ids, body) => addRequests(ids, body));
initRequests((r) => {
  if (r.status === 'done') scheduleGalleryRefresh();
  if (r.status === 'failed') refreshDeadLetters();
});

events.on('request', handleRequestEvent);
events.on('decision', (d) => handleDecision(d));
events.on('job', handleJob);
events.on('queue', handleQueue);
// New images from any source (this page, `ebb submit`, another producer).
events.on('images', () => scheduleGalleryRefresh());
events.on('open', (reconnected) => {
  if (!reconnected) return;
  resyncRequests();
  resyncAutoscaler();
  refreshGallery();
  refreshDeadLetters();
});

// Listen first, then read: nothing that happens during the initial reads is missed.
events.connect();
Promise.allSettled([
  initGallery(),
  initAutoscaler(refreshDeadLetters),
  initDeadLetters((id, prompt) => trackRequest(id, prompt)),
]).then(() => {
  document.body.dataset.ready = 'true';
});
