// Alerts: RIDESCAN_ALERT_COMMAND run by the scheduler and the backfill, one JSON event on stdin per
// event, against real PostgreSQL (PGlite, and the server when configured).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../support/processEnvironments.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/runCli.js';
import { simulateDay } from '../../src/application/usecases/simulate.js';
import { addDays, localDateOf } from '../../src/application/serviceDays.js';
import { commandAlertSender, createAlerts, flagRateRange, type AlertEvent } from '../../src/application/alerts.js';
import { resolveConfig } from '../../src/application/config.js';
import { ConfigError } from '../../src/application/errors.js';
import { nightlyTick } from '../../jobs/nightly.js';
import { DEFAULT_DETECTOR } from '../../src/compute/detectorParams.js';
import { scoreDay } from '../../src/application/usecases/scoreDay.js';
import type { Database } from '../../src/storage/database.js';

const today = localDateOf(new Date(), 'UTC');
const daysAgo = (n: number) => addDays(today, -n);

/** A real database failure on one day's flag write. */
async function breakDay(db: Database, day: string): Promise<void> {
  await db.knex.raw(`create or replace function ridescan_test_fail() returns trigger language plpgsql as $$
    begin raise exception 'disk on fire'; end $$`);
  await db.knex.raw(`create trigger ridescan_test_fail_${day.replace(/-/g, '_')} before update on rides for each row
    when (new.service_date = '${day}') execute function ridescan_test_fail()`);
}

function readEvents(dir: string): AlertEvent[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('event-'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AlertEvent)
    .sort((a, b) => a.day.localeCompare(b.day));
}

function memoryLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (chunk: string) => void lines.push(JSON.parse(chunk)) });
  return { log, lines };
}

describe.each(processTargets)('alerts from ridescan schedule on $name', (target) => {
  let environment: ProcessEnvironment | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await environment?.cleanup();
    environment = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a tick with a failing day and an empty day runs the command once per event, valid JSON on stdin', async () => {
    environment = await target.create();
    dir = mkdtempSync(join(tmpdir(), 'ridescan-alerts-'));
    const [failing, empty, good] = [daysAgo(3), daysAgo(2), daysAgo(1)];
    await withDb(environment, async (db) => {
      await simulateDay(db, { serviceDate: failing, rides: 1500, seed: 1, timeZone: 'UTC' });
      await simulateDay(db, { serviceDate: good, rides: 1500, seed: 2, timeZone: 'UTC' });
      await breakDay(db, failing);
    });
    // $$ is each shell's pid: a file per invocation, so two events in one run would show
    const tick = await runCli(['schedule', '--once'], { ...environment.env, RIDESCAN_ALERT_COMMAND: `cat > '${dir}'/event-$$.json` });
    expect(tick.code).toBe(1); // a day failed
    const events = readEvents(dir);
    expect(events.map((e) => `${e.day} ${e.kind}`)).toEqual([`${failing} run_failed`, `${empty} no_rides`]);
    const [failed, noRides] = events;
    expect(failed).toMatchObject({ trigger: 'schedule', numbers: { attempts: 1, error: expect.stringMatching(/disk on fire/) } });
    expect(failed.runId).toEqual(expect.any(Number));
    expect(noRides).toMatchObject({ runId: null, numbers: { rides: 0 } });
    for (const e of events) {
      expect(e.database).toMatch(target.name === 'pglite' ? /embedded PGlite/ : /^postgres/);
      expect(e.database).not.toMatch(/:postgres@/); // the password is redacted
      expect(Date.parse(e.at)).not.toBeNaN();
    }
    // backfill tells the same command the same kinds of events
    const backfillDir = mkdtempSync(join(tmpdir(), 'ridescan-alerts-'));
    try {
      const backfill = await runCli(['backfill', '--from', failing, '--to', good, '--json'], { ...environment.env, RIDESCAN_ALERT_COMMAND: `cat > '${backfillDir}'/event-$$.json` });
      expect(backfill.code).toBe(1);
      expect(readEvents(backfillDir).map((e) => `${e.day} ${e.kind} ${e.trigger}`)).toEqual([`${failing} run_failed backfill`, `${empty} no_rides backfill`]);
    } finally {
      rmSync(backfillDir, { recursive: true, force: true });
    }
    await withDb(environment, async (db) => {
      // the failed run the event names is the one recorded
      const run = await db.knex('detection_runs').where({ id: failed.runId }).first();
      expect(run.status).toBe('failed');
      // scoring went on after the alerts: the good day is scored
      const unscored = await db.knex('rides').where({ service_date: good }).whereNull('is_outlier').count('* as n').first();
      expect(Number(unscored!.n)).toBe(0);
    });
  });
});

