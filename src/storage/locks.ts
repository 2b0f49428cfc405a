// Every PostgreSQL advisory lock ridescan takes, in one registry. Keys are (space, id) pairs of
// int4, so that ridescan's locks never collide with another application's on the same database,
// and each kind of lock has a space of its own: before this registry the load lock borrowed the
// flag-write space with id 0, which is also the id of service day 1970-01-01.
import type { Knex } from 'knex';

/** The int4 lock spaces; 'ri' (0x7269) in the high half. Never reuse or renumber one. */
export const LOCK_SPACES = {
  migrations: 0x7269_0001,
  /** held for a whole run by the scorer of a day, on a connection of its own */
  scoreDay: 0x7269_0002,
  /** held by the transaction that writes a day's flags: writers of one day queue up */
  writeDay: 0x7269_0003,
  /** held by the transaction of a file load: loads queue up behind each other */
  loads: 0x7269_0004,
  /**
   * held by the queue worker that works on a day's job, from the job's fetch until it is marked
   * done, on a connection of its own: an active job whose day nobody holds this for belongs to a
   * worker that died (storage/jobQueue.ts). Not scoreDay's key: the worker's scoreDay takes that
   * one itself, and the job outlives the scoring by its completion.
   */
  dayJob: 0x7269_0005,
  /** held in shared mode by every running `ridescan worker` for its lifetime: "workers exist" */
  workers: 0x7269_0006,
  /** held by the transaction that creates or drops rides' day partitions (ridePartitions.ts) */
  partitions: 0x7269_0007,
} as const;

export type LockSpace = keyof typeof LOCK_SPACES;

export interface LockKey {
  space: LockSpace;
  id: number;
  /** for messages: what is locked */
  label: string;
}

/** Days since 1970-01-01 of an ISO date: the lock id of a service day. */
export function dayNumber(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}

export const LOCKS = {
  migrations: (): LockKey => ({ space: 'migrations', id: 0, label: 'migrations' }),
  scoreDay: (isoDate: string): LockKey => ({ space: 'scoreDay', id: dayNumber(isoDate), label: `scoring of ${isoDate}` }),
  writeDay: (isoDate: string): LockKey => ({ space: 'writeDay', id: dayNumber(isoDate), label: `flag write of ${isoDate}` }),
  loads: (): LockKey => ({ space: 'loads', id: 0, label: 'file loads' }),
  dayJob: (isoDate: string): LockKey => ({ space: 'dayJob', id: dayNumber(isoDate), label: `queued job of ${isoDate}` }),
  workers: (): LockKey => ({ space: 'workers', id: 0, label: 'running workers' }),
  partitions: (): LockKey => ({ space: 'partitions', id: 0, label: 'rides partitions' }),
} as const;

/**
 * The space argument as SQL: the space xor a hash of the current schema. Two ridescan schemas in
 * one database (two deployments, or the test suite's schema per test file on the shared server)
 * would otherwise share every lock: a day scored in one made the same day 'in progress' in another.
 * `SPACE_SQL` for knex bindings (?), `SPACE_SQL_1` for node-postgres ($1); the id follows as is.
 */
export const SPACE_SQL = '(?::int4 # hashtext(current_schema()))';
export const SPACE_SQL_1 = '($1::int4 # hashtext(current_schema()))';

/** The two int4 arguments of pg_advisory_lock(int4, int4) for a key (the space before SPACE_SQL). */
export function lockArgs(key: LockKey): [number, number] {
  return [LOCK_SPACES[key.space], key.id];
}

/**
 * Takes a transaction-scoped advisory lock, waiting for it; released by COMMIT or ROLLBACK. The
 * same SQL on both backends: on PGlite the one connection always gets it, which is right there,
 * since the data directory belongs to one process.
 */
export async function lockInTransaction(trx: Knex.Transaction, key: LockKey): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(${SPACE_SQL}, ?)`, lockArgs(key));
}
