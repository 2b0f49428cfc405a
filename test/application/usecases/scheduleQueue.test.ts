// The nightly job with `ridescan worker` processes alive (a server only): it queues its days for
// them instead of scoring them; with none alive it scores them itself, as before.
import { afterEach, describe, expect, it } from 'vitest';
import { processTargets, logLines, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { addDays, localDateOf } from '../../../src/application/serviceDays.js';
import { LOCKS } from '../../../src/storage/locks.js';
import { queueOverview } from '../../../src/storage/jobQueue.js';

const server = processTargets.find((t) => t.name === 'server');
const today = localDateOf(new Date(), 'UTC');
const DAYS = [addDays(today, -2), addDays(today, -1)];

describe.runIf(server)('ridescan schedule with workers alive (server)', () => {
  let environment: ProcessEnvironment | undefined;
  afterEach(async () => {
    await environment?.cleanup();
    environment = undefined;
  });

  it('queues the days for the workers while one is alive, and scores them itself once none is', async () => {
    environment = await server!.create();
    const env = environment.env;
    await withDb(environment, async (db) => {
      for (const [k, day] of DAYS.entries()) await simulateDay(db, { serviceDate: day, rides: 500, seed: 90 + k, timeZone: 'UTC' });
    });
    expect((await runCli(['migrate'], env)).code).toBe(0);
    // a worker's mark of life, held by this test: no worker takes the jobs, so they stay visible
    const db = await environment.open();
    try {
      const alive = await db.holdShared(LOCKS.workers());
      const queued = await runCli(['schedule', '--once'], env);
      expect(queued.code).toBe(0);
      const line = logLines(queued.stdout).find((l) => String(l.msg).startsWith('queued '));
      expect(line).toMatchObject({ msg: `queued ${DAYS.join(', ')} for the workers`, queued: 2 });
      expect(Number((await db.knex('detection_runs').count('* as n').first())!.n)).toBe(0);
      expect((await queueOverview(db)).queued).toBe(2);
      // a second tick does not queue them twice
      expect((await runCli(['schedule', '--once'], env)).code).toBe(0);
      expect((await queueOverview(db)).queued).toBe(2);

      await alive();
      const scored = await runCli(['schedule', '--once'], env);
      expect(scored.code).toBe(0);
      const runs = await db.knex('detection_runs').select('status', 'trigger').orderBy('id');
      expect(runs).toEqual(DAYS.map(() => ({ status: 'succeeded', trigger: 'schedule' })));
    } finally {
      await db.close();
    }
  });
});
