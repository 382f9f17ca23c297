// SPDX-License-Identifier: Apache-2.0
// The autoscaler's live view: queue and job charts, the decision log and each job's
// state with its logs, from `decision`, `job` and `queue` events plus one initial read
// of /api/v1/scaledjobs and /api/v1/jobs.
import { api } from './api.js';
import { createChart } from './charts.js';
import { $, clockTime, formatMs, h, plural, relativeTime, everySecond } from './ui.js';

const MAX_DECISIONS = 30; // rows of the decision log (repeats are grouped into one row)
const MAX_FINISHED_JOBS = 6;
const FINISHED = new Set(['succeeded', 'failed']);

let selected = null; // the ScaledJob charted (the first one)
let scaledJobs = [];
const jobs = new Map(); // name -> job
let queueChart;
let jobsChart;
let onDeadChanged = () => {};
let lastDead = null;

export async function initAutoscaler(deadChanged) {
  onDeadChanged = deadChanged;
  queueChart = createChart($('#chart-queue'), [{ key: 'queue', cls: 's-queue' }]);
  jobsChart = createChart($('#chart-jobs'), [
    { key: 'max', cls: 's-max', ref: true },
    { key: 'running', cls: 's-running' },
    { key: 'pending', cls: 's-pending' },
  ]);
  everySecond((now) => {
    queueChart.render(now);
    jobsChart.render(now);
    if (now % 5000 < 1000) renderJobs();
  });
  $('#logs-refresh').addEventListener('click', () => loadLogs($('#logs').dataset.job));
  await resyncAutoscaler(true);
}

/** Reads the ScaledJobs (with recent decisions) and the jobs again. */
export async function resyncAutoscaler(initial = false) {
  try {
    const res = await api.scaledJobs();
    scaledJobs = res.scaledJobs || [];
    selected = selected || (scaledJobs[0] && scaledJobs[0].name) || null;
    renderSummary();
    if (initial && selected) {
      const sj = await api.scaledJob(selected, 200);
      const recent = [...(sj.recent || [])].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
      for (const d of recent) handleDecision({ ...d, scaledJob: selected }, true);
    }
  } catch (err) {
    $('#scaledjob-summary').textContent = `autoscaler unavailable: ${err.message}`;
  }
  try {
    const res = await api.jobs();
    const seen = new Set();
    for (const j of res.jobs || []) {
      jobs.set(j.name, j);
      seen.add(j.name);
    }
    // Jobs gone from the list (history cleanup) are kept as finished, marked removed.
    for (const [name, j] of jobs) if (!seen.has(name) && !FINISHED.has(j.state)) jobs.delete(name);
    sampleJobs(Date.now());
    renderJobs();
  } catch {
    /* shown by the summary line */
  }
}

function sjByName(name) {
  return scaledJobs.find((x) => x.name === name);
}

function renderSummary() {
  const sj = sjByName(selected);
  const el = $('#scaledjob-summary');
  if (!sj) {
    el.textContent = 'no ScaledJob';
    return;
  }
  el.replaceChildren(
    h('strong', {}, sj.name),
    ` · ${sj.strategy || 'default'} · ${sj.minReplicaCount ?? 0}–${sj.maxReplicaCount ?? '?'} jobs · every ${sj.pollingInterval ?? '?'} s`,
    sj.paused ? h('span', { class: 'pill pill-failed' }, 'paused') : '',
    scaledJobs.length > 1 ? ` (+${scaledJobs.length - 1} more)` : '');
}

/** A `decision` event: DECISION plus scaledJob. */
export function handleDecision(d, fromHistory = false) {
  if (!d) return;
  const t = Date.parse(d.time) || Date.now();
  if (!d.scaledJob || d.scaledJob === selected || !selected) {
    const sj = sjByName(d.scaledJob || selected);
    queueChart.push(t, { queue: d.queueLength });
    jobsChart.push(t, {
      running: d.runningJobs,
      pending: d.pendingJobs,
      max: sj ? sj.maxReplicaCount : undefined,
    });
  }
  addDecision(d, t);
  if (!fromHistory) {
    queueChart.render(Date.now());
    jobsChart.render(Date.now());
  }
}