describe.each(databaseTargets)('alert command bounds on $name', (target) => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.drop();
    test = undefined;
  });

  it('a hanging command does not delay the next day past its time bound; a failing one is logged', async () => {
    test = await target.create();
    const { db } = test;
    const days = [daysAgo(2), daysAgo(1)];
    for (const [k, day] of days.entries()) {
      await simulateDay(db, { serviceDate: day, rides: 1200, seed: 10 + k, timeZone: 'UTC' });
      await breakDay(db, day);
    }
    const boundMs = 700;
    const { log, lines } = memoryLog();
    const alerts = createAlerts(commandAlertSender('cat > /dev/null; sleep 30', log, boundMs));
    const started = performance.now();
    const outcomes = await nightlyTick(db, { now: new Date(), timeZone: 'UTC', catchUpDays: 2, params: { ...DEFAULT_DETECTOR }, log, alerts });
    const seconds = (performance.now() - started) / 1000;
    expect(outcomes.map((o) => `${o.day} ${o.status}`)).toEqual([`${days[0]} failed`, `${days[1]} failed`]);
    expect(alerts.sent.map((e) => e.kind)).toEqual(['run_failed', 'run_failed']);
    const runs = await db.knex('detection_runs').select('started_at', 'finished_at').orderBy('id');
    // the second day's run started within the bound (plus the scheduler's own work) after the first ended
    const gapMs = new Date(runs[1].started_at).getTime() - new Date(runs[0].finished_at).getTime();
    expect(gapMs).toBeGreaterThanOrEqual(boundMs - 50);
    expect(gapMs).toBeLessThan(boundMs + 2000);
    expect(seconds).toBeLessThan(25); // far from the 2 × 30 s the command would take
    const timedOut = lines.filter((l) => l.msg === 'alert command failed; scoring goes on');
    expect(timedOut).toHaveLength(2);
    expect(String(timedOut[0].error)).toMatch(/timed out after 700 ms/);

    const failing = memoryLog();
    const alerts2 = createAlerts(commandAlertSender('echo no route to host >&2; exit 7', failing.log, boundMs));
    await alerts2.afterDay(db, outcomes[0]!, 'backfill');
    expect(failing.lines.find((l) => l.msg === 'alert command failed; scoring goes on')).toMatchObject({ exitCode: 7, stderr: 'no route to host' });
  });
});

