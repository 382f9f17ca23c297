// SPDX-License-Identifier: Apache-2.0
// The requests submitted from this browser, kept in localStorage (ids and prompts only).

const KEY = 'ebb.requests.v1';
const MAX = 50;

export function loadTracked() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list.filter((r) => r && typeof r.id === 'string') : [];
  } catch {
    return [];
  }
}

export function saveTracked(list) {
  try {
    localStorage.setItem(
      KEY,
      JSON.stringify(list.slice(0, MAX).map(({ id, prompt, count, submittedAt }) => ({ id, prompt, count, submittedAt }))),
    );
  } catch {
    /* private mode or quota: tracking lasts for this page only */
  }
}
