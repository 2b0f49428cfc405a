// `ridescan status`: where the service days of a range stand, the database's service time zone,
// and the schedule's next tick.
import cron from 'node-cron';
import { dayOverview, type DayOverview } from '../../storage/dayStatus.js';
import { queueOverview, type QueueOverview } from '../../storage/jobQueue.js';
import type { ServiceTimeZone } from '../../storage/settings.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import { datesBetween, localDateOf } from '../serviceDays.js';

export interface StatusReport {
  database: string;
  from: string;
  to: string;
  /** the database's service time zone: the days are its local dates, the schedule ticks in it */
  timeZone: ServiceTimeZone;
  nextTick: string | null;
  /** every calendar day of the range, days without rides included */
  days: DayOverview[];
  /** the per-day job queue (`ridescan worker`): queued, running and failed jobs */
  queue: QueueOverview;
}

/**
 * The range comes from the caller once the database's zone is known: `today` is today's date
 * there (the default end of the range). It may throw (a bad range) before anything is read.
 */
export async function status(config: RidescanConfig, range: (today: string) => { from: string; to: string }): Promise<StatusReport> {
  const report = await withDatabase(config, { requireSchema: true }, async (db, settings) => {
    const { from, to } = range(localDateOf(new Date(), settings.timeZone.zone));
    return {
      database: db.describe,
      from,
      to,
      timeZone: settings.timeZone,
      days: await dayOverview(db, from, to, datesBetween(from, to)),
      queue: await queueOverview(db),
    };
  });
  // a task only knows its next run once scheduled; it is destroyed before it could fire
  const probe = cron.schedule(config.cron, () => {}, { timezone: report.timeZone.zone });
  const nextTick = probe.getNextRun()?.toISOString() ?? null;
  await probe.destroy();
  return { ...report, nextTick };
}
