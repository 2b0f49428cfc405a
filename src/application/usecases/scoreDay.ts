// The one way a service day is scored, by every entry point (detect, demo, schedule, backfill):
//
//   lock → read → compute (pure) → write → record
//
// The day's lock keeps two processes off one day (a second one is told 'skipped'). The read takes
// the day's rides and the trailing days' feature summaries; compute is pure (scoreDayRides); the
// write puts the changed flags and the run's final record in one transaction. A day whose inputs
// and flags are as its last run left them (the same result digest: resultDigest.ts) is not
// computed: that run's result is recorded again and nothing is written. Transient database
// errors (the server restarting, a serialization failure) are retried with backoff; anything else
// ends the day as failed, recorded in its run. Never throws for a failed day: it returns the
// outcome (as kysely's migrator returns results), so that callers decide the exit code.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Database } from '../../storage/database.js';
import { LOCKS } from '../../storage/locks.js';
import { dayHasTlcRides, readRidesForDay, type DayRides } from '../../storage/rides.js';
import { recordRunWithoutWrites, writeFlags, DayChangedDuringRunError, type RunRecord } from '../../storage/flags.js';
import { dayFingerprint } from '../../storage/dayFingerprint.js';
import { finishRunFailed, finishRunNoRides, latestSucceededRun, startRun, trailingSummaries, type RunRow } from '../../storage/runs.js';
import { contextDigest, resultDigest, type RunContext } from './resultDigest.js';
import { dayStatuses } from '../../storage/dayStatus.js';
import type { ClusterSummary, DetectionInputs, DetectorParams, ResolvedDetector } from '../../compute/detectOutliers.js';
import { clustersWithReference, DEFAULT_DETECTOR } from '../../compute/detectorParams.js';
import type { DaySummary } from '../../compute/monitoring/featureSummary.js';
import { checkDrift, DEFAULT_DRIFT_OPTIONS, type DriftResult } from '../../compute/monitoring/driftCheck.js';
import { driftWarnings } from '../../compute/monitoring/driftMessage.js';
import { zoneArea } from '../../compute/context/baseline.js';
import { readReferenceRides, readTrailingPairMoments, readZones } from '../../storage/baselines.js';
import { readSettings } from '../../storage/settings.js';
import type { TensorBackendName } from '../../compute/tensorBackend.js';
import { since } from '../../compute/compute_util.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../errors.js';

/** One run of the detector over a day, as recorded in detection_runs and printed by `detect`. */
export interface DayRun {
  runId: number;
  serviceDate: string;
  /** no_rides: the day had no rides when read; recorded, and the day stays unscored */
  status: 'succeeded' | 'failed' | 'no_rides';
  error?: string;
  /** the driver's code of the error (a SQLSTATE such as 40001, or ECONNRESET), when it has one */
  errorCode?: string;
  /** read-compute-write passes: more than 1 when rides arrived during the run */
  attempts: number;
  rides: number;
  outliers: number;
  outliersByReason: Record<string, number>;
  clusters: ClusterSummary;
  flagsWritten: number;
  tensorBackend: string | null;
  params: DetectorParams;
  /** what the parameters resolved to (eps actually used, defaults filled in) */
  resolved: ResolvedDetector | null;
  featureSummary: DaySummary | null;
  drift: DriftResult | null;
  scaler: { features: string[]; mean: number[]; std: number[] } | null;
  /** set when nothing was computed: the result of that run stood (usecases/resultDigest.ts) */
  reusedRunId: number | null;
  timings: { readSeconds: number; computeSeconds: number; writeSeconds: number; totalSeconds: number; clusterSeconds: number };
}

export type DayOutcome =
  | { day: string; status: 'succeeded'; run: DayRun; attempts: number }
  | { day: string; status: 'failed'; error: string; run?: DayRun; attempts: number }
  | { day: string; status: 'skipped'; why: string };

