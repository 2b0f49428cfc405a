// The grid geometry DBSCAN's passes share: cells of side eps/√2, so that any two points of one cell are
// within eps and the neighbours of a point lie in the 5×5 block of cells around its own.

/** Cells have side eps/√2 (shrunk a hair), so the neighbours of a point lie in the 5×5 block of cells around it. */
const CELL_SHRINK = 1 - 1e-12;
/** Neighbour cell offsets run over -PAD..PAD on each axis; also the padding that keeps keys from wrapping. */
export const PAD = 2;

/** the side of a cell for radius eps */
export function cellSide(eps: number): number {
  return eps * Math.SQRT1_2 * CELL_SHRINK;
}

/** [minX, maxX, minY, maxY] of the points; throws on a non-finite coordinate (`who` names the caller) */
export function extent(xs: Float64Array, ys: Float64Array, who: string): Float64Array {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0, n = xs.length; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x - x !== 0 || y - y !== 0) throw new RangeError(`${who}: point ${i} is not finite (${x}, ${y})`);
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return Float64Array.of(minX, maxX, minY, maxY);
}

/**
 * A dense grid of side eps/√2 over the points' extent, PAD empty cells around it (so that a 5×5 block
 * never leaves the grid): cell (a, b), a and b counted from the padded corner, is a * H + b, and the
 * point (x, y) lies in cell (floor((x − x0) / side) + PAD, floor((y − y0) / side) + PAD).
 */
export interface PaddedGrid {
  x0: number;
  y0: number;
  side: number;
  W: number;
  H: number;
}

export function paddedGrid(xs: Float64Array, ys: Float64Array, eps: number, who: string): PaddedGrid {
  const [x0, x1, y0, y1] = extent(xs, ys, who);
  const side = cellSide(eps);
  const W = Math.floor((x1 - x0) / side) + 1 + 2 * PAD;
  const H = Math.floor((y1 - y0) / side) + 1 + 2 * PAD;
  return { x0, y0, side, W, H };
}

/** more cells than a dense grid is worth for `points` points: search a k-d tree instead */
export function tooSparse(grid: PaddedGrid, points: number): boolean {
  return grid.W * grid.H > 4 * points + (1 << 16);
}

/** the cell of (x, y) in a padded grid */
export function paddedCell(grid: PaddedGrid, x: number, y: number): number {
  return (Math.floor((x - grid.x0) / grid.side) + PAD) * grid.H + Math.floor((y - grid.y0) / grid.side) + PAD;
}
