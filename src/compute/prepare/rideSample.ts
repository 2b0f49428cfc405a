// Samples of a day's rides that do not depend on the order the rides come in: the rides with the smallest
// hashes of their own values (the bits of their distance and duration). The database returns a day's
// rows in page order, which can change between runs; a sample drawn by position would then change too,
// and with it the eps chosen from it and the flags.
import { selectRange, sortIndicesByKey } from '../compute_util.js';

/** A 32-bit hash per ride of its (distance, duration) bits (murmur3's mixing and finaliser over the four words). */
export function rideHashes(distanceKm: Float64Array, durationMin: Float64Array): Uint32Array {
  const n = distanceKm.length;
  const a = new Uint32Array(distanceKm.buffer, distanceKm.byteOffset, 2 * n);
  const b = new Uint32Array(durationMin.buffer, durationMin.byteOffset, 2 * n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0x9e3779b9;
    h = mix(h, a[2 * i]);
    h = mix(h, a[2 * i + 1]);
    h = mix(h, b[2 * i]);
    h = mix(h, b[2 * i + 1]);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = h >>> 0;
  }
  return out;
}

function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Indices of the `size` rides with the smallest hashes (all rides when there are fewer), ordered by hash.
 * The same rides in any order give the same sample in the same order: identical rides share a hash, and
 * which of them is taken does not matter, they are the same point to every detector (only a collision of
 * two different rides exactly at the cut, about n / 2^32 likely, depends on the order). A smaller sample
 * is the beginning of a larger one.
 */
export function hashSample(hashes: Uint32Array, size: number): Uint32Array {
  const n = hashes.length;
  const k = Math.max(0, Math.min(n, Math.floor(size)));
  let picked: Uint32Array;
  if (k === n) {
    picked = new Uint32Array(n);
    for (let i = 0; i < n; i++) picked[i] = i;
  } else if (k === 0) {
    picked = new Uint32Array(0);
  } else {
    // the k-th smallest hash, then every ride below it and as many at it as fill the sample
    const copy = Float64Array.from(hashes);
    const cut = selectRange(copy, 0, n - 1, k - 1);
    picked = new Uint32Array(k);
    let p = 0;
    for (let i = 0; i < n; i++) if (hashes[i] < cut) picked[p++] = i;
    for (let i = 0; i < n && p < k; i++) if (hashes[i] === cut) picked[p++] = i;
  }
  return sortIndicesByKey(hashes, picked);
}
