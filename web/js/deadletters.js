// SPDX-License-Identifier: Apache-2.0
// Failed requests: the dead-letter queue (GET /api/v1/dead-letters) with Retry
// and Discard buttons each (POST /api/v1/dead-letters/{id}/replay, .../discard)
// and Discard all (POST /api/v1/dead-letters/purge, after a confirmation).
import { api } from './api.js';
import { $, h, plural, toast } from './ui.js';

let onReplayed = () => {};
let loading = null;

export function initDeadLetters(replayed) {
  onReplayed = replayed;
  $('#dead-refresh').addEventListener('click', refreshDeadLetters);
  $('#dead-purge').addEventListener('click', purge);
  return refreshDeadLetters();
}

export function refreshDeadLetters() {
  if (!loading) loading = load().finally(() => (loading = null));
  return loading;
}

async function load() {
  try {
    const res = await api.deadLetters();
    render(res.deadLetters || []);
  } catch (err) {
    $('#dead-letters').replaceChildren();
    $('#dead-empty').hidden = false;
    $('#dead-empty').textContent = `Cannot list failed requests: ${err.message}`;
  }
}

async function purge() {
  const n = $('#dead-letters').children.length;
  if (!window.confirm(`Discard ${n === 1 ? 'the failed request' : `all ${n} failed requests`} for good? ${n === 1 ? 'It' : 'They'} cannot be retried afterwards.`)) return;
  try {
    const res = await api.purgeDeadLetters();
    toast(`Discarded ${plural(res.discarded, 'failed request')}`, 'success');
  } catch (err) {
    toast(`Discard failed: ${err.message}`, 'error');
  }
  refreshDeadLetters();
}

function promptOf(body) {
  if (body && typeof body === 'object') return body.prompt || '';
  try {
    return JSON.parse(body).prompt || '';
  } catch {
    return '';
  }
}

function render(letters) {
  $('#dead-empty').textContent = 'No failed requests.';
  $('#dead-empty').hidden = letters.length > 0;
  $('#dead-purge').hidden = letters.length === 0;
  $('#dead-letters').replaceChildren(...letters.map((d) => {
    const prompt = promptOf(d.body);
    const button = h('button', { type: 'button', class: 'small' }, 'Retry');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await api.replay(d.id);
        toast(`Retrying "${prompt || d.id}"`, 'success');
        onReplayed(d.id, prompt);
        refreshDeadLetters();
      } catch (err) {
        toast(`Retry failed: ${err.message}`, 'error');
        button.disabled = false;
      }
    });
    const discard = h('button', { type: 'button', class: 'ghost small', title: 'Remove it for good' }, 'Discard');
    discard.addEventListener('click', async () => {
      discard.disabled = true;
      try {
        await api.discard(d.id);
        toast(`Discarded "${prompt || d.id}"`, 'success');
        refreshDeadLetters();
      } catch (err) {
        toast(`Discard failed: ${err.message}`, 'error');
        discard.disabled = false;
      }
    });
    return h('li', { class: 'dead', dataset: { id: d.id } },
      h('div', { class: 'dead-body' },
        h('p', { class: 'request-prompt' }, prompt || '(no prompt)'),
        h('p', { class: 'request-error' }, d.reason || 'failed'),
        h('p', { class: 'muted small' }, `attempt ${d.attempt ?? '?'} · `, h('code', {}, String(d.id).slice(0, 8)))),
      h('div', { class: 'dead-actions' }, button, discard));
  }));
}
