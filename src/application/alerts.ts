// Alerts for any alerting system: RIDESCAN_ALERT_COMMAND runs through /bin/sh with one JSON event
// on its stdin per event (curl to a webhook, mail, a pager's CLI). The scheduler and backfill get
// an `Alerts` as a dependency and call it after each day's outcome. Sending never stops scoring:
// the command is time-bounded (SIGKILL of its whole process group when the bound passes), and a
// failure to send is logged, never thrown.
import { spawn } from 'node:child_process';
import type { Database } from '../storage/database.js';
import { firstServiceDay } from '../storage/dayStatus.js';
import { trailingFlagRates } from '../storage/runs.js';
import type { DayOutcome } from './usecases/scoreDay.js';
import type { Logger } from './logger.js';
import { median as medianOf } from '../compute/compute_util.js';
import { robustRange } from '../compute/monitoring/robustRange.js';
import { driftWarnings } from '../compute/monitoring/driftMessage.js';

export type AlertKind = 'run_failed' | 'no_rides' | 'drift' | 'flag_rate';

export interface AlertEvent {
  kind: AlertKind;
  /** the service day, YYYY-MM-DD */
  day: string;
  /** the run that found it; null for a day without rides that no run looked at */
  runId: number | null;
  /** the database, its password redacted */
  database: string;
  /** who scored: schedule, backfill */
  trigger: string;
  /** one readable line, for a mail subject or a chat message */
  message: string;
  /** the numbers of this kind of event */
  numbers: Record<string, unknown>;
  at: string;
}

export interface AlertSender {
  send(event: AlertEvent): Promise<void>;
}

/** Alerts are sent within this; the command's process group is then killed. */
export const DEFAULT_ALERT_TIMEOUT_MS = 10_000;

/**
 * Runs `command` with /bin/sh -c, the event as one JSON line on stdin. Resolves when the command
 * exits or the bound passes (then its process group gets SIGKILL, so a `sleep` in a pipeline
 * dies with it); never rejects.
 */
export function commandAlertSender(command: string, log: Logger, timeoutMs = DEFAULT_ALERT_TIMEOUT_MS): AlertSender {
  return {
    send(event) {
      return new Promise<void>((resolve) => {
        const started = performance.now();
        let stderr = '';
        let done = false;
        const finish = (fields: Record<string, unknown> | null) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const ms = Math.round(performance.now() - started);
          if (fields) log.warn({ kind: event.kind, day: event.day, ms, ...fields, stderr: stderr.trim().slice(-500) || undefined }, 'alert command failed; scoring goes on');
          else log.info({ kind: event.kind, day: event.day, ms }, 'alert sent');
          resolve();
        };
        // detached: the command leads a process group of its own, which the timeout kills whole
        const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
        const timer = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          // the pipes may stay open in a descendant that left the group: do not wait for them
          child.stdin?.destroy();
          child.stderr?.destroy();
          child.unref();
          finish({ error: `timed out after ${timeoutMs} ms; its process group was killed` });
        }, timeoutMs);
        child.stderr?.on('data', (d: Buffer) => {
          if (stderr.length < 4000) stderr += d.toString();
        });
        child.on('error', (error) => finish({ error: error.message }));
        // close, not exit: after its stderr is read to the end
        child.on('close', (code, signal) => finish(code === 0 ? null : { exitCode: code, signal: signal ?? undefined }));
        // a command that does not read its stdin (EPIPE) is not a failure of the alert
        child.stdin?.on('error', () => {});
        child.stdin?.end(`${JSON.stringify(event)}\n`);
      });
    },
  };
}

export interface FlagRateRange {
  low: number;
  high: number;
  /** how the range was made: from the trailing days, or the fixed band for a short history */
  basis: 'trailing' | 'fixed';
  trailingDays: number;
  median: number | null;
}

/** Trailing days with a succeeded run looked at for the flag rate's normal range. */
export const FLAG_RATE_WINDOW_DAYS = 28;
/** Fewer trailing days than this: the fixed band instead (a median of 3 days says little). */
export const FLAG_RATE_MIN_HISTORY = 7;
/** Half-width of the range in robust standard deviations (1.4826 MAD). */
export const FLAG_RATE_K = 4;
/**
 * The fixed band for a short history. The default detector flags rule breakers, DBSCAN noise and
 * clusters under 5% of the day: measured 3.95% on the TLC sample day (22,775 rides) and 1.2-4.7%
 * on simulated days (anomaly shares 0-5%); a day above 20% or with nothing flagged at all among many rides is a broken
 * feed or a broken detector rather than traffic.
 */
export const FLAG_RATE_FIXED_BAND = { low: 0, high: 0.2 } as const;

/**
 * The flag rate a day of `rides` scored rides is expected to fall in: the trailing days' median ±
 * k robust standard deviations (1.4826 × MAD), widened by k binomial standard deviations of the
 * day itself, so that a small day (16 rides, 3 flagged) is not an alert for its sampling noise
 * alone. Median and MAD rather than mean and sd: one bad day in the window must not widen it.
 */
