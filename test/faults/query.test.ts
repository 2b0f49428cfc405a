// Issue 10, "ridescan query writes on a server": every hostile statement of the issue, run
// through the CLI on the embedded database and on a server, each checked against what is in the
// database afterwards (row count and a checksum of the flags), the exit code, and the files or
// sessions it aimed at.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import knexFactory from 'knex';
import { openDatabase, type Database } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { chooseServiceTimeZone } from '../../src/storage/settings.js';
import { parseRecord } from '../../src/storage/readOnlyQuery.js';
import { ensureDayPartitions } from '../../src/storage/ridePartitions.js';
import { createServerSchema, serverUrl, seedEmbeddedDataDir } from '../support/databases.js';
import { runCli, runCliProcess, CLI } from '../support/runCli.js';

const SERVICE_TZ = 'America/New_York';

interface QueryTarget {
  name: 'pglite' | 'server';
  env: Record<string, string | undefined>;
  url?: string;
  /** the database, opened for the test's own reads and writes (closed after: PGlite is one process's) */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

async function pgliteTarget(): Promise<QueryTarget> {
  const home = mkdtempSync(join(tmpdir(), 'ridescan-query-'));
  const dataDir = join(home, 'db');
  await seedEmbeddedDataDir(dataDir);
  const withDb = async <T,>(fn: (db: Database) => Promise<T>) => {
    const db = await openDatabase({ dataDir });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  await withDb(async (db) => {
    await migrateToLatest(db);
  await chooseServiceTimeZone(db, SERVICE_TZ);
    await chooseServiceTimeZone(db, SERVICE_TZ);
  });
  return {
    name: 'pglite',
    env: { DATABASE_URL: undefined, RIDESCAN_HOME: home, RIDESCAN_TZ: undefined },
    withDb,
    drop: async () => rmSync(home, { recursive: true, force: true }),
  };
}

async function serverTarget(): Promise<QueryTarget> {
  const schema = await createServerSchema();
  const db = await openDatabase({ databaseUrl: schema.url });
  await migrateToLatest(db);
  await chooseServiceTimeZone(db, SERVICE_TZ);
  return {
    name: 'server',
    env: { DATABASE_URL: schema.url, RIDESCAN_HOME: mkdtempSync(join(tmpdir(), 'ridescan-query-')), RIDESCAN_TZ: undefined },
    url: schema.url,
    withDb: (fn) => fn(db),
    async drop() {
      await db.close();
      await schema.drop();
    },
  };
}

async function seed(db: Database): Promise<void> {
  const rides: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const day = i < 20 ? '2021-03-01' : '2021-03-02';
    // 13:00 UTC is 08:00 in New York (EST, before the March change)
    rides.push({
      ride_id: `r${String(i).padStart(2, '0')}`,
      pickup_at: `${day}T13:00:00Z`,
      dropoff_at: `${day}T13:20:00Z`,
      distance_km: 3 + i,
      service_date: day,
      is_outlier: i % 7 === 0,
      outlier_reason: i % 7 === 0 ? 'noise' : null,
    });
  }
  await db.knex.transaction(async (trx) => {
    await ensureDayPartitions(trx, ['2021-03-01', '2021-03-02']);
    await trx('rides').insert(rides);
  });
}

/** what the hostile statements aim at: the rides, their flags, and the run history */
async function state(target: QueryTarget): Promise<string> {
  return target.withDb(async (db) => {
    const { rows } = await db.knex.raw(`
      select (select count(*) from rides) as rides,
             (select md5(coalesce(string_agg(ride_id || ':' || coalesce(is_outlier::text, 'null') || ':' || coalesce(outlier_reason, ''), ',' order by ride_id), '')) from rides) as flags,
             (select count(*) from detection_runs) as runs,
             (select count(*) from pg_largeobject_metadata) as large_objects`);
    return JSON.stringify(rows[0]);
  });
}

/** server backends sleeping inside ridescan_read (pg_stat_activity shows the top-level call, not the statement) */
async function sleeping(target: QueryTarget): Promise<number> {
  const { rows } = await target.withDb((db) =>
    db.knex.raw("select count(*)::int as n from pg_stat_activity where state = 'active' and wait_event = 'PgSleep' and query like '%ridescan_read(%' and pid <> pg_backend_pid()"),
  );
  return rows[0].n;
}

const targets: Array<() => Promise<QueryTarget>> = [pgliteTarget, ...(serverUrl ? [serverTarget] : [])];
const scratch = mkdtempSync(join(tmpdir(), 'ridescan-query-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parseRecord (the text form of a row, as ridescan_read returns it)', () => {
  it('splits quoted, empty, NULL and escaped values', () => {
    expect(parseRecord('(1,,"a ""b"" \\\\c","",x)', 5)).toEqual(['1', null, 'a "b" \\c', '', 'x']);
    expect(parseRecord('()', 1)).toEqual([null]);
    expect(parseRecord('(,)', 2)).toEqual([null, null]);
    expect(parseRecord('("(1,2)","{1,2}")', 2)).toEqual(['(1,2)', '{1,2}']);
  });
});

for (const makeTarget of targets) {
  const name = makeTarget === pgliteTarget ? 'pglite' : 'server';
  describe(`ridescan query on ${name}`, () => {
    let target: QueryTarget;
    let before: string;
    beforeAll(async () => {
      target = await makeTarget();
      await target.withDb(seed);
      before = await state(target);
    }, 120_000);
    afterAll(async () => target?.drop());

    const query = (sql: string, ...flags: string[]) => runCli(['query', sql, ...flags], target.env);

    /** runs a statement that must be refused: exit 1, and nothing in the database changed */
    async function refused(sql: string, message: RegExp) {
      const run = await query(sql);
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(1);
      expect(await state(target)).toBe(before);
      return run;
    }

    it('reads: the ops view, counts, JSON', async () => {
      const run = await query('select outlier_reason, count(*)::int as n from ride_outliers group by 1', '--json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([{ outlier_reason: 'noise', n: 6 }]);
    });

    it('refuses a COMMIT followed by a DELETE (one statement only)', async () => {
      await refused("commit; delete from rides where service_date='2021-03-01'", /query refused|multiple commands/);
    });

    it('refuses two statements in one text: the extended protocol takes one', async () => {
      await refused("select 1; delete from rides where service_date='2021-03-01'", /cannot insert multiple commands into a prepared statement/);
    });

    it('refuses SET TRANSACTION READ WRITE followed by an UPDATE', async () => {
      await refused('set transaction read write; update rides set is_outlier = true', /query refused/);
    });

    it('refuses an UPDATE alone, as a read-only transaction would', async () => {
      await refused('update rides set is_outlier = false', /read-only transaction/);
    });

    it('refuses a data-modifying WITH', async () => {
      await refused("with gone as (delete from rides where service_date = '2021-03-01' returning 1) select count(*) from gone", /data-modifying/);
    });

    it('refuses COPY TO PROGRAM: no command runs on the database host', async () => {
      const file = join(scratch, `program-${name}`);
      await refused(`copy (select 1) to program 'touch ${file}'`, /query refused/);
      expect(existsSync(file)).toBe(false);
    });

    it('refuses COPY to a server file', async () => {
      const file = join(scratch, `copy-${name}`);
      await refused(`copy rides to '${file}'`, /query refused/);
      expect(existsSync(file)).toBe(false);
    });

    it('refuses pg_read_file and lo_import (the reader may not call them)', async () => {
      const read = await refused("select pg_read_file('/etc/passwd')", /permission denied for function pg_read_file/);
      expect(read.stdout).not.toMatch(/root:/);
      await refused("select lo_import('/etc/passwd')", /permission denied for function lo_import/);
    });

    it('cannot undo the role with set_config (role, session_authorization)', async () => {
      await refused("select set_config('role', 'none', true) as r, current_user as u", /cannot set parameter "role" within security-definer function/);
      await refused("select set_config('session_authorization', session_user, true)", /cannot set parameter "session_authorization" within security-definer function/);
    });

    it('runs as the reader, whatever the session user', async () => {
      const run = await query('select current_user as u, session_user is not null as s');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/ridescan_query_owner/);
    });

    it('leaves ? alone: a literal and the jsonb operator', async () => {
      const literal = await query("select '?' as q");
      expect(literal.code).toBe(0);
      expect(literal.stdout.split('\n')[2]).toBe('?');
      const operator = await query(`select '{"a": 1}'::jsonb ? 'a' as has_a, '{"a": 1}'::jsonb as doc`, '--json');
      expect(operator.code).toBe(0);
      expect(JSON.parse(operator.stdout)).toEqual([{ has_a: true, doc: { a: 1 } }]);
    });

    it('prints every column when names repeat', async () => {
      const table = await query('select 1 as a, 2 as a');
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n').slice(0, 3)).toEqual(['a  a', '-  -', '1  2']);
      const json = await query(
        "select count(*) filter (where service_date = '2021-03-01') as n, count(*) filter (where service_date = '2021-03-02') as n from rides",
        '--json',
      );
      expect(JSON.parse(json.stdout)).toEqual([{ n: 20, n_2: 20 }]);
    });

    it('prints dates as dates and timestamps in the service time zone, whatever the host zone', async () => {
      const hostTz = process.env.TZ;
      process.env.TZ = 'Europe/Berlin';
      try {
        const run = await query("select service_date, pickup_at from rides where ride_id = 'r00'", '--json');
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toEqual([{ service_date: '2021-03-01', pickup_at: '2021-03-01 08:00:00-05' }]);
      } finally {
        if (hostTz === undefined) delete process.env.TZ;
        else process.env.TZ = hostTz;
      }
    });

    it('caps 150k rows at 10,000 with a note', async () => {
      const run = await query('select g, g as again from generate_series(1, 150000) g');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines.length).toBe(2 + 10_000 + 1);
      expect(lines[2 + 9_999]).toMatch(/^10000\s+10000$/);
      expect(lines.at(-1)).toMatch(/first 10,000 rows only: the statement has more\. Add LIMIT/);
    });

    it('stops the statement at the cap instead of computing all of it', async () => {
      // a trillion rows: only a statement that stops at the cap ends
      const started = Date.now();
      // in the target list, so that the set streams (in FROM it would be materialised first)
      const run = await query('select generate_series(1, 1000000000000) as g', '--json', '--max-rows', '5');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([1, 2, 3, 4, 5].map((g) => ({ g })));
      expect(run.stderr).toMatch(/first 5 rows only/);
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it('refuses pg_terminate_backend on its own superuser session', async () => {
      await refused('select pg_terminate_backend(pg_backend_pid())', /must be a superuser|permission denied/);
    });

    it('validates the flags', async () => {
      expect((await query('select 1', '--timeout', '0')).code).toBe(2);
      expect((await query('select 1', '--max-rows', '1000000')).code).toBe(2);
    });

    if (name === 'server') {
      it('cannot terminate another session, even after set_config(role, none)', async () => {
        const other = new pg.Client({ connectionString: serverUrl });
        other.on('error', () => {});
        await other.connect();
        try {
          const pid = (await other.query('select pg_backend_pid() as pid')).rows[0].pid;
          await refused(`select pg_terminate_backend(${pid})`, /must be a superuser to terminate superuser process|permission denied/);
          await refused(`select set_config('role', 'none', true), pg_terminate_backend(${pid})`, /cannot set parameter "role"/);
          expect((await other.query('select 42 as still')).rows[0].still).toBe(42);
        } finally {
          await other.end();
        }
      });

      it('the premise: SET LOCAL ROLE alone is undone by set_config on a superuser session', async () => {
        // why the statement runs inside a security-definer function: without one, the reader role
        // is a setting the statement can change back
        const client = new pg.Client({ connectionString: target.url });
        await client.connect();
        try {
          await client.query('begin read only');
          await client.query('set local role ridescan_reader');
          const { rows } = await client.query("select set_config('role', 'none', true) as r, current_user as u");
          expect(rows[0].u).not.toBe('ridescan_reader');
        } finally {
          await client.query('rollback');
          await client.end();
        }
      });

      it('ends pg_sleep(3600) at --timeout 1 and leaves nothing running on the server', async () => {
        const started = Date.now();
        const run = await query('select pg_sleep(3600)', '--timeout', '1');
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/query stopped after the timeout of 1 s \(--timeout\)/);
        expect(await sleeping(target)).toBe(0);
      });

      it('cancels the statement on the server when the CLI gets SIGTERM', async () => {
        const { startCli } = await import('../support/runCli.js');
        const cli = startCli(['query', 'select pg_sleep(3600)'], target.env);
        const running = () => sleeping(target);
        try {
          const deadline = Date.now() + 30_000;
          while ((await running()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          expect(await running()).toBe(1);
          cli.child.kill('SIGTERM');
          const done = await cli.exited;
          expect(done.stderr).toMatch(/query cancelled: the statement was stopped on the server/);
          expect(done.code).toBe(1);
          expect(await running()).toBe(0);
        } finally {
          // a failed assertion must not leave a CLI sleeping on the server
          if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
        }
      }, 60_000);

      describe('as a non-superuser login', () => {
        const login = `ridescan_test_ops_${randomBytes(4).toString('hex')}`;
        const admin = () => knexFactory({ client: 'pg', connection: serverUrl });
        let url: string;
        beforeAll(async () => {
          const a = admin();
          const schema = new URL(target.url!).searchParams.get('options')!.replace('-c search_path=', '');
          await a.raw(`create role ${login} login password 'ops-pw'`);
          await a.raw(`grant usage on schema ${schema} to ${login}`);
          await a.raw(`grant select, insert, update, delete on all tables in schema ${schema} to ${login}`);
          await a.destroy();
          const parsed = new URL(target.url!);
          parsed.username = login;
          parsed.password = 'ops-pw';
          url = parsed.toString();
        });
        afterAll(async () => {
          const a = admin();
          await a.raw(`drop owned by ${login}`);
          await a.raw(`drop role ${login}`);
          await a.destroy();
        });

        it('is refused, naming what a DBA runs, until it is granted the reader role', async () => {
          const run = await runCli(['query', 'select count(*) from rides'], { ...target.env, DATABASE_URL: url });
          expect(run.code).toBe(3);
          expect(run.stderr).toMatch(new RegExp(`${login} is not a member of ridescan_reader`));
          expect(run.stderr).toMatch(new RegExp(`grant ridescan_reader to "${login}";`));
        });

        it('with the reader role, still cannot write (its own table privileges notwithstanding)', async () => {
          const a = admin();
          await a.raw(`grant ridescan_reader to ${login}`);
          await a.destroy();
          const env = { ...target.env, DATABASE_URL: url };
          const ok = await runCli(['query', 'select count(*)::int as n from rides', '--json'], env);
          expect(ok.code).toBe(0);
          expect(JSON.parse(ok.stdout)).toEqual([{ n: 40 }]);
          for (const sql of [
            "commit; delete from rides where service_date='2021-03-01'",
            'set transaction read write; update rides set is_outlier = true',
            'with gone as (delete from rides returning 1) select count(*) from gone',
            'update rides set is_outlier = true',
          ]) {
            const run = await runCli(['query', sql], env);
            expect(run.code).toBe(1);
          }
          expect(await state(target)).toBe(before);
        });
      });

      it('migrates several schemas of one cluster at once (the roles are shared), and each can be queried', async () => {
        const schemas = await Promise.all([1, 2, 3].map(() => createServerSchema()));
        try {
          const migrated = await Promise.all(schemas.map((s) => runCli(['migrate'], { ...target.env, DATABASE_URL: s.url })));
          expect(migrated.map((m) => m.code)).toEqual([0, 0, 0]);
          const counted = await Promise.all(schemas.map((s) => runCli(['query', 'select count(*)::int as n from zones', '--json'], { ...target.env, DATABASE_URL: s.url })));
          expect(counted.map((c) => c.code)).toEqual([0, 0, 0]);
          expect(counted.map((c) => JSON.parse(c.stdout)[0].n)).toEqual([265, 265, 265]);
        } finally {
          await Promise.all(schemas.map((s) => s.drop()));
        }
      });

      it('migrates as a user that cannot create roles, and query then names what a DBA runs', async () => {
        const login = `ridescan_test_owner_${randomBytes(4).toString('hex')}`;
        const schema = `ridescan_test_${randomBytes(5).toString('hex')}`;
        const a = knexFactory({ client: 'pg', connection: serverUrl });
        await a.raw(`create role ${login} login password 'owner-pw'`);
        await a.raw(`create schema ${schema} authorization ${login}`);
        try {
          const parsed = new URL(serverUrl!);
          parsed.username = login;
          parsed.password = 'owner-pw';
          parsed.searchParams.set('options', `-c search_path=${schema}`);
          const env = { ...target.env, DATABASE_URL: parsed.toString() };
          const migrate = await runCli(['migrate'], env);
          expect(migrate.stderr).toBe('');
          expect(migrate.code).toBe(0);
          // its tables are made; the job queue's schema is not, and the summary says what a DBA grants
          expect(migrate.stdout).toMatch(new RegExp(`not installed\\s+job queue \\(pg-boss schema ${schema}_jobs\\): ${login} may not create schemas`));
          expect(migrate.stdout).toMatch(new RegExp(`grant create on database "[^"]+" to "${login}"`));
          const run = await runCli(['query', 'select 1'], env);
          expect(run.code).toBe(3);
          expect(run.stderr).toMatch(/A database administrator runs, once:/);
          expect(run.stderr).toMatch(new RegExp(`alter function "${schema}".ridescan_read\\(text, bigint\\) owner to ridescan_query_owner;`));
        } finally {
          await a.raw(`drop schema ${schema} cascade`);
          await a.raw(`drop owned by ${login}`);
          await a.raw(`drop role ${login}`);
          await a.destroy();
        }
      });
    }

    if (name === 'pglite') {
      it('ends pg_sleep(3600) at --timeout 1 (the process, since PGlite cannot interrupt it), and the next command gets the database', async () => {
        expect(existsSync(CLI)).toBe(true); // build first: npx tsc -p .
        const started = Date.now();
        const run = await runCliProcess(['query', 'select pg_sleep(3600)', '--timeout', '1'], target.env, 60_000);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(run.signal).toBe('SIGKILL');
        expect(run.stderr).toMatch(/query stopped after the timeout of 1 s \(--timeout\): the embedded database cannot interrupt a statement/);
        const next = await query('select count(*)::int as n from rides', '--json');
        expect(next.code).toBe(0);
        expect(JSON.parse(next.stdout)).toEqual([{ n: 40 }]);
        expect(await state(target)).toBe(before);
      }, 60_000);
    }
  });
}