export interface ScoreDayOptions {
  params: DetectorParams;
  /** who asked: cli, demo, schedule, backfill (recorded with the run) */
  trigger: string;
  log?: Logger;
  /** the TF.js backend to prefer (RIDESCAN_TENSOR_BACKEND); the one used is recorded */
  tensorBackend?: TensorBackendName;
  /** attempts for transient errors (connection refused or reset, serialization failure, deadlock) */
  maxAttempts?: number;
  /** first backoff; doubles each time */
  backoffMs?: number;
  /**
   * Skip the day when, once its lock is held, it turns out scored and not stale: another process
   * scored it between our plan and our lock. The scheduler and selective backfills want this.
   */
  onlyIfNeeded?: boolean;
  /** compute the day even when its inputs and flags are as an earlier run left them */
  recompute?: boolean;
  /** test hooks: after the read (before the write), and inside the write transaction */
  hooks?: {
    afterRead?: (attempt: number) => Promise<void>;
    beforeCommit?: (trx: Knex.Transaction) => Promise<void>;
  };
}

// TF.js and the detector behind it are imported when a run's read starts (unless the day's last
// result is likely to stand: onePass), not with this module, and awaited only when the compute
// needs them: meanwhile the day's read waits on the server, and the module loader has the event
// loop. Loaded once per process. Since TF.js is required rather than
// imported (compute/tfjs.ts) and ml-kmeans is loaded only for a k-means run, that load is ~0.1 s
// (a day without rides: run total 0.08-0.11 s, against 0.35-0.47 s before; it was ~0.5 s of a
// whole `detect`, 1.5 s on a busy machine). It runs on the thread that receives the read, so what
// it costs shows in the read's seconds.
type ComputeModules = [
  typeof import('../../compute/scoreDayRides.js'),
  typeof import('../../compute/tensorBackend.js'),
  typeof import('../../compute/kmeans/kmeansOutliers.js'),
];
let computeModules: Promise<ComputeModules> | undefined;
function loadCompute(): Promise<ComputeModules> {
  computeModules ??= Promise.all([
    import('../../compute/scoreDayRides.js'),
    import('../../compute/tensorBackend.js'),
    import('../../compute/kmeans/kmeansOutliers.js'),
  ]);
  return computeModules;
}

/** The TF.js backend once the compute modules are in: the one initialised, as initTensorBackend says. */
async function tensorBackend(preferred: TensorBackendName | undefined): Promise<TensorBackendName> {
  const [, backend] = await loadCompute();
  return backend.initTensorBackend(preferred);
}

/** Rides loaded into the day while it is scored make the write refuse; read it again. */
const MAX_PASSES = 3;

// Errors worth another try: the server went away or refused for now, or PostgreSQL asks to retry.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
]);

// The same, told by the message where the driver gives no code: a connection that died under a
// transaction surfaces as knex's failed ROLLBACK ("Client has encountered a connection error and
// is not queryable"), with the server's 57P01 lost on the way.
const TRANSIENT_MESSAGES =
  /Connection terminated|connection refused|ECONNRESET|not queryable|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

export function isTransient(code: string | undefined, message = ''): boolean {
  return (code !== undefined && TRANSIENT_CODES.has(code)) || TRANSIENT_MESSAGES.test(message);
}

// Runs that failed while the server was away could not be marked failed then: they are kept per
// handle and recorded by the next attempt or the next day scored on it, once the server is back,
// so that a restart does not leave them 'running' for as long as the process lives (a scheduler
// lives for months). What is still unrecorded when the process ends, the next scheduler start
// marks failed (markAbandonedRuns).
const unrecordedFailures = new WeakMap<Database, Map<number, unknown>>();

async function recordFailuresLeftOver(db: Database, log: Logger | undefined): Promise<void> {
  const pending = unrecordedFailures.get(db);
  if (!pending) return;
  for (const [runId, error] of pending) {
    try {
      await finishRunFailed(db, runId, error);
      pending.delete(runId);
      log?.info({ runId }, 'recorded as failed a run that failed while the database was away');
    } catch {
      return; // still away: the next call tries again
    }
  }
}

export async function scoreDay(db: Database, day: string, options: ScoreDayOptions): Promise<DayOutcome> {
  const log = options.log;
  const outcome = await scoreDayWithRetries(db, day, options);
  await recordFailuresLeftOver(db, log);
  return outcome;
}

