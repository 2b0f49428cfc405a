// The per-day job queue: one pg-boss 10 queue, `score-day`, one job per service day, on either
// backend. On a server pg-boss gets a small pool of its own from the same URL (search_path and
// all), so that fetching and completing jobs never waits behind the scoring on knex's pool; on
// PGlite it gets the handle's executeSql, which takes turns with knex on the one connection.
//
// What pg-boss does not give, this module adds: a dead worker's job is found by a lock rather than
// by waiting for its expiry. A worker holds LOCKS.dayJob(day) from fetching a job until it has
// marked it done; an `active` job older than a grace whose day nobody holds belongs to a worker
// that died (a session's locks end with it), and any live worker fails it, so pg-boss retries it.
import type PgBoss from 'pg-boss';
import type { Database } from './database.js';
import { LOCKS } from './locks.js';

export const SCORE_DAY_QUEUE = 'score-day';

/**
 * The queue's policy, written by `ridescan migrate` (createQueue, then updateQueue so that a
 * changed policy reaches an installed queue).
 *
 * - `short` with singletonKey = the day: at most one *queued* (created) job per day; sending a
 *   day already queued returns none, and the caller follows the queued one. Not `stately`, which
 *   also allows one active job per key: fetching the queued job of a day whose other job is
 *   active then breaks that unique index, pg-boss 10's fetch swallows the error and returns no
 *   job, and every worker stalls on the head of the queue until the active one ends
 *   (plans.js fetchNextJob and manager.js fetch). Two active jobs of one day are harmless here:
 *   the second finds the day held and ends `skipped`, as two backfills of one day do.
 * - 2 retries (3 attempts), 5 s apart: the pipeline already retried transient errors 3 times
 *   within an attempt, so a failed attempt is mostly a worker that died, retried at once.
 * - expiry 1 hour: a backstop for a worker that is alive but hung (a day of 1M rides takes well
 *   under a minute; every statement is bounded at 10 minutes). A dead worker is found by its lock
 *   much sooner (RIDESCAN_WORKER_RECOVERY_SECONDS).
 */
export const SCORE_DAY_POLICY: Omit<PgBoss.Queue, 'name'> = {
  policy: 'short',
  retryLimit: 2,
  retryDelay: 5,
  retryBackoff: false,
  expireInSeconds: 3600,
};

/** Failed jobs stay in the job table (and in `status`) this long before pg-boss archives them. */
const KEEP_FAILED_SECONDS = 7 * 86_400;

export class JobQueueNotInstalledError extends Error {
  constructor(schema: string, why: string) {
    super(`the job queue's schema ${schema} is not current (${why}); run \`ridescan migrate\` first`);
    this.name = 'JobQueueNotInstalledError';
  }
}

/**
 * The pg-boss schema of the ridescan schema the handle works in: `ridescan_jobs` for `public`,
 * else `<schema>_jobs`. One queue per ridescan schema, as the advisory locks are per schema
 * (locks.ts): two deployments in one database, or the test suite's schema per test file on the
 * shared server, would otherwise fetch each other's days.
 */
export async function queueSchemaOf(db: Database): Promise<string> {
  const { rows } = await db.knex.raw('select current_schema() as schema');
  const schema = String(rows[0].schema);
  const name = schema === 'public' ? 'ridescan_jobs' : `${schema}_jobs`;
  // pg-boss's own rule for a schema name, checked here with a message that says which schema
  if (!/^[A-Za-z_]\w{0,49}$/.test(name)) throw new Error(`the ridescan schema '${schema}' gives the job queue schema '${name}', which pg-boss cannot use (letters, digits and _ only, at most 50)`);
  return name;
}

export interface JobData {
  day: string;
  /** skip the day when, under its lock, it is already scored and not stale */
  onlyIfNeeded: boolean;
  /** compute the day even when its last result could stand (absent in jobs before it: false) */
  recompute?: boolean;
  /** the detector parameters of the command that queued it */
  params: Record<string, unknown>;
  /** who queued it (backfill, schedule): recorded in the logs */
  queuedBy: string;
}

