// The pure part of scoring a day: the detector's flags, the day's feature summary, the drift check
// against the trailing days' summaries, and the day's zone-pair moments for the baseline. Everything
// it needs is read before it runs, so the pipeline is lock → read → this → write, with no database
// in between.
import { detectOutliers, type DetectionInputs, type DetectionResult, type DetectorParams } from './detectOutliers.js';
import { summarizeDay, type DaySummary } from './monitoring/featureSummary.js';
import { checkDrift, type DriftResult } from './monitoring/driftCheck.js';
import { dayPairMoments, emptyMoments, type PairMoments } from './context/pairMoments.js';

export interface DayScores {
  detection: DetectionResult;
  featureSummary: DaySummary;
  drift: DriftResult;
  /** the rides left unflagged, by zone pair: the day's rows of the baseline (none without zones) */
  pairMoments: PairMoments;
}

export function scoreDayRides(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  params: DetectorParams,
  trailing: DaySummary[],
  inputs: DetectionInputs = {},
): DayScores {
  const detection = detectOutliers(distanceKm, durationMin, params, inputs);
  const featureSummary = summarizeDay(distanceKm, durationMin, detection);
  let pairMoments = emptyMoments();
  if (inputs.zones) {
    const normal = new Uint8Array(distanceKm.length);
    for (let i = 0; i < normal.length; i++) normal[i] = detection.isOutlier[i] === 1 ? 0 : 1;
    pairMoments = dayPairMoments(distanceKm, durationMin, normal, inputs.zones.pickup, inputs.zones.dropoff);
  }
  return { detection, featureSummary, drift: checkDrift(featureSummary, trailing), pairMoments };
}
