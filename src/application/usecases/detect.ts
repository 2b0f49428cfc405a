// `ridescan detect`: one day through the scoring pipeline, on the configured database.
import type { DetectorParams } from '../../compute/detectOutliers.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import { scoreDay, type DayOutcome } from './scoreDay.js';

export async function detect(config: RidescanConfig, options: { day: string; params: DetectorParams; recompute?: boolean }): Promise<{ outcome: DayOutcome; database: string }> {
  return withDatabase(config, { requireSchema: true }, async (db) => ({
    outcome: await scoreDay(db, options.day, { params: options.params, trigger: 'cli', tensorBackend: config.tensorBackend, recompute: options.recompute }),
    database: db.describe,
  }));
}
