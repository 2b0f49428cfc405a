// Opens the database the configuration names, checks that its schema is current, and closes it
// when the work is done: the open/try/finally-close that every command needs, written once.
import { join } from 'node:path';
import { openDatabase, type Database } from '../storage/database.js';
import { pendingMigrations } from '../storage/migrate.js';
import type { RidescanConfig } from './config.js';
import { DatabaseError } from './errors.js';

export interface OpenOptions {
  /** refuse (exit 3) when migrations are pending; false for migrate and demo, which apply them */
  requireSchema: boolean;
}

export async function openConfiguredDatabase(config: RidescanConfig, options: OpenOptions): Promise<Database> {
  // DatabaseUnavailableError (unreachable, busy data directory) maps to exit 3 in errors.ts
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: join(config.home, 'db') });
  if (options.requireSchema) {
    const pending = await pendingMigrations(db).catch(async (error) => {
      await db.close();
      throw error;
    });
    if (pending.length > 0) {
      await db.close();
      throw new DatabaseError(`the database schema is not current (${pending.length} migration(s) pending: ${pending.join(', ')}); run \`ridescan migrate\` first`);
    }
  }
  return db;
}

/** Runs fn on the configured database and closes it, whatever fn does. */
export async function withDatabase<T>(config: RidescanConfig, options: OpenOptions, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openConfiguredDatabase(config, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
