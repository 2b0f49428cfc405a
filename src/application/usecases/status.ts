// `ridescan status`: where the service days of a range stand, and the schedule's next tick.
import cron from 'node-cron';
import { dayOverview, type DayOverview } from '../../storage/dayStatus.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import { datesBetween } from '../serviceDays.js';

export interface StatusReport {
  database: string;
  from: string;
  to: string;
  nextTick: string | null;
  /** every calendar day of the range, days without rides included */
  days: DayOverview[];
}

export async function status(config: RidescanConfig, range: { from: string; to: string }): Promise<StatusReport> {
  const dates = datesBetween(range.from, range.to);
  const days = await withDatabase(config, { requireSchema: true }, async (db) => ({
    database: db.describe,
    days: await dayOverview(db, range.from, range.to, dates),
  }));
  // a task only knows its next run once scheduled; it is destroyed before it could fire
  const probe = cron.schedule(config.cron, () => {}, { timezone: config.timeZone });
  const nextTick = probe.getNextRun()?.toISOString() ?? null;
  await probe.destroy();
  return { ...days, ...range, nextTick };
}
