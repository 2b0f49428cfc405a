// Environments for CLI subprocess tests: the embedded database in a fresh RIDESCAN_HOME, and a
// fresh schema on the test server when TEST_DATABASE_URL is set. `open` gives the test its own
// handle to the same database, for seeding and checking (on PGlite, only while no subprocess
// holds the data directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { createServerSchema, seedEmbeddedDataDir, serverUrl } from './databases.js';

export interface ProcessEnvironment {
  env: Record<string, string | undefined>;
  /** a migrated handle on the same database; close it before a subprocess needs PGlite */
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

export interface ProcessTarget {
  name: 'pglite' | 'server';
  create(): Promise<ProcessEnvironment>;
}

export const processTargets: ProcessTarget[] = [
  {
    name: 'pglite',
    async create() {
      const home = mkdtempSync(join(tmpdir(), 'ridescan-proc-'));
      await seedEmbeddedDataDir(join(home, 'db'));
      return {
        env: { DATABASE_URL: undefined, RIDESCAN_HOME: home, RIDESCAN_TZ: undefined, RIDESCAN_LOG_FORMAT: 'json' },
        async open() {
          const db = await openDatabase({ dataDir: join(home, 'db') });
          await migrateToLatest(db);
          return db;
        },
        async cleanup() {
          rmSync(home, { recursive: true, force: true });
        },
      };
    },
  },
  ...(serverUrl
    ? [
        {
          name: 'server' as const,
          async create() {
            const schema = await createServerSchema();
            const home = mkdtempSync(join(tmpdir(), 'ridescan-proc-'));
            return {
              env: { DATABASE_URL: schema.url, RIDESCAN_HOME: home, RIDESCAN_TZ: undefined, RIDESCAN_LOG_FORMAT: 'json' },
              async open() {
                const db = await openDatabase({ databaseUrl: schema.url });
                await migrateToLatest(db);
                return db;
              },
              async cleanup() {
                await schema.drop();
                rmSync(home, { recursive: true, force: true });
              },
            };
          },
        },
      ]
    : []),
];

/** Parses the JSON log lines a subprocess printed. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Runs fn with a handle on the environment's database, closed afterwards (PGlite is then free). */
export async function withDb<T>(environment: ProcessEnvironment, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await environment.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
