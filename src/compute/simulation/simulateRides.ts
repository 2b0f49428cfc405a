// Rides drawn from the distributions of the book's worked example (Machine Learning Engineering
// with Python, ch. 1): distance uniform 0–10 km at a speed of N(30, 5) km/h, plus three anomaly
// groups of equal size: long distances (30·U km at normal speed), high speed N(50, 10) and low
// speed N(15, 4). The book's day is 370 normal rides and 3 × 10 anomalies (share 0.075).
import { SeededRandom } from './seededRandom.js';

export const RIDE_GROUPS = ['normal', 'long_distance', 'high_speed', 'low_speed'] as const;

export interface SimulatedRides {
  distanceKm: Float64Array;
  durationMin: Float64Array;
  /** index into RIDE_GROUPS: the ground truth for evaluation */
  group: Uint8Array;
}

export const BOOK_ANOMALY_SHARE = 30 / 400;

export function simulateRides(n: number, seed: number, anomalyShare = BOOK_ANOMALY_SHARE): SimulatedRides {
  if (!(anomalyShare >= 0 && anomalyShare <= 1)) throw new Error('anomaly share must be within [0, 1]');
  const random = new SeededRandom(seed);
  const perGroup = Math.floor((n * anomalyShare) / 3);
  const normal = n - 3 * perGroup;
  const distanceKm = new Float64Array(n);
  const durationMin = new Float64Array(n);
  const group = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = i < normal ? 0 : 1 + Math.floor((i - normal) / perGroup);
    let distance: number;
    let speed: number;
    switch (g) {
      case 1:
        distance = 30 * random.next();
        speed = random.normal(30, 5);
        break;
      case 2:
        distance = 10 * random.next();
        speed = random.normal(50, 10);
        break;
      case 3:
        distance = 10 * random.next();
        speed = random.normal(15, 4);
        break;
      default:
        distance = 10 * random.next();
        speed = random.normal(30, 5);
    }
    distanceKm[i] = distance;
    durationMin[i] = (distance / speed) * 60;
    group[i] = g;
  }
  return { distanceKm, durationMin, group };
}
