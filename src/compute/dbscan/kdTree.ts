// A k-d tree over boxes (the grid cells holding kept core points), for nearestCoreDistances.
import { selectIndirect } from '../compute_util.js';

const KD_LEAF_CELLS = 4;

export interface KdTree {
  /** kept-cell ids, permuted so that every node covers items[nodeLo .. nodeHi-1] */
  items: Int32Array;
  nodeLo: Int32Array;
  nodeHi: Int32Array;
  /** left child id (right child = left + 1), or -1 for a leaf */
  nodeLeft: Int32Array;
  nodeMinX: Float64Array;
  nodeMaxX: Float64Array;
  nodeMinY: Float64Array;
  nodeMaxY: Float64Array;
  depth: number;
}

/** Median-split kd-tree over boxes (split on the box centres along the wider axis); node 0 is the root. */
export function buildKdTree(
  minX: Float64Array,
  maxX: Float64Array,
  minY: Float64Array,
  maxY: Float64Array,
  K: number,
): KdTree {
  const items = new Int32Array(K);
  for (let k = 0; k < K; k++) items[k] = k;
  const centreX = new Float64Array(K);
  const centreY = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    centreX[k] = 0.5 * minX[k] + 0.5 * maxX[k];
    centreY[k] = 0.5 * minY[k] + 0.5 * maxY[k];
  }
  const maxNodes = 2 * K + 1;
  const nodeLo = new Int32Array(maxNodes);
  const nodeHi = new Int32Array(maxNodes);
  const nodeLeft = new Int32Array(maxNodes).fill(-1);
  const nodeMinX = new Float64Array(maxNodes);
  const nodeMaxX = new Float64Array(maxNodes);
  const nodeMinY = new Float64Array(maxNodes);
  const nodeMaxY = new Float64Array(maxNodes);
  let nodeCount = 1;
  let depth = 0;
  // explicit work list: [node, lo, hi, level]
  const work: number[] = [0, 0, K, 1];
  while (work.length > 0) {
    const level = work.pop()!;
    const hi = work.pop()!;
    const lo = work.pop()!;
    const node = work.pop()!;
    if (level > depth) depth = level;
    nodeLo[node] = lo;
    nodeHi[node] = hi;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    let cx0 = Infinity;
    let cx1 = -Infinity;
    let cy0 = Infinity;
    let cy1 = -Infinity;
    for (let t = lo; t < hi; t++) {
      const k = items[t];
      if (minX[k] < x0) x0 = minX[k];
      if (maxX[k] > x1) x1 = maxX[k];
      if (minY[k] < y0) y0 = minY[k];
      if (maxY[k] > y1) y1 = maxY[k];
      if (centreX[k] < cx0) cx0 = centreX[k];
      if (centreX[k] > cx1) cx1 = centreX[k];
      if (centreY[k] < cy0) cy0 = centreY[k];
      if (centreY[k] > cy1) cy1 = centreY[k];
    }
    nodeMinX[node] = x0;
    nodeMaxX[node] = x1;
    nodeMinY[node] = y0;
    nodeMaxY[node] = y1;
    if (hi - lo <= KD_LEAF_CELLS) continue;
    const mid = (lo + hi) >>> 1;
    selectIndirect(items, cx1 - cx0 >= cy1 - cy0 ? centreX : centreY, lo, hi - 1, mid);
    const left = nodeCount;
    nodeCount += 2;
    nodeLeft[node] = left;
    work.push(left, lo, mid, level + 1, left + 1, mid, hi, level + 1);
  }
  return { items, nodeLo, nodeHi, nodeLeft, nodeMinX, nodeMaxX, nodeMinY, nodeMaxY, depth };
}