export interface FetchedJob {
  id: string;
  data: unknown;
  retryCount: number;
}

export interface JobQueue {
  /** the pg-boss schema */
  schema: string;
  /** Queues a day; a day already queued (not yet started) is not queued twice: its job is returned. */
  send(data: JobData): Promise<{ id: string; alreadyQueued: boolean }>;
  fetch(): Promise<FetchedJob | null>;
  complete(id: string, output: object): Promise<void>;
  /** fails an attempt: pg-boss retries it within SCORE_DAY_POLICY.retryLimit */
  fail(id: string, output: object): Promise<void>;
  /** cancels jobs not finished yet (queued ones a stopping in-process worker will not take) */
  cancel(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface OpenQueueOptions {
  /** the server's URL; undefined on PGlite (the handle's executeSql is used) */
  databaseUrl: string | undefined;
  /** run pg-boss's supervisor (expiry, archiving): long-running workers on a server only */
  supervise: boolean;
  /** pg-boss's own errors (its supervisor's, a pool's): never thrown, told here */
  onError: (error: Error) => void;
}

async function loadPgBoss(): Promise<typeof PgBoss> {
  return (await import('pg-boss')).default;
}

function bossOptions(db: Database, schema: string, options: { databaseUrl: string | undefined; supervise: boolean; migrate: boolean }): PgBoss.ConstructorOptions {
  const common = {
    schema,
    migrate: options.migrate,
    supervise: options.supervise,
    // no pg-boss cron: the schedule is node-cron's (`ridescan schedule`)
    schedule: false,
    archiveFailedAfterSeconds: KEEP_FAILED_SECONDS,
  };
  if (options.databaseUrl) return { ...common, connectionString: options.databaseUrl, max: 2, application_name: 'ridescan-queue' };
  if (!db.executeSql) throw new Error('the database handle has neither a server URL nor executeSql for the job queue');
  const executeSql = db.executeSql.bind(db);
  return { ...common, db: { executeSql: (text: string, values: unknown[]) => executeSql(text, values) } };
}

/** Whether pg-boss's tables exist for this schema (status works without them). */
export async function jobQueueInstalled(db: Database): Promise<{ schema: string; installed: boolean; tables: boolean }> {
  const schema = await queueSchemaOf(db);
  const { rows } = await db.knex.raw(`select to_regclass(?) is not null as job, to_regclass(?) is not null as queue`, [`${schema}.job`, `${schema}.queue`]);
  if (!rows[0].job || !rows[0].queue) return { schema, installed: false, tables: false };
  const queue = await db.knex.raw(`select 1 from ${schema}.queue where name = ?`, [SCORE_DAY_QUEUE]);
  return { schema, installed: queue.rows.length === 1, tables: true };
}

/**
 * Creates or updates pg-boss's schema and the score-day queue (`ridescan migrate`), so that
 * workers need no DDL rights. Safe to run again, and concurrently.
 */
export interface JobQueueInstall {
  schema: string;
  was: 'absent' | 'present';
  /** set when the login may not create the queue's schema: the database and login a DBA grants CREATE on and to */
  notInstalled?: { database: string; login: string };
}

export async function installJobQueue(db: Database, databaseUrl: string | undefined): Promise<JobQueueInstall> {
  // Under the migrations' lock: two schedulers starting at once both install, and pg-boss's
  // create_queue run twice concurrently deadlocks (the second's insert into its queue table waits
  // for the first's row, while the first's foreign key to that table waits for the second).
  return db.withLock(LOCKS.migrations(), () => install(db, databaseUrl));
}

async function install(db: Database, databaseUrl: string | undefined): Promise<JobQueueInstall> {
  const before = await jobQueueInstalled(db);
  if (!before.tables) {
    // pg-boss's install starts with CREATE SCHEMA IF NOT EXISTS, which PostgreSQL refuses without
    // CREATE on the database even when the schema is there: an owner of its own schema only
    // (a common grant for an application login) gets ridescan's tables and no queue, and is told
    // what a DBA grants, as the reader role is handled.
    const { rows } = await db.knex.raw(`select has_database_privilege(current_database(), 'CREATE') as can, current_database() as database, current_user as login`);
    if (!rows[0].can) {
      return { schema: before.schema, was: 'absent', notInstalled: { database: String(rows[0].database), login: String(rows[0].login) } };
    }
  }
  const PgBossClass = await loadPgBoss();
  const boss = new PgBossClass(bossOptions(db, before.schema, { databaseUrl, supervise: false, migrate: true }));
  let failure: Error | undefined;
  boss.on('error', (error) => (failure ??= error));
  await boss.start();
  try {
    await boss.createQueue(SCORE_DAY_QUEUE, { name: SCORE_DAY_QUEUE, ...SCORE_DAY_POLICY });
    await boss.updateQueue(SCORE_DAY_QUEUE, { name: SCORE_DAY_QUEUE, ...SCORE_DAY_POLICY });
  } finally {
    await boss.stop({ graceful: false });
  }
  if (failure) throw failure;
  return { schema: before.schema, was: before.installed ? 'present' : 'absent' };
}

/** Opens the queue; JobQueueNotInstalledError when `ridescan migrate` has not installed it. */
export async function openJobQueue(db: Database, options: OpenQueueOptions): Promise<JobQueue> {
  const { schema, installed } = await jobQueueInstalled(db);
  if (!installed) throw new JobQueueNotInstalledError(schema, 'not installed');
  const PgBossClass = await loadPgBoss();
  const boss = new PgBossClass(bossOptions(db, schema, { databaseUrl: options.databaseUrl, supervise: options.supervise, migrate: false }));
  boss.on('error', options.onError);
  try {
    await boss.start();
  } catch (error) {
    // pg-boss's check: 'pg-boss is not installed' or 'pg-boss database requires migrations'
    await boss.stop({ graceful: false }).catch(() => {});
    throw new JobQueueNotInstalledError(schema, error instanceof Error ? error.message : String(error));
  }
  return {
    schema,
    async send(data) {
      // A day already queued is refused by the policy's unique index: follow the job that is.
      for (let tries = 0; tries < 5; tries++) {
        const id = await boss.send(SCORE_DAY_QUEUE, data, { singletonKey: data.day });
        if (id) return { id, alreadyQueued: false };
        const { rows } = await db.knex.raw(
          `select id from ${schema}.job where name = ? and singleton_key = ? and state < 'completed' order by created_on limit 1`,
          [SCORE_DAY_QUEUE, data.day],
        );
        if (rows.length === 1) return { id: String(rows[0].id), alreadyQueued: true };
        // it finished between the two statements: queue the day again
      }
      throw new Error(`could not queue ${data.day}: it was refused as already queued five times, and no queued job was found`);
    },
    async fetch() {
      const [job] = await boss.fetch<unknown>(SCORE_DAY_QUEUE, { batchSize: 1, includeMetadata: true });
      return job ? { id: job.id, data: job.data, retryCount: job.retryCount } : null;
    },
    async complete(id, output) {
      await boss.complete(SCORE_DAY_QUEUE, id, output);
    },
    async fail(id, output) {
      await boss.fail(SCORE_DAY_QUEUE, id, output);
    },
    async cancel(ids) {
      if (ids.length > 0) await boss.cancel(SCORE_DAY_QUEUE, ids);
    },
    close: () => boss.stop({ graceful: false }),
  };
}

export type FinalJobState = 'completed' | 'failed' | 'cancelled';

export interface JobResult {
  id: string;
  state: FinalJobState;
  output: unknown;
}

/** The jobs of `ids` that reached a final state, from the job table and pg-boss's archive. */
export async function finishedJobs(db: Database, schema: string, ids: string[]): Promise<JobResult[]> {
  if (ids.length === 0) return [];
  const list = `{${ids.join(',')}}`;
  const { rows } = await db.knex.raw(
    `select id::text as id, state::text as state, output from ${schema}.job
       where name = ? and id = any(?::uuid[]) and state >= 'completed'
     union all
     select id::text, state::text, output from ${schema}.archive
       where name = ? and id = any(?::uuid[]) and state >= 'completed'`,
    [SCORE_DAY_QUEUE, list, SCORE_DAY_QUEUE, list],
  );
  return (rows as { id: string; state: FinalJobState; output: unknown }[]).map((r) => ({ id: r.id, state: r.state, output: r.output }));
}

/**
 * Active jobs whose worker died: started more than `graceSeconds` ago, and their day's job lock
 * held by nobody. Each is failed (pg-boss retries it, or fails it for good past its retry limit).
 * Returns the days recovered.
 */
export async function recoverOrphanedJobs(db: Database, queue: JobQueue, graceSeconds: number): Promise<string[]> {
  const { rows } = await db.knex.raw(
    `select id::text as id, data->>'day' as day from ${queue.schema}.job
       where name = ? and state = 'active' and started_on < now() - make_interval(secs => ?)`,
    [SCORE_DAY_QUEUE, graceSeconds],
  );
  const recovered: string[] = [];
  for (const job of rows as { id: string; day: string | null }[]) {
    if (!job.day || !/^\d{4}-\d{2}-\d{2}$/.test(job.day)) continue;
    if ((await db.lockHolders(LOCKS.dayJob(job.day))) > 0) continue;
    await queue.fail(job.id, {
      status: 'failed',
      error: `the worker scoring ${job.day} ended before it finished (no worker held the day for ${graceSeconds} s, RIDESCAN_WORKER_RECOVERY_SECONDS); retried`,
    });
    recovered.push(job.day);
  }
  return recovered;
}

export interface QueueOverview {
  schema: string;
  installed: boolean;
  /** created or waiting for a retry */
  queued: number;
  /** active: a worker has it */
  running: number;
  /** failed for good, still in the job table (pg-boss archives them after a week) */
  failed: number;
  /** the most recent failed jobs, newest first */
  failedJobs: { day: string; failedAt: Date | null; error: string }[];
}

/** What `status` shows of the queue; installed: false (and zeros) when it was never installed. */
export async function queueOverview(db: Database, limit = 20): Promise<QueueOverview> {
  const { schema, installed } = await jobQueueInstalled(db);
  const overview: QueueOverview = { schema, installed, queued: 0, running: 0, failed: 0, failedJobs: [] };
  if (!installed) return overview;
  const counts = await db.knex.raw(`select state::text as state, count(*)::int as n from ${schema}.job where name = ? group by state`, [SCORE_DAY_QUEUE]);
  for (const r of counts.rows as { state: string; n: number }[]) {
    if (r.state === 'created' || r.state === 'retry') overview.queued += Number(r.n);
    else if (r.state === 'active') overview.running += Number(r.n);
    else if (r.state === 'failed') overview.failed += Number(r.n);
  }
  const failed = await db.knex.raw(
    `select data->>'day' as day, completed_on, output from ${schema}.job
       where name = ? and state = 'failed' order by completed_on desc nulls last limit ?`,
    [SCORE_DAY_QUEUE, limit],
  );
  overview.failedJobs = (failed.rows as { day: string | null; completed_on: Date | null; output: unknown }[]).map((r) => ({
    day: r.day ?? '?',
    failedAt: r.completed_on ? new Date(r.completed_on) : null,
    error: jobError(r.output).split('\n')[0],
  }));
  return overview;
}

/** The error of a failed job's output: ours ({ error }), pg-boss's ({ value: { message } }), or a serialized Error. */
export function jobError(output: unknown): string {
  const o = (output ?? {}) as { error?: unknown; message?: unknown; value?: { message?: unknown } };
  if (typeof o.error === 'string') return o.error;
  if (typeof o.message === 'string') return o.message;
  if (typeof o.value?.message === 'string') return o.value.message;
  return output === null || output === undefined ? 'no error recorded' : JSON.stringify(output);
}
