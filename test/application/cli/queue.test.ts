// `backfill --queue` and `status`'s queue lines through the CLI in this process, on PGlite (where
// --queue runs its own worker) and on a server (where `ridescan worker` processes score the days;
// here one runs in this process, through the same use case as the command).
import { afterEach, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { runWorker } from '../../../src/application/usecases/worker.js';
import { resolveConfig } from '../../../src/application/config.js';
import { createLogger } from '../../../src/application/logger.js';
import { EXIT } from '../../../src/application/errors.js';
import { openJobQueue, queueOverview } from '../../../src/storage/jobQueue.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';

const FROM = '2023-04-01';
const TO = '2023-04-05';
const WITH_RIDES = ['2023-04-01', '2023-04-02', '2023-04-04'];

interface JsonDay {
  day: string;
  status: string;
  why?: string;
  rides?: number;
  runId?: number;
}

const quiet = createLogger({ logFormat: 'json', logLevel: 'warn' }, { write: () => {}, isTTY: false });

/** A worker in this process, as `ridescan worker` runs it; stop() is its SIGTERM. */
function startWorker(env: Record<string, string | undefined>) {
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const config = resolveConfig({ ...process.env, ...env } as NodeJS.ProcessEnv);
  const exited = runWorker({ config, concurrency: 2, log: quiet, stopSignal, onStarted: started });
  return { ready: Promise.race([ready, exited.then((code) => Promise.reject(new Error(`worker exited ${code}`)))]), exited, stop: () => (stop('SIGTERM'), exited) };
}

describe('the worker configuration', () => {
  it('RIDESCAN_WORKER_RECOVERY_SECONDS out of range or not a number is exit 2 naming it; so are --concurrency 0 and no server', async () => {
    for (const value of ['0', '3601', 'soon', '1.5']) {
      const run = await runCli(['worker'], { RIDESCAN_WORKER_RECOVERY_SECONDS: value });
      expect(run.code, value).toBe(EXIT.usage);
      expect(run.stderr, value).toMatch(/configuration error: RIDESCAN_WORKER_RECOVERY_SECONDS (must|is)/);
    }
    expect(resolveConfig({}).workerRecoverySeconds).toBe(30);
    expect(resolveConfig({ RIDESCAN_WORKER_RECOVERY_SECONDS: ' 5 ' }).workerRecoverySeconds).toBe(5);
    const embedded = await runCli(['worker'], { DATABASE_URL: undefined, RIDESCAN_HOME: '/nonexistent/ridescan' });
    expect(embedded.code).toBe(EXIT.usage);
    expect(embedded.stderr).toMatch(/`ridescan worker` needs a PostgreSQL server \(set DATABASE_URL\)/);
    const bad = await runCli(['worker', '--concurrency', '0']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--concurrency.*must be at least 1/);
  });
});

describe.each(processTargets)('the job queue through the CLI on $name', (target) => {
  let environment: ProcessEnvironment | undefined;
  afterEach(async () => {
    await environment?.cleanup();
    environment = undefined;
  });

  it('backfill --queue gives the same per-day results as a plain backfill', async () => {
    environment = await target.create();
    const env = environment.env;
    await withDb(environment, async (db) => {
      for (const [k, day] of WITH_RIDES.entries()) await simulateDay(db, { serviceDate: day, rides: 400, seed: 20 + k, timeZone: 'UTC' });
    });
    expect((await runCli(['migrate'], env)).stdout).toMatch(/^applied\s+job queue \(pg-boss schema \w+_jobs\)$/m);
    const worker = target.name === 'server' ? startWorker(env) : undefined;
    await worker?.ready;
    try {
      const queued = await runCli(['backfill', '--from', FROM, '--to', TO, '--queue', '--json'], env);
      expect(queued.stderr).not.toMatch(/ERROR/);
      expect(queued.code).toBe(0);
      const plain = await runCli(['backfill', '--from', FROM, '--to', TO, '--json'], env);
      expect(plain.code).toBe(0);
      const summary = (stdout: string) => (JSON.parse(stdout).days as JsonDay[]).map((d) => `${d.day} ${d.status} ${d.why ?? d.rides}`);
      expect(summary(queued.stdout)).toEqual(summary(plain.stdout));
      expect(summary(queued.stdout)).toEqual(['2023-04-01 succeeded 400', '2023-04-02 succeeded 400', '2023-04-03 skipped no rides', '2023-04-04 succeeded 400', '2023-04-05 skipped no rides']);
      // the queued days were scored by the worker: their runs say so, and are the ones reported
      const runIds = (JSON.parse(queued.stdout).days as JsonDay[]).filter((d) => d.runId).map((d) => d.runId!);
      await withDb(environment, async (db) => {
        const runs = await db.knex('detection_runs').whereIn('id', runIds).select('trigger', 'status');
        expect(runs.map((r: { trigger: string; status: string }) => `${r.trigger} ${r.status}`)).toEqual(WITH_RIDES.map(() => 'worker succeeded'));
        const overview = await queueOverview(db);
        expect([overview.queued, overview.running, overview.failed]).toEqual([0, 0, 0]);
      });
      // nothing changed since the plain backfill: a second one takes each day's last result; then
      // --recompute (through the queue, to the worker) computes every day again, writing nothing
      const idsOf = (stdout: string) => (JSON.parse(stdout).days as JsonDay[]).filter((d) => d.runId).map((d) => d.runId!);
      const again = await runCli(['backfill', '--from', FROM, '--to', TO, '--json'], env);
      expect(again.code).toBe(0);
      const recomputed = await runCli(['backfill', '--from', FROM, '--to', TO, '--queue', '--recompute', '--json'], env);
      expect(recomputed.code).toBe(0);
      await withDb(environment, async (db) => {
        const runsOf = async (ids: number[]) =>
          (await db.knex('detection_runs').whereIn('id', ids).orderBy('service_date').select('id', 'reused_run_id', 'flags_written', 'trigger')) as { id: string; reused_run_id: string | null; flags_written: number; trigger: string }[];
        const plainRuns = await runsOf(idsOf(plain.stdout));
        const computedBy = plainRuns.map((r) => Number(r.reused_run_id ?? r.id));
        expect((await runsOf(idsOf(again.stdout))).map((r) => [Number(r.reused_run_id), r.flags_written])).toEqual(computedBy.map((id) => [id, 0]));
        expect((await runsOf(idsOf(recomputed.stdout))).map((r) => [r.reused_run_id, r.flags_written, r.trigger])).toEqual(WITH_RIDES.map(() => [null, 0, 'worker']));
      });
    } finally {
      if (worker) expect(await worker.stop()).toBe(EXIT.ok);
    }
  });

  it.runIf(target.name === 'server')('backfill --queue with no worker running: exit 4, says so, and queues nothing', async () => {
    environment = await target.create();
    const env = environment.env;
    await withDb(environment, (db) => simulateDay(db, { serviceDate: WITH_RIDES[0], rides: 200, seed: 3, timeZone: 'UTC' }));
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const result = await runCli(['backfill', '--from', FROM, '--to', TO, '--queue'], env);
    expect(result.code).toBe(EXIT.noWorker);
    expect(result.stderr).toMatch(/no worker is running: start `ridescan worker` .*nothing was queued/);
    await withDb(environment, async (db) => {
      const overview = await queueOverview(db);
      expect([overview.queued, overview.running, overview.failed]).toEqual([0, 0, 0]);
      expect(Number((await db.knex('detection_runs').count('* as n').first())!.n)).toBe(0);
    });
  });

  it("status shows the queue: not installed, then queued, running and failed jobs with the failed day's error", async () => {
    environment = await target.create();
    const env = environment.env;
    await withDb(environment, async () => {}); // the ridescan schema, without the queue's
    const before = await runCli(['status', '--from', FROM, '--to', TO], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^job queue: +not installed \(`ridescan migrate` installs it/m);
    expect((await runCli(['migrate'], env)).code).toBe(0);
    await withDb(environment, async (db) => {
      const queue = await openJobQueue(db, { databaseUrl: env.DATABASE_URL, supervise: false, onError: () => {} });
      try {
        const job = (day: string) => ({ day, onlyIfNeeded: false, params: { ...DEFAULT_DETECTOR }, queuedBy: 'test' });
        await queue.send(job('2023-04-01'));
        expect((await queue.fetch())?.data).toMatchObject({ day: '2023-04-01' }); // running
        const failing = await queue.send(job('2023-04-02'));
        // its last attempt: failing it fails it for good
        await db.knex.raw(`update ${queue.schema}.job set retry_count = retry_limit where id = ?`, [failing.id]);
        expect((await queue.fetch())?.id).toBe(failing.id);
        await queue.fail(failing.id, { status: 'failed', error: 'RangeError: gridDbscan: eps must be finite\n    at stack' });
        await queue.send(job('2023-04-03')); // queued
      } finally {
        await queue.close();
      }
    });
    const after = await runCli(['status', '--from', FROM, '--to', TO], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^job queue: +1 queued, 1 running, 1 failed$/m);
    expect(after.stdout).toMatch(/^ {2}failed 2023-04-02 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: RangeError: gridDbscan: eps must be finite$/m);
    const json = JSON.parse((await runCli(['status', '--from', FROM, '--to', TO, '--json'], env)).stdout);
    expect(json.queue).toMatchObject({ installed: true, queued: 1, running: 1, failed: 1, failedJobs: [{ day: '2023-04-02' }] });
  });
});
