// The distance from a point to its k-th nearest neighbour, for choosing eps (DBSCAN's k-distance
// heuristic; see dbscanDetector.ts).
import { select } from '../compute_util.js';

/**
 * For each query point, the distance to its k-th nearest point of (xs, ys), the query itself counted as
 * the first when it belongs to the set (scikit-learn's min_samples convention: a point is a DBSCAN core
 * point exactly when this distance with k = min_samples is <= eps). Infinity when fewer than k points lie
 * within `maxRings` grid rings (only far outliers; the caller uses low quantiles).
 */
export function kthNeighbourDistances(
  xs: Float64Array,
  ys: Float64Array,
  queryX: Float64Array,
  queryY: Float64Array,
  k: number,
  maxRings = 48,
): Float64Array {
  const m = xs.length;
  const out = new Float64Array(queryX.length).fill(Infinity);
  if (m < k || k < 1) return out;
  // a grid over the robust extent of the data, with about k/4 points per cell where the data is
  const rx = robustRange(xs);
  const ry = robustRange(ys);
  const side = Math.sqrt((Math.max(rx.spread * ry.spread, 1e-18) * Math.max(1, k / 4)) / m);
  const x0 = rx.lo - rx.spread;
  const x1 = rx.hi + rx.spread;
  const y0 = ry.lo - ry.spread;
  const y1 = ry.hi + ry.spread;
  const W = Math.max(1, Math.min(2048, Math.ceil((x1 - x0) / side)));
  const H = Math.max(1, Math.min(2048, Math.ceil((y1 - y0) / side)));
  const cellOf = (x: number, y: number) => {
    const gx = Math.min(W - 1, Math.max(0, Math.floor((x - x0) / side)));
    const gy = Math.min(H - 1, Math.max(0, Math.floor((y - y0) / side)));
    return gy * W + gx;
  };
  const start = new Int32Array(W * H + 1);
  const cell = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    cell[i] = cellOf(xs[i], ys[i]);
    start[cell[i] + 1]++;
  }
  for (let c = 0; c < W * H; c++) start[c + 1] += start[c];
  const px = new Float64Array(m);
  const py = new Float64Array(m);
  const fill = start.slice(0, W * H);
  for (let i = 0; i < m; i++) {
    const p = fill[cell[i]]++;
    px[p] = xs[i];
    py[p] = ys[i];
  }
  let buffer = new Float64Array(Math.max(64, 4 * k));
  for (let q = 0; q < queryX.length; q++) {
    const qx = queryX[q];
    const qy = queryY[q];
    const c = cellOf(qx, qy);
    const gx = c % W;
    const gy = (c - gx) / W;
    // Points outside the robust extent sit in the edge cells: the ring bound below then undercounts how
    // far they are, which only makes the search look further than it needs to. A query outside it is far
    // from everything; its distance may come out too large, never too small.
    let found = 0;
    for (let r = 0; r <= maxRings; r++) {
      for (let cy = gy - r; cy <= gy + r; cy++) {
        if (cy < 0 || cy >= H) continue;
        const edgeRow = cy === gy - r || cy === gy + r;
        for (let cx = gx - r; cx <= gx + r; cx += edgeRow || r === 0 ? 1 : 2 * r) {
          if (cx < 0 || cx >= W) continue;
          const b = cy * W + cx;
          const e = start[b + 1];
          if (found + (e - start[b]) > buffer.length) {
            const bigger = new Float64Array(2 * (found + e - start[b]));
            bigger.set(buffer.subarray(0, found));
            buffer = bigger;
          }
          for (let p = start[b]; p < e; p++) {
            const dx = px[p] - qx;
            const dy = py[p] - qy;
            buffer[found++] = dx * dx + dy * dy;
          }
        }
      }
      if (found >= k) {
        const kth = select(buffer, found, k - 1);
        // every point not seen yet lies outside the (2r+1)-cell square, more than r cells away
        const reach = r * side;
        if (kth <= reach * reach) {
          out[q] = Math.sqrt(kth);
          break;
        }
        if (r === maxRings) out[q] = Infinity;
      }
    }
  }
  return out;
}

/** q02 and q98 of the values (on at most ~4,096 of them), and spread = q98 − q02 (a tiny span for constant data) */
function robustRange(values: Float64Array): { lo: number; hi: number; spread: number } {
  const n = values.length;
  const step = Math.max(1, Math.floor(n / 4096));
  const picked: number[] = [];
  for (let i = 0; i < n; i += step) picked.push(values[i]);
  picked.sort((a, b) => a - b);
  const lo = picked[Math.floor(0.02 * (picked.length - 1))];
  const hi = picked[Math.ceil(0.98 * (picked.length - 1))];
  return { lo, hi, spread: Math.max(hi - lo, 1e-9 * Math.max(1, Math.abs(lo))) };
}
