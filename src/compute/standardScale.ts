// StandardScaler semantics (scikit-learn): subtract the mean, divide by the population standard
// deviation; a feature with zero variance is divided by 1. The arithmetic runs in TensorFlow.js.
import * as tf from '@tensorflow/tfjs-core';

export interface ScalerStats {
  features: string[];
  mean: number[];
  std: number[];
  n: number;
}

export interface Scaled {
  xs: Float64Array;
  ys: Float64Array;
  stats: ScalerStats;
}

/** Standardises two feature columns (same length) together. */
export function standardScale(a: Float64Array, b: Float64Array, features: [string, string]): Scaled {
  const n = a.length;
  if (n === 0) return { xs: new Float64Array(0), ys: new Float64Array(0), stats: { features, mean: [0, 0], std: [1, 1], n } };
  // float32 tensors, so the moments are computed on values centred on a float64 first guess:
  // keeps float32 cancellation out of the variance of large days.
  const shift = [a[0], b[0]];
  const { scaled, mean, variance } = tf.tidy(() => {
    const columns = tf.stack([tf.tensor1d(sub(a, shift[0])), tf.tensor1d(sub(b, shift[1]))], 1); // [n, 2]
    const moments = tf.moments(columns, 0);
    const std = tf.sqrt(moments.variance);
    const safeStd = tf.where(tf.greater(std, 0), std, tf.onesLike(std));
    return {
      scaled: tf.div(tf.sub(columns, moments.mean), safeStd).dataSync() as Float32Array,
      mean: Array.from(moments.mean.dataSync()),
      variance: Array.from(moments.variance.dataSync()),
    };
  });
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = scaled[2 * i];
    ys[i] = scaled[2 * i + 1];
  }
  const std = variance.map((v) => (v > 0 ? Math.sqrt(v) : 1));
  return { xs, ys, stats: { features, mean: [mean[0] + shift[0], mean[1] + shift[1]], std, n } };
}

function sub(values: Float64Array, shift: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] - shift;
  return out;
}
