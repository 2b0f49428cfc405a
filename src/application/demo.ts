// `npm start`: the main job end to end on whatever database is configured (the embedded one on
// a fresh machine): migrate, make sure the demo day has rides, score it, show the summary and
// the day's top outliers as the operations team would query them.
import type { RidescanConfig } from './config.js';
import { EXIT } from './exitCodes.js';
import { openConfiguredDatabase } from './openConfiguredDatabase.js';
import { migrateToLatest } from '../storage/migrate.js';
import { countRidesByDay } from '../storage/rides.js';
import { topOutliers } from '../storage/outlierQueries.js';
import { simulateDay } from './simulateDay.js';
import { detectDay } from './detectDay.js';
import { DEFAULT_DETECTOR } from '../compute/detectOutliers.js';
import { formatDetectSummary } from './formatSummary.js';

export async function runDemo(config: RidescanConfig, options: { date: string; rides: number }): Promise<number> {
  const db = await openConfiguredDatabase(config, { requireSchema: false });
  try {
    const migrations = await migrateToLatest(db);
    const applied = migrations.filter((m) => m.status === 'applied').length;
    console.log(`database: ${db.describe} (${applied} migration(s) applied, ${migrations.length - applied} already there)`);
    const existing = (await countRidesByDay(db, options.date, options.date)).get(options.date) ?? 0;
    if (existing === 0) {
      const inserted = await simulateDay(db, { serviceDate: options.date, rides: options.rides, seed: 1, timeZone: config.timeZone });
      console.log(`simulated ${inserted.inserted} rides for ${options.date} (the book's distributions, seed 1)`);
    } else {
      console.log(`${existing} rides already present for ${options.date}`);
    }
    const result = await detectDay(db, { serviceDate: options.date, params: { ...DEFAULT_DETECTOR }, trigger: 'demo' });
    console.log();
    console.log(formatDetectSummary(result, db.describe));
    if (result.status !== 'succeeded') return EXIT.failed;
    const top = await topOutliers(db, options.date, 10);
    console.log();
    console.log(`top outliers by score (select * from rides where service_date = '${options.date}' and is_outlier order by outlier_score desc nulls first):`);
    console.table(
      top.map((r) => ({
        ride_id: r.ride_id,
        distance_km: Number(r.distance_km.toFixed(2)),
        duration_min: Number(r.duration_min.toFixed(1)),
        reason: r.outlier_reason,
        score: r.outlier_score,
      })),
    );
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
