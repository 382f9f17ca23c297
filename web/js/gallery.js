// SPDX-License-Identifier: Apache-2.0
// The gallery (GET /api/v1/images, newest first, "Load more" through the cursor) and
// the lightbox that shows one image full size. Refreshed when a request finishes.
import { api } from './api.js';
import { $, h, plural, relativeTime, timingParts, everySecond } from './ui.js';
import * as actions from './actions.js';

const PAGE = 24;
const images = new Map(); // url -> image, newest first
let next = null;
let refreshTimer = null;

export function initGallery() {
  $('#gallery-more').addEventListener('click', loadMore);
  everySecond((now) => {
    if (now % 15000 < 1000) updateAges(now);
  });
  return refreshGallery();
}

/** Reloads the first page and merges it in front of what is shown (debounced). */
export function scheduleGalleryRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshGallery, 250);
}

/** reset: forget what is shown first (after a reconnect: images may have been deleted). */
export async function refreshGallery(reset = false) {
  try {
    const res = await api.images(PAGE);
    if (reset === true) {
      images.clear();
      next = null;
    }
    const fresh = res.images || [];
    const merged = new Map();
    for (const img of fresh) merged.set(img.url, img);
    for (const [url, img] of images) if (!merged.has(url)) merged.set(url, img);
    images.clear();
    for (const [url, img] of merged) images.set(url, img);
    if (next === null || images.size <= fresh.length) next = res.next || null;
    render();
  } catch (err) {
    $('#gallery-empty').textContent = `The gallery is unavailable: ${err.message}`;
  }
}

/** Removes the images of request `id` (deleted here or by someone else). */
export function dropImagesOf(id) {
  let dropped = 0;
  for (const [url, img] of images) {
    if (img.id === id) {
      images.delete(url);
      dropped++;
    }
  }
  if (dropped) render();
  const box = $('#lightbox');
  if (box.open && box.dataset.id === id) box.close();
}

async function loadMore() {
  if (!next) return;
  const button = $('#gallery-more');
  button.disabled = true;
  try {
    const res = await api.images(PAGE, next);
    for (const img of res.images || []) if (!images.has(img.url)) images.set(img.url, img);
    next = res.next || null;
    render();
  } finally {
    button.disabled = false;
  }
}

function render() {
  const list = $('#gallery');
  const now = Date.now();
  list.replaceChildren(...[...images.values()].map((img) => tile(img, now)));
  $('#gallery-empty').hidden = images.size > 0;
  $('#gallery-more').hidden = !next;
  $('#gallery-count').textContent = images.size ? plural(images.size, 'image') + (next ? '+' : '') : '';
}

function tile(img, now) {
  const size = img.width && img.height ? `${img.width}×${img.height}` : '';
  return h('li', { class: 'tile', dataset: { id: img.id || '' } },
    h('a', {
      href: img.url, target: '_blank', rel: 'noopener',
      'aria-label': `Open "${img.prompt || 'image'}" full size`,
      onclick: (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        openLightbox(img);
      },
    }, h('img', { src: img.url, alt: img.prompt || '', loading: 'lazy', width: img.width || 512, height: img.height || 512 })),
    h('div', { class: 'tile-info' },
      h('p', { class: 'tile-prompt', title: img.prompt || '' }, img.prompt || ''),
      h('p', { class: 'tile-meta muted' },
        h('time', { datetime: img.created_at || '', class: 'age' }, relativeTime(img.created_at, now)),
        [img.model, size].filter(Boolean).map((x) => ` · ${x}`).join('')),
      timingParts(img.timings).length
        ? h('p', { class: 'tile-timings muted' }, timingParts(img.timings).join(' · '))
        : null));
}

function updateAges(now) {
  document.querySelectorAll('#gallery time.age').forEach((t) => {
    t.textContent = relativeTime(t.getAttribute('datetime'), now);
  });
}

const imagesOf = (id) => [...images.values()].filter((x) => x.id === id).map((x) => x.url);

/** Shows one image full size: {url, prompt, model, width, height, seed, created_at, timings}. */
export function openLightbox(img) {
  const box = $('#lightbox');
  $('#lightbox-img').src = img.url;
  $('#lightbox-img').alt = img.prompt || '';
  $('#lightbox-title').textContent = img.prompt || 'Image';
  const size = img.width && img.height ? `${img.width}×${img.height}` : '';
  $('#lightbox-details').textContent = [
    img.model, size, img.seed !== undefined && img.seed !== null ? `seed ${img.seed}` : '',
    relativeTime(img.created_at), ...timingParts(img.timings),
  ].filter(Boolean).join(' · ');
  $('#lightbox-open').href = img.url;
  box.dataset.id = img.id || '';
  const r = { id: img.id, prompt: img.prompt, seed: img.seed, count: 1, images: img.id ? imagesOf(img.id) : [img.url] };
  const download = $('#lightbox-download');
  download.href = actions.downloadUrl(img.url);
  $('#lightbox-actions').replaceChildren(...[
    download,
    img.prompt ? h('button', { type: 'button', class: 'ghost small', onclick: (e) => actions.again(r, e.currentTarget) }, 'Generate again') : null,
    img.prompt ? h('button', { type: 'button', class: 'ghost small', onclick: () => actions.copy(r) },
      img.seed !== undefined && img.seed !== null ? 'Copy prompt and seed' : 'Copy prompt') : null,
    img.id ? h('button', {
      type: 'button', class: 'ghost small danger', id: 'lightbox-delete',
      onclick: async (e) => {
        if (await actions.remove(r, e.currentTarget)) box.close();
      },
    }, 'Delete') : null].filter(Boolean));
  if (typeof box.showModal === 'function') box.showModal();
  else window.open(img.url, '_blank', 'noopener');
}

// A click on the backdrop (outside the dialog's content) closes it.
document.addEventListener('click', (e) => {
  const box = document.getElementById('lightbox');
  if (box && e.target === box) box.close();
});
