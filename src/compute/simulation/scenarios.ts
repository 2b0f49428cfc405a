// Labelled days for evaluating detectors. `book` is simulateRides (the book's distributions, the book's
// anomaly share); `city` is a second, different one, so that a detector tuned to the book's shapes shows
// it: lognormal distances (median 3 km, a long tail of normal long rides), a slower and more spread
// normal speed N(22, 7) km/h, and another anomaly mix (10%: 2% long distance U(15, 40) km at normal speed,
// 3% high speed N(65, 10) km/h, 5% low speed N(7, 2) km/h: a dense group close to normal traffic).
import { SeededRandom } from './seededRandom.js';
import { simulateRides, type SimulatedRides } from './simulateRides.js';

export const SCENARIOS = ['book', 'city'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_DESCRIPTIONS: Record<ScenarioName, string> = {
  book: "the book's: distance U(0, 10) km at N(30, 5) km/h; 2.5% each of long distance (30·U km), high speed N(50, 10), low speed N(15, 4)",
  city: 'distance lognormal (median 3 km) at N(22, 7) km/h; 2% long distance U(15, 40) km, 3% high speed N(65, 10), 5% low speed N(7, 2)',
};

export function simulateScenario(name: ScenarioName, n: number, seed: number): SimulatedRides {
  if (name === 'book') return simulateRides(n, seed);
  if (name === 'city') return simulateCity(n, seed);
  throw new RangeError(`unknown scenario ${String(name)}`);
}

const CITY_SHARES = [0, 0.02, 0.03, 0.05]; // by group: normal (the rest), long distance, high speed, low speed

function simulateCity(n: number, seed: number): SimulatedRides {
  const random = new SeededRandom(seed);
  const counts = CITY_SHARES.map((share) => Math.floor(n * share));
  counts[0] = n - counts[1] - counts[2] - counts[3];
  const distanceKm = new Float64Array(n);
  const durationMin = new Float64Array(n);
  const group = new Uint8Array(n);
  const normalDistance = () => Math.exp(random.normal(Math.log(3), 0.6));
  const normalSpeed = () => Math.max(4, random.normal(22, 7));
  let i = 0;
  for (let g = 0; g < counts.length; g++) {
    for (let c = 0; c < counts[g]; c++, i++) {
      let distance: number;
      let speed: number;
      if (g === 1) {
        distance = random.uniform(15, 40);
        speed = normalSpeed();
      } else if (g === 2) {
        distance = normalDistance();
        speed = random.normal(65, 10);
      } else if (g === 3) {
        distance = normalDistance();
        speed = Math.max(1, random.normal(7, 2));
      } else {
        distance = normalDistance();
        speed = normalSpeed();
      }
      distanceKm[i] = distance;
      durationMin[i] = (distance / speed) * 60;
      group[i] = g;
    }
  }
  return { distanceKm, durationMin, group };
}
