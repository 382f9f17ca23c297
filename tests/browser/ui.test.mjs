// SPDX-License-Identifier: Apache-2.0
// End-to-end test of the web UI in a real browser against a real `ebb up`
// (single-node mode: embedded queue, the default ScaledJob of `ebb worker` jobs).
// Run: EBB_BINARY=build/src/cli/ebb node --test tests/browser/
// (EBB_BROWSER_MOCK=1 runs the same steps against mock_server.mjs instead.)
// Needs /usr/bin/chromium (Debian package) and playwright-core (npm ci).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROME_ARGS, freePort, supervisorPids, waitFor as waitForLogged } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const EBB = path.resolve(REPO, process.env.EBB_BINARY || 'build/src/cli/ebb');
const CHROMIUM = process.env.EBB_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(HERE, 'artifacts');
// EBB_BROWSER_MOCK=1: run against mock_server.mjs instead of `ebb up` (UI work only).
const MOCK = process.env.EBB_BROWSER_MOCK === '1';

let tmp;
let dataDir;
let ebb;
let ebbLog = '';
let base;
let context;
let page;
const pageErrors = [];

const waitFor = (what, fn, timeoutMs) => waitForLogged(what, fn, timeoutMs, () => ebbLog);

before(async () => {
  assert.ok(MOCK || fs.existsSync(EBB), `no ebb binary at ${EBB} (set EBB_BINARY)`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ebb-browser-'));
  dataDir = path.join(tmp, 'data');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;

  if (MOCK) {
    // The UI against tests/browser/mock_server.mjs (no C++ server needed).
    ebb = spawn(process.execPath, [path.join(HERE, 'mock_server.mjs'), String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    ebb = spawn(EBB, await upArgs(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  ebb.stdout.on('data', (d) => (ebbLog += d));
  ebb.stderr.on('data', (d) => (ebbLog += d));
  await waitFor('ebb up /healthz', async () => (await fetch(`${base}/${MOCK ? 'index.html' : 'healthz'}`)).ok, 30000);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'chromium-')), {
    executablePath: CHROMIUM, headless: true, args: CHROME_ARGS, viewport: { width: 1366, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
});

// `ebb up` in single-node mode (no -f) on this port and a fresh data dir.
async function upArgs(port) {
  const help = execFileSync(EBB, ['up', '--help'], { encoding: 'utf8' });
  assert.ok(!/-f,--filename[^\n]*REQUIRED/.test(help), '`ebb up` has no single-node mode (it requires -f)');
  const args = ['up', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--no-drain-wait'];
  if (help.includes('--web-root')) args.push('--web-root', path.join(REPO, 'web'));
  // No EBB_MODEL: the jobs serve the default, the bundled model (the sim in a
  // build without libtorch, slowed down a little so that "running" shows).
  // One compute thread each: two jobs share this machine with Chromium.
  if (help.includes('--worker-env')) {
    args.push('--worker-env', 'EBB_SIM_INFERENCE_MS=1500', '--worker-env', 'EBB_CPU_LIMIT=1');
  }
  return args;
}

after(async () => {
  if (context) await context.close().catch(() => {});
  if (ebb && ebb.exitCode === null) {
    ebb.kill('SIGKILL');
    await new Promise((r) => (ebb.exitCode === null ? ebb.once('exit', r) : r()));
  }
  if (dataDir) {
    for (const pid of supervisorPids(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (tmp && !process.env.EBB_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a prompt of 2 images in parallel goes queued -> running -> done, into the gallery, and scales jobs up and back to 0', async () => {
  const token = MOCK ? 'mock-token' : fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
  await page.goto(`${base}/login?token=${encodeURIComponent(token)}`);
  assert.equal(new URL(page.url()).pathname, '/', 'login redirects to /');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.ok(!(await page.content()).includes(token), 'the token is not in the page');
  await page.waitForSelector('#live[data-state="live"]', { timeout: 15000 });
  assert.ok(await page.isHidden('#signin'), 'signed in');

  // The bundled model's example prompts are offered; one click fills the prompt.
  const model = await (await page.request.get(`${base}/api/v1/model`)).json();
  let prompt = 'Yellow submarine in a lighthouse harbour';
  if (model.bundled) {
    assert.ok(model.example_prompts.length > 0, `the bundled model has example prompts: ${JSON.stringify(model)}`);
    await page.waitForSelector('#examples:not([hidden]) button.example', { timeout: 10000 });
    await page.locator('#examples button.example').first().click();
    prompt = model.example_prompts[0];
    assert.equal(await page.inputValue('#prompt'), prompt, 'an example fills the prompt');
  } else {
    assert.ok(await page.isHidden('#examples'), 'no examples for a model without any');
  }
  // Submit "2 images, in parallel": two requests of one image each.
  await page.fill('#prompt', prompt);
  await page.locator('#count').fill('2');
  assert.ok(await page.isChecked('#parallel'), '"in parallel" is on by default');
  await page.click('#generate');
  await page.getByText('Queued 2 requests').waitFor({ timeout: 10000 });
  assert.equal(await page.inputValue('#prompt'), '', 'the prompt is cleared after submit');
  assert.equal(await page.inputValue('#count'), '1', 'the count is back to 1');
  const items = page.locator('#requests li.request');
  assert.equal(await items.count(), 2);

  // Both go queued -> running -> done, seen live from the event stream.
  await waitFor('both requests done', async () => {
    const st = await items.evaluateAll((els) => els.map((e) => e.dataset.status));
    return st.length === 2 && st.every((s) => s === 'done') && st;
  }, 90000);
  const histories = await items.evaluateAll((els) => els.map((e) => e.dataset.history));
  for (const h of histories) assert.match(h, /^queued running done$/, `status history: ${h}`);
  for (const text of await items.locator('.timings').allInnerTexts()) {
    assert.match(text, /inference/, 'timings shown for a done request');
  }

  // The images are in the gallery, newest first, and load.
  await waitFor('2 images in the gallery', async () =>
    (await page.locator('#gallery li.tile', { hasText: prompt }).count()) >= 2, 15000);
  const loaded = await page.locator('#gallery li.tile img').evaluateAll((imgs) =>
    Promise.all(imgs.slice(0, 2).map((img) => img.decode().then(() => img.naturalWidth).catch(() => 0))));
  assert.ok(loaded.every((w) => w > 0), `gallery images load (${loaded})`);
  assert.match(await page.locator('#gallery li.tile').first().innerText(), /ago|just now/);

  // The lightbox opens the full-size image.
  await page.locator('#gallery li.tile a').first().click();
  await page.waitForSelector('#lightbox[open]');
  assert.match(await page.getAttribute('#lightbox-img', 'src'), /^\/api\/v1\/objects\/.+\.png$/);
  await page.keyboard.press('Escape');

  // The job chart rose above 0 and came back to 0; the decision log says why.
  const chart = page.locator('#chart-jobs');
  assert.ok(Number(await chart.getAttribute('data-running-peak')) > 0, 'running jobs rose above 0');
  await waitFor('running jobs back to 0', async () => (await chart.getAttribute('data-running-last')) === '0', 60000);
  assert.ok(Number(await page.getAttribute('#chart-queue', 'data-queue-peak')) > 0, 'the queue chart saw the prompts');
  await page.locator('#decisions li', { hasText: /created \d+ jobs?: queue \d+/ }).first().waitFor({ timeout: 5000 });

  // A job's logs are one click away.
  const jobCount = await page.locator('#jobs li.job').count();
  if (jobCount > 0) {
    await page.locator('#jobs li.job button').first().click();
    await page.waitForSelector('#logs[open]');
    await waitFor('job logs', async () => !/^loading/.test(await page.innerText('#logs-text')), 10000);
    await page.keyboard.press('Escape');
  }

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-phone.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'no errors in the page');
});
