// A database to do damage in: embedded, in a temporary directory of its own, migrated, and removed
// when the work is done. `evaluate --scenario tlc` rewrites rides in it; the user's database
// (RIDESCAN_HOME, DATABASE_URL) is never opened.
//
// The service-day time zone is fixed here, as `migrate --time-zone` fixes it: a setting of the
// database (storage/settings.ts), which the loader and scoring read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { chooseServiceTimeZone } from '../storage/settings.js';
import type { RidescanConfig } from './config.js';

export interface ThrowawayDatabase {
  db: Database;
  /** the configuration the evaluation's use cases get: the user's, with this database */
  config: RidescanConfig;
  /** the service time zone the database was given */
  timeZone: string;
}

/** Runs fn on a fresh, migrated embedded database whose service days are in `timeZone`, then deletes it. */
export async function withThrowawayDatabase<T>(base: RidescanConfig, timeZone: string, fn: (throwaway: ThrowawayDatabase) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ridescan-evaluate-'));
  try {
    const config: RidescanConfig = { ...base, databaseUrl: undefined, home: dir };
    const db = await openDatabase({ dataDir: join(dir, 'db') });
    try {
      await migrateToLatest(db);
      const settings = await chooseServiceTimeZone(db, timeZone);
      return await fn({ db, config, timeZone: settings.timeZone.zone });
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
