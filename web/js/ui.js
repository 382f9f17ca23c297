// SPDX-License-Identifier: Apache-2.0
// Small DOM and formatting helpers shared by the UI modules.

/**
 * Creates an element: h('div', {class: 'x', onclick: fn}, child, 'text', ...).
 * Text is always set as text (never parsed as HTML).
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** "850 ms", "2.4 s", "1 min 05 s". */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60000);
  const s = Math.round((ms % 60000) / 1000);
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** "just now", "2 minutes ago", "3 hours ago", "yesterday", "5 days ago". */
export function relativeTime(when, now = Date.now()) {
  const t = typeof when === 'number' ? when : Date.parse(when);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} seconds ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : `${m} minutes ago`;
  const hr = Math.floor(m / 60);
  if (hr < 24) return hr === 1 ? 'an hour ago' : `${hr} hours ago`;
  const d = Math.floor(hr / 24);
  return d === 1 ? 'yesterday' : `${d} days ago`;
}

export function clockTime(when) {
  const t = typeof when === 'number' ? new Date(when) : new Date(Date.parse(when));
  if (Number.isNaN(t.getTime())) return '';
  return t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The timings of a request or image as short labelled parts. */
export function timingParts(t) {
  if (!t) return [];
  const parts = [
    ['queue', t.queue_wait_ms],
    ['load', t.model_load_ms],
    ['inference', t.inference_ms],
    ['upload', t.upload_ms],
  ];
  return parts.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${formatMs(v)}`);
}

let toastTimer = null;
/** A short message at the bottom of the screen; kind: info|success|error. */
export function toast(message, kind = 'info') {
  const box = $('#toasts');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(item);
  requestAnimationFrame(() => item.classList.add('shown'));
  setTimeout(() => {
    item.classList.remove('shown');
    setTimeout(() => item.remove(), 300);
  }, kind === 'error' ? 6000 : 3500);
  clearTimeout(toastTimer);
}

/** Calls fn every second while the page is visible (relative times, chart time axis). */
const tickers = new Set();
export function everySecond(fn) {
  tickers.add(fn);
}
setInterval(() => {
  if (document.hidden) return;
  const now = Date.now();
  tickers.forEach((fn) => fn(now));
}, 1000);
