// Bring the configured database's schema up to date (migrations run under their advisory lock),
// and with --time-zone fix its service time zone while it has no rides.
import { migrateToLatest, type MigrationResult } from '../../storage/migrate.js';
import { installJobQueue, type JobQueueInstall } from '../../storage/jobQueue.js';
import { chooseServiceTimeZone, RidesInOtherZoneError, UnknownTimeZoneError, type ServiceTimeZone } from '../../storage/settings.js';
import type { RidescanConfig } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import { databaseSettings, withDatabase } from '../openDatabase.js';

export interface MigrateResult {
  results: MigrationResult[];
  database: string;
  timeZone: ServiceTimeZone;
  /** pg-boss's schema for the per-day jobs, whether it was there before, and whether this login could install it */
  jobQueue: JobQueueInstall;
}

export async function migrate(config: RidescanConfig, options: { timeZone?: string } = {}): Promise<MigrateResult> {
  const wanted = options.timeZone;
  if (wanted !== undefined && config.deprecatedTimeZone !== undefined && config.deprecatedTimeZone !== wanted) {
    throw new ConfigError(`RIDESCAN_TZ=${config.deprecatedTimeZone} contradicts --time-zone ${wanted}; RIDESCAN_TZ no longer sets the service time zone: unset it`);
  }
  return withDatabase(config, { requireSchema: false }, async (db) => {
    const results = await migrateToLatest(db);
    // the job queue's schema too, so that `ridescan worker` needs no rights to create tables
    const jobQueue = await installJobQueue(db, config.databaseUrl);
    if (wanted !== undefined) {
      try {
        await chooseServiceTimeZone(db, wanted);
      } catch (error) {
        if (error instanceof RidesInOtherZoneError) {
          throw new UsageError(
            `--time-zone ${wanted}: the database already has rides, whose service days are in ${error.current}; ` +
              `migrate sets the zone of a database without rides only. To move every ride's day to ${wanted}: ridescan time-zone ${wanted}`,
          );
        }
        if (error instanceof UnknownTimeZoneError) throw new UsageError(`--time-zone: ${error.message}`);
        throw error;
      }
    }
    const settings = await databaseSettings(config, db);
    return { results, database: db.describe, timeZone: settings.timeZone, jobQueue };
  });
}
