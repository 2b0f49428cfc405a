// One handle over either PostgreSQL flavour: a server through `pg` (DATABASE_URL set) or the
// embedded PGlite in a data directory. What differs between them lives in the two adapters
// (adapters/server.ts, adapters/pglite.ts) and in one backend profile each; everything above this
// file speaks knex plus the handle's few raw operations (COPY, session locks) that knex has no
// words for, and never asks which flavour it has.
import type { Knex } from 'knex';
import type { LockKey } from './locks.js';

export interface BackendProfile {
  name: 'server' | 'embedded';
  /** statements that can run at once: more concurrent work than this only queues */
  maxConcurrency: number;
  /** whether the backend has a JIT worth switching off for plain scans */
  jit: boolean;
}

// As pg-boss keeps one profile per backend: the differences as data, read where they matter.
export const BACKEND_PROFILES = {
  server: { name: 'server', maxConcurrency: 4, jit: true },
  // PGlite is one connection in one process: more workers would only queue on it.
  embedded: { name: 'embedded', maxConcurrency: 1, jit: false },
} as const satisfies Record<string, BackendProfile>;

export type ReleaseLock = () => Promise<void>;

export interface Database {
  profile: BackendProfile;
  knex: Knex;
  /** Human-readable target, without credentials, for logs and summaries. */
  describe: string;
  /** Runs `COPY (...) TO STDOUT ...` on the transaction's connection; returns the whole output. */
  copyOut(trx: Knex.Transaction, sql: string): Promise<Buffer>;
  /** Runs `COPY table FROM STDIN ...` on the transaction's connection with `data` as input (pieces: sent one after another). */
  copyIn(trx: Knex.Transaction, sql: string, data: Buffer | readonly Buffer[]): Promise<void>;
  /**
   * Takes a session advisory lock if it is free, on a connection of its own outside the pool, and
   * holds it until released (or until the process dies: the server then ends the session and the
   * lock with it). Null when someone else holds it.
   */
  tryLock(key: LockKey): Promise<ReleaseLock | null>;
  /** Runs fn while holding a session advisory lock, waiting for it first. */
  withLock<T>(key: LockKey, fn: () => Promise<T>): Promise<T>;
  /**
   * Takes a session advisory lock in shared mode (never refused by other shared holders), on a
   * connection of its own, held until released or until the process dies: how a long-running
   * process says "I am alive" to the others (LOCKS.workers).
   */
  holdShared(key: LockKey): Promise<ReleaseLock>;
  /** How many sessions hold the lock now (shared or exclusive): whether its holders are alive. */
  lockHolders(key: LockKey): Promise<number>;
  /**
   * PGlite only: raw SQL on the one connection, in turn with knex (multi-statement text without
   * values; `$1` placeholders with them, never knex's `?` bindings). pg-boss's `db` adapter; a
   * server gives pg-boss a pool of its own instead.
   */
  executeSql?(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** PGlite only: the whole database as a dump that loadDataDir can start from */
  dump?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; undefined = embedded PGlite */
  databaseUrl?: string;
  /** PGlite data directory; undefined with no databaseUrl = in memory (tests) */
  dataDir?: string;
  /** how long to wait for another process to let go of the data directory (default 120 s) */
  dataDirWaitMs?: number;
  /**
   * PGlite only: start a new database from this dump (PGlite's dumpDataDir) instead of running
   * initdb. Tests start from a migrated template: ~1 s instead of ~5 s per database.
   */
  loadDataDir?: Blob;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  // Each adapter pulls in its own driver: a server run never loads PGlite's WASM, and the reverse.
  if (options.databaseUrl) return (await import('./adapters/server.js')).openServer(options.databaseUrl);
  return (await import('./adapters/pglite.js')).openPglite(options.dataDir, options.dataDirWaitMs ?? 120_000, options.loadDataDir);
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
