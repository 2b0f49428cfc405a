// A day clustered on a sample: every other ride against the sample's core rides, as DBSCAN treats a
// border ride (the cluster of its nearest core ride within eps), and the nearest kept core ride of
// every outlier for its score.
import type { DbscanResult } from './gridDbscan.js';
import { NearestPoints } from './nearestPoints.js';
import { paddedCell, paddedGrid, PAD, tooSparse } from './grid_util.js';

/**
 * Cluster of the nearest core ride of the sample within eps (-1: none), for every ride. A grid of side
 * eps/√2 over the sample's core rides: a ride whose own cell holds a core ride is within eps of it, and
 * when every core ride in the 5×5 cells around is of one cluster, that cluster is the answer without a
 * search. The others (near a cluster's edge, or between clusters) look through the 5×5 cells.
 */
export function assignToCores(
  xs: Float64Array,
  ys: Float64Array,
  cx: Float64Array,
  cy: Float64Array,
  sample: Uint32Array,
  dbscan: DbscanResult,
  eps: number,
): Int32Array {
  const m = xs.length;
  const labels = new Int32Array(m).fill(-1);
  const eps2 = eps * eps;
  const cores: number[] = [];
  for (let j = 0; j < cx.length; j++) if (dbscan.isCore[j] === 1) cores.push(j);
  // the sample's own rides keep DBSCAN's labels
  for (let j = 0; j < sample.length; j++) labels[sample[j]] = dbscan.labels[j];
  if (cores.length === 0) return labels;
  const px = Float64Array.from(cores, (j) => cx[j]);
  const py = Float64Array.from(cores, (j) => cy[j]);
  const grid = paddedGrid(px, py, eps, 'assignToCores');
  const { x0, y0, side, W, H } = grid;
  const inSample = new Uint8Array(m);
  for (let j = 0; j < sample.length; j++) inSample[sample[j]] = 1;
  if (tooSparse(grid, cores.length)) {
    // a sparse cloud of core rides (tiny eps): no grid, a k-d tree of the core rides
    const tree = new NearestPoints(px, py);
    for (let i = 0; i < m; i++) {
      if (inSample[i] === 1) continue;
      const near = tree.nearest(xs[i], ys[i]);
      if (near.distance2 <= eps2) labels[i] = dbscan.labels[cores[near.index]];
    }
    return labels;
  }
  const cellOf = (x: number, y: number) => paddedCell(grid, x, y);
  const start = new Int32Array(W * H + 1);
  for (const j of cores) start[cellOf(cx[j], cy[j]) + 1]++;
  for (let c = 0; c < W * H; c++) start[c + 1] += start[c];
  const fill = start.slice(0, W * H);
  const gx = new Float64Array(cores.length);
  const gy = new Float64Array(cores.length);
  const gl = new Int32Array(cores.length);
  for (const j of cores) {
    const p = fill[cellOf(cx[j], cy[j])]++;
    gx[p] = cx[j];
    gy[p] = cy[j];
    gl[p] = dbscan.labels[j];
  }
  // per cell: the one cluster of its core rides (-1 none, -2 several)
  const cellLabel = new Int32Array(W * H).fill(-1);
  for (let c = 0; c < W * H; c++) {
    for (let p = start[c]; p < start[c + 1]; p++) {
      if (cellLabel[c] === -1) cellLabel[c] = gl[p];
      else if (cellLabel[c] !== gl[p]) cellLabel[c] = -2;
    }
  }
  // per cell holding core rides: the one cluster of all core rides within its 5×5 block, else -2
  const pure = new Int32Array(W * H).fill(-2);
  for (let a = PAD; a < W - PAD; a++) {
    for (let b = PAD; b < H - PAD; b++) {
      const c = a * H + b;
      if (cellLabel[c] < 0) continue;
      let label = cellLabel[c];
      for (let da = -PAD; da <= PAD && label >= 0; da++) {
        for (let db = -PAD; db <= PAD; db++) {
          const other = cellLabel[c + da * H + db];
          if (other === -1 || other === label) continue;
          label = -2;
          break;
        }
      }
      pure[c] = label;
    }
  }
  for (let i = 0; i < m; i++) {
    if (inSample[i] === 1) continue;
    const x = xs[i];
    const y = ys[i];
    const a = Math.floor((x - x0) / side) + PAD;
    const b = Math.floor((y - y0) / side) + PAD;
    if (!(a >= 0 && a < W && b >= 0 && b < H)) continue; // more than 2 cells from every core ride: beyond eps
    const c = a * H + b;
    if (pure[c] >= 0) {
      labels[i] = pure[c];
      continue;
    }
    let best = Infinity;
    let bestLabel = -1;
    for (let da = -PAD; da <= PAD; da++) {
      const aa = a + da;
      if (aa < 0 || aa >= W) continue;
      for (let db = -PAD; db <= PAD; db++) {
        const bb = b + db;
        if (bb < 0 || bb >= H) continue;
        const d = aa * H + bb;
        for (let p = start[d]; p < start[d + 1]; p++) {
          const dx = gx[p] - x;
          const dy = gy[p] - y;
          const d2 = dx * dx + dy * dy;
          if (d2 <= eps2 && d2 < best) {
            best = d2;
            bestLabel = gl[p];
          }
        }
      }
    }
    labels[i] = bestLabel;
  }
  return labels;
}

