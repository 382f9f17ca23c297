// SPDX-License-Identifier: Apache-2.0
// What a user can do with a request or an image: cancel (POST .../cancel), delete
// (DELETE /api/v1/requests/{id}: its images and record, S3 too), download under a
// meaningful name (?download=1, Content-Disposition), generate again, copy the prompt
// and seed. Shared by the request list, the gallery and the lightbox.
import { api } from './api.js';
import { toast } from './ui.js';
import { addRequests, updateRequest } from './requests.js';
import { dropImagesOf } from './gallery.js';

/** The object URL that makes the server answer with Content-Disposition: attachment. */
export function downloadUrl(url) {
  return `${url}${url.includes('?') ? '&' : '?'}download=1`;
}

/** r: {id, prompt}. Marks a queued request cancelled, or stops a running one. */
export async function cancel(r, button) {
  if (button) button.disabled = true;
  try {
    const res = await api.cancel(r.id);
    updateRequest(r.id, { status: res.status || 'cancelled' });
    toast(`Cancelled "${short(r.prompt)}"`, 'success');
  } catch (err) {
    toast(`Cannot cancel: ${err.message}`, 'error');
    if (button) button.disabled = false;
  }
}

/** Deletes a finished request's images and record, after a confirmation. */
export async function remove(r, button) {
  const what = r.images && r.images.length > 1 ? `its ${r.images.length} images` : 'its image';
  if (!window.confirm(`Delete "${short(r.prompt)}" and ${what} for everyone? This cannot be undone.`)) return false;
  if (button) button.disabled = true;
  try {
    await api.remove(r.id);
    dropImagesOf(r.id);
    updateRequest(r.id, { status: 'deleted' });
    toast(`Deleted "${short(r.prompt)}"`, 'success');
    return true;
  } catch (err) {
    toast(`Cannot delete: ${err.message}`, 'error');
    if (button) button.disabled = false;
    return false;
  }
}

/** Submits the same prompt again (same count and size; a new seed, so a new image). */
export async function again(r, button) {
  const body = { prompt: r.prompt, count: r.count || 1, parallel: false };
  if (button) button.disabled = true;
  try {
    const res = await api.submit(body);
    addRequests(res.ids || [], body);
    toast(`Queued "${short(r.prompt)}" again`, 'success');
  } catch (err) {
    toast(`Cannot submit: ${err.message}`, 'error');
  } finally {
    if (button) button.disabled = false;
  }
}

/** The text copied for r: the prompt, and its seed where known. */
export function promptText(r) {
  return r.seed !== undefined && r.seed !== null ? `${r.prompt} (seed ${r.seed})` : r.prompt;
}

/** Copies the prompt (and seed) to the clipboard. */
export async function copy(r) {
  const text = promptText(r);
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (plain http on another host): the old way.
    const area = Object.assign(document.createElement('textarea'), { value: text });
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  document.body.dataset.copied = text;
  toast('Copied the prompt' + (text !== r.prompt ? ' and seed' : ''), 'success');
}

const short = (s) => {
  const t = String(s || '');
  return t.length > 40 ? `${t.slice(0, 39)}…` : t;
};
