// SPDX-License-Identifier: Apache-2.0
// A single-node `ebb up` for browser tests that stop and start it again on the same
// port and data directory (the page must notice both), and `ebb` CLI calls against it.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import { supervisorPids, waitFor } from './helpers.mjs';

/**
 * Starts `ebb up` (single node: embedded queue, `ebb worker` jobs) and waits for
 * /healthz. opts: {ebb, dataDir, port, webRoot, args: [...], workerEnv: ['K=V']}.
 * Returns {proc, log(), stop()}; stop() sends SIGTERM and waits for the exit.
 */
export async function startEbbUp(opts) {
  const args = ['up', '--data-dir', opts.dataDir, '--listen', `127.0.0.1:${opts.port}`, '--no-drain-wait',
    '--web-root', opts.webRoot, ...(opts.args || [])];
  const workerEnv = opts.workerEnv || [];
  // The sim unless the test names a model: these tests are about the UI.
  if (!workerEnv.some((kv) => kv.startsWith('EBB_MODEL='))) workerEnv.push('EBB_MODEL=sim');
  for (const kv of workerEnv) args.push('--worker-env', kv);
  const proc = spawn(opts.ebb, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const log = () => out;
  await waitFor('ebb up /healthz', async () => {
    if (proc.exitCode !== null) throw new Error(`ebb up exited with ${proc.exitCode}`);
    return (await fetch(`http://127.0.0.1:${opts.port}/healthz`)).ok;
  }, 30000, log);
  const stop = async (signal = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(timer);
  };
  return { proc, log, stop };
}

/** Runs `ebb ARGS...` with EBB_SERVER and EBB_DATA_DIR set; resolves {code, stdout, stderr}. */
export function ebbCli(ebb, server, dataDir, args) {
  return new Promise((resolve) => {
    execFile(ebb, args, { env: { ...process.env, EBB_SERVER: server, EBB_DATA_DIR: dataDir }, timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

// After a browser test: closes the browser, kills `ebb up` and any job
// supervisors it left, and removes the temporary folder (kept when
// EBB_KEEP_TMP is set). Every argument may be undefined (a failed setup).
export async function tearDown({ context, up, dataDir, tmp }) {
  if (context) await context.close().catch(() => {});
  if (up) await up.stop('SIGKILL');
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
}
