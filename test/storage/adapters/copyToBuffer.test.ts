// copyToBuffer against a real server (TEST_DATABASE_URL): the bytes it gathers are the COPY's
// data, byte for byte as pg-copy-streams gives them, through notices among the rows and errors
// half-way, and the connection is pg's again afterwards. Its gatherer alone, on the protocol's
// messages cut into chunks at every place (a server's chunks fall where the kernel cuts them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { CopyOutGatherer, copyToBuffer } from '../../../src/storage/adapters/copyToBuffer.js';
import { parseBinaryCopy, textAt } from '../../../src/storage/binaryCopy.js';
import { serverUrl } from '../../support/databases.js';

// ids of 1 to 300 bytes, so that rows straddle the socket's chunks anywhere; ~4 MB in all, past
// the buffer's first 1 MB
const ROWS = `select 'ride-' || g || '-' || repeat('x', g % 300) as id, g / 7.0::float8 as d, g % 11 = 0 as flag
  from generate_series(1, 25000) g`;

async function viaCopyStreams(client: pg.Client, sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyStreams.to(sql))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(!serverUrl)('copyToBuffer (server)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('gathers a binary COPY whole, the same bytes as pg-copy-streams, and gives the connection back', async () => {
    const sql = `COPY (${ROWS}) TO STDOUT (FORMAT binary)`;
    const data = await copyToBuffer(client, sql);
    expect(data.length).toBeGreaterThan(1 << 21);
    expect(data.equals(await viaCopyStreams(client, sql))).toBe(true);
    const table = parseBinaryCopy(data, ['text', 'float8', 'bool']);
    expect(table.rowCount).toBe(25000);
    for (const g of [1, 299, 300, 12345, 25000]) {
      expect(textAt(table, 0, g - 1)).toBe(`ride-${g}-${'x'.repeat(g % 300)}`);
      expect(table.columns[1].numbers![g - 1]).toBe(g / 7);
      expect(table.columns[2].flags![g - 1]).toBe(g % 11 === 0 ? 1 : 0);
    }
    expect((await client.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
  });

  it('gathers a text COPY and an empty one', async () => {
    const text = await copyToBuffer(client, `COPY (select g from generate_series(1, 3) g) TO STDOUT`);
    expect(text.toString()).toBe('1\n2\n3\n');
    expect((await copyToBuffer(client, `COPY (select 1 where false) TO STDOUT`)).length).toBe(0);
  });

  it('skips notices sent among the rows', async () => {
    await client.query(`create or replace function pg_temp.noisy(g int) returns int2 language plpgsql as $$
      begin if g % 1000 = 0 then raise notice 'row %', g; end if; return g; end $$`);
    await client.query(`set client_min_messages = notice`);
    const sql = `COPY (select pg_temp.noisy(g) as g, ${ROWS.slice('select '.length)}) TO STDOUT (FORMAT binary)`;
    const data = await copyToBuffer(client, sql);
    expect(data.equals(await viaCopyStreams(client, sql))).toBe(true);
    const table = parseBinaryCopy(data, ['int2', 'text', 'float8', 'bool']);
    expect(table.rowCount).toBe(25000);
    expect(Array.from(table.columns[0].numbers!.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(textAt(table, 1, 24999)).toBe(`ride-25000-${'x'.repeat(25000 % 300)}`);
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it("rejects with the server's error when the COPY fails half-way, and the connection still answers", async () => {
    const sql = `COPY (select g, 1 / (g - 20000) as boom, repeat('y', 200) from generate_series(1, 40000) g) TO STDOUT (FORMAT binary)`;
    await expect(copyToBuffer(client, sql)).rejects.toThrow(/division by zero/);
    expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    await expect(copyToBuffer(client, 'COPY (select * from no_such_table) TO STDOUT')).rejects.toThrow(/no_such_table/);
    expect((await client.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
  });
});

describe('CopyOutGatherer', () => {
  const message = (code: string, content: Buffer) => {
    const m = Buffer.alloc(5 + content.length);
    m[0] = code.charCodeAt(0);
    m.writeInt32BE(4 + content.length, 1);
    content.copy(m, 5);
    return m;
  };
  const rows = Array.from({ length: 40 }, (_, i) => Buffer.from(`row ${i} ${'#'.repeat((i * 7) % 23)}`));
  const afterCopy = Buffer.concat([message('C', Buffer.from('COPY 40\0')), message('Z', Buffer.from('I'))]);

  /** the stream cut into chunks of `size` bytes (the last one shorter), fed in order */
  const feed = (stream: Buffer, size: number) => {
    const gatherer = new CopyOutGatherer();
    for (let at = 0; at < stream.length; at += size) {
      const rest = gatherer.take(Buffer.from(stream.subarray(at, at + size)));
      if (rest) return { data: gatherer.data(), rest: Buffer.concat([rest, stream.subarray(at + size)]) };
    }
    return { data: gatherer.data(), rest: null };
  };

  it('gathers the CopyData contents, skips other messages and returns what follows CopyDone, however the chunks fall', () => {
    const stream = Buffer.concat([
      message('H', Buffer.from([1, 0, 0])),
      ...rows.slice(0, 20).map((r) => message('d', r)),
      message('N', Buffer.from('Snotice\0\0')),
      ...rows.slice(20).map((r) => message('d', r)),
      message('c', Buffer.alloc(0)),
      afterCopy,
    ]);
    for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 64, stream.length]) {
      const { data, rest } = feed(stream, size);
      expect(data.equals(Buffer.concat(rows)), `chunks of ${size}`).toBe(true);
      expect(rest?.equals(afterCopy), `chunks of ${size}`).toBe(true);
    }
  });

  it('stops at an ErrorResponse and returns it whole, its header split or not', () => {
    const error = message('E', Buffer.from('SERROR\0C22012\0Mdivision by zero\0\0'));
    const stream = Buffer.concat([message('H', Buffer.from([1, 0, 0])), ...rows.slice(0, 5).map((r) => message('d', r)), error, message('Z', Buffer.from('E'))]);
    for (const size of [1, 3, 5, 8, stream.length]) {
      const { data, rest } = feed(stream, size);
      expect(data.equals(Buffer.concat(rows.slice(0, 5))), `chunks of ${size}`).toBe(true);
      expect(rest?.subarray(0, error.length).equals(error), `chunks of ${size}`).toBe(true);
    }
  });
});