async function scoreDayWithRetries(db: Database, day: string, options: ScoreDayOptions): Promise<DayOutcome> {
  const log = options.log;
  const maxAttempts = options.maxAttempts ?? 3;
  let backoff = options.backoffMs ?? 500;
  /** Whether a failure of this attempt is worth another; waits the backoff first when it is. */
  const retry = async (attempt: number, code: string | undefined, message: string, runId?: number): Promise<boolean> => {
    if (attempt >= maxAttempts || !isTransient(code, message)) return false;
    log?.warn({ day, runId, attempt, error: message, retryInMs: backoff }, 'transient database error, retrying');
    await sleep(backoff);
    backoff *= 2;
    return true;
  };
  for (let attempt = 1; ; attempt++) {
    let release: Awaited<ReturnType<Database['tryLock']>>;
    let run: DayRun;
    try {
      release = await db.tryLock(LOCKS.scoreDay(day));
      await recordFailuresLeftOver(db, log);
    } catch (error) {
      const message = errorMessage(error);
      if (await retry(attempt, errorCode(error), message)) continue;
      log?.error({ day, error: message, attempts: attempt }, 'day failed');
      return { day, status: 'failed', error: message, attempts: attempt };
    }
    if (!release) {
      log?.info({ day }, 'skipped: another process is scoring this day');
      return { day, status: 'skipped', why: 'locked by another process' };
    }
    try {
      let known = options;
      if (options.onlyIfNeeded) {
        const [status] = await dayStatuses(db, day, day);
        if (!status || status.state === 'scored' || status.state === 'no rides' || status.state === 'pruned') {
          const why = status?.state === 'scored' ? 'already scored' : status?.state === 'pruned' ? 'pruned' : 'no rides';
          log?.info({ day }, why === 'already scored' ? 'skipped: already scored by another process' : `skipped: ${why}`);
          return { day, status: 'skipped', why };
        }
        // stale or never scored: it has unscored rides, so no earlier result can stand, and the
        // check for one (a scan of the day: 0.33 s at 1M rides) is left out
        known = { ...options, recompute: true };
      }
      run = await runDetector(db, day, known);
    } catch (error) {
      // only the status check above can get here: the run itself never throws
      const message = errorMessage(error);
      if (await retry(attempt, errorCode(error), message)) continue;
      return { day, status: 'failed', error: message, attempts: attempt };
    } finally {
      await release();
    }
    if (run.status === 'no_rides') {
      log?.warn({ day, runId: run.runId }, `no rides for ${day}: recorded as a no_rides run; load the day's rides and score it again`);
      return { day, status: 'succeeded', run, attempts: attempt };
    }
    if (run.status === 'succeeded') {
      log?.info(
        { day, runId: run.runId, rides: run.rides, outliers: run.outliers, flagsWritten: run.flagsWritten, seconds: Number(run.timings.totalSeconds.toFixed(3)), drift: run.drift?.verdict },
        `scored ${day}`,
      );
      if (run.drift?.drift) {
        log?.warn({ day, runId: run.runId, drift: run.drift.drifted }, `drift warning: ${day}: ${driftWarnings(run.drift).join('; ')}`);
      }
      return { day, status: 'succeeded', run, attempts: attempt };
    }
    if (await retry(attempt, run.errorCode, run.error ?? '', run.runId)) continue;
    log?.error({ day, runId: run.runId, error: run.error, attempts: attempt }, 'day failed');
    return { day, status: 'failed', error: run.error ?? 'unknown error', run, attempts: attempt };
  }
}

