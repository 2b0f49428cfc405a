// The benchmarks' database: DATABASE_URL's server, in a schema of their own (so that their days
// neither mix with real data nor slow each other's scans), or the embedded one in RIDESCAN_HOME.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import type { RidescanConfig } from '../src/application/config.js';
import { openDatabase, type Database } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function benchDatabaseUrl(config: RidescanConfig, schema: string): string | undefined {
  if (!config.databaseUrl) return undefined;
  const url = new URL(config.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function openBenchDatabase(config: RidescanConfig, schema: string): Promise<Database> {
  if (config.databaseUrl) {
    const admin = knexFactory({ client: 'pg', connection: config.databaseUrl });
    await admin.raw(`create schema if not exists ${schema}`);
    await admin.destroy();
  }
  const db = await openDatabase({ databaseUrl: benchDatabaseUrl(config, schema), dataDir: join(config.home, 'db') });
  await migrateToLatest(db);
  return db;
}

/** A fresh migrated schema on the server, with a random name (the prefix says whose), and its removal. */
export async function freshSchema(databaseUrl: string, prefix: string): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: databaseUrl });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openDatabase({ databaseUrl: url.toString() });
  await migrateToLatest(db);
  await db.close();
  return {
    schema,
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: databaseUrl });
      await again.raw(`drop schema ${schema} cascade`);
      await again.destroy();
    },
  };
}
