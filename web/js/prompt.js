// SPDX-License-Identifier: Apache-2.0
// The prompt form: validates what it can, submits POST /api/v1/requests, shows the
// API's 400 {error, field} next to the field, resets and refocuses after a submit.
import { api } from './api.js';
import { $, plural, toast } from './ui.js';

const OPTIONAL_NUMBERS = ['seed', 'steps', 'width', 'height'];

/** onQueued(ids, body) is called with the new request ids. */
export function initPromptForm(onQueued) {
  const form = $('#prompt-form');
  const count = $('#count');
  const parallel = $('#parallel');
  const button = $('#generate');

  const updateHint = () => {
    const n = Number(count.value);
    $('#count-out').value = String(n);
    $('#parallel-hint').textContent = parallel.checked
      ? `${plural(n, 'request')} of 1 image, spread over jobs`
      : `1 request of ${plural(n, 'image')}, in one job`;
  };
  count.addEventListener('input', updateHint);
  parallel.addEventListener('change', updateHint);
  updateHint();

  form.addEventListener('input', (e) => clearError(form, e.target.name));
  showExamples(form);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = readForm(form);
    if (!body.prompt) return showError(form, 'prompt', 'Write a prompt first.');
    button.disabled = true;
    button.classList.add('busy');
    try {
      const res = await api.submit(body);
      const ids = (res && res.ids) || [];
      onQueued(ids, body);
      toast(`Queued ${plural(ids.length, 'request')}`, 'success');
      form.prompt.value = '';
      count.value = '1';
      updateHint();
      form.prompt.focus();
    } catch (err) {
      showError(form, err.field || '', err.message || String(err));
    } finally {
      button.disabled = false;
      button.classList.remove('busy');
    }
  });
}

// The model's example prompts (GET /api/v1/model) as buttons that fill the
// prompt: the bundled model knows only coloured shapes, so say what it knows.
async function showExamples(form) {
  let info;
  try {
    info = await api.model();
  } catch {
    return; // an older `ebb up`, or signed out: no suggestions
  }
  const prompts = (info && info.example_prompts) || [];
  if (prompts.length === 0) return;
  const box = $('#examples');
  $('#examples-model').textContent = info.model;
  for (const text of prompts) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'example';
    b.textContent = text;
    b.addEventListener('click', () => {
      form.prompt.value = text;
      clearError(form, 'prompt');
      form.prompt.focus();
    });
    box.appendChild(b);
  }
  form.prompt.placeholder = prompts[0];
  box.hidden = false;
}

function readForm(form) {
  const body = {
    prompt: form.prompt.value.trim(),
    count: Number(form.count.value),
    parallel: form.parallel.checked,
  };
  const neg = form.negative_prompt.value.trim();
  if (neg) body.negative_prompt = neg;
  for (const name of OPTIONAL_NUMBERS) {
    const v = form[name].value.trim();
    // Sent as typed: the API's validation message is clearer than a silent coercion.
    if (v !== '') body[name] = Number(v);
  }
  return body;
}

function showError(form, field, message) {
  const input = field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
  const slot = input ? form.querySelector(`.error[data-for="${CSS.escape(field)}"]`) : null;
  const target = slot || form.querySelector('.form-error');
  target.textContent = message;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    const details = input.closest('details');
    if (details) details.open = true;
    input.focus();
  }
}

function clearError(form, field) {
  if (!field) return;
  const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
  if (input) input.removeAttribute('aria-invalid');
  const slot = form.querySelector(`.error[data-for="${CSS.escape(field)}"]`);
  if (slot) slot.textContent = '';
  form.querySelector('.form-error').textContent = '';
}

function clearErrors(form) {
  form.querySelectorAll('.error').forEach((el) => (el.textContent = ''));
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}
