// A PostgreSQL server of a test file's own, in a temporary cluster: for the tests that restart the
// server or terminate its backends, which must never touch the shared server other test files run
// on at the same time. initdb takes ~2-4 s; one server per test file.
//
// initdb and postgres refuse to run as root (CI runs tests as root): they run as the `postgres`
// OS user then, in a temp dir that user owns. fsync is off: the cluster is thrown away, and a
// restart does not lose what was committed before it (a fast shutdown writes a checkpoint).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chownSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

/** Where initdb, pg_ctl and postgres are, or undefined (the file is then skipped, with a note). */
export const postgresBin: string | undefined = process.env.RIDESCAN_PG_BIN ?? BIN_DIRS.find((d) => existsSync(join(d, 'initdb')));

export const throwawaySkipNote = postgresBin
  ? ''
  : `no PostgreSQL server binaries (looked in ${BIN_DIRS.join(', ')}; set RIDESCAN_PG_BIN): server restart tests skipped`;

export interface ThrowawayServer {
  port: number;
  /** a connection URL to the server's `postgres` database, with application_name when given */
  url(applicationName?: string): string;
  /** `pg_ctl restart -m fast`: every session ends with 57P01, then the server accepts again */
  restart(): Promise<void>;
  /** stop (fast), for tests that want the server down for a while; `start` brings it back */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** pg_terminate_backend of the sessions with this application_name, or of every client session but ours */
  terminate(applicationName?: string): Promise<number>;
  /** runs one statement on a connection of its own (not through ridescan) */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** stops the server and removes its directory */
  destroy(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** Runs a server binary, as the postgres OS user when we are root. */
async function pgRun(binary: string, args: string[]): Promise<string> {
  const file = join(postgresBin!, binary);
  const { stdout } = asRoot
    ? await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 })
    : await run(file, args, { timeout: 60_000 });
  return stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startThrowawayServer(): Promise<ThrowawayServer> {
  if (!postgresBin) throw new Error(throwawaySkipNote);
  const root = mkdtempSync(join(tmpdir(), 'ridescan-pg-'));
  if (asRoot) {
    const { uid, gid } = await run('id', ['-u', 'postgres']).then(async (u) => ({
      uid: Number(u.stdout.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
    }));
    chownSync(root, uid, gid);
  }
  const data = join(root, 'data');
  const log = join(root, 'server.log');
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    `-c listen_addresses=127.0.0.1`,
    `-c fsync=off`,
    `-c synchronous_commit=off`,
    `-c full_page_writes=off`,
    `-c max_connections=50`,
    `-c shared_buffers=64MB`,
  ].join(' ');
  const pgCtl = (args: string[]) => pgRun('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
  await pgCtl(['-o', options, 'start']);

  const base = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: base });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => {});
    }
  };
  return {
    port,
    url: (applicationName) => (applicationName ? `${base}?application_name=${encodeURIComponent(applicationName)}` : base),
    // pg_ctl restart reuses the options the server was started with (postmaster.opts)
    restart: async () => void (await pgCtl(['-m', 'fast', 'restart'])),
    stop: async () => void (await pgCtl(['-m', 'fast', 'stop'])),
    start: async () => void (await pgCtl(['-o', options, 'start'])),
    async terminate(applicationName) {
      const rows = await query<{ n: number }>(
        applicationName
          ? `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()`
          : `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() and $1::text is null`,
        [applicationName ?? null],
      );
      return rows[0].n;
    },
    query,
    async destroy() {
      await pgCtl(['-m', 'immediate', 'stop']).catch(() => {});
      if (existsSync(root) && statSync(root).isDirectory()) rmSync(root, { recursive: true, force: true });
    },
  };
}
