// Opens the database the configuration names, and checks that its schema is current.
import { join } from 'node:path';
import { openDatabase, DatabaseUnavailableError, type Database } from '../storage/database.js';
import { pendingMigrations } from '../storage/migrate.js';
import type { RidescanConfig } from './config.js';
import { CliError, EXIT } from './exitCodes.js';

export async function openConfiguredDatabase(config: RidescanConfig, options: { requireSchema: boolean }): Promise<Database> {
  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: join(config.home, 'db') });
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw new CliError(error.message, EXIT.database);
    throw error;
  }
  if (options.requireSchema) {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      await db.close();
      throw new CliError(
        `the database schema is not current (${pending.length} migration(s) pending: ${pending.join(', ')}); run \`ridescan migrate\` first`,
        EXIT.database,
      );
    }
  }
  return db;
}
