// The anomaly score of DBSCAN: the exact distance from every point to the nearest core point of a kept
// cluster, searched over the grid index gridDbscan built.
import type { DbscanResult } from './gridDbscan.js';
import { GridIndex } from './gridIndex.js';
import { buildKdTree, type KdTree } from './kdTree.js';

/**
 * For every point, the euclidean distance to the nearest core point whose cluster c has keepCluster[c] === 1
 * (0 for such core points themselves; Infinity when no cluster is kept).
 * Used as the anomaly score (the caller divides by eps): it must be exact, and fast when most points are
 * core points of kept clusters (answer 0 at once) and a few thousand are far away (e.g. 30-100 eps away):
 * do not scan all points for each far point; e.g. search the nearby cells first, then the kept core cells
 * with a lower bound from each cell's bounding box (or a coarser grid / ring search), pruning with the best so far.
 *
 * Implementation: a kd-tree over the grid cells holding kept core points (each with the bounding box of those
 * points); each query descends nearest child first and prunes subtrees and cells whose box lower bound is not
 * below the best squared distance so far. The distance is Math.sqrt(dx*dx + dy*dy) of the minimising pair.
 * xs, ys and result must be exactly what gridDbscan was given and returned (unmodified).
 */
export function nearestCoreDistances(
  xs: Float64Array,
  ys: Float64Array,
  result: DbscanResult,
  keepCluster: Uint8Array,
): Float64Array {
  const g = result.grid;
  if (!(g instanceof GridIndex)) throw new TypeError('nearestCoreDistances: result.grid is not a gridDbscan index');
  const n = g.n;
  const { order, sx, sy } = g;
  const { isCore, labels } = result;
  if (xs.length !== n || ys.length !== n || isCore.length !== n || labels.length !== n) {
    throw new RangeError(`nearestCoreDistances: expected ${n} points, got ${xs.length} and ${ys.length}`);
  }
  // spot check (a full comparison would cost as much as the whole search): same arrays as clustered?
  for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 64))) {
    if (xs[order[j]] !== sx[j] || ys[order[j]] !== sy[j]) {
      throw new RangeError('nearestCoreDistances: xs/ys are not the arrays gridDbscan clustered');
    }
  }
  const out = new Float64Array(n);
  const kept = keptCoreCells(g, keepCluster);
  if (kept.count === 0) {
    out.fill(Infinity);
    return out;
  }
  const tree = buildKdTree(kept.minX, kept.maxX, kept.minY, kept.maxY, kept.count);
  searchAll(xs, ys, isCore, labels, keepCluster, g, kept, tree, out);
  return out;
}

/** the cells holding kept core points, with the bounding box of those points */
interface KeptCells {
  count: number;
  /** grid cell of kept cell k */
  cell: Int32Array;
  minX: Float64Array;
  maxX: Float64Array;
  minY: Float64Array;
  maxY: Float64Array;
  /** 1 when every point of the cell is a kept core point (no per-point test while scanning it) */
  all: Uint8Array;
}