const errorCode = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** One recorded run over a day, the lock already held. Never throws once the run is recorded. */
async function runDetector(db: Database, serviceDate: string, options: ScoreDayOptions): Promise<DayRun> {
  const started = performance.now();
  const { params } = options;
  const runId = await startRun(db, { serviceDate, trigger: options.trigger, algorithm: params.algorithm ?? 'dbscan', parameters: { ...params } });
  const run: DayRun = {
    runId,
    serviceDate,
    status: 'failed',
    attempts: 0,
    rides: 0,
    outliers: 0,
    outliersByReason: {},
    clusters: { count: 0, sizes: [], small: [] },
    flagsWritten: 0,
    tensorBackend: null,
    params,
    resolved: null,
    featureSummary: null,
    drift: null,
    scaler: null,
    reusedRunId: null,
    timings: { readSeconds: 0, computeSeconds: 0, writeSeconds: 0, totalSeconds: 0, clusterSeconds: 0 },
  };
  // started by the read (or by the compute, when the day's last result was likely to stand: see
  // onePass), awaited by the compute or below, for a day without rides; a failure to load
  // surfaces there, inside this try, as the run's error
  let loading: Promise<TensorBackendName> | undefined;
  const backend = () => {
    if (!loading) {
      loading = tensorBackend(options.tensorBackend);
      loading.catch(() => {});
    }
    return loading;
  };
  try {
    for (;;) {
      run.attempts++;
      try {
        if (await onePass(db, run, options, started, backend)) break;
        run.status = 'no_rides';
        run.tensorBackend = await backend();
        run.timings.totalSeconds = since(started);
        await finishRunNoRides(db, runId, {
          tensorBackend: run.tensorBackend,
          timings: { read_s: run.timings.readSeconds, total_s: run.timings.totalSeconds },
          parameters: { ...params },
        });
        return run;
      } catch (error) {
        if (!(error instanceof DayChangedDuringRunError) || run.attempts >= MAX_PASSES) throw error;
      }
    }
    run.status = 'succeeded';
  } catch (error) {
    run.error = errorMessage(error);
    run.errorCode = errorCode(error);
    await finishRunFailed(db, runId, error).catch(() => {
      // The database itself is away (restarting): recorded later (recordFailuresLeftOver).
      let pending = unrecordedFailures.get(db);
      if (!pending) unrecordedFailures.set(db, (pending = new Map()));
      pending.set(runId, error);
    });
  }
  run.timings.totalSeconds = since(started);
  return run;
}

/** read → compute → write, once. False when the day has no rides: nothing to compute or write. */
async function onePass(db: Database, run: DayRun, options: ScoreDayOptions, started: number, backend: () => Promise<TensorBackendName>): Promise<boolean> {
  await phase(options, run, 'read');
  let t = performance.now();
  const previous = options.recompute ? undefined : await latestSucceededRun(db, run.serviceDate);
  // TF.js and the detector take ~0.1-0.4 s of this thread, the require of TF.js's bundle in one
  // synchronous block that stalls a COPY behind it. Loaded now, they overlap the read; but when
  // the day's last run left a digest, the day may well be unchanged, and then they are not needed.
  if (!previous?.result_digest) void backend();
  const timeZone = (await readSettings(db, { withRides: false })).timeZone.zone;
  const trailing = parseSummaries(await trailingSummaries(db, run.serviceDate, DEFAULT_DRIFT_OPTIONS.window));
  const runContext = (tlc: boolean, context: DayContext): RunContext => ({
    serviceDate: run.serviceDate,
    timeZone,
    tlc,
    params: options.params,
    trailing,
    context,
    tensorBackend: options.tensorBackend ?? 'first that loads',
  });

  // Nothing new since the last run? Told by the day's fingerprint (one scan on the server, no COPY)
  // and what is read beside the day: the digest the last run recorded of them.
  let checked: { count: number; tlc: boolean; context: DayContext } | undefined;
  if (previous?.result_digest) {
    const day = await dayFingerprint(db, run.serviceDate);
    if (day.rides > 0 && day.unscored === 0) {
      const tlc = await dayHasTlcRides(db, run.serviceDate);
      checked = { count: day.rides, tlc, context: await readDayContext(db, run.serviceDate, day.rides, tlc, options.params, timeZone) };
      const reused = resultDigest(contextDigest(runContext(tlc, checked.context)), day.fingerprint) === previous.result_digest ? reusableResult(previous, day.rides) : null;
      if (reused) {
        run.timings.readSeconds = since(t);
        run.rides = day.rides;
        await recordReusedResult(db, run, options, started, trailing, reused);
        return true;
      }
    }
    void backend();
  }

  const rides: DayRides = await readRidesForDay(db, run.serviceDate, timeZone);
  const tlc = rides.tlc !== undefined;
  const context =
    rides.count === 0 ? {} : checked && checked.count === rides.count && checked.tlc === tlc ? checked.context : await readDayContext(db, run.serviceDate, rides.count, tlc, options.params, timeZone);
  const ofContext = contextDigest(runContext(tlc, context));
  run.timings.readSeconds = since(t);
  run.rides = rides.count;
  if (rides.count === 0) return false;

  await phase(options, run, 'compute');
  run.tensorBackend = await backend();
  const [{ scoreDayRides }, , { loadKmeans }] = await loadCompute();
  // ml-kmeans only for a k-means run (kmeansOutliers.ts says why)
  if (options.params.algorithm === 'kmeans') await loadKmeans();
  t = performance.now();
  const inputs: DetectionInputs = { ...context, ...dayColumns(rides) };
  const { detection, featureSummary, drift, pairMoments } = scoreDayRides(rides.distanceKm, rides.durationMin, options.params, trailing, inputs);
  run.timings.computeSeconds = since(t);
  run.timings.clusterSeconds = detection.timings.clusterSeconds;
  run.outliers = detection.outliers;
  run.outliersByReason = detection.outliersByReason;
  run.clusters = detection.clusters;
  run.scaler = detection.scaler;
  run.resolved = detection.resolved;
  run.featureSummary = featureSummary;
  run.drift = drift;
  await options.hooks?.afterRead?.(run.attempts);

  await phase(options, run, 'write');
  t = performance.now();
  run.flagsWritten = await writeFlags(db, {
    runId: run.runId,
    rides,
    flags: detection,
    record: runRecord(run, options, started, null),
    digestAfterWrite: (fingerprint) => resultDigest(ofContext, fingerprint),
    pairMoments: rides.tlc ? pairMoments : undefined,
    afterStage: options.hooks?.beforeCommit,
  });
  run.timings.writeSeconds = since(t);
  return true;
}

