// SPDX-License-Identifier: Apache-2.0
// One row of the request list: thumbnails, prompt, status pill, where the request is
// (queued: the wait estimate; running: step k of n), its status history, timings, and
// its actions (cancel, delete, download, generate again, copy prompt and seed).
import { clockTime, formatMs, h, plural, relativeTime, timingParts } from './ui.js';
import { openLightbox } from './gallery.js';
import * as actions from './actions.js';

const FINAL = new Set(['done', 'failed', 'cancelled', 'deleted']);

/** Fills `li` with request `r` (the shape of GET /api/v1/requests/{id}, plus history). */
export function renderRequest(li, r) {
  const stale = document.body.dataset.stale === 'true';
  li.dataset.status = r.status;
  li.dataset.id = r.id;
  li.dataset.history = r.history.map((x) => x.status).join(' ');
  if (r.progress) li.dataset.step = String(r.progress.step);
  else delete li.dataset.step;
  const now = Date.now();
  const since = r.created_at ? Date.parse(r.created_at) : r.submittedAt;
  const active = !FINAL.has(r.status) && r.status !== 'unknown';
  const images = (r.images || []).map((url, i) =>
    h('button', {
      type: 'button', class: 'thumb-btn', 'aria-label': `Open image ${i + 1} of "${r.prompt}"`,
      onclick: () => openLightbox({ url, id: r.id, prompt: r.prompt, seed: r.seed, timings: r.timings, created_at: r.updated_at }),
    }, h('img', { src: url, alt: '', loading: 'lazy', width: 56, height: 56 })));
  const timeline = r.history.map((x, i) =>
    h('span', { class: `step step-${x.status}` }, x.status,
      i > 0 ? h('small', {}, ` +${formatMs(x.t - r.history[0].t)}`) : null));
  li.replaceChildren(
    h('div', { class: 'request-visual' }, images.length ? images
      : h('span', { class: `placeholder${active && !stale ? ' spinner' : ''}`, 'aria-hidden': 'true' },
        active ? '' : r.status === 'failed' ? '!' : r.status === 'cancelled' ? '–' : '?')),
    h('div', { class: 'request-body' },
      h('div', { class: 'request-top' },
        h('span', { class: 'request-prompt', title: r.prompt || '' }, r.prompt || '(prompt unknown)'),
        statusPill(r, active && stale)),
      h('div', { class: 'request-meta muted' },
        [r.count ? plural(r.count, 'image') : null,
          active && !stale ? `submitted ${formatMs(now - since)} ago`
            : `submitted ${relativeTime(since, now)}`,
          (r.attempt || 1) > 1 ? `attempt ${r.attempt}` : null,
          h('code', { title: `request id ${r.id}` }, r.id.slice(0, 8))].filter(Boolean)
          .flatMap((x, i) => (i ? [' · ', x] : [x]))),
      active && !stale ? whereItIs(r) : null,
      timeline.length > 1 ? h('div', { class: 'timeline', 'aria-label': 'status history' }, timeline) : null,
      r.status === 'done' && timingParts(r.timings).length
        ? h('div', { class: 'timings' }, timingParts(r.timings).map((p) => h('span', {}, p)))
        : null,
      r.error && r.status !== 'done' ? h('div', { class: 'request-error', role: 'note' }, r.error) : null,
      r.status === 'done' && r.updated_at ? h('div', { class: 'muted small' }, `finished at ${clockTime(r.updated_at)}`) : null,
      rowActions(r, active, stale)));
}

function statusPill(r, stale) {
  if (stale) {
    return h('span', { class: 'pill pill-stale', title: '`ebb up` is not reachable: this is the last status known' },
      `was ${r.status}`);
  }
  return h('span', { class: `pill pill-${r.status}` }, r.status);
}

/** queued: "about 20 s to wait (3rd in line)"; running: "step 4 of 20" and a bar. */
function whereItIs(r) {
  if (r.status === 'running' && r.progress && r.progress.steps > 0) {
    const { step, steps, image, images } = r.progress;
    const text = `${images > 1 ? `image ${image} of ${images} · ` : ''}step ${step} of ${steps}`;
    return h('div', { class: 'progress-row' },
      h('progress', { class: 'progress', max: steps, value: step, 'aria-label': text }),
      h('span', { class: 'progress-text small' }, text));
  }
  if (r.status === 'queued' && r.estimate) {
    const e = r.estimate;
    const wait = Number.isFinite(e.wait_s)
      ? (e.wait_s < 1 ? 'should start any moment' : `about ${formatMs(e.wait_s * 1000)} to wait`)
      : 'wait not known yet';
    const pos = Number.isFinite(e.position) ? ` · ${ordinal(e.position)} in line` : '';
    return h('div', { class: 'estimate small', title: e.basis ? `Estimate: ${e.basis}` : '' }, `${wait}${pos}`,
      e.basis ? h('span', { class: 'muted' }, ` (${e.basis})`) : null);
  }
  return null;
}

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
  return `${n}${s}`;
}

function rowActions(r, active, stale) {
  const buttons = [];
  if (active && !stale) {
    buttons.push(h('button', { type: 'button', class: 'ghost small act-cancel', onclick: (e) => actions.cancel(r, e.currentTarget) },
      'Cancel'));
  }
  if (r.status === 'done' && (r.images || []).length) {
    for (const [i, url] of r.images.entries()) {
      buttons.push(h('a', {
        class: 'button ghost small act-download', href: actions.downloadUrl(url), download: '',
        title: 'Download the PNG', 'aria-label': `Download image ${i + 1} of "${r.prompt}"`,
      }, r.images.length > 1 ? `Download ${i + 1}` : 'Download'));
    }
  }
  if (r.prompt) {
    buttons.push(h('button', { type: 'button', class: 'ghost small act-again', onclick: (e) => actions.again(r, e.currentTarget) },
      'Generate again'));
    buttons.push(h('button', { type: 'button', class: 'ghost small act-copy', onclick: () => actions.copy(r) },
      r.seed !== undefined && r.seed !== null ? 'Copy prompt and seed' : 'Copy prompt'));
  }
  if (!active && r.status !== 'unknown') {
    buttons.push(h('button', { type: 'button', class: 'ghost small danger act-delete', onclick: (e) => actions.remove(r, e.currentTarget) },
      'Delete'));
  }
  return buttons.length ? h('div', { class: 'request-actions' }, buttons) : null;
}
