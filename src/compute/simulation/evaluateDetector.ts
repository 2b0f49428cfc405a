// Detection quality against a labelled day: the metrics (pure), and runs of detectOutliers on simulated
// days of a scenario, one or a sweep over sizes and seeds. Rule flags count as flags: they are what the
// operations team sees. Needs an initialised tensor backend (initTensorBackend) for the runs.
import { detectOutliers, type DetectorParams, type ResolvedDetector } from '../detectOutliers.js';
import { RIDE_GROUPS } from './simulateRides.js';
import { simulateScenario, type ScenarioName } from './scenarios.js';
import { median } from '../compute_util.js';

export interface GroupRecall {
  group: string;
  anomalies: number;
  flagged: number;
  /** flagged / anomalies; NaN for a group with no rides */
  recall: number;
}

export interface EvaluationMetrics {
  rides: number;
  /** rides of an anomaly group (group != 0) */
  anomalies: number;
  flagged: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** tp / flagged; 0 when nothing is flagged */
  precision: number;
  /** tp / anomalies; 0 when there are no anomalies */
  recall: number;
  /** harmonic mean of precision and recall; 0 when both are 0 */
  f1: number;
  /** recall per anomaly group (group 1 onwards) */
  byGroup: GroupRecall[];
}

/** Precision, recall and F1 of flags against the truth: group 0 is normal, every other group an anomaly. */
export function scoreFlags(isOutlier: Uint8Array, group: Uint8Array, groupNames: readonly string[] = RIDE_GROUPS): EvaluationMetrics {
  if (isOutlier.length !== group.length) throw new RangeError(`flags and groups differ in length (${isOutlier.length} vs ${group.length})`);
  const total = new Array<number>(groupNames.length).fill(0);
  const hit = new Array<number>(groupNames.length).fill(0);
  let flagged = 0;
  for (let i = 0; i < group.length; i++) {
    const g = group[i];
    if (g >= groupNames.length) throw new RangeError(`group ${g} of ride ${i} has no name`);
    total[g]++;
    if (isOutlier[i] === 1) {
      hit[g]++;
      flagged++;
    }
  }
  const anomalies = group.length - total[0];
  const truePositives = flagged - hit[0];
  const precision = flagged > 0 ? truePositives / flagged : 0;
  const recall = anomalies > 0 ? truePositives / anomalies : 0;
  return {
    rides: group.length,
    anomalies,
    flagged,
    truePositives,
    falsePositives: hit[0],
    falseNegatives: anomalies - truePositives,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    byGroup: groupNames.slice(1).map((name, k) => ({
      group: name,
      anomalies: total[k + 1],
      flagged: hit[k + 1],
      recall: total[k + 1] > 0 ? hit[k + 1] / total[k + 1] : NaN,
    })),
  };
}

export interface NamedDetector {
  /** how tables name it, e.g. "default" or "book recipe" */
  name: string;
  params: DetectorParams;
}

export interface EvaluationRun {
  scenario: ScenarioName;
  rides: number;
  seed: number;
  detector: string;
  metrics: EvaluationMetrics;
  /** detectOutliers' wall time (rules, scaling, clustering, scores) */
  seconds: number;
  clusterSeconds: number;
  resolved: ResolvedDetector;
  outliersByReason: Record<string, number>;
}

/** Every detector on the same simulated day. */
export function evaluateDay(scenario: ScenarioName, rides: number, seed: number, detectors: NamedDetector[]): EvaluationRun[] {
  const day = simulateScenario(scenario, rides, seed);
  return detectors.map(({ name, params }) => {
    const started = performance.now();
    const result = detectOutliers(day.distanceKm, day.durationMin, params);
    const seconds = (performance.now() - started) / 1000;
    return {
      scenario,
      rides,
      seed,
      detector: name,
      metrics: scoreFlags(result.isOutlier, day.group),
      seconds,
      clusterSeconds: result.timings.clusterSeconds,
      resolved: result.resolved,
      outliersByReason: result.outliersByReason,
    };
  });
}

/** One detector at one size, over the seeds: means of the metrics, median of the times. */
export interface EvaluationSummary {
  scenario: ScenarioName;
  rides: number;
  detector: string;
  seeds: number[];
  flagged: number;
  precision: number;
  recall: number;
  f1: number;
  /** mean recall per anomaly group */
  recallByGroup: Record<string, number>;
  seconds: number;
  clusterSeconds: number;
  /** the eps DBSCAN used, mean over the seeds (null for k-means) */
  eps: number | null;
  minSamples: number | null;
}

export interface SweepOptions {
  scenario: ScenarioName;
  sizes: number[];
  seeds: number[];
  detectors: NamedDetector[];
  /** told after each simulated day, for progress */
  onDay?: (runs: EvaluationRun[]) => void;
}

export function evaluateSweep(options: SweepOptions): { runs: EvaluationRun[]; summary: EvaluationSummary[] } {
  const runs: EvaluationRun[] = [];
  for (const rides of options.sizes) {
    for (const seed of options.seeds) {
      const day = evaluateDay(options.scenario, rides, seed, options.detectors);
      runs.push(...day);
      options.onDay?.(day);
    }
  }
  const summary: EvaluationSummary[] = [];
  for (const rides of options.sizes) {
    for (const { name } of options.detectors) {
      summary.push(summarize(runs.filter((r) => r.rides === rides && r.detector === name)));
    }
  }
  return { runs, summary };
}

/** Means over runs of one detector at one size (and one scenario). */
export function summarize(runs: EvaluationRun[]): EvaluationSummary {
  if (runs.length === 0) throw new RangeError('no runs to summarise');
  const mean = (f: (r: EvaluationRun) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const recallByGroup: Record<string, number> = {};
  for (const { group } of runs[0].metrics.byGroup) {
    recallByGroup[group] = mean((r) => r.metrics.byGroup.find((g) => g.group === group)?.recall ?? NaN);
  }
  const dbscan = runs.every((r) => r.resolved.dbscan);
  return {
    scenario: runs[0].scenario,
    rides: runs[0].rides,
    detector: runs[0].detector,
    seeds: runs.map((r) => r.seed),
    flagged: mean((r) => r.metrics.flagged),
    precision: mean((r) => r.metrics.precision),
    recall: mean((r) => r.metrics.recall),
    f1: mean((r) => r.metrics.f1),
    recallByGroup,
    seconds: median(runs.map((r) => r.seconds)),
    clusterSeconds: median(runs.map((r) => r.clusterSeconds)),
    eps: dbscan ? mean((r) => r.resolved.dbscan!.eps) : null,
    minSamples: dbscan ? mean((r) => r.resolved.dbscan!.minSamples) : null,
  };
}
