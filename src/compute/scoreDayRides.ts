// The pure part of scoring a day: the detector's flags, the day's feature summary, and the drift
// check against the trailing days' summaries. Everything it needs is read before it runs, so the
// pipeline is lock → read → this → write, with no database in between.
import { detectOutliers, type DetectionResult, type DetectorParams } from './detectOutliers.js';
import { summarizeDay, type DaySummary } from './monitoring/featureSummary.js';
import { checkDrift, type DriftResult } from './monitoring/driftCheck.js';

export interface DayScores {
  detection: DetectionResult;
  featureSummary: DaySummary;
  drift: DriftResult;
}

export function scoreDayRides(distanceKm: Float64Array, durationMin: Float64Array, params: DetectorParams, trailing: DaySummary[]): DayScores {
  const detection = detectOutliers(distanceKm, durationMin, params);
  const featureSummary = summarizeDay(distanceKm, durationMin, detection);
  return { detection, featureSummary, drift: checkDrift(featureSummary, trailing) };
}
