/**
 * Exact DBSCAN (scikit-learn semantics) for 2-D points over a grid index (gridIndex.ts). Its result keeps the
 * index for the exact distances to the nearest core point of selected clusters (the anomaly score,
 * nearestCore.ts).
 *
 * Why hand-written: the `density-clustering` package is O(n^2)–O(n^3) (measured at 132 s for 10k points)
 * and scikit-learn's DBSCAN ran out of 16 GB of memory at 100k points. This grid index over typed arrays
 * clusters 1,000,000 standardised taxi-shaped points (eps 0.3, minSamples 10) in ~0.15 s (median of 5 runs in
 * one process; a cold first call 0.15-0.3 s) on the 2-core build machine with node 20, and nearestCoreDistances
 * then takes ~0.05 s (measured 2026-11 with a throwaway benchmark, machine shared with other jobs).
 *
 * Semantics
 * - "q within eps of p" means  dx*dx + dy*dy <= eps*eps  evaluated in float64 (dx = qx - px, dy = qy - py),
 *   as scikit-learn's kd-tree radius query does; p is its own neighbour.
 * - p is core when it has >= minSamples neighbours. Clusters are the connected components of core points
 *   (edges: core pairs within eps).
 * - A non-core point within eps of a core point is a border point and takes the cluster of its NEAREST core
 *   point (ties: smallest point index); otherwise it is noise (-1).
 * - Cluster ids 0..k-1 are numbered by the smallest point index they contain.
 *
 * Exactness does not depend on rounding luck: every shortcut (a whole cell counted or skipped, two cells
 * merged without looking at points) is decided from the actual bounding boxes of the points involved, using
 * the same float formula; since float subtraction, squaring and addition are monotone, a box bound computed
 * in float64 bounds every point-to-point value computed in float64.
 */
import { buildGrid, GridIndex, type Cells } from './gridIndex.js';
import { find, union } from './unionFind.js';

export interface DbscanResult {
  /** cluster id per point, 0..clusterCount-1; -1 = noise */
  labels: Int32Array;
  /** 1 where the point is a core point */
  isCore: Uint8Array;
  clusterCount: number;
  /** opaque index reused by nearestCoreDistances; shape is yours */
  grid: unknown;
}

function validate(xs: Float64Array, ys: Float64Array, eps: number, minSamples: number): void {
  if (xs.length !== ys.length) {
    throw new RangeError(`gridDbscan: xs and ys differ in length (${xs.length} vs ${ys.length})`);
  }
  if (!(eps > 0) || !Number.isFinite(eps) || !(eps * eps >= 2.2250738585072014e-308)) {
    // eps*eps must be a normal float64 so that dx*dx + dy*dy <= eps*eps means what it says
    throw new RangeError(`gridDbscan: eps must be a finite number >= 1.5e-154, got ${eps}`);
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new RangeError(`gridDbscan: minSamples must be an integer >= 1, got ${minSamples}`);
  }
}

/*
 * The work is split into one small function per pass on purpose: V8 compiles a long-running loop on the fly
 * (on-stack replacement) and, in one big function, falls back to the interpreter right after each loop (no type
 * feedback yet for the code that follows), where every float operation allocates. Small functions each get
 * optimised for their own loop; with them a cold first call takes about half the time.
 */

export function gridDbscan(xs: Float64Array, ys: Float64Array, eps: number, minSamples: number): DbscanResult {
  validate(xs, ys, eps, minSamples);
  const n = xs.length;
  const eps2 = eps * eps;
  if (n === 0) return emptyResult(eps2);
  const { order, sx, sy, cells, spare } = buildGrid(xs, ys, eps);
  const { cellStart, nbStart, nbCell } = cells;
  // union-find over sorted positions of core points, in a spare buffer of the sort (see findCore)
  const parent = spare;
  const core = findCore(sx, sy, cells, eps2, minSamples, parent);
  connectCells(sx, sy, cells, core, eps2, parent);
  assignRoots(sx, sy, order, cells, core, eps2, parent);
  const { labels, isCore, labelS, clusterCount } = numberClusters(order, parent, core.coreS);
  const grid = new GridIndex({
    n,
    eps2,
    order,
    sx,
    sy,
    cellCount: cellStart.length - 1,
    cellStart,
    nbStart,
    nbCell,
    coreS: core.coreS,
    labelS,
  });
  return { labels, isCore, clusterCount, grid };
}

