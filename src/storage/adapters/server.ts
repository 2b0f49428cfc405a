// The PostgreSQL server adapter: knex over a `pg` pool, COPY through pg-copy-streams on the
// transaction's own connection, and session advisory locks on connections outside the pool.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { BACKEND_PROFILES, DatabaseUnavailableError, redactUrl, type Database, type ReleaseLock } from '../database.js';
import { lockArgs, type LockKey } from '../locks.js';

// bigint (int8) and numeric as JS numbers: run ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openServer(url: string): Promise<Database> {
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: BACKEND_PROFILES.server.maxConcurrency },
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
      const stream = (await connectionOf(trx)).query(copyStreams.to(sql));
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async copyIn(trx, sql, data) {
      const sink = (await connectionOf(trx)).query(copyStreams.from(sql));
      await pipeline(Readable.from([data]), sink);
    },
    tryLock: (key) => tryLockOnOwnConnection(url, key),
    async withLock(key, fn) {
      const connection = (await knex.client.acquireConnection()) as pg.ClientBase;
      try {
        await connection.query('select pg_advisory_lock($1, $2)', lockArgs(key));
        try {
          return await fn();
        } finally {
          await connection.query('select pg_advisory_unlock($1, $2)', lockArgs(key));
        }
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    close: () => knex.destroy(),
  };
}

async function tryLockOnOwnConnection(url: string, key: LockKey): Promise<ReleaseLock | null> {
  const client = new pg.Client({ connectionString: url });
  // A client with no 'error' listener turns a server restart into an uncaught exception that
  // kills the process (57P01 admin_shutdown). The lock dies with the session; the run's own
  // statements fail on their pool connections and are retried or recorded as failed there.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query('select pg_try_advisory_lock($1, $2) as locked', lockArgs(key));
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
