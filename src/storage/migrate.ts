// Runs the migrations through knex's migrator, fed from the compiled list rather than a folder.
// On a server a session advisory lock makes concurrent starters (two schedulers, a CLI) wait for
// each other instead of failing on knex's lock table.
import type { Knex } from 'knex';
import { migrations as allMigrations, type Migration } from '../../migrations/index.js';
import type { Database } from './database.js';
import { LOCKS } from './locks.js';

export interface MigrationResult {
  name: string;
  status: 'applied' | 'already applied';
}

class ListMigrationSource implements Knex.MigrationSource<Migration> {
  constructor(private readonly list: Migration[]) {}
  async getMigrations(): Promise<Migration[]> {
    return this.list;
  }
  getMigrationName(migration: Migration): string {
    return migration.name;
  }
  async getMigration(migration: Migration): Promise<Knex.Migration> {
    return migration;
  }
}

export async function migrateToLatest(db: Database, list: Migration[] = allMigrations): Promise<MigrationResult[]> {
  return db.withLock(LOCKS.migrations(), async () => {
    const config: Knex.MigratorConfig = {
      migrationSource: new ListMigrationSource(list),
      tableName: 'ridescan_migrations',
    };
    const [, applied] = (await db.knex.migrate.latest(config)) as [number, string[]];
    return list.map((m) => ({
      name: m.name,
      status: applied.includes(m.name) ? ('applied' as const) : ('already applied' as const),
    }));
  });
}

/** Names of the migrations not yet applied; empty when the schema is current. */
export async function pendingMigrations(db: Database, list: Migration[] = allMigrations): Promise<string[]> {
  const hasTable = await db.knex.schema.hasTable('ridescan_migrations');
  if (!hasTable) return list.map((m) => m.name);
  const done = new Set((await db.knex('ridescan_migrations').select('name')).map((r: { name: string }) => r.name));
  return list.filter((m) => !done.has(m.name)).map((m) => m.name);
}
