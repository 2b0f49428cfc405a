// The job queue on real PostgreSQL: pg-boss on PGlite (through the handle's executeSql) and on a
// server (a pool of its own, in the test schema's own queue schema).
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { finishedJobs, installJobQueue, jobQueueInstalled, openJobQueue, queueOverview, queueSchemaOf, recoverOrphanedJobs, type JobQueue } from '../../src/storage/jobQueue.js';
import { LOCKS } from '../../src/storage/locks.js';

const job = (day: string) => ({ day, onlyIfNeeded: false, params: {}, queuedBy: 'test' });

describe.each(databaseTargets)('the job queue on $name', (target) => {
  const t = useTestDatabase(target);
  let queue: JobQueue;
  const errors: Error[] = [];

  beforeAll(async () => {
    expect((await jobQueueInstalled(t.db)).installed).toBe(false);
    expect((await queueOverview(t.db)).installed).toBe(false);
    expect((await installJobQueue(t.db, t.url)).was).toBe('absent');
    // again: a no-op that finds it there
    expect((await installJobQueue(t.db, t.url)).was).toBe('present');
    queue = await openJobQueue(t.db, { databaseUrl: t.url, supervise: false, onError: (e) => errors.push(e) });
    return () => queue.close();
  });

  it('lives in a schema of its own per ridescan schema', async () => {
    const schema = await queueSchemaOf(t.db);
    expect(queue.schema).toBe(schema);
    const { rows } = await t.db.knex.raw('select current_schema() as s');
    expect(schema).toBe(rows[0].s === 'public' ? 'ridescan_jobs' : `${rows[0].s}_jobs`);
  });

  it('queues a day once while it waits; a fetched day can be queued again', async () => {
    const first = await queue.send(job('2021-05-01'));
    const again = await queue.send(job('2021-05-01'));
    expect(first.alreadyQueued).toBe(false);
    expect(again).toEqual({ id: first.id, alreadyQueued: true });
    const other = await queue.send(job('2021-05-02'));
    expect(other.id).not.toBe(first.id);
    expect((await queueOverview(t.db)).queued).toBe(2);

    const fetched = await queue.fetch();
    expect(fetched?.id).toBe(first.id);
    expect(fetched?.data).toMatchObject({ day: '2021-05-01' });
    // active now: a new job of the same day is queued beside it
    const next = await queue.send(job('2021-05-01'));
    expect(next.alreadyQueued).toBe(false);
    expect(next.id).not.toBe(first.id);
    const overview = await queueOverview(t.db);
    expect([overview.queued, overview.running]).toEqual([2, 1]);

    await queue.complete(first.id, { status: 'succeeded', runId: 7 });
    const done = await finishedJobs(t.db, queue.schema, [first.id, other.id]);
    expect(done).toEqual([{ id: first.id, state: 'completed', output: { status: 'succeeded', runId: 7 } }]);
    // leave the queue empty for the next tests
    for (let j = await queue.fetch(); j; j = await queue.fetch()) await queue.complete(j.id, { status: 'skipped' });
  });

  it("retries a failed attempt within the limit, then shows the day and its error's first line as failed", async () => {
    const { id } = await queue.send(job('2021-05-03'));
    // attempts: 1 + retryLimit (2); pg-boss waits retryDelay before a retry, so test the last one
    await t.db.knex.raw(`update ${queue.schema}.job set retry_count = retry_limit, started_on = now() where id = ?`, [id]);
    const fetched = await queue.fetch();
    expect(fetched?.id).toBe(id);
    await queue.fail(id, { status: 'failed', error: 'RangeError: eps\nstack line' });
    const [result] = await finishedJobs(t.db, queue.schema, [id]);
    expect(result.state).toBe('failed');
    const overview = await queueOverview(t.db);
    expect(overview.failed).toBe(1);
    expect(overview.failedJobs).toEqual([{ day: '2021-05-03', failedAt: expect.any(Date), error: 'RangeError: eps' }]);
  });

  it("recovers an active job whose day no one holds, and leaves one a live worker holds", async () => {
    const held = await queue.send(job('2021-05-04'));
    const orphan = await queue.send(job('2021-05-05'));
    const a = await queue.fetch();
    const b = await queue.fetch();
    expect([a?.id, b?.id]).toEqual([held.id, orphan.id]);
    const release = await t.db.tryLock(LOCKS.dayJob('2021-05-04'));
    expect(release).not.toBeNull();
    try {
      expect(await t.db.lockHolders(LOCKS.dayJob('2021-05-04'))).toBe(1);
      expect(await t.db.lockHolders(LOCKS.dayJob('2021-05-05'))).toBe(0);
      // within the grace nothing is touched: a worker takes its day's lock just after the fetch
      expect(await recoverOrphanedJobs(t.db, queue, 3600)).toEqual([]);
      await t.db.knex.raw(`update ${queue.schema}.job set started_on = now() - interval '1 minute' where state = 'active'`);
      expect(await recoverOrphanedJobs(t.db, queue, 30)).toEqual(['2021-05-05']);
      const { rows } = await t.db.knex.raw(`select id::text as id, state::text as state from ${queue.schema}.job where id = any(?::uuid[]) order by data->>'day'`, [`{${held.id},${orphan.id}}`]);
      expect(rows).toEqual([
        { id: held.id, state: 'active' },
        { id: orphan.id, state: 'retry' },
      ]);
    } finally {
      await release!();
    }
    await queue.complete(held.id, { status: 'succeeded' });
  });

  it('counts the holders of a shared lock, and none once they let go', async () => {
    expect(await t.db.lockHolders(LOCKS.workers())).toBe(0);
    const one = await t.db.holdShared(LOCKS.workers());
    const two = await t.db.holdShared(LOCKS.workers());
    expect(await t.db.lockHolders(LOCKS.workers())).toBe(2);
    await one();
    await two();
    expect(await t.db.lockHolders(LOCKS.workers())).toBe(0);
    expect(errors).toEqual([]);
  });
});
