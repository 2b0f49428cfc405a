// A database to do damage in: embedded, in a temporary directory of its own, migrated, and removed
// when the work is done. `evaluate --scenario tlc` rewrites rides in it; the user's database
// (RIDESCAN_HOME, DATABASE_URL) is never opened.
//
// The service-day time zone is chosen here and nowhere else in the evaluation, so that when the
// zone becomes a setting of the database (set at migrate) only this function changes: today it is
// the configuration's timeZone, handed to the loader.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import type { RidescanConfig } from './config.js';

export interface ThrowawayDatabase {
  db: Database;
  /** the configuration the evaluation's use cases get: the zone set, the rest of the user's */
  config: RidescanConfig;
}

/** Runs fn on a fresh, migrated embedded database whose service days are in `timeZone`, then deletes it. */
export async function withThrowawayDatabase<T>(base: RidescanConfig, timeZone: string, fn: (throwaway: ThrowawayDatabase) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ridescan-evaluate-'));
  try {
    const config: RidescanConfig = { ...base, databaseUrl: undefined, home: dir, timeZone };
    const db = await openDatabase({ dataDir: join(dir, 'db') });
    try {
      await migrateToLatest(db);
      return await fn({ db, config });
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
