// SPDX-License-Identifier: Apache-2.0
// The web UI as a team's image tool, in Chromium against a real single-node `ebb up`:
// work from other clients (`ebb submit`) arrives live; the phone layout puts the
// gallery before the operator's panels; status pills reach WCAG AA contrast; the
// decision log groups repeats by cause; a signed-out page says one thing; and when
// `ebb up` stops, the page marks everything stale, then clears it once it is back.
// Run: EBB_BINARY=build/src/cli/ebb node --test tests/browser/ui_live.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROME_ARGS, freePort, waitFor as waitForLogged } from './helpers.mjs';
import { startEbbUp, ebbCli, tearDown } from './ebb_up.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const EBB = path.resolve(REPO, process.env.EBB_BINARY || 'build/src/cli/ebb');
const CHROMIUM = process.env.EBB_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(HERE, 'artifacts');

let tmp;
let dataDir;
let port;
let base;
let up;
let context;
let page;
const pageErrors = [];

const waitFor = (what, fn, timeoutMs) => waitForLogged(what, fn, timeoutMs, () => (up ? up.log() : ''));
const UP_OPTS = () => ({
  ebb: EBB, dataDir, port, webRoot: path.join(REPO, 'web'), args: ['--max-jobs', '2'],
  workerEnv: ['EBB_SIM_LOAD_MS=100', 'EBB_SIM_INFERENCE_MS=1500'],
});

