// An ad hoc query, as the operations team would type it into psql. What keeps it read-only is
// PostgreSQL, not a reading of the SQL (issue 10: `commit; delete ...` went through the simple
// query protocol and ended the read-only transaction):
// - the text goes through the extended protocol only, where one message holds one statement
//   ("cannot insert multiple commands into a prepared statement");
// - it is first declared as a cursor (DECLARE ... CURSOR FOR <statement>), whose grammar takes a
//   query only (no COPY, DO, SET, COMMIT, CALL) and refuses data-modifying WITH; that also gives
//   the column names and types, repeated names included, without running it;
// - it runs in a READ ONLY transaction that is always rolled back, after SET LOCAL ROLE
//   ridescan_reader, and inside ridescan_read(), a SECURITY DEFINER function owned by a role that
//   can only read (migration 006), where PostgreSQL refuses to change `role` or
//   `session_authorization`: set_config('role', 'none', true) cannot give the statement back the
//   superuser powers of the session;
// - statement_timeout bounds it, and a caller's abort cancels it on the server.
// ridescan_read() stops after maxRows + 1 rows, so a large result is neither computed in full nor
// held in memory: the caller gets the first maxRows rows and `truncated`.
import { Worker } from 'node:worker_threads';
import type { Database } from './database.js';
import { QUERY_OWNER_ROLE, READER_ROLE, READ_FUNCTION, READ_FUNCTION_SOURCE, readerSetupSql } from '../../migrations/006_query_reader.js';

export interface QueryColumn {
  name: string;
  /** the PostgreSQL type oid */
  typeOid: number;
}

export interface QueryResult {
  columns: QueryColumn[];
  /** each cell in PostgreSQL's text output (dates as YYYY-MM-DD, timestamps in the time zone asked for); null for NULL */
  rows: (string | null)[][];
  /** more rows than maxRows: rows holds the first maxRows */
  truncated: boolean;
}

export interface QueryOptions {
  /** statement_timeout, in milliseconds */
  timeoutMs: number;
  maxRows: number;
  /** the session TimeZone for the statement (timestamptz prints in it) */
  timeZone: string;
  /** aborting cancels the statement (server: pg_cancel_backend from another connection) */
  signal?: AbortSignal;
}

/** The reader role or function is missing or not as migration 006 makes it: nothing ran. */
export class ReaderRoleMissingError extends Error {
  constructor(
    readonly reason: string,
    readonly setupSql: string,
  ) {
    super(`${reason}; \`ridescan query\` runs only as the ${READER_ROLE} role. A database administrator runs, once:\n${setupSql}`);
    this.name = 'ReaderRoleMissingError';
  }
}

/** The statement was stopped: by the timeout or by the caller. */
export class QueryCancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryCancelledError';
  }
}

/** The statement is not one query (PostgreSQL's own refusal is in the message). */
export class QueryRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryRefusedError';
  }
}

interface RawResult {
  rows: Record<string, unknown>[];
  fields: { name: string; dataTypeID: number }[];
}
type Send = (text: string, values?: unknown[]) => Promise<RawResult>;

const CURSOR = 'ridescan_statement';

