// The nearest of a fixed set of points to any query point, for scoring rides that were not clustered
// themselves (a day clustered on a sample).

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
