// The nightly job: each tick scores the service day that just ended, and catches up on the days
// of the last week that have rides but no succeeded run, or whose flags went stale because rides
// arrived after they were scored. Oldest first, so that a scheduler that was down for three
// nights scores them in order. The scheduler (src/application/usecases/schedule.ts) runs it on
// cron; the entry point (src/application/cli.ts) hands it over, so that nothing in src/ imports
// jobs/.
import type { Database } from '../src/storage/database.js';
import { dayStatuses, firstServiceDay } from '../src/storage/dayStatus.js';
import { markAbandonedRuns } from '../src/storage/runs.js';
import { scoreDay, type DayOutcome } from '../src/application/usecases/scoreDay.js';
import type { NightlyJob, NightlyTickOptions } from '../src/application/usecases/schedule.js';
import { addDays, datesBetween, localDateOf } from '../src/application/serviceDays.js';

export async function nightlyTick(db: Database, options: NightlyTickOptions): Promise<DayOutcome[]> {
  const { log } = options;
  const abandoned = await markAbandonedRuns(db);
  if (abandoned.length > 0) log.warn({ runIds: abandoned }, 'marked runs of processes that died mid-run as failed');

  const justEnded = addDays(localDateOf(options.now, options.timeZone), -1);
  const from = addDays(justEnded, -(options.catchUpDays - 1));
  const statuses = await dayStatuses(db, from, justEnded);
  // Missing data first: every day of the window without rides, from the first day the database
  // has rides for (a new deployment's earlier days are not missing, they are before its time).
  const withRides = new Set(statuses.filter((s) => s.rides > 0).map((s) => s.day));
  const firstEver = await firstServiceDay(db);
  const empty = firstEver === null ? [] : datesBetween(from, justEnded).filter((d) => d >= firstEver && !withRides.has(d));
  if (empty.length > 0) log.warn({ days: empty }, `no rides loaded for ${empty.join(', ')}: nothing to score there; load the rides, and the next tick scores them`);
  await options.alerts?.daysWithoutRides(db, empty, 'schedule');
  const todo = statuses.filter((s) => s.state === 'never scored' || s.state === 'stale');
  log.info(
    { from, to: justEnded, days: todo.map((s) => `${s.day} (${s.state})`), daysWithoutRides: empty.length },
    todo.length ? 'days to score' : empty.length ? 'every day with rides is scored' : 'every day is scored',
  );

  // Workers alive (a server with `ridescan worker` processes): the days go to them, each queued at
  // most once, and the pipeline runs there. Checked per tick: workers come and go.
  if (todo.length > 0 && options.queue && (await options.queue.workersAlive())) {
    const days = todo.map((s) => s.day);
    const queued = await options.queue.enqueue(days, options.params);
    log.info({ days, queued, alreadyQueued: days.length - queued }, `queued ${days.join(', ')} for the workers`);
    return days.map((day) => ({ day, status: 'skipped', why: 'queued for a worker' }));
  }

  const outcomes: DayOutcome[] = [];
  for (const status of todo) {
    if (options.shouldStop?.()) {
      log.info({ day: status.day }, 'stopping: day left for the next tick');
      break;
    }
    const outcome = await scoreDay(db, status.day, { params: options.params, trigger: 'schedule', log, onlyIfNeeded: true, tensorBackend: options.tensorBackend });
    outcomes.push(outcome);
    // bounded by the alert command's timeout: a hanging command delays the next day by at most that
    await options.alerts?.afterDay(db, outcome, 'schedule');
  }
  return outcomes;
}

export const NIGHTLY_JOB: NightlyJob = {
  name: 'nightly-detect',
  defaultCatchUpDays: 7,
  tick: nightlyTick,
};
