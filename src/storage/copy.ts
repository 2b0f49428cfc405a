// COPY in and out for both flavours. On a server: pg-copy-streams over the transaction's own
// connection. On PGlite: its `/dev/blob` form (COPY FROM STDIN hangs there).
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import copyStreams from 'pg-copy-streams';
import { rawConnection } from './database.js';

/** Runs `COPY (...) TO STDOUT ...` and returns the whole output. `sql` must say TO STDOUT. */
export async function copyOut(trx: Knex.Transaction, sql: string): Promise<Buffer> {
  const connection = await rawConnection(trx);
  if (connection instanceof PGlite) {
    const result = await connection.query(sql.replace(/TO STDOUT/i, "TO '/dev/blob'"));
    if (!result.blob) return Buffer.alloc(0);
    return Buffer.from(await result.blob.arrayBuffer());
  }
  const stream = (connection as pg.ClientBase).query(copyStreams.to(sql));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs `COPY table FROM STDIN ...` with `data` as its input. `sql` must say FROM STDIN. */
export async function copyIn(trx: Knex.Transaction, sql: string, data: Buffer): Promise<void> {
  const connection = await rawConnection(trx);
  if (connection instanceof PGlite) {
    await connection.query(sql.replace(/FROM STDIN/i, "FROM '/dev/blob'"), [], {
      blob: new Blob([new Uint8Array(data)]),
    });
    return;
  }
  const sink = (connection as pg.ClientBase).query(copyStreams.from(sql));
  await pipeline(Readable.from([data]), sink);
}
