// One handle over either PostgreSQL flavour: a server through `pg` (DATABASE_URL set) or the
// embedded PGlite in a data directory. Everything above this file speaks knex plus the few raw
// operations (COPY in/out, session locks) that knex has no words for.
import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import ClientPgLite from 'knex-pglite';
import { lockDataDir } from './dataDirLock.js';

export type DatabaseKind = 'server' | 'embedded';

export interface DatabaseOptions {
  /** PostgreSQL connection string; undefined = embedded PGlite */
  databaseUrl?: string;
  /** PGlite data directory; undefined with no databaseUrl = in memory (tests) */
  dataDir?: string;
  /** how long to wait for another process to let go of the data directory (default 120 s) */
  dataDirWaitMs?: number;
}

export interface Database {
  kind: DatabaseKind;
  knex: Knex;
  /** Human-readable target, without credentials, for logs and summaries. */
  describe: string;
  /** the connection string, on a server: for connections that must live outside the pool */
  url?: string;
  close(): Promise<void>;
}

// bigint (int8) and numeric as JS numbers: run ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: 4 },
    });
    // Fail here, with the target named, instead of on the first query deep inside a run.
    try {
      await knex.raw('select 1');
    } catch (error) {
      await knex.destroy();
      throw new DatabaseUnavailableError(redactUrl(options.databaseUrl), error);
    }
    return {
      kind: 'server',
      knex,
      url: options.databaseUrl,
      describe: redactUrl(options.databaseUrl),
      close: () => knex.destroy(),
    };
  }
  let unlock = () => {};
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    try {
      unlock = await lockDataDir(options.dataDir, options.dataDirWaitMs ?? 120_000);
    } catch (error) {
      throw new DatabaseUnavailableError(`embedded PGlite at ${options.dataDir}`, error);
    }
  }
  let pglite: PGlite;
  try {
    pglite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
    await pglite.waitReady;
  } catch (error) {
    unlock();
    throw new DatabaseUnavailableError(`embedded PGlite at ${options.dataDir ?? 'memory'}`, error);
  }
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
  });
  return {
    kind: 'embedded',
    knex,
    describe: `embedded PGlite (${options.dataDir ?? 'in memory'})`,
    close: async () => {
      try {
        await knex.destroy();
      } finally {
        unlock();
      }
    },
  };
}

export class DatabaseUnavailableError extends Error {
  constructor(target: string, cause: unknown) {
    super(`cannot open the database ${target}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnavailableError';
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** The raw driver connection behind a knex transaction: a pg.Client, or the PGlite instance. */
export async function rawConnection(trx: Knex.Transaction): Promise<pg.ClientBase | PGlite> {
  return (await trx.client.acquireConnection()) as pg.ClientBase | PGlite;
}
