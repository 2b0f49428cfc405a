// `npm start`: the main job end to end on whatever database is configured (the embedded one on
// a fresh machine): migrate, make sure the demo day has rides, score it through the pipeline, and
// hand back the day's top outliers as the operations team would query them.
import { migrateToLatest } from '../../storage/migrate.js';
import { countRidesByDay } from '../../storage/rides.js';
import { topOutliers, type FlaggedRide } from '../../storage/outlierQueries.js';
import { DEFAULT_DETECTOR } from '../../compute/detectOutliers.js';
import type { RidescanConfig } from '../config.js';
import { databaseSettings, withDatabase } from '../openDatabase.js';
import { simulateDay } from './simulate.js';
import { scoreDay, type DayOutcome } from './scoreDay.js';

export interface DemoResult {
  database: string;
  outcome: DayOutcome;
  top: FlaggedRide[];
}

export async function runDemo(config: RidescanConfig, options: { date: string; rides: number }, say: (line: string) => void): Promise<DemoResult> {
  return withDatabase(config, { requireSchema: false }, async (db) => {
    const migrations = await migrateToLatest(db);
    const applied = migrations.filter((m) => m.status === 'applied').length;
    say(`database: ${db.describe} (${applied} migration(s) applied, ${migrations.length - applied} already there)`);
    // a fresh database keeps its default zone (UTC); RIDESCAN_TZ is checked against it
    await databaseSettings(config, db);
    const existing = (await countRidesByDay(db, options.date, options.date)).get(options.date) ?? 0;
    if (existing === 0) {
      const inserted = await simulateDay(db, { serviceDate: options.date, rides: options.rides, seed: 1 });
      say(`simulated ${inserted.inserted} rides for ${options.date} (the book's distributions, seed 1)`);
    } else {
      say(`${existing} rides already present for ${options.date}`);
    }
    const outcome = await scoreDay(db, options.date, { params: { ...DEFAULT_DETECTOR }, trigger: 'demo', tensorBackend: config.tensorBackend });
    const top = outcome.status === 'succeeded' ? await topOutliers(db, options.date, 10) : [];
    return { database: db.describe, outcome, top };
  });
}
