// The grid index DBSCAN clusters over: points sorted by cell, the bounding box of every cell, and for
// every cell the list of neighbouring cells close enough to hold a point within eps. Built once per
// gridDbscan call and kept in its result for nearestCoreDistances.
import { cellSide, extent, PAD } from './grid_util.js';

/**
 * Cell coordinates are computed as floor((x - minX) * (1 / side)) in float64. Below 2^48 the rounding error is
 * under 1/8 of a cell, far inside the 0.41-cell margin of the neighbour block (cells 3 apart are >= 1.41 eps
 * apart). A data range beyond 2^48 cells (range / eps > ~2e14) is refused with a RangeError.
 */
const MAX_CELL_COORD = 2 ** 48;

/** The index kept in DbscanResult.grid. Everything is in "sorted position" order (points grouped by cell). */
export class GridIndex {
  n: number;
  eps2: number;
  /** sorted position -> original point index */
  order: Int32Array;
  sx: Float64Array;
  sy: Float64Array;
  cellCount: number;
  /** points of cell c are sorted positions cellStart[c] .. cellStart[c+1]-1 */
  cellStart: Int32Array;
  /** neighbour cells of c (itself first) are nbCell[nbStart[c] .. nbStart[c+1]-1] */
  nbStart: Int32Array;
  nbCell: Int32Array;
  coreS: Uint8Array;
  labelS: Int32Array;

  constructor(fields: {
    n: number;
    eps2: number;
    order: Int32Array;
    sx: Float64Array;
    sy: Float64Array;
    cellCount: number;
    cellStart: Int32Array;
    nbStart: Int32Array;
    nbCell: Int32Array;
    coreS: Uint8Array;
    labelS: Int32Array;
  }) {
    this.n = fields.n;
    this.eps2 = fields.eps2;
    this.order = fields.order;
    this.sx = fields.sx;
    this.sy = fields.sy;
    this.cellCount = fields.cellCount;
    this.cellStart = fields.cellStart;
    this.nbStart = fields.nbStart;
    this.nbCell = fields.nbCell;
    this.coreS = fields.coreS;
    this.labelS = fields.labelS;
  }
}

/** the points sorted by cell, the cells, and an n-long Int32Array that is free after sorting */
export interface Grid {
  /** sorted position -> point index */
  order: Int32Array;
  sx: Float64Array;
  sy: Float64Array;
  cells: Cells;
  spare: Int32Array;
}

/** Sorts the points into cells of side eps/√2 and lists each cell's neighbours; n >= 1. */
export function buildGrid(xs: Float64Array, ys: Float64Array, eps: number): Grid {
  const n = xs.length;
  const eps2 = eps * eps;
  const [minX, maxX, minY, maxY] = extent(xs, ys, 'gridDbscan');
  const side = cellSide(eps);
  const invSide = 1 / side;
  const spanX = (maxX - minX) * invSide;
  const spanY = (maxY - minY) * invSide;
  if (!(spanX < MAX_CELL_COORD && spanY < MAX_CELL_COORD)) {
    throw new RangeError(
      `gridDbscan: data range (${maxX - minX} x ${maxY - minY}) is too large relative to eps ${eps} ` +
        `(more than 2^48 cells per axis)`,
    );
  }
  const nx = Math.floor(spanX) + 1;
  const ny = Math.floor(spanY) + 1;
  const sorted =
    (nx + 2 * PAD) * (ny + 2 * PAD) <= Math.max(2 * n, 1 << 16)
      ? sortCompactGrid(xs, ys, minX, minY, invSide, nx, ny)
      : sortSparseGrid(xs, ys, minX, minY, invSide, nx, ny);
  const { order, sx, sy, cellStart, cellKey, rowStride } = sorted;
  const boxes = cellBoxes(sx, sy, cellStart, eps2);
  const { nbStart, nbCell } = buildNeighbourLists(cellKey, rowStride, side, eps2);
  return { order, sx, sy, cells: { cellStart, nbStart, nbCell, ...boxes }, spare: sorted.spare };
}

/**
 * Points grouped by cell, cells in increasing key (cx + PAD) * rowStride + (cy + PAD), points of a cell in index
 * order. The padding keeps offsets of up to PAD cells from wrapping into another column.
 */
