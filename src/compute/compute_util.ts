// Helpers every part of compute shares: timing, quickselect and the median.

/** Seconds since `start`, a performance.now() reading. */
export function since(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The k-th smallest (0-based) of values[0..length), by quickselect; reorders the values. */
export function select(values: Float64Array, length: number, k: number): number {
  return selectRange(values, 0, length - 1, k);
}

/**
 * The k-th smallest (0-based, lo <= k <= hi) of values[lo..hi], by Floyd and Rivest's selection
 * (SELECT, 1975): a range that holds the k-th smallest is first narrowed down on a sample (the
 * same selection, recursively), so that the partition of the whole range takes about one pass.
 * Reorders that range so that position k holds it, smaller-or-equal values before it and
 * greater-or-equal after. Measured at 1M values: 4-10 ms against 8-19 ms for the median-of-three
 * quickselect it replaced (the day's feature summary selects 15 quantiles of three such columns).
 */
export function selectRange(values: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    if (hi - lo > 600) {
      // a sample's bounds around rank k: the k-th smallest lies within them but for ~1 / n chance
      const n = hi - lo + 1;
      const m = k - lo + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const sampleLo = Math.max(lo, Math.floor(k - (m * s) / n + sd));
      const sampleHi = Math.min(hi, Math.floor(k + ((n - m) * s) / n + sd));
      selectRange(values, sampleLo, sampleHi, k);
    }
    const pivot = values[k];
    let i = lo;
    let j = hi;
    swap(values, lo, k);
    if (values[hi] > pivot) swap(values, lo, hi);
    while (i < j) {
      swap(values, i, j);
      i++;
      j--;
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
    }
    if (values[lo] === pivot) swap(values, lo, j);
    else swap(values, ++j, hi);
    if (j <= k) lo = j + 1;
    if (k <= j) hi = j - 1;
  }
  return values[k];
}

function swap(values: Float64Array, a: number, b: number): void {
  const t = values[a];
  values[a] = values[b];
  values[b] = t;
}

/** Rearranges items[lo..hi] (inclusive) so that items[k] has the k-th smallest key[item], smaller keys before it. */
export function selectIndirect(items: Int32Array, key: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const pivot = key[items[(lo + hi) >>> 1]];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key[items[i]] < pivot) i++;
      while (key[items[j]] > pivot) j--;
      if (i <= j) {
        const t = items[i];
        items[i] = items[j];
        items[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * The median of the values: the middle one, or the mean of the two middle ones for an even count (numpy's
 * and scikit-learn's rule); NaN when empty. Sorts a copy.
 */
export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/**
 * The order statistic at rank round(q · (n − 1)) of the values, a copy selected (the quantile rule of
 * monitoring/featureSummary.ts; q = 0.5 is the upper middle for an even count); NaN when empty.
 */
export function quantileAtRank(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const copy = Float64Array.from(values);
  return selectRange(copy, 0, copy.length - 1, Math.round(q * (copy.length - 1)));
}

/**
 * The indices, stably sorted by their 32-bit key: LSD radix sort, two 16-bit digits (both digits'
 * counts taken in one pass), the keys carried beside the indices; `sortedKeys`, when given, gets
 * the keys in the sorted order. Measured at 1M id hashes: 72-176 ms, against 114-334 ms with
 * three 11-bit digits (the same processes), 440-770 ms when each pass read its key through the
 * index (a cache miss per ride) and ~280 ms for a native sort of packed doubles.
 */
export function sortIndicesByKey(keys: Uint32Array, indices: Uint32Array, sortedKeys?: Uint32Array): Uint32Array {
  const n = indices.length;
  const low = new Int32Array(65537);
  const high = new Int32Array(65537);
  const key = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const v = keys[indices[k]];
    key[k] = v;
    low[(v & 0xffff) + 1]++;
    high[(v >>> 16) + 1]++;
  }
  for (let d = 0; d < 65536; d++) {
    low[d + 1] += low[d];
    high[d + 1] += high[d];
  }
  const byLow = new Uint32Array(n);
  const byLowKey = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const to = low[key[k] & 0xffff]++;
    byLow[to] = indices[k];
    byLowKey[to] = key[k];
  }
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const to = high[byLowKey[k] >>> 16]++;
    order[to] = byLow[k];
    if (sortedKeys) sortedKeys[to] = byLowKey[k];
  }
  return order;
}