/** Nearest kept core ride to a ride: squared distance. */
export interface NearestCore {
  readonly size: number;
  nearest2(x: number, y: number): number;
}

/**
 * A nearest-point index over the kept core rides (px, py), for rides farther than eps from all of them.
 * On a grid of side eps/√2, a core ride whose 5×5 block of cells is full (every cell holds a core ride)
 * is never the nearest to such a ride: the ride lies in an empty cell, at least 3 cells away from that
 * core ride's cell along some axis, and the cell of the block two steps towards it holds a core ride
 * closer on that axis by at least one cell side and no farther on the other. Only the others (the shell)
 * go into the k-d tree.
 */
export function nearestKeptCore(px: Float64Array, py: Float64Array, eps: number): NearestCore {
  const n = px.length;
  const everything = (): NearestCore => {
    const tree = new NearestPoints(px, py);
    return { size: n, nearest2: (x, y) => tree.nearest(x, y).distance2 };
  };
  if (n === 0) return everything();
  const grid = paddedGrid(px, py, eps, 'nearestKeptCore');
  const { W, H } = grid;
  if (tooSparse(grid, n)) return everything();
  const cell = new Int32Array(n);
  const occupied = new Uint8Array(W * H);
  for (let i = 0; i < n; i++) {
    cell[i] = paddedCell(grid, px[i], py[i]);
    occupied[cell[i]] = 1;
  }
  // per cell: is its 5×5 block full? (cells at the padded edge never are)
  const full = new Uint8Array(W * H);
  for (let a = PAD; a < W - PAD; a++) {
    for (let b = PAD; b < H - PAD; b++) {
      let all = 1;
      for (let da = -PAD; da <= PAD && all; da++) {
        for (let db = -PAD; db <= PAD; db++) {
          if (occupied[(a + da) * H + b + db] === 0) {
            all = 0;
            break;
          }
        }
      }
      full[a * H + b] = all;
    }
  }
  let shell = 0;
  for (let i = 0; i < n; i++) if (full[cell[i]] === 0) shell++;
  const sx = new Float64Array(shell);
  const sy = new Float64Array(shell);
  for (let i = 0, k = 0; i < n; i++) {
    if (full[cell[i]] === 1) continue;
    sx[k] = px[i];
    sy[k] = py[i];
    k++;
  }
  const tree = new NearestPoints(sx, sy);
  return { size: n, nearest2: (x, y) => tree.nearest(x, y).distance2 };
}