interface SortedPoints {
  /** sorted position -> point index */
  order: Int32Array;
  sx: Float64Array;
  sy: Float64Array;
  /** points of cell c are sorted positions cellStart[c] .. cellStart[c+1]-1 */
  cellStart: Int32Array;
  cellKey: Float64Array;
  rowStride: number;
  /** an n-long Int32Array that is free after sorting */
  spare: Int32Array;
}

/**
 * Compact grid (at most max(2n, 2^16) positions): one counting sort over all grid positions; the non-empty
 * buckets are the cells. Coordinates are scattered while reading the input sequentially, which is much cheaper
 * than gathering them through a permutation afterwards.
 */
function sortCompactGrid(
  xs: Float64Array,
  ys: Float64Array,
  minX: number,
  minY: number,
  invSide: number,
  nx: number,
  ny: number,
): SortedPoints {
  const n = xs.length;
  const rowStride = ny + 2 * PAD;
  const positions = (nx + 2 * PAD) * rowStride;
  const key = compactKeys(xs, ys, minX, minY, invSide, rowStride);
  const next = new Int32Array(positions);
  histogram(key, next, 0);
  const C = countNonZero(next);
  const cellStart = new Int32Array(C + 1);
  const cellKey = new Float64Array(C);
  for (let b = 0, c = 0, pos = 0; b < positions; b++) {
    const k = next[b];
    if (k === 0) continue;
    cellStart[c] = pos;
    cellKey[c] = b;
    c++;
    next[b] = pos;
    pos += k;
  }
  cellStart[C] = n;
  const order = new Int32Array(n);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = next[key[i]]++;
    order[p] = i;
    sx[p] = xs[i];
    sy[p] = ys[i];
  }
  return { order, sx, sy, cellStart, cellKey, rowStride, spare: key };
}

function compactKeys(
  xs: Float64Array,
  ys: Float64Array,
  minX: number,
  minY: number,
  invSide: number,
  rowStride: number,
): Int32Array {
  const n = xs.length;
  const key = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cx = Math.floor((xs[i] - minX) * invSide);
    const cy = Math.floor((ys[i] - minY) * invSide);
    key[i] = (cx + PAD) * rowStride + cy + PAD;
  }
  return key;
}

/** count[v + shift] += 1 for every value v */
function histogram(values: Int32Array, count: Int32Array, shift: number): void {
  for (let i = 0, n = values.length; i < n; i++) count[values[i] + shift]++;
}

function countNonZero(a: Int32Array): number {
  let k = 0;
  for (let i = 0, n = a.length; i < n; i++) if (a[i] !== 0) k++;
  return k;
}

function prefixSums(a: Int32Array): void {
  for (let i = 1, n = a.length; i < n; i++) a[i] += a[i - 1];
}

/**
 * Sparse grid (far outliers, small eps): two stable counting passes, by row then by column, so that no array is
 * ever sized by the number of grid positions. Axes longer than max(4n, 2^16) cells are gap-compressed first.
 */
function sortSparseGrid(
  xs: Float64Array,
  ys: Float64Array,
  minX: number,
  minY: number,
  invSide: number,
  nx: number,
  ny: number,
): SortedPoints {
  const n = xs.length;
  const limit = Math.max(4 * n, 1 << 16);
  const ax = axisCells(xs, minX, invSide, nx, limit);
  const ay = axisCells(ys, minY, invSide, ny, limit);
  const rowStride = ay.cells + 2 * PAD;
  if (!((ax.cells + 2 * PAD) * rowStride <= 2 ** 53)) {
    throw new RangeError(`gridDbscan: too many points for exact grid keys (${n})`); // needs n > ~2e7
  }
  // pass 1, by row, from the input
  const rowNext = new Int32Array(ay.cells + 1);
  histogram(ay.coords, rowNext, 1);
  prefixSums(rowNext);
  const t = {
    index: new Int32Array(n),
    cx: new Int32Array(n),
    cy: new Int32Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
  };
  // (the source index argument is unused in this pass: the input index is the position itself)
  scatterPass(rowNext, ay.coords, t.index, ax.coords, ay.coords, xs, ys, t.index, t.cx, t.cy, t.x, t.y, true);
  // pass 2, by column (stable, so rows stay sorted within a column); ax/ay.coords get the sorted coordinates
  const colNext = new Int32Array(ax.cells + 1);
  histogram(t.cx, colNext, 1);
  prefixSums(colNext);
  const order = new Int32Array(n);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const scx = ax.coords;
  const scy = ay.coords;
  scatterPass(colNext, t.cx, t.index, t.cx, t.cy, t.x, t.y, order, scx, scy, sx, sy, false);
  const { cellStart, cellKey } = cellsOfSorted(scx, scy, rowStride);
  return { order, sx, sy, cellStart, cellKey, rowStride, spare: t.index };
}

