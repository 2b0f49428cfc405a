// Scores one service day: records the run, reads the day's rides, computes the flags and writes
// the changed ones with the run's final status in one transaction. Never throws for a failed
// run: it returns the outcome (the run row says the same), so that callers decide the exit code.
import type { Knex } from 'knex';
import type { Database } from '../storage/database.js';
import { readRidesForDay } from '../storage/rides.js';
import { writeFlags, DayChangedDuringRunError } from '../storage/flags.js';
import { finishRunFailed, startRun, trailingSummaries } from '../storage/runs.js';
import { detectOutliers, type ClusterSummary, type DetectorParams, type ResolvedDetector } from '../compute/detectOutliers.js';
import { summarizeDay, type DaySummary } from '../compute/monitoring/featureSummary.js';
import { checkDrift, DEFAULT_DRIFT_OPTIONS, type DriftResult } from '../compute/monitoring/driftCheck.js';
import { initTensorBackend } from '../compute/tensorBackend.js';

export interface DetectDayOptions {
  serviceDate: string;
  params: DetectorParams;
  trigger: string;
  /** test hook: runs inside the write transaction, after the flags are staged */
  beforeCommit?: (trx: Knex.Transaction) => Promise<void>;
  /** test hook: runs after the day is read, before the flags are written */
  afterRead?: (attempt: number) => Promise<void>;
  /** told when a phase starts, for logs and progress */
  onPhase?: (phase: 'read' | 'compute' | 'write', runId: number) => void;
}

/** Rides loaded into the day while it is scored make the write refuse; read it again. */
const MAX_ATTEMPTS = 3;

export interface DetectDayResult {
  runId: number;
  serviceDate: string;
  status: 'succeeded' | 'failed';
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
  timings: { readSeconds: number; computeSeconds: number; writeSeconds: number; totalSeconds: number; clusterSeconds: number };
}

export async function detectDay(db: Database, options: DetectDayOptions): Promise<DetectDayResult> {
  const started = performance.now();
  const { serviceDate, params } = options;
  const runId = await startRun(db, {
    serviceDate,
    trigger: options.trigger,
    algorithm: params.algorithm ?? 'dbscan',
    parameters: { ...params },
  });
  const result: DetectDayResult = {
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
    timings: { readSeconds: 0, computeSeconds: 0, writeSeconds: 0, totalSeconds: 0, clusterSeconds: 0 },
  };
  try {
    result.tensorBackend = await initTensorBackend();
    for (;;) {
      result.attempts++;
      try {
        await scoreOnce(db, runId, options, result, started);
        break;
      } catch (error) {
        if (!(error instanceof DayChangedDuringRunError) || result.attempts >= MAX_ATTEMPTS) throw error;
      }
    }
    result.status = 'succeeded';
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') result.errorCode = code;
    await finishRunFailed(db, runId, error).catch(() => {
      // The database itself is gone: the run stays 'running', recognisably unfinished.
    });
  }
  result.timings.totalSeconds = since(started);
  return result;
}

async function scoreOnce(db: Database, runId: number, options: DetectDayOptions, result: DetectDayResult, started: number): Promise<void> {
  options.onPhase?.('read', runId);
  let t = performance.now();
  const rides = await readRidesForDay(db, options.serviceDate);
  result.timings.readSeconds = since(t);
  result.rides = rides.count;

  options.onPhase?.('compute', runId);
  t = performance.now();
  const detection = detectOutliers(rides.distanceKm, rides.durationMin, options.params);
  result.timings.computeSeconds = since(t);
  result.timings.clusterSeconds = detection.timings.clusterSeconds;
  result.outliers = detection.outliers;
  result.outliersByReason = detection.outliersByReason;
  result.clusters = detection.clusters;
  result.scaler = detection.scaler;
  result.resolved = detection.resolved;
  // Monitoring: the day's feature summary against the trailing days' (README, Monitoring).
  result.featureSummary = summarizeDay(rides.distanceKm, rides.durationMin, detection);
  const trailing = (await trailingSummaries(db, options.serviceDate, DEFAULT_DRIFT_OPTIONS.window)) as unknown as DaySummary[];
  const drift = checkDrift(result.featureSummary, trailing);
  result.drift = drift;
  await options.afterRead?.(result.attempts);

  options.onPhase?.('write', runId);
  t = performance.now();
  result.flagsWritten = await writeFlags(
    db,
    runId,
    rides,
    detection,
    (flagsWritten) => ({
      scaler: detection.scaler ? { ...detection.scaler } : null,
      tensorBackend: result.tensorBackend,
      ridesScored: rides.count,
      outliers: detection.outliers,
      outliersByReason: detection.outliersByReason,
      clusters: { ...detection.clusters },
      flagsWritten,
      timings: {
        read_s: result.timings.readSeconds,
        compute_s: result.timings.computeSeconds,
        cluster_s: detection.timings.clusterSeconds,
        write_s: since(t),
        total_s: since(started),
        attempts: result.attempts,
      },
      parameters: { ...options.params, resolved: detection.resolved },
      featureSummary: { ...result.featureSummary },
      drift: { ...drift },
      driftWarning: drift.drift,
    }),
    options.beforeCommit,
  );
  result.timings.writeSeconds = since(t);
}

function since(start: number): number {
  return (performance.now() - start) / 1000;
}
