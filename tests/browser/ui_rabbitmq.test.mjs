// SPDX-License-Identifier: Apache-2.0
// The web UI in a real browser against `ebb up -f` with the seed's manifests on a
// real RabbitMQ (EBB_TEST_AMQP_URL; skipped without it). Nothing here reloads the
// page: request states, the gallery, the queue's depth and the dead-letter list must
// all arrive as live events, derived from what the workers store and the broker
// reports, as in single-node mode.
// Run: EBB_BINARY=build/src/cli/ebb EBB_TEST_AMQP_URL=amqp://... node --test tests/browser/ui_rabbitmq.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROME_ARGS, freePort, hasRequestControlApi, supervisorPids, waitFor as waitForLogged } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const EBB = path.resolve(REPO, process.env.EBB_BINARY || 'build/src/cli/ebb');
const CHROMIUM = process.env.EBB_CHROMIUM || '/usr/bin/chromium';
const AMQP_URL = process.env.EBB_TEST_AMQP_URL || '';
const ARTIFACTS = path.join(HERE, 'artifacts');
const SKIP = AMQP_URL ? false : 'EBB_TEST_AMQP_URL is not set (scripts/rabbitmq.sh start DIR writes it)';

let tmp;
let dataDir;
let ebb;
let ebbLog = '';
let base;
let token;
let context;
let page;
const pageErrors = [];

const waitFor = (what, fn, timeoutMs) => waitForLogged(what, fn, timeoutMs, () => ebbLog);

// The seed's manifests on this test's broker and a queue of its own; one attempt
// per request (backoffLimit 0) so that the failing prompt is dead-lettered at once.
function writeManifests(queue) {
  let seed = fs.readFileSync(path.join(REPO, 'examples/stable-diffusion/manifests.yaml'), 'utf8');
  for (const [from, to] of [
    ['amqp://guest:guest@127.0.0.1:5672/', AMQP_URL],
    ['queueName: tasks', `queueName: ${queue}`],
    ['pollingInterval: 5', 'pollingInterval: 1'],
    ['maxReplicaCount: 4', 'maxReplicaCount: 2'],
    ['backoffLimit: 4', 'backoffLimit: 0'],
  ]) {
    assert.ok(seed.includes(from), `the seed's manifests have "${from}"`);
    seed = seed.replaceAll(from, to);
  }
  fs.writeFileSync(path.join(tmp, 'manifests.yaml'), seed);
  fs.writeFileSync(path.join(tmp, 'ebb-local.yaml'), [
    'images:',
    '  - image: ghcr.io/kedify/stable-diffusion-worker',
    '    command: ["{ebb}", "worker"]',
    '    readiness: notify',
    '    env:',
    `      Q_NAME: "${queue}"`,
    '      EBB_MODEL: "sim"',
    '      EBB_SIM_LOAD_MS: "200"',
    '      EBB_SIM_INFERENCE_MS: "800"',
    '      EBB_SIM_FAIL_PATTERN: "lighthouse-boom"',
    '  - image: minio/mc',
    '    skip: true',
    ''].join('\n'));
}

before(async () => {
  if (SKIP) return;
  assert.ok(fs.existsSync(EBB), `no ebb binary at ${EBB} (set EBB_BINARY)`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ebb-browser-amqp-'));
  dataDir = path.join(tmp, 'data');
  writeManifests(`tasks-ui-${crypto.randomBytes(4).toString('hex')}`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ebb = spawn(EBB, ['up', '-f', path.join(tmp, 'manifests.yaml'), '--images', path.join(tmp, 'ebb-local.yaml'),
    '--data-dir', dataDir, '--store', path.join(tmp, 'results'), '--listen', `127.0.0.1:${port}`,
    '--web-root', path.join(REPO, 'web'), '--no-drain-wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
  ebb.stdout.on('data', (d) => (ebbLog += d));
  ebb.stderr.on('data', (d) => (ebbLog += d));
  await waitFor('ebb up /healthz', async () => (await fetch(`${base}/healthz`)).ok, 30000);
  token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'chromium-')), {
    executablePath: CHROMIUM, headless: true, args: CHROME_ARGS, viewport: { width: 1366, height: 900 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
});

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

async function submitFromPage(prompt) {
  await page.fill('#prompt', prompt);
  await page.locator('#count').fill('1');
  await page.click('#generate');
  await page.getByText('Queued 1 request').first().waitFor({ timeout: 10000 });
  const item = page.locator('#requests li.request', { hasText: prompt });
  await item.waitFor({ timeout: 5000 });
  return item;
}

test('on RabbitMQ the page updates live: request states, gallery, queue depth and dead letters', { skip: SKIP }, async () => {
  await page.goto(`${base}/login?token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  await page.waitForSelector('#live[data-state="live"]', { timeout: 15000 });
  assert.ok(await page.isVisible('#gallery-empty'), 'the gallery starts empty');

  // A prompt from the page goes queued -> done and into the gallery, without a reload.
  const good = await submitFromPage('Red kite over a quiet harbour');
  await waitFor('the request done', async () => (await good.getAttribute('data-status')) === 'done', 90000);
  assert.match(await good.getAttribute('data-history'), /^queued( running)? done$/);
  await waitFor('its image in the gallery', async () =>
    (await page.locator('#gallery li.tile', { hasText: 'Red kite over a quiet harbour' }).count()) === 1, 15000);
  assert.ok(await page.isHidden('#gallery-empty'), '"No images yet" is gone');

  // The queue's depth is live too: the broker's count, with dead letters.
  await waitFor('queue stats', async () => /\d+ ready/.test(await page.innerText('#queue-stats')), 15000);

  // A prompt another client submits (not this page) still reaches the gallery.
  const res = await fetch(`${base}/api/v1/requests`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt: 'Paper boats on a canal at dawn' }),
  });
  assert.equal(res.status, 201);
  await waitFor('the other client\'s image in the gallery', async () =>
    (await page.locator('#gallery li.tile', { hasText: 'Paper boats on a canal' }).count()) === 1, 90000);
  // ... and the request list, which is the server's (everyone's), not this browser's
  // (with issue 10's API: before it, the list knew only the embedded queue's rows).
  if (await hasRequestControlApi(base, token)) await page.locator('#requests li.request[data-status="done"]', { hasText: 'Paper boats on a canal' })
    .waitFor({ timeout: 15000 });

  // A prompt that fails for good: shown failed, in the dead-letter list, counted.
  const bad = await submitFromPage('lighthouse-boom in the fog');
  await waitFor('the request failed', async () => (await bad.getAttribute('data-status')) === 'failed', 90000);
  await waitFor('the dead letter listed', async () =>
    (await page.locator('#dead-letters li.dead', { hasText: 'lighthouse-boom' }).count()) === 1, 20000);
  assert.ok(await page.isHidden('#dead-empty'), '"No failed requests" is gone');
  await waitFor('1 dead letter counted', async () => /\b1 dead letters?/.test(await page.innerText('#queue-stats')), 15000);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui-rabbitmq.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'no errors in the page');
});