describe.each(databaseTargets)('drift and flag-rate alerts on $name', (target) => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.drop();
    test = undefined;
  });

  it('a day with three times the usual anomalies is told as flag_rate (and drift), its usual neighbours are not', async () => {
    test = await target.create();
    const { db } = test;
    const sent = createAlerts({ send: async () => {} });
    const days = Array.from({ length: 9 }, (_, i) => `2022-07-${String(i + 1).padStart(2, '0')}`);
    for (const [k, day] of days.entries()) {
      // the last day: 15% anomalies where the others have 5% (measured: flag rates 3.9-4.7%, then
      // 8.5%; at 30% the anomalies form clusters of their own and only drift tells)
      await simulateDay(db, { serviceDate: day, rides: 1500, seed: k === 8 ? 209 : 200 + k, timeZone: 'UTC', anomalyShare: k === 8 ? 0.15 : 0.05 });
      const outcome = await scoreDay(db, day, { params: { ...DEFAULT_DETECTOR }, trigger: 'backfill', maxAttempts: 1 });
      await sent.afterDay(db, outcome, 'backfill');
    }
    const odd = sent.sent.filter((e) => e.day === days[8]);
    expect(sent.sent.filter((e) => e.day !== days[8])).toEqual([]);
    const flagRate = odd.find((e) => e.kind === 'flag_rate');
    expect(flagRate).toBeDefined();
    const n = flagRate!.numbers as { flagRate: number; high: number; basis: string; trailingDays: number };
    expect(n.basis).toBe('trailing');
    expect(n.trailingDays).toBe(8);
    expect(n.flagRate).toBeGreaterThan(n.high);
    expect(flagRate!.runId).toEqual(expect.any(Number));
    expect(odd.map((e) => e.kind)).toContain('drift');
    // the drift alert says what moved and against what range, as the run recorded it
    const drift = odd.find((e) => e.kind === 'drift')!;
    const [run] = await db.knex('detection_runs').where({ id: drift.runId });
    const recorded = run.drift as { drifted: string[]; trailingDays: number; signals: { metric: string; feature: string; drift: boolean; value: number; low: number; high: number }[] };
    const warnings = (drift.numbers as { warnings: string[] }).warnings;
    expect(warnings).toHaveLength(recorded.drifted.length);
    expect(drift.message).toBe(`ridescan: ${days[8]} drifted: ${warnings.join('; ')}`);
    const first = recorded.signals.find((s) => s.metric === recorded.drifted[0])!;
    expect(first.value < first.low || first.value > first.high).toBe(true);
    const unit = '(%| min| km| km/h)';
    expect(warnings[0]).toMatch(new RegExp(`^${first.feature} [\\d.,]+${unit} is (above|below) its normal range [\\d.,]+–[\\d.,]+${unit} \\(trailing ${recorded.trailingDays} days, median ± 3 `));
  });
});

describe('alerts: configuration and the flag rate range', () => {
  it('RIDESCAN_ALERT_COMMAND is validated, naming the variable; blank is unset', () => {
    expect(resolveConfig({ RIDESCAN_ALERT_COMMAND: '  curl -d @- https://hooks.example/x ' }).alertCommand).toBe('curl -d @- https://hooks.example/x');
    expect(resolveConfig({ RIDESCAN_ALERT_COMMAND: ' ' }).alertCommand).toBeUndefined();
    expect(() => resolveConfig({ RIDESCAN_ALERT_COMMAND: 'a\nb' })).toThrow(ConfigError);
    expect(() => resolveConfig({ RIDESCAN_ALERT_COMMAND: 'a\nb' })).toThrow(/RIDESCAN_ALERT_COMMAND/);
  });

  it('is the trailing median ± 4 robust sd with enough history, else the fixed band; small days are widened', () => {
    const steady = [0.03, 0.031, 0.029, 0.032, 0.03, 0.028, 0.031, 0.03];
    const r = flagRateRange(steady, 20_000);
    expect(r.basis).toBe('trailing');
    expect(r.median).toBeCloseTo(0.03, 5);
    // 4 × 1.4826 × MAD 0.001 + 4 binomial sd of 20,000 rides at 3%: ± 1.07 points
    expect(r.low).toBeCloseTo(0.0193, 3);
    expect(r.high).toBeCloseTo(0.0407, 3);
    // the same history, a 16-ride day: 3 flagged (19%) is within its sampling noise
    expect(flagRateRange(steady, 16).high).toBeGreaterThan(3 / 16);
    const short = flagRateRange([0.03, 0.05], 20_000);
    expect(short.basis).toBe('fixed');
    expect(short.high).toBeGreaterThan(0.2);
    expect(short.high).toBeLessThan(0.22);
  });
});
