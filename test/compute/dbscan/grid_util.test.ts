import { describe, expect, it } from 'vitest';
import { cellSide, extent, PAD, paddedCell, paddedGrid, tooSparse } from '../../../src/compute/dbscan/grid_util.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

describe('grid_util', () => {
  it('extent is the bounding box and refuses a non-finite point, naming the caller', () => {
    expect(Array.from(extent(Float64Array.of(1, -2, 3), Float64Array.of(0, 5, -1), 'test'))).toEqual([-2, 3, -1, 5]);
    expect(() => extent(Float64Array.of(1, NaN), Float64Array.of(0, 0), 'someCaller')).toThrow(/someCaller: point 1 is not finite/);
    expect(() => extent(Float64Array.of(1), Float64Array.of(Infinity), 'x')).toThrow(RangeError);
  });

  it('a padded grid holds every point at least PAD cells from its edge, two points of a cell within eps', () => {
    const random = new SeededRandom(3);
    const n = 4000;
    const eps = 0.2;
    const xs = Float64Array.from({ length: n }, () => 4 * random.next() - 2);
    const ys = Float64Array.from({ length: n }, () => 3 * random.next());
    const grid = paddedGrid(xs, ys, eps, 'test');
    expect(grid.side).toBeLessThan(eps * Math.SQRT1_2);
    expect(grid.side).toBeGreaterThan(eps * Math.SQRT1_2 * (1 - 1e-9));
    expect(grid.side).toBe(cellSide(eps));
    const byCell = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = paddedCell(grid, xs[i], ys[i]);
      const a = Math.floor(c / grid.H);
      const b = c % grid.H;
      expect(a).toBeGreaterThanOrEqual(PAD);
      expect(a).toBeLessThan(grid.W - PAD);
      expect(b).toBeGreaterThanOrEqual(PAD);
      expect(b).toBeLessThan(grid.H - PAD);
      byCell.set(c, [...(byCell.get(c) ?? []), i]);
    }
    for (const members of byCell.values()) {
      for (const i of members) for (const j of members) expect(Math.hypot(xs[i] - xs[j], ys[i] - ys[j])).toBeLessThanOrEqual(eps);
    }
    expect(tooSparse(grid, n)).toBe(false);
    // two points far apart on a tiny eps: far more cells than points
    expect(tooSparse(paddedGrid(Float64Array.of(0, 1000), Float64Array.of(0, 1000), 0.01, 'test'), 2)).toBe(true);
  });
});
