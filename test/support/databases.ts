// The databases every storage test runs against: embedded PGlite always, and a PostgreSQL
// server when TEST_DATABASE_URL is set (CI sets one up). Each server test database is a fresh
// schema, so test files can run in parallel on one server.
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, inject } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';

export interface TestDatabase {
  db: Database;
  /** a DATABASE_URL for subprocesses, or undefined for PGlite (use dataDir) */
  url?: string;
  drop(): Promise<void>;
}

export interface DatabaseTarget {
  name: 'pglite' | 'server';
  /** A fresh, migrated database. */
  create(): Promise<TestDatabase>;
  /** A fresh database without any migration (for tests that migrate step by step). */
  createUnmigrated(): Promise<TestDatabase>;
}

export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export async function createServerSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `ridescan_test_${randomBytes(5).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  return {
    url: withSearchPath(serverUrl!, schema),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: serverUrl });
      await again.raw(`drop schema ${schema} cascade`);
      // the job queue's schema beside it (storage/jobQueue.ts), when a test installed one
      await again.raw(`drop schema if exists ${schema}_jobs cascade`);
      await again.destroy();
    },
  };
}

// Embedded databases made once per test run (test/globalSetup.ts) and dumped, blank and migrated:
// every PGlite test database starts from one (~1 s) instead of running initdb (and the
// migrations) again (~5-7 s of CPU each).
const templates: { blank?: Promise<Blob>; migrated?: Promise<Blob> } = {};
function template(kind: 'blank' | 'migrated'): Promise<Blob> {
  templates[kind] ??= (async () => new Blob([new Uint8Array(await readFile(inject('embeddedTemplates')[kind]))]))();
  return templates[kind]!;
}

/** A fresh, unmigrated embedded data directory at `dataDir`, closed again (for CLI tests). */
export async function seedEmbeddedDataDir(dataDir: string): Promise<void> {
  const db = await openDatabase({ dataDir, loadDataDir: await template('blank') });
  await db.close();
}

async function unmigratedServerDatabase(): Promise<TestDatabase> {
  const schema = await createServerSchema();
  const db = await openDatabase({ databaseUrl: schema.url });
  return {
    db,
    url: schema.url,
    async drop() {
      await db.close();
      await schema.drop();
    },
  };
}

export const databaseTargets: DatabaseTarget[] = [
  {
    name: 'pglite',
    async create() {
      const db = await openDatabase({ loadDataDir: await template('migrated') });
      await migrateToLatest(db);
      return { db, drop: () => db.close() };
    },
    async createUnmigrated() {
      const db = await openDatabase({ loadDataDir: await template('blank') });
      return { db, drop: () => db.close() };
    },
  },
  ...(serverUrl
    ? [
        {
          name: 'server' as const,
          async create() {
            const created = await unmigratedServerDatabase();
            await migrateToLatest(created.db);
            return created;
          },
          createUnmigrated: unmigratedServerDatabase,
        },
      ]
    : []),
];

/**
 * A fresh database of the target for the enclosing describe block: created before its tests,
 * dropped after. `t.db` is the handle.
 */
export function useTestDatabase(target: DatabaseTarget): { readonly db: Database; readonly url: string | undefined } {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await target.create();
  });
  afterAll(async () => {
    await current?.drop();
  });
  return {
    get db() {
      if (!current) throw new Error('the test database is not created yet (use it inside a test or a hook)');
      return current.db;
    },
    get url() {
      return current?.url;
    },
  };
}