/**
 * The day's inputs and flags are as `reused.id` left them (same digest): its result stands. The run
 * is recorded with that result and writes nothing; its drift check is taken again against today's
 * trailing days, which the digest covers, so it comes out the same.
 */
async function recordReusedResult(db: Database, run: DayRun, options: ScoreDayOptions, started: number, trailing: DaySummary[], reused: ReusableRun): Promise<void> {
  run.reusedRunId = reused.reused_run_id ?? reused.id;
  // the backend of the run that computed the result
  run.tensorBackend = reused.tensor_backend;
  run.outliers = reused.outliers;
  run.outliersByReason = reused.outliers_by_reason;
  run.clusters = reused.clusters;
  run.scaler = reused.scaler;
  run.resolved = reused.parameters.resolved as unknown as ResolvedDetector;
  run.featureSummary = reused.feature_summary;
  run.drift = checkDrift(reused.feature_summary, trailing);
  // nothing clustered in this pass (an earlier pass of the run may have, and failed to write)
  run.timings.clusterSeconds = 0;
  await options.hooks?.afterRead?.(run.attempts);

  await phase(options, run, 'write');
  const t = performance.now();
  await recordRunWithoutWrites(db, {
    runId: run.runId,
    serviceDate: run.serviceDate,
    afterStage: options.hooks?.beforeCommit,
    record: runRecord(run, options, started, reused.result_digest),
  });
  run.flagsWritten = 0;
  run.timings.writeSeconds = since(t);
}

/**
 * The run's record as the write stores it, from the result the run holds (computed, or that of the
 * run it reuses); write_s is added by the write, and total_s grows by it.
 */
function runRecord(run: DayRun, options: ScoreDayOptions, started: number, resultDigest: string | null): RunRecord {
  const drift = run.drift!;
  return {
    scaler: run.scaler ? { ...run.scaler } : null,
    tensorBackend: run.tensorBackend,
    ridesScored: run.rides,
    outliers: run.outliers,
    outliersByReason: run.outliersByReason,
    clusters: { ...run.clusters },
    timings: { read_s: run.timings.readSeconds, compute_s: run.timings.computeSeconds, cluster_s: run.timings.clusterSeconds, total_s: since(started), attempts: run.attempts },
    parameters: { ...options.params, resolved: run.resolved },
    featureSummary: { ...run.featureSummary },
    drift: { ...drift },
    driftWarning: drift.drift,
    resultDigest,
    reusedRunId: run.reusedRunId,
  };
}

/** What the detector reads beside the day's rides (storage), and what the digest covers of it. */
type DayContext = Pick<DetectionInputs, 'history' | 'reference'>;

/**
 * What the detector reads beside the day: on TLC days with context the trailing zone-pair baseline
 * and the zones' areas; for a small day with eps and min_samples 'auto', trailing rides scored
 * normal to cluster it with. Needs only the day's size and kind, so that a re-run can read it
 * before deciding whether to read the day at all.
 */
