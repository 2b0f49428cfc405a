// Puts a simulated service day into the rides table (the book's distributions, seeded).
// Simulated rides are inserted under the load lock, like files, so that a simulation and a load
// never race on the same ids.
import type { Database } from '../../storage/database.js';
import { insertRides, type InsertResult, type NewRide } from '../../storage/rides.js';
import { simulateRides, BOOK_ANOMALY_SHARE } from '../../compute/simulation/simulateRides.js';
import { SeededRandom } from '../../compute/simulation/seededRandom.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';

export interface SimulateDayOptions {
  serviceDate: string;
  rides: number;
  seed: number;
  anomalyShare?: number;
  /** the zone of the simulated wall-clock times; default the database's service time zone */
  timeZone?: string;
  /** how many cars the rides are spread over */
  taxis?: number;
}

export async function simulateDay(db: Database, options: SimulateDayOptions): Promise<InsertResult> {
  const simulated = simulateRides(options.rides, options.seed, options.anomalyShare ?? BOOK_ANOMALY_SHARE);
  const random = new SeededRandom(options.seed ^ 0x5eed);
  const dayStart = Date.parse(`${options.serviceDate}T00:00:00Z`);
  const taxis = options.taxis ?? 3000;
  function* rides(): Generator<NewRide> {
    for (let i = 0; i < options.rides; i++) {
      // Whole milliseconds, so that duration_min read back from the database is what was drawn
      // up to a millisecond.
      const pickup = dayStart + Math.floor(random.next() * 86_400_000);
      yield {
        rideId: `sim-${options.serviceDate}-s${options.seed}-${i}`,
        taxiId: `T${String(random.int(taxis)).padStart(4, '0')}`,
        pickupLocalMs: pickup,
        dropoffLocalMs: pickup + Math.round(simulated.durationMin[i] * 60_000),
        distanceKm: simulated.distanceKm[i],
      };
    }
  }
  return insertRides(db, rides(), options.timeZone);
}

/**
 * `ridescan simulate`: a simulated day into the configured database, in its service zone (read
 * under the load lock by insertRides, so a concurrent `time-zone` cannot come between).
 */
export async function simulate(config: RidescanConfig, options: Omit<SimulateDayOptions, 'timeZone'>): Promise<InsertResult> {
  return withDatabase(config, { requireSchema: true }, (db) => simulateDay(db, options));
}