/** "created 3 jobs: queue 3, running 1, pending 0, strategy accurate, max 4". */
export function describeDecision(d, sj) {
  const created = d.created ?? 0;
  let head;
  if (d.error) head = 'scaling error';
  else if (created > 0) head = `created ${plural(created, 'job')}`;
  else if ((d.create ?? 0) > 0) head = `wanted ${plural(d.create, 'job')}, created none`;
  else head = 'no new jobs';
  const max = sj && sj.maxReplicaCount !== undefined ? sj.maxReplicaCount : d.maxScale;
  return `${head}: queue ${d.queueLength ?? '?'}, running ${d.runningJobs ?? '?'}, ` +
    `pending ${d.pendingJobs ?? '?'}, strategy ${d.strategy || '?'}, max ${max ?? '?'}`;
}

function addDecision(d, t) {
  const list = $('#decisions');
  const sj = sjByName(d.scaledJob || selected);
  const text = describeDecision(d, sj);
  const quiet = !d.error && !(d.created > 0);
  const cause = d.cause || 'interval';
  // Rows group repeats of the same quiet decision with the same cause: a wake is
  // never counted among interval polls.
  const key = `${d.scaledJob}|${cause}|${text}|${d.reason || ''}`;
  const top = list.firstElementChild;
  if (quiet && top && top.dataset.key === key) {
    // The same idle decision again: count it instead of repeating it.
    const n = Number(top.dataset.repeat || 1) + 1;
    top.dataset.repeat = String(n);
    top.querySelector('.repeat').textContent = `×${n}`;
    top.querySelector('.repeat').title = `${n} ${cause === 'interval' ? 'polls' : `${cause} decisions`} in a row`;
    const first = top.querySelector('time').dataset.first;
    top.querySelector('time').textContent = `${first}–${clockTime(t)}`;
    return;
  }
  const item = h('li', { class: `decision${quiet ? ' quiet' : ''}${d.error ? ' err' : ''}`, dataset: { key, cause } },
    h('div', { class: 'decision-head' },
      h('time', { datetime: new Date(t).toISOString(), dataset: { first: clockTime(t) } }, clockTime(t)),
      h('span', { class: `cause cause-${cause}` }, cause === 'interval' ? 'poll' : cause),
      scaledJobs.length > 1 && d.scaledJob ? h('span', { class: 'muted' }, d.scaledJob) : null,
      h('span', { class: 'repeat muted' })),
    h('p', { class: 'decision-text' }, text),
    d.error ? h('p', { class: 'request-error' }, d.error) : null,
    d.reason ? h('p', { class: 'decision-reason muted' }, d.reason) : null);
  list.prepend(item);
  while (list.children.length > MAX_DECISIONS) list.lastElementChild.remove();
  $('#decisions-count').textContent = `last ${plural(list.children.length, 'row')}`;
}

/** A `job` event: a job object as in /api/v1/jobs. */
export function handleJob(j) {
  if (!j || !j.name) return;
  jobs.set(j.name, { ...(jobs.get(j.name) || {}), ...j });
  sampleJobs(Date.now());
  renderJobs();
  jobsChart.render(Date.now());
}

/** A `queue` event: {queue, ready, leased, dead}. */
export function handleQueue(q) {
  if (!q) return;
  const stats = [
    h('span', { class: 'stat' }, h('b', {}, String(q.ready ?? 0)), ' ready'),
    // `leased` is null where the broker does not report it (RabbitMQ).
    q.leased === null || q.leased === undefined
      ? null
      : h('span', { class: 'stat' }, h('b', {}, String(q.leased)), ' being worked on'),
    h('span', { class: `stat${q.dead ? ' bad' : ''}` }, h('b', {}, String(q.dead ?? 0)),
      (q.dead ?? 0) === 1 ? ' dead letter' : ' dead letters'),
    h('span', { class: 'muted' }, ` in queue ${q.queue || ''}`),
  ];
  $('#queue-stats').replaceChildren(...stats.filter(Boolean));
  // The first sample after load refreshes only when there are dead letters.
  if (q.dead !== lastDead && (lastDead !== null || q.dead > 0)) onDeadChanged();
  lastDead = q.dead;
}

