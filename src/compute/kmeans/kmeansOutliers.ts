// k-means as an anomaly detector, the way BigQuery ML's ML.DETECT_ANOMALIES treats a k-means model:
// every ride's distance to its nearest centroid, and the `contamination` share of rides farthest from
// theirs are the outliers. Centroids from ml-kmeans (seeded k-means++, fitted on a hash sample of the
// day when the day is large), distances in TensorFlow.js.
//
// Score: the ride's distance to its centroid divided by the threshold distance (the largest distance
// among the rides not flagged), rounded to 0.001: <= 1 normal, > 1 flagged, like DBSCAN's score in eps.
import { tf } from '../tfjs.js';
import { hashSample } from '../prepare/rideSample.js';
import { select, since } from '../compute_util.js';

export interface KmeansParams {
  /** number of centroids */
  k: number;
  /** share of the rides (that passed the rules) to flag, in [0, 1) */
  contamination: number;
  /** centroids are fitted on at most this many rides (a hash sample) */
  fitSampleSize: number;
  /** seed of k-means++ */
  seed: number;
}

export interface KmeansOutcome {
  /** nearest centroid per ride */
  labels: Int32Array;
  isOutlier: Uint8Array;
  /** distance to the nearest centroid (standardised units) */
  distance: Float64Array;
  /** distances above this are outliers */
  threshold: number;
  centroids: number[][];
  sizes: number[];
  iterations: number;
  fittedRides: number;
  clusterSeconds: number;
  scoreSeconds: number;
}

// ml-kmeans is an ES module tree (ml-matrix, ml-spectra-processing) that took ~0.2 s to load, and
// every `detect` loads this module through detectOutliers while DBSCAN, the default, never needs
// it: it is loaded on demand (loadKmeans), by whatever is about to run k-means (scoreDay, evaluate).
let fitKmeans: (typeof import('ml-kmeans'))['kmeans'] | undefined;

/** Loads ml-kmeans for kmeansOutliers; once per process, and at once after the first time. */
export async function loadKmeans(): Promise<void> {
  fitKmeans ??= (await import('ml-kmeans')).kmeans;
}

export function kmeansOutliers(xs: Float64Array, ys: Float64Array, hashes: Uint32Array, params: KmeansParams): KmeansOutcome {
  const { contamination, fitSampleSize, seed } = params;
  if (!(contamination >= 0 && contamination < 1)) throw new RangeError(`contamination must be within [0, 1), got ${contamination}`);
  if (!(Number.isInteger(params.k) && params.k >= 1)) throw new RangeError(`k must be a whole number >= 1, got ${params.k}`);
  let t = performance.now();
  const m = xs.length;
  if (m === 0) {
    return { labels: new Int32Array(0), isOutlier: new Uint8Array(0), distance: new Float64Array(0), threshold: Infinity, centroids: [], sizes: [], iterations: 0, fittedRides: 0, clusterSeconds: 0, scoreSeconds: 0 };
  }
  // the fit sample in hash order: the same rides give the same centroids whatever their order
  const fit = hashSample(hashes, fitSampleSize);
  const data = Array.from(fit, (i) => [xs[i], ys[i]]);
  const distinct = new Set(data.map((p) => `${p[0]},${p[1]}`)).size;
  const k = Math.min(params.k, distinct);
  if (!fitKmeans) throw new Error('kmeansOutliers: ml-kmeans is not loaded (await loadKmeans() before running k-means)');
  const model = fitKmeans(data, k, { seed, initialization: 'kmeans++', maxIterations: 100 });
  const centroids = model.centroids.map((c) => [c[0], c[1]]);
  const clusterSeconds = since(t);

  t = performance.now();
  const [distanceTensor, labelTensor] = tf.tidy(() => {
    const x = tf.tensor1d(Float32Array.from(xs));
    const y = tf.tensor1d(Float32Array.from(ys));
    const squared = centroids.map(([cx, cy]) => tf.add(tf.square(tf.sub(x, cx)), tf.square(tf.sub(y, cy))));
    const stacked = tf.stack(squared); // [k, m]
    return [tf.sqrt(tf.min(stacked, 0)), tf.argMin(stacked, 0)];
  });
  const distance32 = distanceTensor.dataSync() as Float32Array;
  const labels = Int32Array.from(labelTensor.dataSync() as Int32Array);
  tf.dispose([distanceTensor, labelTensor]);
  const distance = Float64Array.from(distance32);

  const flagged = Math.min(m, Math.round(contamination * m));
  // threshold: the largest distance among the m - flagged nearest rides; ties at it stay normal
  const threshold = flagged === 0 ? Infinity : flagged === m ? -Infinity : select(Float64Array.from(distance), m, m - flagged - 1);
  const isOutlier = new Uint8Array(m);
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < m; i++) {
    sizes[labels[i]]++;
    if (distance[i] > threshold) isOutlier[i] = 1;
  }
  return { labels, isOutlier, distance, threshold, centroids, sizes, iterations: model.iterations, fittedRides: fit.length, clusterSeconds, scoreSeconds: since(t) };
}