before(async () => {
  assert.ok(fs.existsSync(EBB), `no ebb binary at ${EBB} (set EBB_BINARY)`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ebb-browser-live-'));
  dataDir = path.join(tmp, 'data');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  up = await startEbbUp(UP_OPTS());
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'chromium-')), {
    executablePath: CHROMIUM, headless: true, args: CHROME_ARGS, viewport: { width: 1366, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
  await page.goto(`${base}/login?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  await page.waitForSelector('#live[data-state="live"]', { timeout: 15000 });
});

after(() => tearDown({ context, up, dataDir, tmp }));

test('an image submitted with `ebb submit` appears in the open page without a reload', async () => {
  const loads = [];
  page.on('load', () => loads.push(Date.now()));
  const res = await ebbCli(EBB, base, dataDir, ['submit', 'Paper boats on a canal at dawn']);
  assert.equal(res.code, 0, `ebb submit: ${res.stderr}`);
  const row = page.locator('#requests li.request', { hasText: 'Paper boats on a canal at dawn' });
  await row.waitFor({ timeout: 20000 });
  await waitFor('the CLI request done in the list', async () => (await row.getAttribute('data-status')) === 'done', 90000);
  await waitFor('its image in the gallery', async () =>
    (await page.locator('#gallery li.tile', { hasText: 'Paper boats on a canal at dawn' }).count()) === 1, 20000);
  assert.deepEqual(loads, [], 'the page was not reloaded');

  // The list is the server's: a second page (another person) sees the same request.
  const other = await context.newPage();
  await other.goto(base);
  await other.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  await other.locator('#requests li.request', { hasText: 'Paper boats on a canal at dawn' }).waitFor({ timeout: 10000 });
  // The filters: a text that matches nothing empties the list, a status filter keeps it.
  await other.fill('#requests-q', 'no such prompt anywhere');
  await waitFor('the text filter applied', async () => (await other.locator('#requests li.request').count()) === 0, 10000);
  await other.fill('#requests-q', 'paper boats');
  await other.selectOption('#requests-status', 'done');
  await other.locator('#requests li.request', { hasText: 'Paper boats on a canal at dawn' }).waitFor({ timeout: 10000 });
  await other.selectOption('#requests-status', 'failed');
  await waitFor('the status filter applied', async () => (await other.locator('#requests li.request').count()) === 0, 10000);
  await other.close();
});

test('status pills reach WCAG AA contrast (4.5:1) in the dark and the light theme', async () => {
  for (const scheme of ['dark', 'light']) {
    await page.emulateMedia({ colorScheme: scheme });
    const worst = await page.evaluate(() => {
      const STATES = ['queued', 'running', 'done', 'failed', 'cancelled', 'deleted', 'unknown', 'stale',
        'pending', 'succeeded'];
      const rgb = (s) => {
        const m = s.match(/[\d.]+/g).map(Number);
        return { c: m.slice(0, 3).map((v) => (s.startsWith('color(') ? v * 255 : v)), a: m.length > 3 ? m[3] : 1 };
      };
      const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
      const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const bg = rgb(getComputedStyle(e).backgroundColor);
          if (bg.a > 0.99) return bg.c;
        }
        return [255, 255, 255];
      };
      // Every status in each place a pill is drawn: a request row, a job row, the top bar.
      const hosts = [document.querySelector('#requests'), document.querySelector('#jobs'),
        document.querySelector('#scaledjob-summary')];
      const samples = [];
      for (const host of hosts) {
        const row = document.createElement(host.tagName === 'SPAN' ? 'span' : 'li');
        row.className = host.id === 'jobs' ? 'job' : host.id === 'requests' ? 'request' : '';
        for (const s of STATES) {
          const pill = document.createElement('span');
          pill.className = `pill pill-${s}`;
          pill.textContent = s;
          row.append(pill);
          samples.push(pill);
        }
        host.append(row);
      }
      const results = samples.map((pill) => {
        const fg = lum(rgb(getComputedStyle(pill).color).c);
        const bg = lum(background(pill));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        return { pill: `${pill.parentElement.parentElement.id} ${pill.className}`, ratio };
      });
      for (const pill of samples) pill.parentElement.remove();
      return results.sort((a, b) => a.ratio - b.ratio);
    });
    console.log(`${scheme}: lowest pill contrast ${worst[0].ratio.toFixed(2)}:1 (${worst[0].pill})`);
    for (const w of worst) assert.ok(w.ratio >= 4.5, `${scheme}: ${w.pill} has contrast ${w.ratio.toFixed(2)}:1 < 4.5:1`);
  }
  await page.emulateMedia({ colorScheme: null });
});

test('the decision log is collapsible and groups only repeats of the same cause', async () => {
  const rows = await page.evaluate(async () => {
    const { handleDecision } = await import('/js/autoscaler.js');
    const quiet = (cause, s) => ({ scaledJob: 'grouping-test', cause, time: new Date(Date.now() + s * 1000).toISOString(),
      queueLength: 0, runningJobs: 0, pendingJobs: 0, strategy: 'accurate', create: 0, created: 0, reason: 'idle' });
    // Everything in one task: no live decision can come in between.
    [quiet('interval', 0), quiet('interval', 1), quiet('wake', 2), quiet('wake', 3), quiet('interval', 4)]
      .forEach((d) => handleDecision(d));
    return [...document.querySelectorAll('#decisions li.decision')].slice(0, 3)
      .map((li) => ({ cause: li.dataset.cause, repeat: li.dataset.repeat || '1' }));
  });
  assert.deepEqual(rows, [{ cause: 'interval', repeat: '1' }, { cause: 'wake', repeat: '2' }, { cause: 'interval', repeat: '2' }]);
  await page.click('#decisions-box > summary');
  assert.ok(await page.isHidden('#decisions'), 'the log folds away');
  await page.click('#decisions-box > summary');
  assert.ok(await page.isVisible('#decisions'), 'and opens again');

  // Plurals: "1 dead letter", "created 1 job".
  const text = await page.evaluate(async () => {
    const { handleQueue, describeDecision } = await import('/js/autoscaler.js');
    handleQueue({ queue: 'x', ready: 1, leased: 0, dead: 1 });
    return `${document.querySelector('#queue-stats').innerText} | ${describeDecision({ created: 1 })}`;
  });
  assert.match(text, /\b1 dead letter\b(?!s)/);
  assert.match(text, /created 1 job\b(?!s)/);
});

test('on a phone the gallery comes before the operator panels, with no nested scroll box', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const top = async (sel) => (await page.locator(sel).boundingBox()).y;
    const order = [['prompt', '.card-prompt'], ['gallery', '.gallery-card'], ['requests', '.card-requests'],
      ['failed requests', '.card-failed'], ['autoscaler', '.card-scaler']];
    const tops = [];
    for (const [name, sel] of order) tops.push([name, await top(sel)]);
    for (let i = 1; i < tops.length; i++) {
      assert.ok(tops[i - 1][1] < tops[i][1], `on a phone ${tops[i - 1][0]} comes before ${tops[i][0]}: ${JSON.stringify(tops)}`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-live-phone.png'), fullPage: true });
  } finally {
    await page.setViewportSize({ width: 1366, height: 900 });
  }
  // Lists grow with the page: no element in the layout scrolls on its own (charts aside).
  const scrollers = await page.evaluate(() => [...document.querySelectorAll('.layout *')]
    .filter((e) => /(auto|scroll)/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1)
    .map((e) => e.id || e.className));
  assert.deepEqual(scrollers, []);
});

test('a signed-out page shows one clear message and no panels', async () => {
  const fresh = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS });
  try {
    const p = await fresh.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(base);
    await p.waitForSelector('#signin:not([hidden])', { timeout: 15000 });
    await p.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
    const text = await p.innerText('body');
    assert.equal(text.split('Not signed in').length - 1, 1, 'one sign-in message');
    assert.ok(!/Authorization: Bearer|curl/i.test(text), `no API hint repeated: ${text}`);
    assert.ok(await p.isHidden('.layout'), 'no panels full of 401 errors');
    assert.ok(await p.isHidden('#stale'), 'not mistaken for `ebb up` being down');
    assert.deepEqual(errors, []);
  } finally {
    await fresh.close();
  }
});

test('when `ebb up` stops the page marks everything stale, and clears it once it is back', async () => {
  // A request running in a job when ebb up stops.
  const res = await ebbCli(EBB, base, dataDir, ['submit', 'Lanterns over a night market']);
  assert.equal(res.code, 0, `ebb submit: ${res.stderr}`);
  const row = page.locator('#requests li.request', { hasText: 'Lanterns over a night market' });
  await row.waitFor({ timeout: 20000 });
  await waitFor('a job running', async () => (await page.locator('#jobs li.job[data-state="running"]').count()) > 0, 60000);

  await up.stop();
  // While it shut down, the page may have reconnected once and been closed again:
  // wait until the banner is shown (ebb up has exited, so it stays).
  await page.waitForSelector('#stale', { state: 'visible', timeout: 20000 });
  assert.equal(await page.getAttribute('body', 'data-stale'), 'true');
  assert.match(await page.innerText('#stale'), /Lost contact with ebb up/);
  assert.equal(await page.locator('#jobs li.job[data-state="running"]').count(), 0, 'no job shown as running');
  assert.ok(await page.locator('#jobs li.job[data-state="unknown"]').count() > 0, 'the job is shown with an unknown state');
  assert.equal(await page.locator('#requests .pill-running, #requests .pill-queued').count(), 0,
    'no request shown as queued or running');
  assert.notEqual(await page.getAttribute('#live', 'data-state'), 'live');
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-live-stale.png'), fullPage: true });

  up = await startEbbUp(UP_OPTS());
  await page.waitForSelector('body[data-stale="false"]', { timeout: 30000 });
  assert.ok(await page.isHidden('#stale'), 'the banner is gone');
  assert.equal(await page.getAttribute('#live', 'data-state'), 'live');
  await waitFor('the request done after the restart', async () => (await row.getAttribute('data-status')) === 'done', 90000);
  assert.deepEqual(pageErrors, [], 'no errors in the page');
});