// Job counts as KEDA counts them: running = not finished (pending included).
function sampleJobs(t) {
  let running = 0;
  let pending = 0;
  for (const j of jobs.values()) {
    if (selected && j.scaledJob && j.scaledJob !== selected) continue;
    if (FINISHED.has(j.state)) continue;
    running++;
    if (j.state === 'pending') pending++;
  }
  jobsChart.push(t, { running, pending });
}

/** Draws the jobs again once the page turned stale (or live again). */
export function renderStale() {
  renderJobs();
}

function renderJobs() {
  const all = [...jobs.values()].sort((a, b) => {
    const fa = FINISHED.has(a.state);
    const fb = FINISHED.has(b.state);
    if (fa !== fb) return fa ? 1 : -1;
    return (Date.parse(b.created) || 0) - (Date.parse(a.created) || 0);
  });
  const finished = all.filter((j) => FINISHED.has(j.state));
  for (const j of finished.slice(MAX_FINISHED_JOBS)) jobs.delete(j.name);
  const shown = all.filter((j) => jobs.has(j.name));
  const now = Date.now();
  $('#jobs').replaceChildren(...shown.map((j) => jobItem(j, now)));
  $('#jobs-empty').hidden = shown.length > 0;
}

/** What became of the job's request (its worker's termination message). */
function outcomePill(j) {
  if (!j.outcome) return null;
  const kind = j.outcome === 'done' ? 'done'
    : /^(failed|dead-lettered)$/.test(j.outcome) ? 'failed' : 'unknown';
  return h('span', { class: `pill pill-${kind} outcome`, title: 'request outcome' }, j.outcome);
}

function jobItem(j, now) {
  // `ebb up` unreachable: an unfinished job's state is unknown, not "running".
  if (document.body.dataset.stale === 'true' && !FINISHED.has(j.state)) {
    return h('li', { class: 'job', dataset: { state: 'unknown', lastState: j.state, name: j.name } },
      h('span', { class: 'pill pill-stale', title: 'the last state known before `ebb up` became unreachable' }, `was ${j.state}`),
      h('div', { class: 'job-body' }, h('code', { class: 'job-name' }, j.name),
        h('span', { class: 'muted small' }, 'state unknown while ebb up is unreachable')));
  }
  const start = Date.parse(j.started || j.created);
  const end = j.finished ? Date.parse(j.finished) : now;
  const took = Number.isFinite(start) ? formatMs(end - start) : '';
  const detail = [
    FINISHED.has(j.state) ? `ran ${took}, ${relativeTime(j.finished || j.created, now)}` : `for ${took}`,
    j.failedAttempts ? `${plural(j.failedAttempts, 'failed attempt')}` : '',
    j.deleting ? 'being removed' : '',
    // Why it failed, or why it is still pending (Unschedulable, ImagePullBackOff...).
    j.reason && (j.state === 'failed' || j.state === 'pending') ? `${j.reason}${j.message ? `: ${j.message}` : ''}` : '',
  ].filter(Boolean).join(' · ');
  return h('li', { class: 'job', dataset: { state: j.state, name: j.name } },
    h('span', { class: `pill pill-${j.state}` }, j.state),
    outcomePill(j),
    h('div', { class: 'job-body' }, h('code', { class: 'job-name' }, j.name), h('span', { class: 'muted small' }, detail)),
    h('button', { type: 'button', class: 'ghost small', onclick: () => openLogs(j.name), 'aria-label': `Logs of ${j.name}` }, 'Logs'));
}

function openLogs(name) {
  const dialog = $('#logs');
  dialog.dataset.job = name;
  $('#logs-title').textContent = `Logs · ${name}`;
  $('#logs-text').textContent = 'loading…';
  dialog.showModal();
  loadLogs(name);
}

async function loadLogs(name) {
  const pre = $('#logs-text');
  try {
    const text = await api.jobLogs(name);
    pre.textContent = typeof text === 'string' && text.length ? text : '(no output yet)';
  } catch (err) {
    pre.textContent = err.status === 404 ? 'The job and its logs have been removed.' : `Cannot read the logs: ${err.message}`;
  }
  pre.scrollTop = pre.scrollHeight;
}