async function readDayContext(db: Database, serviceDate: string, count: number, tlc: boolean, params: DetectorParams, timeZone: string): Promise<DayContext> {
  const context: DayContext = {};
  const days = (params.algorithm !== 'kmeans' && params.baselineDays) || DEFAULT_DETECTOR.baselineDays;
  if (tlc && params.algorithm !== 'kmeans' && (params.context ?? 'none') !== 'none') {
    const history = await readTrailingPairMoments(db, serviceDate, days);
    const areaOf = new Map((await readZones(db)).map((z) => [z.locationId, zoneArea(z.borough, z.zone, z.serviceZone)]));
    context.history = { ...history, areaOf };
  }
  const wanted = clustersWithReference(params) ? (params.referenceRides ?? 0) - count : 0;
  if (wanted > 0) {
    const reference = await readReferenceRides(db, serviceDate, days, wanted, timeZone);
    if (reference) context.reference = reference;
  }
  return context;
}

/** The day's own TLC columns the detector reads: fares and payment types, zones and pickup hours. */
function dayColumns(rides: DayRides): Pick<DetectionInputs, 'fares' | 'zones'> {
  if (!rides.tlc) return {};
  return {
    fares: { fareAmount: rides.tlc.fareAmount, paymentType: rides.tlc.paymentType },
    zones: { pickup: rides.tlc.pickupZone, dropoff: rides.tlc.dropoffZone, hour: rides.tlc.pickupHour },
  };
}

/**
 * Each phase is logged as it starts (what a stuck run was doing, and what tests wait for), after
 * a turn of the event loop: the embedded database answers on promises that are already resolved,
 * so a whole tick could run on microtasks alone and a SIGTERM would wait for the end of the tick
 * (seen: a signal handled 16 s late, after the next day had started). A macrotask turn here
 * lets signal handlers run between phases, so a stopping scheduler starts no new day.
 */
async function phase(options: ScoreDayOptions, run: DayRun, name: 'read' | 'compute' | 'write'): Promise<void> {
  await yieldToEventLoop();
  options.log?.info({ day: run.serviceDate, runId: run.runId, phase: name }, `${name} ${run.serviceDate}`);
}

// Feature summaries come back from jsonb: checked at this edge, and NaN quantiles (a day without
// valid rides) come back as null, which JSON made of them.
const num = z.number().nullable().transform((v) => (v === null ? Number.NaN : v));
const QuantilesSchema = z.object({ mean: num, p05: num, p25: num, p50: num, p75: num, p95: num });
const DaySummarySchema = z.object({
  rides: z.number(),
  validRides: z.number(),
  distanceKm: QuantilesSchema,
  durationMin: QuantilesSchema,
  speedKmh: QuantilesSchema,
  flagRate: num,
  flagRateByReason: z.record(z.string(), z.number()),
});

// An earlier run's result, as its record has it: checked at this edge (a record of an older
// version, or edited by hand, that does not parse is not reused: the day is computed).
const ReusableRunSchema = z.object({
  id: z.coerce.number(),
  reused_run_id: z.coerce.number().nullable(),
  result_digest: z.string(),
  tensor_backend: z.string().nullable(),
  rides_scored: z.coerce.number(),
  outliers: z.coerce.number(),
  outliers_by_reason: z.record(z.string(), z.number()),
  clusters: z.object({ count: z.number(), sizes: z.array(z.number()), small: z.array(z.number()) }).passthrough(),
  scaler: z.object({ features: z.array(z.string()), mean: z.array(z.number()), std: z.array(z.number()) }).passthrough().nullable(),
  parameters: z.object({ resolved: z.object({ algorithm: z.string() }).passthrough() }).passthrough(),
  feature_summary: DaySummarySchema,
});
type ReusableRun = z.infer<typeof ReusableRunSchema>;

function reusableResult(row: RunRow, rides: number): ReusableRun | null {
  const parsed = ReusableRunSchema.safeParse(row);
  return parsed.success && parsed.data.rides_scored === rides ? parsed.data : null;
}

/** The trailing summaries that parse; one that does not (an old or hand-edited run) is left out. */
function parseSummaries(stored: Record<string, unknown>[]): DaySummary[] {
  const out: DaySummary[] = [];
  for (const s of stored) {
    const parsed = DaySummarySchema.safeParse(s);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