export async function runReadOnlyQuery(db: Database, sql: string, options: QueryOptions): Promise<QueryResult> {
  const server = db.profile.name === 'server';
  // The driver's own connection, not knex: knex rewrites `?` into bindings (`select '?'` printed
  // `$1`) and sends bind-less text through the simple protocol, which runs several statements.
  const connection = (await db.knex.client.acquireConnection()) as {
    query(config: unknown, values?: unknown[], options?: unknown): Promise<RawResult>;
  };
  const sendNow: Send = server
    ? (text, values = []) => connection.query({ text, values, queryMode: 'extended' })
    : // PGlite: query() is the extended protocol (exec() would be the simple one)
      (text, values = []) => connection.query(text, values);
  // a cancel that lands between two statements would be lost: none starts after one
  const send: Send = (text, values) => (cancelled && text !== 'rollback' ? Promise.reject(Object.assign(new Error('cancelled'), { code: '57014' })) : sendNow(text, values));
  // PGlite runs the statement on this thread: while it runs, no timer of ours can fire, and it
  // ignores statement_timeout (pg_sleep(3) with a 1 s timeout slept 3 s, measured on 0.5.16).
  // Only another thread can end it.
  const watchdog = server ? null : startWatchdog(options.timeoutMs);
  let pid: number | undefined;
  let cancelled: string | undefined;
  const cancel = (why: string) => {
    if (cancelled || pid === undefined) return;
    cancelled = why;
    void db.knex.raw('select pg_cancel_backend(?)', [pid]).catch(() => {});
  };
  const onAbort = () => cancel('cancelled');
  // statement_timeout is the server's bound; this one also holds if the statement resets it
  // with set_config (the server arms its timer at the start of each statement, so it should not).
  const late = server ? setTimeout(() => cancel('timeout'), options.timeoutMs + 5_000) : null;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await send('begin transaction isolation level repeatable read read only');
    if (server) pid = Number((await send('select pg_backend_pid() as pid')).rows[0].pid);
    if (options.signal?.aborted) onAbort();
    const readFunction = await checkReader(send);
    await send(
      `select set_config('statement_timeout', $1, true), set_config('TimeZone', $2, true),
              set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'postgres', true)`,
      [`${Math.max(1, Math.round(options.timeoutMs))}ms`, options.timeZone],
    );
    await send(`set local role ${READER_ROLE}`);
    let columns: QueryColumn[];
    try {
      await send(`declare ${CURSOR} no scroll cursor for ${sql}`);
      const described = await send(`fetch forward 0 from ${CURSOR}`);
      columns = described.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
      await send(`close ${CURSOR}`);
    } catch (error) {
      throw refusal(error);
    }
    const result = await send(`select r from ${readFunction}($1, $2) as r`, [sql, options.maxRows]);
    const rows = result.rows.map((row) => parseRecord(row.r as string, columns.length));
    const truncated = rows.length > options.maxRows;
    if (truncated) rows.length = options.maxRows;
    return { columns, rows, truncated };
  } catch (error) {
    if (cancelled === 'cancelled' || (options.signal?.aborted && isCancel(error))) throw new QueryCancelledError('query cancelled: the statement was stopped on the server');
    if (isCancel(error)) throw new QueryCancelledError(`query stopped after the timeout of ${seconds(options.timeoutMs)} (--timeout)`);
    throw error;
  } finally {
    watchdog?.disarm();
    if (late) clearTimeout(late);
    options.signal?.removeEventListener('abort', onAbort);
    // always rolled back: whatever the statement set (set_config, a role) ends with it
    await send('rollback').catch(() => {});
    await db.knex.client.releaseConnection(connection);
  }
}

/** The schema-qualified function to call, once the role and the function are as migration 006 made them. */
async function checkReader(send: Send): Promise<string> {
  const { rows } = await send(
    `select current_schema() as schema, session_user as login,
            exists (select from pg_roles where rolname = $1) as has_role,
            pg_has_role(current_user, r.oid, 'MEMBER') as is_member,
            p.oid is not null as has_function,
            p.prosecdef and p.prosrc = $3 and pg_get_userbyid(p.proowner) = $4 as function_ok
       from (select (select oid from pg_roles where rolname = $1) as oid) r
       left join pg_proc p on p.oid = to_regprocedure(quote_ident(current_schema()) || '.' || $2 || '(text, bigint)')`,
    [READER_ROLE, READ_FUNCTION, READ_FUNCTION_SOURCE, QUERY_OWNER_ROLE],
  );
  const row = rows[0] as { schema: string; login: string; has_role: boolean; is_member: boolean | null; has_function: boolean; function_ok: boolean | null };
  const setup = readerSetupSql(row.schema, row.login);
  if (!row.has_function) throw new ReaderRoleMissingError(`the function ${READ_FUNCTION} is missing from schema ${row.schema} (run \`ridescan migrate\`)`, setup);
  if (!row.has_role) throw new ReaderRoleMissingError(`the role ${READER_ROLE} does not exist (the migrating user could not create it)`, setup);
  if (!row.is_member) throw new ReaderRoleMissingError(`${row.login} is not a member of ${READER_ROLE}`, setup);
  if (!row.function_ok) throw new ReaderRoleMissingError(`${row.schema}.${READ_FUNCTION} is not the security-definer function of migration 006 owned by ${QUERY_OWNER_ROLE}`, setup);
  return `"${row.schema.replace(/"/g, '""')}".${READ_FUNCTION}`;
}

