// One scorer per service day at a time, across processes and hosts: a session advisory lock per
// day, taken with try (a second scheduler or a backfill skips the day and says so) and held on a
// connection of its own for the whole run, outside the pool the run itself uses.
import pg from 'pg';
import type { Database } from './database.js';
import { LOCK_NAMESPACE, dayNumber } from './locks.js';

export type ReleaseDayLock = () => Promise<void>;

// The embedded database lives in one process (its data directory is locked to it), so an
// in-process set is the whole truth there.
const embeddedDaysInProgress = new Set<string>();

/** Takes the day's lock if it is free; null when another process (or task) holds it. */
export async function tryLockServiceDay(db: Database, serviceDate: string): Promise<ReleaseDayLock | null> {
  if (db.kind === 'embedded') {
    if (embeddedDaysInProgress.has(serviceDate)) return null;
    embeddedDaysInProgress.add(serviceDate);
    return async () => {
      embeddedDaysInProgress.delete(serviceDate);
    };
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query('select pg_try_advisory_lock($1, $2) as locked', [LOCK_NAMESPACE.serviceDay, dayNumber(serviceDate)]);
    if (!rows[0].locked) {
      await client.end();
      return null;
    }
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  // Ending the session releases the lock; if the process dies, the server ends it for us.
  return async () => {
    await client.end().catch(() => {});
  };
}