interface CoreInfo {
  /** 1 for core points, by sorted position */
  coreS: Uint8Array;
  coreCount: Int32Array;
  /** first core point of each cell (sorted position), -1 when none */
  coreRep: Int32Array;
  /** bounding box of the core points of each cell */
  cMinX: Float64Array;
  cMaxX: Float64Array;
  cMinY: Float64Array;
  cMaxY: Float64Array;
}

/**
 * Core flags, per-cell core summaries, and the union-find initialised for core points (the core points of a
 * tight cell are linked to its first one). Entries of `parent` for non-core points are left untouched (the
 * buffer holds leftovers of the sort) and are never read before assignRoots writes them.
 */
function findCore(
  sx: Float64Array,
  sy: Float64Array,
  cells: Cells,
  eps2: number,
  m: number,
  parent: Int32Array,
): CoreInfo {
  const { cellStart, nbStart, nbCell, bMinX, bMaxX, bMinY, bMaxY, tight } = cells;
  const C = cellStart.length - 1;
  const coreS = new Uint8Array(sx.length);
  const coreCount = new Int32Array(C);
  const coreRep = new Int32Array(C).fill(-1);
  const cMinX = new Float64Array(C);
  const cMaxX = new Float64Array(C);
  const cMinY = new Float64Array(C);
  const cMaxY = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const a = cellStart[c];
    const b = cellStart[c + 1];
    if (b - a >= m && tight[c] === 1) {
      // a dense cell: every point has the whole cell within eps
      coreS.fill(1, a, b);
      coreCount[c] = b - a;
      coreRep[c] = a;
      cMinX[c] = bMinX[c];
      cMaxX[c] = bMaxX[c];
      cMinY[c] = bMinY[c];
      cMaxY[c] = bMaxY[c];
      parent.fill(a, a, b);
      continue;
    }
    const nb0 = nbStart[c];
    const nb1 = nbStart[c + 1];
    let cores = 0;
    let rep = -1;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let p = a; p < b; p++) {
      const px = sx[p];
      const py = sy[p];
      let count = 0;
      for (let t = nb0; t < nb1 && count < m; t++) {
        const d = nbCell[t];
        const dx0 = bMinX[d];
        const dx1 = bMaxX[d];
        const dy0 = bMinY[d];
        const dy1 = bMaxY[d];
        // nearest possible point of cell d
        const lx = dx0 - px > 0 ? dx0 - px : px - dx1 > 0 ? px - dx1 : 0;
        const ly = dy0 - py > 0 ? dy0 - py : py - dy1 > 0 ? py - dy1 : 0;
        if (lx * lx + ly * ly > eps2) continue;
        // farthest possible point of cell d
        const fx = px - dx0 > dx1 - px ? px - dx0 : dx1 - px;
        const fy = py - dy0 > dy1 - py ? py - dy0 : dy1 - py;
        const q0 = cellStart[d];
        const q1 = cellStart[d + 1];
        if (fx * fx + fy * fy <= eps2) {
          count += q1 - q0;
          continue;
        }
        for (let q = q0; q < q1; q++) {
          const dx = sx[q] - px;
          const dy = sy[q] - py;
          if (dx * dx + dy * dy <= eps2 && ++count >= m) break;
        }
      }
      if (count < m) continue;
      coreS[p] = 1;
      cores++;
      if (rep < 0) rep = p;
      parent[p] = tight[c] === 1 ? rep : p;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
    }
    coreCount[c] = cores;
    coreRep[c] = rep;
    cMinX[c] = x0;
    cMaxX[c] = x1;
    cMinY[c] = y0;
    cMaxY[c] = y1;
    if (cores > 1 && tight[c] === 0) {
      // pathological rounding case: core points of one cell that are not known to be pairwise within eps
      for (let p = rep; p < b; p++) {
        if (coreS[p] === 0) continue;
        for (let q = p + 1; q < b; q++) {
          if (coreS[q] === 0) continue;
          const dx = sx[q] - sx[p];
          const dy = sy[q] - sy[p];
          if (dx * dx + dy * dy <= eps2) union(parent, p, q);
        }
      }
    }
  }
  return { coreS, coreCount, coreRep, cMinX, cMaxX, cMinY, cMaxY };
}

