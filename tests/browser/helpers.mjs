// SPDX-License-Identifier: Apache-2.0
// What the browser tests share: Chromium's flags on this closed network, a free
// loopback port, condition-based waiting, and finding a test's job supervisors.
import fs from 'node:fs';
import net from 'node:net';

export const CHROME_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Polls `fn` every 100 ms until it returns something truthy (returned) or
// `timeoutMs` passes (throws, with the tail of `log()`, e.g. ebb up's output).
export async function waitFor(what, fn, timeoutMs, log = () => '') {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if ((last = await fn())) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})\n--- ebb up log ---\n${log().slice(-4000)}`);
}

// The pids of `ebb __supervise <dir>` processes under `dir` (jobs run in their
// own sessions, so killing `ebb up` does not end them).
export function supervisorPids(dir) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('supervise')) && argv.some((a) => a.startsWith(dir))) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

// Whether `ebb up` at `base` has issue 10's request API (comma-separated status
// filters, cancel, delete, progress): an older server answers 400 to the list query.
// Tests of that API skip themselves, saying why, on a server without it. Any other
// answer (503 while it starts, on a loaded machine) is asked again until `timeoutMs`.
export async function hasRequestControlApi(base, token, timeoutMs = 30000) {
  const got = await waitFor('an answer to GET /api/v1/requests?status=queued,running', async () => {
    const res = await fetch(`${base}/api/v1/requests?status=queued,running&limit=1`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return res.status === 200 || res.status === 400 ? String(res.status) : false;
  }, timeoutMs);
  return got === '200';
}
