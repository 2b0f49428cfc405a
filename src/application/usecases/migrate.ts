// Bring the configured database's schema up to date (migrations run under their advisory lock).
import { migrateToLatest, type MigrationResult } from '../../storage/migrate.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';

export async function migrate(config: RidescanConfig): Promise<{ results: MigrationResult[]; database: string }> {
  return withDatabase(config, { requireSchema: false }, async (db) => ({ results: await migrateToLatest(db), database: db.describe }));
}
