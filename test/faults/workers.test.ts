// Four `ridescan worker` processes on the real server (skipped without TEST_DATABASE_URL): a
// backfill queues several days, one worker is killed with SIGKILL in the middle of a day, and the
// others retry that day after RIDESCAN_WORKER_RECOVERY_SECONDS. Runs the built CLI (`npx tsc -p .`).
import { afterAll, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../support/processEnvironments.js';
import { runCli, startCli } from '../support/runCli.js';
import { simulateDay } from '../../src/application/usecases/simulate.js';
import { addDays } from '../../src/application/serviceDays.js';

const server = processTargets.find((t) => t.name === 'server');
const FROM = '2023-06-01';
const DAYS = Array.from({ length: 8 }, (_, k) => addDays(FROM, k));
const TO = DAYS[DAYS.length - 1];

describe.runIf(server)('four workers, one killed with SIGKILL mid-day (server)', () => {
  let environment: ProcessEnvironment | undefined;
  const workers: ReturnType<typeof startCli>[] = [];
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await environment?.cleanup();
  });

  it("retries the killed worker's day: every day scored once, no ride left unscored, the killed run not succeeded", async () => {
    environment = await server!.create();
    // a dead worker's day is retried after 2 s instead of the default 30
    const env = { ...environment.env, RIDESCAN_WORKER_RECOVERY_SECONDS: '2', RIDESCAN_LOG_LEVEL: 'info' };
    await withDb(environment, async (db) => {
      for (const [k, day] of DAYS.entries()) await simulateDay(db, { serviceDate: day, rides: 3000, seed: 500 + k, timeZone: 'UTC' });
    });
    expect((await runCli(['migrate'], env)).code).toBe(0);
    for (let k = 0; k < 4; k++) workers.push(startCli(['worker'], env));
    await Promise.all(workers.map((w) => w.waitFor('worker started', 30_000)));
    const pids = workers.map((w) => w.child.pid!);

    const backfill = runCli(['backfill', '--from', FROM, '--to', TO, '--queue', '--json'], env);
    // the victim: the first worker seen with a run in progress, killed at once
    const victim = await withDb(environment, async (db) => {
      for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((r) => setTimeout(r, 20))) {
        const running = await db.knex('detection_runs').where({ status: 'running' }).whereIn('pid', pids).first('id', 'pid', 'service_date');
        if (running) {
          process.kill(running.pid, 'SIGKILL');
          return { runId: Number(running.id), pid: Number(running.pid) };
        }
      }
      throw new Error('no worker started a day within 30 s');
    });

    const result = await backfill;
    expect(result.code).toBe(0);
    const days = JSON.parse(result.stdout).days as { day: string; status: string }[];
    expect(days.map((d) => `${d.day} ${d.status}`)).toEqual(DAYS.map((d) => `${d} succeeded`));

    await withDb(environment, async (db) => {
      const succeeded = await db.knex('detection_runs').where({ status: 'succeeded' }).groupBy('service_date').select(db.knex.raw("to_char(service_date, 'YYYY-MM-DD') as day"), db.knex.raw('count(*)::int as n')).orderBy('day');
      expect(succeeded).toEqual(DAYS.map((day) => ({ day, n: 1 })));
      const unscored = await db.knex('rides').whereNull('is_outlier').count('* as n').first();
      expect(Number(unscored!.n)).toBe(0);
      const killed = await db.knex('detection_runs').where({ id: victim.runId }).first('status', 'error');
      // a live worker on this host marks the dead process's run failed when it retries the day
      expect(killed.status).toBe('failed');
      expect(killed.error).toMatch(/abandoned: process \d+ ended/);
    });

    const survivors = workers.filter((w) => w.child.pid !== victim.pid);
    expect(survivors).toHaveLength(3);
    for (const w of survivors) w.child.kill('SIGTERM');
    const exits = await Promise.all(survivors.map((w) => w.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    // the recovery was told by one of them
    expect(survivors.some((w) => w.output.stdout.includes('their worker ended before finishing'))).toBe(true);
  });
});
