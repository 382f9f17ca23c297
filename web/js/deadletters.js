// SPDX-License-Identifier: Apache-2.0
// Failed requests: the dead-letter queue (GET /api/v1/dead-letters) with a Retry
// button each (POST /api/v1/dead-letters/{id}/replay).
import { api } from './api.js';
import { $, h, toast } from './ui.js';

let onReplayed = () => {};
let loading = null;

export function initDeadLetters(replayed) {
  onReplayed = replayed;
  $('#dead-refresh').addEventListener('click', refreshDeadLetters);
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
    return h('li', { class: 'dead', dataset: { id: d.id } },
      h('div', { class: 'dead-body' },
        h('p', { class: 'request-prompt' }, prompt || '(no prompt)'),
        h('p', { class: 'request-error' }, d.reason || 'failed'),
        h('p', { class: 'muted small' }, `attempt ${d.attempt ?? '?'} · `, h('code', {}, String(d.id).slice(0, 8)))),
      button);
  }));
}
