// The queue worker in this process, on real PostgreSQL (PGlite, and the server when configured):
// it scores queued days through the pipeline, and a stop lets the day in progress finish.
import { beforeEach, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { startQueueWorker } from '../../../src/application/usecases/worker.js';
import { createLogger } from '../../../src/application/logger.js';
import { finishedJobs, installJobQueue, openJobQueue, type JobQueue } from '../../../src/storage/jobQueue.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';
import type { DayOutcome } from '../../../src/application/usecases/scoreDay.js';

const DAYS = ['2023-02-01', '2023-02-02', '2023-02-03'];
const log = createLogger({ logFormat: 'json', logLevel: 'warn' }, { write: () => {}, isTTY: false });
const job = (day: string) => ({ day, onlyIfNeeded: false, params: { ...DEFAULT_DETECTOR }, queuedBy: 'test' });

describe.each(databaseTargets)('the queue worker on $name', (target) => {
  const t = useTestDatabase(target);
  let queue: JobQueue;

  beforeEach(async () => {
    if (!queue) {
      await installJobQueue(t.db, t.url);
      queue = await openJobQueue(t.db, { databaseUrl: t.url, supervise: false, onError: (e) => log.warn(e.message) });
      for (const [k, day] of DAYS.entries()) await simulateDay(t.db, { serviceDate: day, rides: 300, seed: 70 + k, timeZone: 'UTC' });
    }
    return async () => {};
  });

  it('scores every queued day to a succeeded run, and marks each job with its outcome', async () => {
    const ids = [];
    for (const day of DAYS) ids.push((await queue.send(job(day))).id);
    const done: string[] = [];
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const worker = startQueueWorker(t.db, queue, {
      concurrency: 2,
      log,
      recoverySeconds: 30,
      pollMs: 50,
      onJob: (day: string, outcome: DayOutcome) => {
        done.push(`${day} ${outcome.status}`);
        if (done.length === DAYS.length) allDone();
      },
    });
    await finished;
    await worker.stop();
    expect(done.sort()).toEqual(DAYS.map((d) => `${d} succeeded`));
    const runs = await t.db.knex('detection_runs').select('service_date', 'status', 'trigger').orderBy('id');
    expect(runs.map((r: { status: string; trigger: string }) => `${r.status} ${r.trigger}`)).toEqual(DAYS.map(() => 'succeeded worker'));
    const jobs = await finishedJobs(t.db, queue.schema, ids);
    expect(jobs.map((j) => [j.state, (j.output as { status: string; rides: number }).status, (j.output as { rides: number }).rides])).toEqual(DAYS.map(() => ['completed', 'succeeded', 300]));
    const unscored = await t.db.knex('rides').whereNull('is_outlier').count('* as n').first();
    expect(Number(unscored!.n)).toBe(0);
  });

  it('told to stop mid-day, finishes that day, marks its job done, and takes no other', async () => {
    const first = await queue.send(job(DAYS[0]));
    const second = await queue.send(job(DAYS[1]));
    const runsBefore = Number((await t.db.knex('detection_runs').count('* as n').first())!.n);
    let stopping: Promise<void> | undefined;
    const started: string[] = [];
    const worker = startQueueWorker(t.db, queue, {
      concurrency: 1,
      log,
      recoverySeconds: 30,
      pollMs: 50,
      onStart: (day) => {
        started.push(day);
        // SIGTERM's path, called while the day's job is in progress
        stopping ??= worker.stop();
      },
    });
    await worker.stopped;
    await stopping;
    expect(started).toEqual([DAYS[0]]);
    const jobs = await finishedJobs(t.db, queue.schema, [first.id, second.id]);
    expect(jobs.map((j) => [j.id, j.state])).toEqual([[first.id, 'completed']]);
    const { rows } = await t.db.knex.raw(`select state::text as state from ${queue.schema}.job where id = ?`, [second.id]);
    expect(rows[0].state).toBe('created');
    const runs = await t.db.knex('detection_runs').where('id', '>', runsBefore).select('service_date', 'status');
    expect(runs.map((r: { status: string }) => r.status)).toEqual(['succeeded']);
    await queue.cancel([second.id]);
  });
});

describe("a finished job read back as the day's result", () => {
  it("takes the worker's outcome, and pg-boss's own failure (an expiry) as failed with its message", async () => {
    const { resultOfJob } = await import('../../../src/application/usecases/backfill.js');
    expect(resultOfJob('2023-02-01', 'completed', { status: 'succeeded', runId: 4, runStatus: 'succeeded', rides: 10, outliers: 1, flagsWritten: 10, attempts: 1 })).toEqual({
      day: '2023-02-01',
      status: 'succeeded',
      run: { runId: 4, rides: 10, outliers: 1, flagsWritten: 10 },
      attempts: 1,
    });
    expect(resultOfJob('2023-02-01', 'completed', { status: 'skipped', why: 'already scored' })).toEqual({ day: '2023-02-01', status: 'skipped', why: 'already scored' });
    expect(resultOfJob('2023-02-01', 'failed', { value: { message: 'job failed by timeout in active state' } })).toMatchObject({ status: 'failed', error: 'job failed by timeout in active state' });
    expect(resultOfJob('2023-02-01', 'failed', { status: 'failed', error: 'disk on fire', runId: 9, attempts: 3 })).toEqual({ day: '2023-02-01', status: 'failed', error: 'disk on fire', run: { runId: 9 }, attempts: 3 });
    expect(resultOfJob('2023-02-01', 'cancelled', null)).toEqual({ day: '2023-02-01', status: 'skipped', why: 'cancelled in the queue' });
  });
});
