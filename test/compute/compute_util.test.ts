import { describe, expect, it } from 'vitest';
import { median, quantileAtRank, select, selectIndirect, selectRange, since, sortIndicesByKey } from '../../src/compute/compute_util.js';
import { SeededRandom } from '../../src/compute/simulation/seededRandom.js';

/** n values with many repeats (0..levels-1), so that ties around the pivot occur */
function values(random: SeededRandom, n: number, levels: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.floor(random.next() * levels));
}

describe('quickselect', () => {
  it('select and selectRange give the k-th smallest, smaller before and greater after', () => {
    const random = new SeededRandom(7);
    // past 600 values the range is first narrowed on a sample (Floyd-Rivest): sizes either side, with many repeats and none
    for (const [n, levels] of [[1, 1], [2, 2], [101, 5], [1000, 1000], [999, 3], [30_000, 30_000], [30_000, 4], [5000, 1]]) {
      const data = values(random, n, levels);
      const sorted = Float64Array.from(data).sort();
      for (const k of [0, Math.round(0.05 * (n - 1)), n >>> 1, Math.round(0.95 * (n - 1)), n - 1]) {
        const copy = Float64Array.from(data);
        expect(select(copy, n, k)).toBe(sorted[k]);
        for (let i = 0; i < k; i++) expect(copy[i]).toBeLessThanOrEqual(copy[k]);
        for (let i = k + 1; i < n; i++) expect(copy[i]).toBeGreaterThanOrEqual(copy[k]);
        expect(Float64Array.from(copy).sort()).toEqual(sorted);
      }
    }
    // a sub-range: only [lo, hi] is looked at and moved
    const data = Float64Array.of(9, 5, 3, 8, 1, 7, 0);
    const copy = Float64Array.from(data);
    expect(selectRange(copy, 2, 5, 3)).toBe(3);
    expect([copy[0], copy[1], copy[6]]).toEqual([9, 5, 0]);
  });

  it('selectIndirect moves the items, not the keys, and puts the k-th smallest key at k', () => {
    const random = new SeededRandom(11);
    const key = values(random, 500, 40);
    const sortedKeys = Float64Array.from(key).sort();
    for (const k of [0, 137, 250, 499]) {
      const items = Int32Array.from({ length: 500 }, (_, i) => i);
      const keyBefore = Float64Array.from(key);
      selectIndirect(items, key, 0, 499, k);
      expect(key).toEqual(keyBefore);
      expect(key[items[k]]).toBe(sortedKeys[k]);
      for (let i = 0; i < k; i++) expect(key[items[i]]).toBeLessThanOrEqual(key[items[k]]);
      for (let i = k + 1; i < 500; i++) expect(key[items[i]]).toBeGreaterThanOrEqual(key[items[k]]);
      expect(Array.from(items).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    }
  });
});

describe('median', () => {
  it('is the middle value, the mean of the two middle ones for an even count, NaN when empty', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median(Float64Array.of(10, -10))).toBe(0);
    expect(median([])).toBeNaN();
    const input = [5, 4, 3];
    median(input);
    expect(input).toEqual([5, 4, 3]);
  });

  it('quantileAtRank takes the order statistic at round(q (n - 1)): the upper middle for an even count', () => {
    const input = Float64Array.of(4, 1, 3, 2);
    expect(quantileAtRank(input, 0.5)).toBe(3);
    expect(quantileAtRank(input, 0)).toBe(1);
    expect(quantileAtRank(input, 1)).toBe(4);
    expect(Array.from(input)).toEqual([4, 1, 3, 2]);
    expect(quantileAtRank(Float64Array.of(7, 1, 9), 0.5)).toBe(7);
    expect(quantileAtRank(new Float64Array(0), 0.5)).toBeNaN();
  });
});

describe('since', () => {
  it('gives the seconds elapsed since a performance.now() reading', () => {
    const elapsed = since(performance.now() - 1500);
    expect(elapsed).toBeGreaterThanOrEqual(1.5);
    expect(elapsed).toBeLessThan(10);
  });
});

describe('sortIndicesByKey', () => {
  it('orders the given indices by their 32-bit keys, stably, as a comparison sort of (key, position) does', () => {
    const random = new SeededRandom(11);
    // keys over the whole 32-bit range, with repeats, and every digit of the radix sort in play
    const keys = Uint32Array.from({ length: 5000 }, () => (random.next() < 0.3 ? 0xffff_fffe : Math.floor(random.next() * 2 ** 32)) >>> 0);
    const subset = Uint32Array.from({ length: 3000 }, (_, k) => (k * 7919) % keys.length);
    const expected = Array.from(subset)
      .map((index, position) => ({ index, position }))
      .sort((a, b) => keys[a.index] - keys[b.index] || a.position - b.position)
      .map((e) => e.index);
    expect(Array.from(sortIndicesByKey(keys, Uint32Array.from(subset)))).toEqual(expected);
    const sortedKeys = new Uint32Array(subset.length);
    sortIndicesByKey(keys, Uint32Array.from(subset), sortedKeys);
    expect(Array.from(sortedKeys)).toEqual(expected.map((i) => keys[i]));
    expect(sortIndicesByKey(keys, new Uint32Array(0))).toHaveLength(0);
  });
});