/**
 * One stable counting-sort pass carrying the payload: element t goes to next[bucket[t]]++. With identityIndex
 * the source index array is ignored and t itself is written (first pass over the input).
 */
function scatterPass(
  next: Int32Array,
  bucket: Int32Array,
  index: Int32Array,
  cx: Int32Array,
  cy: Int32Array,
  x: Float64Array,
  y: Float64Array,
  outIndex: Int32Array,
  outCx: Int32Array,
  outCy: Int32Array,
  outX: Float64Array,
  outY: Float64Array,
  identityIndex: boolean,
): void {
  for (let t = 0, n = bucket.length; t < n; t++) {
    const p = next[bucket[t]]++;
    outIndex[p] = identityIndex ? t : index[t];
    outCx[p] = cx[t];
    outCy[p] = cy[t];
    outX[p] = x[t];
    outY[p] = y[t];
  }
}

function cellsOfSorted(scx: Int32Array, scy: Int32Array, rowStride: number): { cellStart: Int32Array; cellKey: Float64Array } {
  const n = scx.length;
  const startTmp = new Int32Array(n + 1);
  let C = 0;
  for (let j = 0; j < n; j++) {
    if (j === 0 || scx[j] !== scx[j - 1] || scy[j] !== scy[j - 1]) startTmp[C++] = j;
  }
  startTmp[C] = n;
  const cellStart = startTmp.slice(0, C + 1);
  const cellKey = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const j = cellStart[c];
    cellKey[c] = (scx[j] + PAD) * rowStride + scy[j] + PAD;
  }
  return { cellStart, cellKey };
}

/**
 * Gap compression of one axis of cell coordinates (used only when an axis spans more than max(4n, 2^16) cells):
 * occupied coordinates keep their order, gaps wider than PAD + 1 become exactly PAD + 1. Offsets within
 * -PAD..PAD are preserved exactly and larger offsets stay > PAD, so the neighbour relation between cells is
 * unchanged while the coordinate range drops below (PAD + 1) * n. Returns the largest compressed coordinate.
 */
function compressAxis(coords: Float64Array, out: Int32Array): number {
  const n = coords.length;
  const sorted = coords.slice().sort();
  const distinct = new Float64Array(n);
  const mapped = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    if (k === 0) {
      distinct[0] = v;
      mapped[0] = 0;
      k = 1;
    } else if (v !== distinct[k - 1]) {
      distinct[k] = v;
      mapped[k] = mapped[k - 1] + Math.min(v - distinct[k - 1], PAD + 1);
      k++;
    }
  }
  for (let i = 0; i < n; i++) {
    const v = coords[i];
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = mapped[lo];
  }
  return mapped[k - 1];
}

/** cell coordinate of every point along one axis, gap-compressed when the axis is longer than `limit` cells */
function axisCells(values: Float64Array, min: number, invSide: number, cells: number, limit: number): {
  coords: Int32Array;
  cells: number;
} {
  const n = values.length;
  const coords = new Int32Array(n);
  if (cells <= limit) {
    for (let i = 0; i < n; i++) coords[i] = Math.floor((values[i] - min) * invSide);
    return { coords, cells };
  }
  const raw = new Float64Array(n);
  for (let i = 0; i < n; i++) raw[i] = Math.floor((values[i] - min) * invSide);
  return { coords, cells: compressAxis(raw, coords) + 1 };
}

export interface Cells {
  cellStart: Int32Array;
  nbStart: Int32Array;
  /** neighbour cells of c (itself first) are nbCell[nbStart[c] .. nbStart[c+1]-1] */
  nbCell: Int32Array;
  /** bounding box of all points of each cell */
  bMinX: Float64Array;
  bMaxX: Float64Array;
  bMinY: Float64Array;
  bMaxY: Float64Array;
  /** 1 when every pair of points in the cell is within eps (always, barring pathological rounding) */
  tight: Uint8Array;
}

