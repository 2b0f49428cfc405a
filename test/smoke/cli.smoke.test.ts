// The CLI as a real process, for what only a process shows: exit codes as the shell sees them,
// start-up without any database, and signals. Everything else tests the CLI in-process.
import { describe, expect, it } from 'vitest';
import { runCliProcess, startCli } from '../support/runCli.js';
import { processTargets, logLines, withDb } from '../support/processEnvironments.js';
import { simulateDay } from '../../src/application/usecases/simulate.js';
import { addDays, localDateOf } from '../../src/application/serviceDays.js';
import packageJson from '../../package.json' with { type: 'json' };

describe('ridescan as a process', () => {
  it('prints its version and its help, exit 0, and exits 2 on a usage error', async () => {
    const version = await runCliProcess(['--version']);
    expect(version).toMatchObject({ code: 0 });
    expect(version.stdout.trim()).toBe(packageJson.version);
    const help = await runCliProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/detect\s+score one service day/);
    expect((await runCliProcess(['frobnicate'])).code).toBe(2);
    expect((await runCliProcess([])).code).toBe(2);
  });

  it('exits 3 when the database cannot be reached, and 2 on a bad setting', async () => {
    const unreachable = await runCliProcess(['migrate'], { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/none' });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).not.toMatch(/secret|Acquire connection error|    at /);
    const badFormat = await runCliProcess(['migrate'], { RIDESCAN_LOG_FORMAT: 'xml' });
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/RIDESCAN_LOG_FORMAT must be json or pretty/);
  });
});

describe.each(processTargets)('schedule and SIGTERM on $name', (target) => {
  it('stops after the run in progress and starts no new day', async () => {
    const environment = await target.create();
    try {
      const today = localDateOf(new Date(), 'UTC');
      const [first, second] = [addDays(today, -2), addDays(today, -1)];
      await withDb(environment, async (db) => {
        await simulateDay(db, { serviceDate: first, rides: 15_000, seed: 1, timeZone: 'UTC' });
        await simulateDay(db, { serviceDate: second, rides: 2_000, seed: 2, timeZone: 'UTC' });
      });
      // a cron that does not fire during the test: only the catch-up at start runs
      const scheduler = startCli(['schedule', '--cron', '0 3 1 1 *'], environment.env);
      await scheduler.waitFor(`"phase":"read"`);
      scheduler.child.kill('SIGTERM');
      const exited = await scheduler.exited;
      expect(exited.code).toBe(0);
      const messages = logLines(exited.stdout).map((l) => String(l.msg));
      expect(messages.some((m) => m.startsWith('stopping'))).toBe(true);
      await withDb(environment, async (db) => {
        const runs = await db.knex('detection_runs').select('status', db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`));
        // the day in progress finished (or was never started); the next one was not started
        expect(runs.filter((r) => r.day === second)).toEqual([]);
        expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
      });
    } finally {
      await environment.cleanup();
    }
  });
});