/** unions the core points of neighbouring cells that have a pair within eps */
function connectCells(
  sx: Float64Array,
  sy: Float64Array,
  cells: Cells,
  core: CoreInfo,
  eps2: number,
  parent: Int32Array,
): void {
  const { cellStart, nbStart, nbCell, tight } = cells;
  const { coreS, coreRep, cMinX, cMaxX, cMinY, cMaxY } = core;
  const C = cellStart.length - 1;
  for (let c = 0; c < C; c++) {
    const repC = coreRep[c];
    if (repC < 0) continue;
    const endC = cellStart[c + 1];
    for (let t = nbStart[c], t1 = nbStart[c + 1]; t < t1; t++) {
      const d = nbCell[t];
      if (d <= c) continue;
      const repD = coreRep[d];
      if (repD < 0) continue;
      const endD = cellStart[d + 1];
      if (tight[c] === 1 && tight[d] === 1) {
        // all core points of c are already one set, and so are those of d
        if (find(parent, repC) === find(parent, repD)) continue;
        const gx = cMinX[d] - cMaxX[c] > 0 ? cMinX[d] - cMaxX[c] : cMinX[c] - cMaxX[d] > 0 ? cMinX[c] - cMaxX[d] : 0;
        const gy = cMinY[d] - cMaxY[c] > 0 ? cMinY[d] - cMaxY[c] : cMinY[c] - cMaxY[d] > 0 ? cMinY[c] - cMaxY[d] : 0;
        if (gx * gx + gy * gy > eps2) continue;
        const fx = cMaxX[d] - cMinX[c] > cMaxX[c] - cMinX[d] ? cMaxX[d] - cMinX[c] : cMaxX[c] - cMinX[d];
        const fy = cMaxY[d] - cMinY[c] > cMaxY[c] - cMinY[d] ? cMaxY[d] - cMinY[c] : cMaxY[c] - cMinY[d];
        if (fx * fx + fy * fy <= eps2) {
          union(parent, repC, repD);
          continue;
        }
        const x0 = cMinX[d];
        const x1 = cMaxX[d];
        const y0 = cMinY[d];
        const y1 = cMaxY[d];
        let found = false;
        for (let p = repC; p < endC && !found; p++) {
          if (coreS[p] === 0) continue;
          const px = sx[p];
          const py = sy[p];
          const lx = x0 - px > 0 ? x0 - px : px - x1 > 0 ? px - x1 : 0;
          const ly = y0 - py > 0 ? y0 - py : py - y1 > 0 ? py - y1 : 0;
          if (lx * lx + ly * ly > eps2) continue;
          for (let q = repD; q < endD; q++) {
            if (coreS[q] === 0) continue;
            const dx = sx[q] - px;
            const dy = sy[q] - py;
            if (dx * dx + dy * dy <= eps2) {
              union(parent, repC, repD);
              found = true;
              break;
            }
          }
        }
      } else {
        // pathological rounding case: a cell whose core points are not known to be one set
        for (let p = repC; p < endC; p++) {
          if (coreS[p] === 0) continue;
          for (let q = repD; q < endD; q++) {
            if (coreS[q] === 0) continue;
            const dx = sx[q] - sx[p];
            const dy = sy[q] - sy[p];
            if (dx * dx + dy * dy <= eps2) union(parent, p, q);
          }
        }
      }
    }
  }
}

/**
 * Overwrites parent[j] with the component root of every point: core -> its root, border -> root of its nearest
 * core point (ties: smallest point index), noise -> -1. Overwriting an entry with its root keeps the union-find
 * valid for the core points still to be looked up, and no lookup ever passes through a non-core entry.
 */
