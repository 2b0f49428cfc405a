// The PostgreSQL server adapter: knex over a `pg` pool, COPY on the transaction's own connection
// (in through pg-copy-streams, out through copyToBuffer.ts), and session advisory locks on
// connections outside the pool.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { copyToBuffer } from './copyToBuffer.js';
import { BACKEND_PROFILES, DatabaseUnavailableError, redactUrl, type Database, type ReleaseLock } from '../database.js';
import { lockArgs, SPACE_SQL, SPACE_SQL_1, type LockKey } from '../locks.js';

// bigint (int8) and numeric as JS numbers: run ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

// Every statement of ridescan's sessions is bounded: a plan gone wrong (issue 10: a nested loop
// over a young, unanalysed day that made no progress in 100 s) fails the run, recorded, instead of
// stalling the nightly job and holding the day's write lock. Ten minutes is ~80× the slowest
// statement measured on a fresh, never-analysed 1M-ride day (the write: 7.4 s in all, on 2 shared
// cores); a fixed bound rather than a setting, one number less to get wrong, until a workload
// comes near it. Waits for ridescan's own locks are exempt (withLock): a load queued behind
// another is not stuck.
export const STATEMENT_TIMEOUT = '10min';
// A killed or crashed client's backend notices within this while its statement still runs (the
// server otherwise finds out only when it next writes to the socket), so that neither the
// statement nor the day's write lock outlives the CLI. PostgreSQL 14 and later.
const CLIENT_CHECK_INTERVAL = '5s';
const SESSION_SETUP = `select set_config('statement_timeout', $1, false),
  case when current_setting('server_version_num')::int >= 140000
    then set_config('client_connection_check_interval', $2, false) end`;

export async function openServer(url: string): Promise<Database> {
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: BACKEND_PROFILES.server.maxConcurrency,
      afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
        connection.query(SESSION_SETUP, [STATEMENT_TIMEOUT, CLIENT_CHECK_INTERVAL]).then(
          () => done(null, connection),
          (error: Error) => done(error, connection),
        );
      },
    },
    // knex prints an 'Acquire connection error' stack of its own before the error reaches us; the
    // caller reports it once, cleanly (exit 3 with the target named).
    log: { warn() {}, error() {}, deprecate() {}, debug() {} },
  });
  // Fail here, with the target named, instead of on the first query deep inside a run.
  try {
    await knex.raw('select 1');
  } catch (error) {
    await knex.destroy();
    throw new DatabaseUnavailableError(redactUrl(url), error);
  }
  const connectionOf = async (trx: Knex.Transaction) => (await trx.client.acquireConnection()) as pg.ClientBase;
  return {
    profile: BACKEND_PROFILES.server,
    knex,
    describe: redactUrl(url),
    async copyOut(trx, sql) {
      return copyToBuffer(await connectionOf(trx), sql);
    },
    async copyIn(trx, sql, data) {
      const sink = (await connectionOf(trx)).query(copyStreams.from(sql));
      await pipeline(Readable.from(Buffer.isBuffer(data) ? [data] : data), sink);
    },
    tryLock: (key) => tryLockOnOwnConnection(url, key),
    holdShared: (key) => holdSharedOnOwnConnection(url, key),
    async lockHolders(key) {
      const { rows } = await knex.raw(LOCK_HOLDERS, lockArgs(key));
      return Number(rows[0].holders);
    },
    async withLock(key, fn) {
      const connection = (await knex.client.acquireConnection()) as pg.ClientBase;
      try {
        // waiting for another load or migration is not a statement gone wrong: no bound on it
        await connection.query(`set statement_timeout = 0`);
        await connection.query(`select pg_advisory_lock(${SPACE_SQL_1}, $2)`, lockArgs(key));
        await connection.query(`select set_config('statement_timeout', $1, false)`, [STATEMENT_TIMEOUT]);
        try {
          return await fn();
        } finally {
          await connection.query(`select pg_advisory_unlock(${SPACE_SQL_1}, $2)`, lockArgs(key));
        }
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    close: () => knex.destroy(),
  };
}

// Sessions of this database holding an advisory lock of two int4 keys: pg_locks shows the keys as
// unsigned oids (classid, objid) with objsubid 2. Readable by every role.
const LOCK_HOLDERS = `select count(*)::int as holders from pg_locks
  where locktype = 'advisory' and granted and objsubid = 2
    and database = (select oid from pg_database where datname = current_database())
    and classid = ((${SPACE_SQL}::int8 & 4294967295)::oid)
    and objid = ((?::int4::int8 & 4294967295)::oid)`;

// A lock's session is idle while it holds the lock, so client_connection_check_interval never
// looks at it: a holder whose machine lost power would keep the lock until the server's TCP
// keepalive gave up on it (2 hours by the usual OS default). Probing after 10 s idle, every 5 s, 3
// times, the server ends such a session in about 25 s, and the lock with it (ignored on a Unix
// socket, where a dead peer is seen at once).
const LOCK_SESSION_SETUP = `select set_config('tcp_keepalives_idle', '10', false),
  set_config('tcp_keepalives_interval', '5', false), set_config('tcp_keepalives_count', '3', false)`;

/**
 * Takes a lock on a session of its own, by `statement` (the key's two int4 as $1 and $2, true when
 * taken); null when not taken. Ending the session releases the lock; if the process dies, the
 * server ends it for us.
 */
async function lockOnOwnConnection(url: string, key: LockKey, statement: string): Promise<ReleaseLock | null> {
  const client = new pg.Client({ connectionString: url });
  // A client with no 'error' listener turns a server restart into an uncaught exception that
  // kills the process (57P01 admin_shutdown). The lock dies with the session; the run's own
  // statements fail on their pool connections and are retried or recorded as failed there.
  client.on('error', () => {});
  await client.connect();
  const end = async () => {
    await client.end().catch(() => {});
  };
  try {
    await client.query(LOCK_SESSION_SETUP);
    const { rows } = await client.query(statement, lockArgs(key));
    if (rows[0].locked !== true) {
      await end();
      return null;
    }
  } catch (error) {
    await end();
    throw error;
  }
  return end;
}

/** The lock shared (waits for an exclusive holder): any number of sessions hold it together. */
async function holdSharedOnOwnConnection(url: string, key: LockKey): Promise<ReleaseLock> {
  const release = await lockOnOwnConnection(url, key, `select pg_advisory_lock_shared(${SPACE_SQL_1}, $2), true as locked`);
  return release!;
}

function tryLockOnOwnConnection(url: string, key: LockKey): Promise<ReleaseLock | null> {
  return lockOnOwnConnection(url, key, `select pg_try_advisory_lock(${SPACE_SQL_1}, $2) as locked`);
}
