// Neighbour searches in the plane that DBSCAN's grid does not offer: the distance from a point to its
// k-th nearest neighbour (for choosing eps), and the nearest of a fixed set of points to any query point
// (for scoring rides that were not clustered themselves).

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

/** The k-th smallest (0-based) of values[0..length), by quickselect; reorders the values. */
export function select(values: Float64Array, length: number, k: number): number {
  return selectRange(values, 0, length - 1, k);
}

/**
 * The k-th smallest (0-based, lo <= k <= hi) of values[lo..hi], by quickselect. Reorders that range so
 * that position k holds it, smaller-or-equal values before it and greater-or-equal after.
 */
export function selectRange(values: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot
    let a = values[lo];
    let b = values[mid];
    let c = values[hi];
    if (a > b) [a, b] = [b, a];
    if (b > c) [b, c] = [c, b];
    if (a > b) [a, b] = [b, a];
    const pivot = b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/**
 * The nearest of a fixed set of points to a query point: an implicit k-d tree (the points reordered so
 * that each range's middle element splits it, alternating axes) with the bounding box of every subtree,
 * exact in float64. Ties go to the smaller index.
 */
export class NearestPoints {
  readonly size: number;
  private readonly ids: Int32Array;
  private readonly px: Float64Array;
  private readonly py: Float64Array;
  /** bounding box of the subtree whose root (middle element) is at this position */
  private readonly bx0: Float64Array;
  private readonly bx1: Float64Array;
  private readonly by0: Float64Array;
  private readonly by1: Float64Array;
  private bestD2 = Infinity;
  private bestId = -1;

  constructor(xs: Float64Array, ys: Float64Array) {
    const n = xs.length;
    this.size = n;
    this.ids = new Int32Array(n);
    for (let i = 0; i < n; i++) this.ids[i] = i;
    this.px = Float64Array.from(xs);
    this.py = Float64Array.from(ys);
    this.bx0 = new Float64Array(n);
    this.bx1 = new Float64Array(n);
    this.by0 = new Float64Array(n);
    this.by1 = new Float64Array(n);
    this.build(0, n - 1, 0);
  }

  /** index (into the points given to the constructor) and squared distance of the nearest point; -1 if none */
  nearest(x: number, y: number): { index: number; distance2: number } {
    this.bestD2 = Infinity;
    this.bestId = -1;
    if (this.size > 0) this.search(x, y, 0, this.size - 1);
    return { index: this.bestId, distance2: this.bestD2 };
  }

  private build(lo: number, hi: number, axis: number): void {
    if (hi < lo) return;
    const mid = (lo + hi) >>> 1;
    if (hi > lo) {
      this.selectRange(lo, hi, mid, axis);
      this.build(lo, mid - 1, 1 - axis);
      this.build(mid + 1, hi, 1 - axis);
    }
    let x0 = this.px[mid];
    let x1 = x0;
    let y0 = this.py[mid];
    let y1 = y0;
    for (const child of [lo <= mid - 1 ? (lo + mid - 1) >>> 1 : -1, mid + 1 <= hi ? (mid + 1 + hi) >>> 1 : -1]) {
      if (child < 0) continue;
      if (this.bx0[child] < x0) x0 = this.bx0[child];
      if (this.bx1[child] > x1) x1 = this.bx1[child];
      if (this.by0[child] < y0) y0 = this.by0[child];
      if (this.by1[child] > y1) y1 = this.by1[child];
    }
    this.bx0[mid] = x0;
    this.bx1[mid] = x1;
    this.by0[mid] = y0;
    this.by1[mid] = y1;
  }

  /** reorders [lo, hi] so that position k holds the element of rank k along the axis (Hoare quickselect) */
  private selectRange(lo: number, hi: number, k: number, axis: number): void {
    const key = axis === 0 ? this.px : this.py;
    while (hi > lo) {
      const pivot = key[(lo + hi) >>> 1];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (key[i] < pivot) i++;
        while (key[j] > pivot) j--;
        if (i <= j) {
          this.swap(i, j);
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  private swap(i: number, j: number): void {
    const { ids, px, py } = this;
    let t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
    t = px[i];
    px[i] = px[j];
    px[j] = t;
    t = py[i];
    py[i] = py[j];
    py[j] = t;
  }

  /** squared distance from (x, y) to the bounding box of the subtree rooted at position mid */
  private boxDistance2(x: number, y: number, mid: number): number {
    const lx = this.bx0[mid] - x > 0 ? this.bx0[mid] - x : x - this.bx1[mid] > 0 ? x - this.bx1[mid] : 0;
    const ly = this.by0[mid] - y > 0 ? this.by0[mid] - y : y - this.by1[mid] > 0 ? y - this.by1[mid] : 0;
    return lx * lx + ly * ly;
  }

  private search(x: number, y: number, lo: number, hi: number): void {
    const mid = (lo + hi) >>> 1;
    const dx = this.px[mid] - x;
    const dy = this.py[mid] - y;
    const d2 = dx * dx + dy * dy;
    if (d2 < this.bestD2 || (d2 === this.bestD2 && this.ids[mid] < this.bestId)) {
      this.bestD2 = d2;
      this.bestId = this.ids[mid];
    }
    // children, the nearer box first; a box farther than the best so far cannot hold a nearer point
    // (equal distance is still searched, for the tie rule)
    const left = lo <= mid - 1 ? (lo + mid - 1) >>> 1 : -1;
    const right = mid + 1 <= hi ? (mid + 1 + hi) >>> 1 : -1;
    const dl = left >= 0 ? this.boxDistance2(x, y, left) : Infinity;
    const dr = right >= 0 ? this.boxDistance2(x, y, right) : Infinity;
    if (dl <= dr) {
      if (left >= 0 && dl <= this.bestD2) this.search(x, y, lo, mid - 1);
      if (right >= 0 && dr <= this.bestD2) this.search(x, y, mid + 1, hi);
    } else {
      if (right >= 0 && dr <= this.bestD2) this.search(x, y, mid + 1, hi);
      if (left >= 0 && dl <= this.bestD2) this.search(x, y, lo, mid - 1);
    }
  }
}