function assignRoots(
  sx: Float64Array,
  sy: Float64Array,
  order: Int32Array,
  cells: Cells,
  core: CoreInfo,
  eps2: number,
  parent: Int32Array,
): void {
  const { cellStart, nbStart, nbCell, tight } = cells;
  const { coreS, coreCount, coreRep, cMinX, cMaxX, cMinY, cMaxY } = core;
  const C = cellStart.length - 1;
  for (let c = 0; c < C; c++) {
    const a = cellStart[c];
    const b = cellStart[c + 1];
    if (coreCount[c] === b - a && tight[c] === 1) {
      parent.fill(find(parent, a), a, b);
      continue;
    }
    const nb0 = nbStart[c];
    const nb1 = nbStart[c + 1];
    for (let p = a; p < b; p++) {
      if (coreS[p] === 1) {
        parent[p] = find(parent, p);
        continue;
      }
      const px = sx[p];
      const py = sy[p];
      let best = Infinity;
      let bestQ = -1;
      let bestIndex = -1;
      for (let t = nb0; t < nb1; t++) {
        const d = nbCell[t];
        const repD = coreRep[d];
        if (repD < 0) continue;
        const x0 = cMinX[d];
        const x1 = cMaxX[d];
        const y0 = cMinY[d];
        const y1 = cMaxY[d];
        const lx = x0 - px > 0 ? x0 - px : px - x1 > 0 ? px - x1 : 0;
        const ly = y0 - py > 0 ? y0 - py : py - y1 > 0 ? py - y1 : 0;
        const lb = lx * lx + ly * ly;
        if (lb > eps2 || lb > best) continue;
        for (let q = repD, e = cellStart[d + 1]; q < e; q++) {
          if (coreS[q] === 0) continue;
          const dx = sx[q] - px;
          const dy = sy[q] - py;
          const d2 = dx * dx + dy * dy;
          if (d2 > eps2 || d2 > best) continue;
          if (bestQ < 0 || d2 < best || order[q] < bestIndex) {
            best = d2;
            bestQ = q;
            bestIndex = order[q];
          }
        }
      }
      parent[p] = bestQ < 0 ? -1 : find(parent, bestQ);
    }
  }
}

/** outputs in input order; clusters numbered by their smallest point index */
function numberClusters(
  order: Int32Array,
  rootS: Int32Array,
  coreS: Uint8Array,
): { labels: Int32Array; isCore: Uint8Array; labelS: Int32Array; clusterCount: number } {
  const n = order.length;
  const labels = new Int32Array(n);
  const isCore = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    labels[i] = rootS[j]; // the root for now
    isCore[i] = coreS[j];
  }
  // labelS doubles as "cluster id of root r" (indexed by r) while numbering, then becomes the id per position:
  // labelS[r] for a root r is only ever rewritten with its own value, so the in-place pass is safe.
  const labelS = new Int32Array(n).fill(-1);
  const clusterCount = firstOccurrenceIds(labels, labelS);
  for (let j = 0; j < n; j++) {
    const r = rootS[j];
    labelS[j] = r < 0 ? -1 : labelS[r];
  }
  return { labels, isCore, labelS, clusterCount };
}

/** replaces each root in `labels` by an id given in order of first occurrence (idOfRoot: all -1); returns the count */
function firstOccurrenceIds(labels: Int32Array, idOfRoot: Int32Array): number {
  let count = 0;
  for (let i = 0, n = labels.length; i < n; i++) {
    const r = labels[i];
    if (r < 0) continue;
    let id = idOfRoot[r];
    if (id < 0) {
      id = count++;
      idOfRoot[r] = id;
    }
    labels[i] = id;
  }
  return count;
}

function emptyResult(eps2: number): DbscanResult {
  const grid = new GridIndex({
    n: 0,
    eps2,
    order: new Int32Array(0),
    sx: new Float64Array(0),
    sy: new Float64Array(0),
    cellCount: 0,
    cellStart: new Int32Array(1),
    nbStart: new Int32Array(1),
    nbCell: new Int32Array(0),
    coreS: new Uint8Array(0),
    labelS: new Int32Array(0),
  });
  return { labels: new Int32Array(0), isCore: new Uint8Array(0), clusterCount: 0, grid };
}