function cellBoxes(
  sx: Float64Array,
  sy: Float64Array,
  cellStart: Int32Array,
  eps2: number,
): Pick<Cells, 'bMinX' | 'bMaxX' | 'bMinY' | 'bMaxY' | 'tight'> {
  const C = cellStart.length - 1;
  const bMinX = new Float64Array(C);
  const bMaxX = new Float64Array(C);
  const bMinY = new Float64Array(C);
  const bMaxY = new Float64Array(C);
  const tight = new Uint8Array(C);
  for (let c = 0; c < C; c++) {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let j = cellStart[c], e = cellStart[c + 1]; j < e; j++) {
      const x = sx[j];
      const y = sy[j];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    bMinX[c] = x0;
    bMaxX[c] = x1;
    bMinY[c] = y0;
    bMaxY[c] = y1;
    const w = x1 - x0;
    const h = y1 - y0;
    tight[c] = w * w + h * h <= eps2 ? 1 : 0;
  }
  return { bMinX, bMaxX, bMinY, bMaxY, tight };
}

/**
 * For each cell (cells sorted by key), the occupied cells at offsets (a, b) in -PAD..PAD whose minimum possible
 * distance is <= eps (with a 1e-9 relative margin: including an extra cell is harmless). The cell itself comes
 * first, the rest nearest offsets first (so neighbour counting can stop early). Keys increase with the cell,
 * so one monotone pointer per column offset finds them in linear total time.
 */
function buildNeighbourLists(
  cellKey: Float64Array,
  rowStride: number,
  side: number,
  eps2: number,
): { nbStart: Int32Array; nbCell: Int32Array } {
  const C = cellKey.length;
  const W = 2 * PAD + 1;
  // rank[(a + PAD) * W + (b + PAD)]: visiting order of the offset, or -1 when excluded
  const rank = new Int32Array(W * W).fill(-1);
  {
    const offsets: Array<{ a: number; b: number; gap: number }> = [];
    for (let a = -PAD; a <= PAD; a++) {
      for (let b = -PAD; b <= PAD; b++) {
        const gx = Math.max(Math.abs(a) - 1, 0) * side;
        const gy = Math.max(Math.abs(b) - 1, 0) * side;
        const gap = gx * gx + gy * gy;
        if (gap <= eps2 * (1 + 1e-9)) offsets.push({ a, b, gap: a === 0 && b === 0 ? -1 : gap + Math.abs(a) + Math.abs(b) });
      }
    }
    offsets.sort((u, v) => u.gap - v.gap);
    offsets.forEach((o, r) => (rank[(o.a + PAD) * W + (o.b + PAD)] = r));
  }
  const ptr = new Int32Array(W);
  const nbStart = new Int32Array(C + 1);
  let nbCell = new Int32Array(Math.max(16, C * 9));
  let len = 0;
  const tmpCell = new Int32Array(W * W);
  const tmpRank = new Int32Array(W * W);
  for (let c = 0; c < C; c++) {
    const key = cellKey[c];
    let k = 0;
    for (let a = -PAD; a <= PAD; a++) {
      const colKey = key + a * rowStride;
      let p = ptr[a + PAD];
      while (p < C && cellKey[p] < colKey - PAD) p++;
      ptr[a + PAD] = p;
      for (let q = p; q < C && cellKey[q] <= colKey + PAD; q++) {
        const b = cellKey[q] - colKey;
        const r = rank[(a + PAD) * W + (b + PAD)];
        if (r < 0) continue;
        // insertion by rank
        let s = k++;
        while (s > 0 && tmpRank[s - 1] > r) {
          tmpRank[s] = tmpRank[s - 1];
          tmpCell[s] = tmpCell[s - 1];
          s--;
        }
        tmpRank[s] = r;
        tmpCell[s] = q;
      }
    }
    if (len + k > nbCell.length) {
      const grown = new Int32Array(Math.max(nbCell.length * 2, len + k));
      grown.set(nbCell.subarray(0, len));
      nbCell = grown;
    }
    nbCell.set(tmpCell.subarray(0, k), len);
    len += k;
    nbStart[c + 1] = len;
  }
  return { nbStart, nbCell: nbCell.slice(0, len) };
}