export function flagRateRange(trailing: number[], rides: number): FlagRateRange {
  const median = trailing.length ? medianOf(trailing) : null;
  const centre = median ?? (FLAG_RATE_FIXED_BAND.low + FLAG_RATE_FIXED_BAND.high) / 2;
  const binomial = FLAG_RATE_K * Math.sqrt(Math.max(centre * (1 - centre), 0.01 * 0.99) / Math.max(1, rides));
  if (trailing.length < FLAG_RATE_MIN_HISTORY || median === null) {
    return { low: Math.max(0, FLAG_RATE_FIXED_BAND.low - binomial), high: Math.min(1, FLAG_RATE_FIXED_BAND.high + binomial), basis: 'fixed', trailingDays: trailing.length, median };
  }
  const range = robustRange(trailing, FLAG_RATE_K, { widen: binomial });
  return { low: Math.max(0, range.low), high: Math.min(1, range.high), basis: 'trailing', trailingDays: trailing.length, median };
}

export interface Alerts {
  /** the events of one day's outcome: a failed run, a run that found no rides, drift, an odd flag rate */
  afterDay(db: Database, outcome: DayOutcome, trigger: string): Promise<void>;
  /** days without rides that should have some (from the first day the database has rides) */
  daysWithoutRides(db: Database, days: string[], trigger: string): Promise<void>;
  /** every event handed to the sender, in order (for tests and the end-of-run summary) */
  readonly sent: readonly AlertEvent[];
}

/**
 * The events, sent one at a time in order. A day without rides is said once per process: a
 * long-running scheduler sees the same empty day on every tick of its catch-up window.
 */
export function createAlerts(sender: AlertSender, options: { now?: () => Date } = {}): Alerts {
  const sent: AlertEvent[] = [];
  const saidEmpty = new Set<string>();
  const now = options.now ?? (() => new Date());
  const emit = async (db: Database, event: Omit<AlertEvent, 'database' | 'at'>) => {
    // describe redacts a server URL's password
    const full: AlertEvent = { ...event, database: db.describe, at: now().toISOString() };
    sent.push(full);
    await sender.send(full);
  };
  return {
    sent,
    async afterDay(db, outcome, trigger) {
      if (outcome.status === 'skipped') return;
      if (outcome.status === 'failed') {
        // the driver's message can start with the statement ("update rides ... - disk on fire"):
        // one line, and its end, which says what went wrong
        const flat = outcome.error.replace(/\s+/g, ' ').trim();
        const error = flat.length > 300 ? `…${flat.slice(-300)}` : flat;
        await emit(db, { kind: 'run_failed', day: outcome.day, runId: outcome.run?.runId ?? null, trigger, message: `ridescan: scoring ${outcome.day} failed: ${error}`, numbers: { attempts: outcome.attempts, rides: outcome.run?.rides ?? null, error } });
        return;
      }
      const { run } = outcome;
      if (run.status === 'no_rides') {
        saidEmpty.add(outcome.day);
        await emit(db, { kind: 'no_rides', day: outcome.day, runId: run.runId, trigger, message: `ridescan: no rides for ${outcome.day}`, numbers: { rides: 0 } });
        return;
      }
      if (run.drift?.drift) {
        const warnings = driftWarnings(run.drift);
        await emit(db, {
          kind: 'drift',
          day: outcome.day,
          runId: run.runId,
          trigger,
          // what moved, by how much, against what range: the first sentence in the line, all in numbers
          message: `ridescan: ${outcome.day} drifted: ${warnings.join('; ')}`,
          numbers: { drifted: run.drift.drifted, warnings, verdict: run.drift.verdict, trailingDays: run.drift.trailingDays, signals: run.drift.signals.filter((x) => x.drift), rides: run.rides, outliers: run.outliers },
        });
      }
      if (run.rides > 0) {
        const range = flagRateRange(await trailingFlagRates(db, outcome.day, FLAG_RATE_WINDOW_DAYS), run.rides);
        const flagRate = run.outliers / run.rides;
        if (flagRate < range.low || flagRate > range.high) {
          const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
          await emit(db, {
            kind: 'flag_rate',
            day: outcome.day,
            runId: run.runId,
            trigger,
            message: `ridescan: ${outcome.day} flagged ${pct(flagRate)} of its rides, outside ${pct(range.low)}-${pct(range.high)}`,
            numbers: { flagRate, rides: run.rides, outliers: run.outliers, ...range },
          });
        }
      }
    },
    async daysWithoutRides(db, days, trigger) {
      if (days.length === 0) return;
      const first = await firstServiceDay(db);
      for (const day of days) {
        if (first === null || day < first || saidEmpty.has(day)) continue;
        saidEmpty.add(day);
        await emit(db, { kind: 'no_rides', day, runId: null, trigger, message: `ridescan: no rides loaded for ${day}`, numbers: { rides: 0 } });
      }
    },
  };
}

/** No command configured: nothing is sent, the events are still listed. */
export const NO_ALERT_SENDER: AlertSender = { send: async () => {} };
