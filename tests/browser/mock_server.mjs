// SPDX-License-Identifier: Apache-2.0
// A stand-in for `ebb up` that serves web/ and fakes the API of docs/api.md in memory
// (requests go queued -> running -> done over a few seconds, one job each), for working
// on the UI without the C++ server: `node tests/browser/mock_server.mjs [PORT]`.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
const TOKEN = 'mock-token';

const requests = new Map();
const jobs = new Map();
const images = [];
const objects = new Map();
const dead = [];
const decisions = [];
const clients = new Set();
let jobSeq = 0;

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A 64x64 gradient PNG whose colours come from the seed text. */
function png(seedText) {
  const h = crypto.createHash('sha1').update(seedText).digest();
  const n = 64, rows = [];
  for (let y = 0; y < n; y++) {
    const row = Buffer.alloc(1 + n * 3);
    for (let x = 0; x < n; x++) {
      row[1 + x * 3] = (h[0] + x * 2) & 255; row[2 + x * 3] = (h[1] + y * 3) & 255; row[3 + x * 3] = h[2];
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(n, 0); ihdr.writeUInt32BE(n, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function send(type, data) {
  for (const res of clients) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}
const now = () => new Date().toISOString();
function counts() {
  const live = [...jobs.values()].filter((j) => j.state === 'pending' || j.state === 'running');
  return { running: live.length, pending: live.filter((j) => j.state === 'pending').length };
}
function decide(cause, created) {
  const c = counts();
  const q = [...requests.values()].filter((r) => r.status === 'queued').length;
  const d = { time: now(), cause, active: q > 0, queueLength: q, maxScale: Math.min(q, 4), runningJobs: c.running - created,
    pendingJobs: c.pending - created, effectiveMaxScale: 4, scaleTo: q, strategy: 'accurate', create: created, created,
    reason: created ? `queue ${q} > 0: ${created} new job(s)` : 'nothing to do', scaledJob: 'stable-diff-job' };
  decisions.push(d);
  send('decision', d);
}
function setStatus(r, status) {
  if (r.status === 'cancelled' || r.status === 'deleted') return;
  r.status = status; r.updated_at = now();
  if (status === 'running') {
    // Progress: 10 steps over 2 s, as a `request` event each.
    r.progress = { step: 0, steps: 10, updated_at: now() };
    for (let k = 1; k <= 10; k++) {
      setTimeout(() => {
        if (r.status !== 'running') return;
        r.progress = { step: k, steps: 10, updated_at: now() };
        send('request', { id: r.id, status: 'running', attempt: r.attempt, progress: r.progress });
      }, k * 190);
    }
  } else delete r.progress;
  if (status === 'queued') r.estimate = { wait_s: 3, position: null, basis: '1 ahead × 3 s / 1 worker' };
  else delete r.estimate;
  send('request', { id: r.id, status, attempt: r.attempt, ...(r.error ? { error: r.error } : {}),
    ...(r.progress ? { progress: r.progress } : {}), ...(r.estimate ? { estimate: r.estimate } : {}) });
}
function setJob(j, state) {
  j.state = state;
  if (state === 'running') j.started = now();
  if (state === 'succeeded' || state === 'failed') j.finished = now();
  send('job', j);
}
function submit(body) {
  const n = body.parallel ? body.count : 1;
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = crypto.randomUUID();
    const r = { id, status: 'queued', prompt: body.prompt, count: body.parallel ? 1 : body.count, attempt: 1, error: null,
      created_at: now(), updated_at: now(), timings: null, images: [] };
    requests.set(id, r); ids.push(id);
    setTimeout(() => setStatus(r, 'queued'), 0);
    const j = { name: `stable-diff-job-${(++jobSeq).toString(36)}x${id.slice(0, 4)}`, namespace: 'stable-diff', scaledJob: 'stable-diff-job',
      state: 'pending', created: now(), containers: [] };
    jobs.set(j.name, j);
    setTimeout(() => setJob(j, 'running'), 700);
    setTimeout(() => setStatus(r, 'running'), 1200);
    setTimeout(() => {
      const fail = /fail/.test(r.prompt);
      if (fail) {
        r.error = 'simulated failure'; setStatus(r, 'failed'); setJob(j, 'failed');
        dead.push({ id, reason: r.error, queue: 'tasks', attempt: 1, body: JSON.stringify({ prompt: r.prompt, id }) });
        return;
      }
      if (r.status === 'cancelled' || r.status === 'deleted') return setJob(j, 'succeeded');
      r.timings = { queue_wait_ms: 1200, model_load_ms: 650, inference_ms: 1800 + i * 100, upload_ms: 4 };
      for (let k = 1; k <= r.count; k++) {
        const key = `${id}-${k}.png`; objects.set(key, png(key)); r.images.push(`/api/v1/objects/${key}`);
        images.unshift({ url: `/api/v1/objects/${key}`, id, index: k, prompt: r.prompt, model: 'ebb-sim', width: 512, height: 512,
          seed: 42, created_at: now(), timings: r.timings });
      }
      setStatus(r, 'done'); setJob(j, 'succeeded');
    }, 3200 + i * 400);
  }
  setTimeout(() => decide('wake', n), 50);
  return ids;
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body));
}
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (p === '/login') {
    res.writeHead(302, { 'Set-Cookie': `ebb_token=${url.searchParams.get('token')}; Path=/; HttpOnly`, Location: '/' });
    return res.end();
  }
  if (p.startsWith('/api/')) {
    if (!(req.headers.cookie || '').includes(`ebb_token=${TOKEN}`)) return json(res, 401, { error: 'missing or wrong token' });
    if (req.method !== 'GET' && req.headers['x-ebb-csrf'] !== '1') return json(res, 401, { error: 'csrf' });
    let m;
    if (p === '/api/v1/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(': hello\n\n'); clients.add(res); req.on('close', () => clients.delete(res)); return;
    }
    if (p === '/api/v1/requests' && req.method === 'POST') {
      let data = ''; req.on('data', (c) => (data += c));
      return req.on('end', () => {
        const body = JSON.parse(data || '{}');
        if (!body.prompt) return json(res, 400, { error: 'prompt: must not be empty', field: 'prompt' });
        if (body.steps !== undefined && (body.steps < 1 || body.steps > 150)) return json(res, 400, { error: 'steps: must be 1-150', field: 'steps' });
        json(res, 201, { ids: submit(body) });
      });
    }
    if (p === '/api/v1/requests') {
      const st = url.searchParams.get('status'), q = (url.searchParams.get('q') || '').toLowerCase();
      const list = [...requests.values()].reverse().filter((r) => (!st || r.status === st) && r.prompt.toLowerCase().includes(q));
      return json(res, 200, { requests: list.slice(0, Number(url.searchParams.get('limit') || 50)) });
    }
    if ((m = p.match(/^\/api\/v1\/requests\/([^/]+)\/cancel$/)) && req.method === 'POST') {
      const r = requests.get(m[1]); if (!r) return json(res, 404, { error: 'no such request' });
      if (r.status === 'done' || r.status === 'failed') return json(res, 409, { error: `request is ${r.status}` });
      setStatus(r, 'cancelled'); return json(res, 200, { id: r.id, status: r.status });
    }
    if ((m = p.match(/^\/api\/v1\/requests\/([^/]+)$/)) && req.method === 'DELETE') {
      const r = requests.get(m[1]); if (!r) return json(res, 404, { error: 'no such request' });
      r.status = 'deleted'; requests.delete(r.id);
      for (let i = images.length - 1; i >= 0; i--) if (images[i].id === r.id) { objects.delete(images[i].url.split('/').pop()); images.splice(i, 1); }
      send('deleted', { id: r.id }); return json(res, 200, { id: r.id, status: 'deleted' });
    }
    if ((m = p.match(/^\/api\/v1\/requests\/([^/]+)$/))) return requests.has(m[1]) ? json(res, 200, requests.get(m[1])) : json(res, 404, { error: 'no such request' });
    if (p === '/api/v1/images') return json(res, 200, { images: images.slice(0, Number(url.searchParams.get('limit') || 24)), next: null });
    if ((m = p.match(/^\/api\/v1\/objects\/(.+)$/))) {
      if (!objects.has(m[1])) return json(res, 404, { error: 'no such object' });
      const headers = { 'Content-Type': 'image/png' };
      if (url.searchParams.get('download') === '1') headers['Content-Disposition'] = `attachment; filename="mock-${m[1]}"`;
      res.writeHead(200, headers); return res.end(objects.get(m[1]));
    }
    if (p === '/api/v1/model') {
      return json(res, 200, { model: 'ebb-shapes', bundled: true, example_prompts: ['a red circle on a blue background'] });
    }
    if (p === '/api/v1/scaledjobs') return json(res, 200, { scaledJobs: [{ name: 'stable-diff-job', namespace: 'stable-diff', pollingInterval: 5, strategy: 'accurate', minReplicaCount: 0, maxReplicaCount: 4, paused: false }] });
    if (p.startsWith('/api/v1/scaledjobs/')) return json(res, 200, { name: 'stable-diff-job', maxReplicaCount: 4, recent: decisions.slice(-50).reverse() });
    if (p === '/api/v1/jobs') return json(res, 200, { jobs: [...jobs.values()] });
    if ((m = p.match(/^\/api\/v1\/jobs\/([^/]+)\/logs$/))) { res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end(`worker ${m[1]}: model loaded\nworker: request done\n`); }
    if (p === '/api/v1/dead-letters') return json(res, 200, { deadLetters: dead });
    if ((m = p.match(/^\/api\/v1\/dead-letters\/([^/]+)\/replay$/))) {
      const i = dead.findIndex((d) => d.id === m[1]); if (i < 0) return json(res, 404, { error: 'absent' });
      dead.splice(i, 1); return json(res, 200, { replayed: 1 });
    }
    if ((m = p.match(/^\/api\/v1\/dead-letters\/([^/]+)\/discard$/))) {
      const i = dead.findIndex((d) => d.id === m[1]); if (i < 0) return json(res, 404, { error: 'absent' });
      dead.splice(i, 1); return json(res, 200, { discarded: 1 });
    }
    if (p === '/api/v1/dead-letters/purge') {
      const n = dead.length; dead.splice(0, n); return json(res, 200, { discarded: n });
    }
    return json(res, 404, { error: 'not found' });
  }
  const rel = p === '/' ? 'index.html' : p.slice(1);
  const file = path.join(WEB, rel);
  if (!file.startsWith(WEB) || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
  fs.createReadStream(file).pipe(res);
});
setInterval(() => decide('interval', 0), 5000);
setInterval(() => { for (const r of clients) r.write(': keep-alive\n\n'); }, 15000);
server.listen(Number(process.argv[2] || 8099), '127.0.0.1', () => console.log(`mock ebb on http://127.0.0.1:${server.address().port}/login?token=${TOKEN}`));
