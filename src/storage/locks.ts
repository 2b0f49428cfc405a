// PostgreSQL advisory locks. Keys are (namespace, id) pairs so that ridescan's locks never
// collide with another application's on the same database.
import type { Knex } from 'knex';
import type pg from 'pg';
import type { Database } from './database.js';

export const LOCK_NAMESPACE = {
  migrations: 0x7269_0001,
  /** held for a whole run by the scorer of a day (dayLocks.ts) */
  serviceDay: 0x7269_0002,
  /** held by the transaction that writes a day's flags: writers of one day queue up */
  serviceDayWrite: 0x7269_0003,
} as const;

/** Days since 1970-01-01 of an ISO date, the lock id of a service day. */
export function dayNumber(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}

/**
 * Runs fn while holding a session advisory lock, waiting for it. The embedded database is one
 * connection inside one process (PGlite's data directory is never shared), so there the lock
 * would only deadlock the single-connection pool: fn runs directly.
 */
export async function withSessionLock<T>(db: Database, namespace: number, id: number, fn: () => Promise<T>): Promise<T> {
  if (db.kind === 'embedded') return fn();
  const connection = (await db.knex.client.acquireConnection()) as pg.ClientBase;
  try {
    await connection.query('select pg_advisory_lock($1, $2)', [namespace, id]);
    try {
      return await fn();
    } finally {
      await connection.query('select pg_advisory_unlock($1, $2)', [namespace, id]);
    }
  } finally {
    await db.knex.client.releaseConnection(connection);
  }
}

/** Takes a transaction-scoped advisory lock on a service day: writers of one day queue up. */
export async function lockServiceDayForWrite(trx: Knex.Transaction, isoDate: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(?, ?)', [LOCK_NAMESPACE.serviceDayWrite, dayNumber(isoDate)]);
}
