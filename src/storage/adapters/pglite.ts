// The embedded adapter: PGlite (single-user PostgreSQL in WASM) in a data directory that belongs
// to one process at a time, with knex over knex-pglite. COPY goes through PGlite's `/dev/blob`
// form (COPY ... FROM STDIN hangs there), and advisory locks are an in-process set: the data
// directory lock already keeps every other process out.
import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { PGlite } from '@electric-sql/pglite';
import ClientPgLite from 'knex-pglite';
import { BACKEND_PROFILES, DatabaseUnavailableError, type Database, type ReleaseLock } from '../database.js';
import { lockArgs, type LockKey } from '../locks.js';
import { lockDataDir } from './dataDirLock.js';

export async function openPglite(dataDir: string | undefined, dataDirWaitMs: number, loadDataDir?: Blob): Promise<Database> {
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    try {
      unlock = await lockDataDir(dataDir, dataDirWaitMs);
    } catch (error) {
      throw new DatabaseUnavailableError(`embedded PGlite at ${dataDir}`, error);
    }
  }
  let pglite: PGlite;
  try {
    pglite = new PGlite(dataDir, loadDataDir ? { loadDataDir } : {});
    await pglite.waitReady;
  } catch (error) {
    unlock();
    throw new DatabaseUnavailableError(`embedded PGlite at ${dataDir ?? 'memory'}`, error);
  }
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
  });
  const connectionOf = async (trx: Knex.Transaction) => (await trx.client.acquireConnection()) as PGlite;
  // lock name -> holders: one for an exclusive lock, any number for a shared one
  const held = new Map<string, { shared: boolean; holders: number }>();
  return {
    profile: BACKEND_PROFILES.embedded,
    knex,
    describe: `embedded PGlite (${dataDir ?? 'in memory'})`,
    async copyOut(trx, sql) {
      const result = await (await connectionOf(trx)).query(sql.replace(/TO STDOUT/i, "TO '/dev/blob'"));
      if (!result.blob) return Buffer.alloc(0);
      return Buffer.from(await result.blob.arrayBuffer());
    },
    async copyIn(trx, sql, data) {
      await (await connectionOf(trx)).query(sql.replace(/FROM STDIN/i, "FROM '/dev/blob'"), [], { blob: new Blob((Buffer.isBuffer(data) ? [data] : data).map((piece) => new Uint8Array(piece))) });
    },
    async tryLock(key: LockKey): Promise<ReleaseLock | null> {
      const name = lockArgs(key).join(':');
      if (held.has(name)) return null;
      held.set(name, { shared: false, holders: 1 });
      return async () => {
        held.delete(name);
      };
    },
    async holdShared(key: LockKey): Promise<ReleaseLock> {
      const name = lockArgs(key).join(':');
      const entry = held.get(name) ?? { shared: true, holders: 0 };
      if (!entry.shared) throw new Error(`${key.label} is held exclusively`);
      entry.holders++;
      held.set(name, entry);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        if (--entry.holders === 0) held.delete(name);
      };
    },
    lockHolders: async (key) => held.get(lockArgs(key).join(':'))?.holders ?? 0,
    // Through knex's pool of one: a statement sent straight to PGlite while a knex transaction is
    // open would run inside it (PGlite is one session), and an error there would abort it.
    async executeSql(text, values) {
      const connection = (await knex.client.acquireConnection()) as PGlite;
      try {
        if (values === undefined || values.length === 0) {
          // pg-boss sends its DDL as one multi-statement text: exec runs it, the last result answers
          const results = await connection.exec(text);
          return results[results.length - 1] ?? { rows: [] };
        }
        return await connection.query(text, values);
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
    // One connection: a waiting session lock could only deadlock the single-connection pool.
    withLock: (_key, fn) => fn(),
    dump: () => pglite.dumpDataDir('none'),
    close: async () => {
      try {
        await knex.destroy();
      } finally {
        unlock();
      }
    },
  };
}