function sqlState(error: unknown): string | undefined {
  return (error as { code?: string })?.code;
}

function isCancel(error: unknown): boolean {
  return sqlState(error) === '57014'; // query_canceled: statement_timeout or pg_cancel_backend
}

function refusal(error: unknown): unknown {
  const state = sqlState(error);
  // 42601 syntax error (COPY, DO, SET, a DML statement after DECLARE ... FOR), 0A000 feature not
  // supported (data-modifying WITH), 42P14/42P03 multiple statements in one extended message
  if (state === '42601' || state === '0A000' || state === '42P14' || state === '42P03' || /multiple commands/.test(String((error as Error)?.message))) {
    return new QueryRefusedError(
      `query refused: only one query (SELECT, VALUES, TABLE, or WITH ... SELECT) runs, in a read-only transaction as ${READER_ROLE}; PostgreSQL said: ${(error as Error).message}`,
    );
  }
  return error;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Parses a record's text output: `(1,,"a ""b""",x)` gives ['1', null, 'a "b"', 'x']. Quoting
 * follows record_out: a value in double quotes when it is empty or holds `"`, `\`, `(`, `)`, `,`
 * or white space, with `"` and `\` doubled or backslash-escaped inside.
 */
export function parseRecord(text: string, columnCount: number): (string | null)[] {
  if (columnCount === 0) return [];
  const out: (string | null)[] = [];
  const end = text.length - 1; // the closing parenthesis
  let i = 1;
  for (;;) {
    if (i >= end || text[i] === ',') {
      out.push(null);
      if (i >= end) break;
      i++;
      continue;
    }
    let value = '';
    let quoted = false;
    while (i < end && (quoted || text[i] !== ',')) {
      const c = text[i];
      if (c === '"') {
        if (quoted && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else if (c === '\\') {
        value += text[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    out.push(value);
    if (i >= end) break;
    i++;
  }
  return out;
}

const NUMERIC_OIDS = new Set([20, 21, 23, 26, 700, 701, 1700]);
const JSON_OIDS = new Set([114, 3802]);

/** A cell for JSON output: numbers, booleans and json as themselves, everything else as its text. */
export function jsonCell(text: string | null, typeOid: number): unknown {
  if (text === null) return null;
  if (NUMERIC_OIDS.has(typeOid)) {
    const n = Number(text);
    // int8 or numeric beyond 2^53 keep their digits as text rather than lose them
    return Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(text)) ? n : text;
  }
  if (typeOid === 16) return text === 't';
  if (JSON_OIDS.has(typeOid)) return JSON.parse(text);
  return text;
}

/**
 * Ends the process if not disarmed within ms: for the embedded database, whose statement blocks
 * this thread. The worker writes the reason to stderr, then SIGKILLs the process (exit status
 * 137): no JavaScript of the main thread can run to exit more gently. The data directory lock
 * of a dead process is taken over by the next one (adapters/dataDirLock.ts).
 */
function startWatchdog(ms: number): { disarm(): void } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const message = `ridescan: query stopped after the timeout of ${seconds(ms)} (--timeout): the embedded database cannot interrupt a statement, so the process ends\n`;
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     if (Atomics.wait(workerData.flag, 0, 0, workerData.ms) === 'timed-out') {
       require('node:fs').writeSync(2, workerData.message);
       process.kill(process.pid, 'SIGKILL');
     }`,
    { eval: true, workerData: { flag, ms, message } },
  );
  worker.unref();
  return {
    disarm() {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    },
  };
}
