// SPDX-License-Identifier: Apache-2.0
// Small hand-drawn SVG step charts of counts over time (no library, no network).
// Each chart keeps the last WINDOW_MS of points; the time axis flows every second.
// The latest and peak value of each series are mirrored in data-* attributes
// (data-running-last, data-running-peak, ...) for tests and assistive tools.

const NS = 'http://www.w3.org/2000/svg';
const WINDOW_MS = 10 * 60 * 1000;
const MIN_SPAN_MS = 60 * 1000;
const HEIGHT = 128;
const PAD = { left: 28, right: 8, top: 8, bottom: 20 };

function s(tag, attrs) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

/**
 * series: [{key, label, cls}]; refLine: optional key of a series drawn dashed with no
 * area (e.g. maxReplicaCount).
 */
export function createChart(container, series) {
  const data = Object.fromEntries(series.map((x) => [x.key, []]));
  const peaks = Object.fromEntries(series.map((x) => [x.key, 0]));
  let width = container.clientWidth || 320;

  const ro = new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w && Math.abs(w - width) > 1) {
      width = w;
      render(Date.now());
    }
  });
  ro.observe(container);

  /** Adds a sample at time t (ms) for some or all series: {running: 2, pending: 1}. */
  function push(t, values) {
    for (const [key, v] of Object.entries(values)) {
      if (!(key in data) || typeof v !== 'number' || !Number.isFinite(v)) continue;
      const pts = data[key];
      // Keep time order (an initial history may arrive after live events).
      let i = pts.length;
      while (i > 0 && pts[i - 1].t > t) i--;
      if (i > 0 && pts[i - 1].t === t) pts[i - 1].v = v;
      else pts.splice(i, 0, { t, v });
      peaks[key] = Math.max(peaks[key], v);
    }
  }

  function render(now) {
    const from = now - WINDOW_MS;
    for (const key of Object.keys(data)) {
      const pts = data[key];
      // Drop old points but keep one before the window so the line starts at its edge.
      while (pts.length > 1 && pts[1].t < from) pts.shift();
      const last = pts.length ? pts[pts.length - 1].v : 0;
      container.dataset[`${key}Last`] = String(last);
      container.dataset[`${key}Peak`] = String(peaks[key]);
    }
    const first = Math.min(...Object.values(data).map((p) => (p.length ? p[0].t : now)));
    const t0 = Math.max(from, Math.min(first, now - MIN_SPAN_MS));
    const span = Math.max(1, now - t0);
    let maxV = 1;
    for (const pts of Object.values(data)) for (const p of pts) if (p.t >= t0 || pts.length === 1) maxV = Math.max(maxV, p.v);
    maxV = niceCeil(maxV);

    const w = Math.max(160, width);
    const iw = w - PAD.left - PAD.right;
    const ih = HEIGHT - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((Math.max(t, t0) - t0) / span) * iw;
    const y = (v) => PAD.top + ih - (v / maxV) * ih;

    const svg = s('svg', { width: w, height: HEIGHT, viewBox: `0 0 ${w} ${HEIGHT}`, 'aria-hidden': 'true' });
    for (const v of ticks(maxV)) {
      svg.append(s('line', { x1: PAD.left, x2: w - PAD.right, y1: y(v), y2: y(v), class: 'grid' }));
      const label = s('text', { x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' });
      label.textContent = String(v);
      svg.append(label);
    }
    const spanMin = Math.round(span / 60000);
    for (const [tx, text, anchor] of [
      [t0, span >= 90000 ? `−${spanMin} min` : `−${Math.round(span / 1000)} s`, 'start'],
      [now, 'now', 'end'],
    ]) {
      const label = s('text', { x: x(tx), y: HEIGHT - 5, class: 'axis', 'text-anchor': anchor });
      label.textContent = text;
      svg.append(label);
    }

    for (const { key, cls, ref } of series) {
      const pts = data[key];
      if (!pts.length) continue;
      let d = '';
      let prev = null;
      for (const p of pts) {
        const px = x(p.t);
        const py = y(p.v);
        d += prev === null ? `M${px},${py}` : `H${px}V${py}`;
        prev = py;
      }
      d += `H${x(now)}`;
      if (!ref) {
        const startX = x(pts[0].t);
        svg.append(s('path', { d: `${d}V${y(0)}H${startX}Z`, class: `area ${cls}` }));
      }
      svg.append(s('path', { d, class: `line ${cls}${ref ? ' ref' : ''}` }));
    }
    container.replaceChildren(svg);
  }

  return { push, render };
}

function niceCeil(v) {
  if (v <= 4) return Math.max(1, Math.ceil(v));
  const step = v <= 10 ? 2 : v <= 20 ? 5 : 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / step) * step;
}

function ticks(maxV) {
  const n = maxV <= 4 ? maxV : 4;
  const out = [];
  for (let i = 0; i <= n; i++) out.push(Math.round((maxV * i) / n));
  return [...new Set(out)];
}