function keptCoreCells(g: GridIndex, keepCluster: Uint8Array): KeptCells {
  const { sx, sy, coreS, labelS, cellStart, cellCount: C } = g;
  const cell = new Int32Array(C);
  const minX = new Float64Array(C);
  const maxX = new Float64Array(C);
  const minY = new Float64Array(C);
  const maxY = new Float64Array(C);
  const all = new Uint8Array(C);
  let K = 0;
  for (let c = 0; c < C; c++) {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    let keptHere = 0;
    const a = cellStart[c];
    const b = cellStart[c + 1];
    for (let j = a; j < b; j++) {
      if (coreS[j] === 0 || keepCluster[labelS[j]] !== 1) continue;
      keptHere++;
      const x = sx[j];
      const y = sy[j];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (keptHere === 0) continue;
    cell[K] = c;
    minX[K] = x0;
    maxX[K] = x1;
    minY[K] = y0;
    maxY[K] = y1;
    all[K] = keptHere === b - a ? 1 : 0;
    K++;
  }
  return { count: K, cell, minX, maxX, minY, maxY, all };
}

/** the nearest-kept-core search for every point that is not itself a kept core point (those stay 0) */
function searchAll(
  xs: Float64Array,
  ys: Float64Array,
  isCore: Uint8Array,
  labels: Int32Array,
  keepCluster: Uint8Array,
  g: GridIndex,
  kept: KeptCells,
  tree: KdTree,
  out: Float64Array,
): void {
  const { sx, sy, coreS, labelS, cellStart } = g;
  const { cell: kCell, minX: kMinX, maxX: kMaxX, minY: kMinY, maxY: kMaxY, all: kAll } = kept;
  const { items, nodeLo, nodeHi, nodeLeft, nodeMinX, nodeMaxX, nodeMinY, nodeMaxY } = tree;
  const stackNode = new Int32Array(2 * tree.depth + 8);
  const stackLb = new Float64Array(2 * tree.depth + 8);
  for (let i = 0, n = xs.length; i < n; i++) {
    // kept core points answer 0 (the array starts zeroed); read in input order, no index lookups
    if (isCore[i] === 1 && keepCluster[labels[i]] === 1) continue;
    const px = xs[i];
    const py = ys[i];
    let best = Infinity;
    stackNode[0] = 0;
    stackLb[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      if (stackLb[top] >= best) continue;
      const node = stackNode[top];
      const left = nodeLeft[node];
      if (left < 0) {
        for (let t = nodeLo[node], t1 = nodeHi[node]; t < t1; t++) {
          const k = items[t];
          const x0 = kMinX[k];
          const x1 = kMaxX[k];
          const y0 = kMinY[k];
          const y1 = kMaxY[k];
          const lx = x0 - px > 0 ? x0 - px : px - x1 > 0 ? px - x1 : 0;
          const ly = y0 - py > 0 ? y0 - py : py - y1 > 0 ? py - y1 : 0;
          if (lx * lx + ly * ly >= best) continue;
          const c = kCell[k];
          const everyPoint = kAll[k] === 1;
          for (let q = cellStart[c], e = cellStart[c + 1]; q < e; q++) {
            if (!everyPoint && (coreS[q] === 0 || keepCluster[labelS[q]] !== 1)) continue;
            const dx = sx[q] - px;
            const dy = sy[q] - py;
            const d2 = dx * dx + dy * dy;
            if (d2 < best) best = d2;
          }
        }
        continue;
      }
      const right = left + 1;
      const lxL = nodeMinX[left] - px > 0 ? nodeMinX[left] - px : px - nodeMaxX[left] > 0 ? px - nodeMaxX[left] : 0;
      const lyL = nodeMinY[left] - py > 0 ? nodeMinY[left] - py : py - nodeMaxY[left] > 0 ? py - nodeMaxY[left] : 0;
      const lbL = lxL * lxL + lyL * lyL;
      const lxR =
        nodeMinX[right] - px > 0 ? nodeMinX[right] - px : px - nodeMaxX[right] > 0 ? px - nodeMaxX[right] : 0;
      const lyR =
        nodeMinY[right] - py > 0 ? nodeMinY[right] - py : py - nodeMaxY[right] > 0 ? py - nodeMaxY[right] : 0;
      const lbR = lxR * lxR + lyR * lyR;
      // push the farther child first so that the nearer one is searched first
      const nearFirstLeft = lbL <= lbR;
      const farNode = nearFirstLeft ? right : left;
      const farLb = nearFirstLeft ? lbR : lbL;
      const nearNode = nearFirstLeft ? left : right;
      const nearLb = nearFirstLeft ? lbL : lbR;
      if (farLb < best) {
        stackNode[top] = farNode;
        stackLb[top++] = farLb;
      }
      if (nearLb < best) {
        stackNode[top] = nearNode;
        stackLb[top++] = nearLb;
      }
    }
    out[i] = Math.sqrt(best);
  }
}
