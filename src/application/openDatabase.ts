// Opens the database the configuration names, checks that its schema is current, reads its
// settings (the service time zone) once, and closes it when the work is done: the
// open/try/finally-close that every command needs, written once.
import { join } from 'node:path';
import { openDatabase, type Database } from '../storage/database.js';
import { pendingMigrations } from '../storage/migrate.js';
import { readSettings, type DatabaseSettings } from '../storage/settings.js';
import type { RidescanConfig } from './config.js';
import { ConfigError, DatabaseError } from './errors.js';

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

/**
 * The database's settings, read once, with RIDESCAN_TZ checked against them: the variable no
 * longer sets the service time zone (the database does, issue 11). Set to the database's zone it
 * is ignored with a notice; set to another, the command stops (exit 2) before it does anything
 * in a zone the operator did not expect.
 */
export async function databaseSettings(config: RidescanConfig, db: Database, withRides = true): Promise<DatabaseSettings> {
  const settings = await readSettings(db, { withRides });
  checkDeprecatedTimeZone(config, settings);
  return settings;
}

const noticed = new WeakSet<RidescanConfig>();

export function checkDeprecatedTimeZone(config: RidescanConfig, settings: DatabaseSettings): void {
  const legacy = config.deprecatedTimeZone;
  if (legacy === undefined) return;
  const zone = settings.timeZone.zone;
  if (legacy === zone) {
    // once per configuration: the scheduler opens the database on every tick
    if (!noticed.has(config)) config.notice?.(`RIDESCAN_TZ is deprecated and ignored: the database holds the service time zone (${zone}, the same); unset it`);
    noticed.add(config);
    return;
  }
  throw new ConfigError(
    `RIDESCAN_TZ=${legacy} but the database's service time zone is ${zone} (${settings.timeZone.source}); ` +
      `RIDESCAN_TZ no longer sets it: unset RIDESCAN_TZ, or change the database's zone with \`ridescan time-zone ${legacy}\``,
  );
}

/**
 * Runs fn on the configured database and closes it, whatever fn does. With a current schema fn
 * gets the settings too; without (migrate, demo, the scheduler's start) it migrates first and
 * reads them with databaseSettings itself.
 */
export async function withDatabase<T>(
  config: RidescanConfig,
  options: {
    requireSchema: true;
    /** `time-zone` checks RIDESCAN_TZ itself: it is the command that resolves a conflict */
    ownTimeZoneCheck?: boolean;
    /** settings.hasRides is wanted (load): it reads the rides table, which the others leave alone */
    withRides?: boolean;
  },
  fn: (db: Database, settings: DatabaseSettings) => Promise<T>,
): Promise<T>;
export async function withDatabase<T>(config: RidescanConfig, options: { requireSchema: false }, fn: (db: Database) => Promise<T>): Promise<T>;
export async function withDatabase<T>(
  config: RidescanConfig,
  options: OpenOptions & { ownTimeZoneCheck?: boolean; withRides?: boolean },
  fn: (db: Database, settings: DatabaseSettings) => Promise<T>,
): Promise<T> {
  const db = await openConfiguredDatabase(config, options);
  try {
    if (!options.requireSchema) return await (fn as (db: Database) => Promise<T>)(db);
    const withRides = options.withRides ?? false;
    return await fn(db, options.ownTimeZoneCheck ? await readSettings(db, { withRides }) : await databaseSettings(config, db, withRides));
  } finally {
    await db.close();
  }
}
