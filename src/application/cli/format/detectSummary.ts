// The one-screen summary that `ridescan detect` prints.
import type { DayRun } from '../../usecases/scoreDay.js';
import { describeDetector } from '../detectorOptions.js';
import { driftWarnings } from '../../../compute/monitoring/driftMessage.js';

const int = new Intl.NumberFormat('en-US');
const fixed = (v: number, digits = 2) => v.toFixed(digits);

export function formatDetectSummary(result: DayRun, databaseName: string): string {
  const lines: string[] = [];
  lines.push(`ridescan detect: service day ${result.serviceDate}, run #${result.runId} ${result.status}`);
  lines.push(`  database        ${databaseName}`);
  if (result.status === 'no_rides') {
    lines.push(`  rides           none: nothing was flagged; the run is recorded as no_rides and the day stays unscored`);
    lines.push(`  what to do      load the day's rides (ridescan load), then score it again`);
    return lines.join('\n');
  }
  if (result.status === 'failed') {
    lines.push(`  error           ${result.error}`);
    lines.push(`  flags           unchanged (the day's previous flags are intact)`);
    return lines.join('\n');
  }
  lines.push(`  rides scored    ${int.format(result.rides)}`);
  const share = result.rides > 0 ? ` (${fixed((100 * result.outliers) / result.rides)}%)` : '';
  lines.push(`  outliers        ${int.format(result.outliers)}${share}`);
  for (const [reason, count] of Object.entries(result.outliersByReason).sort((a, b) => b[1] - a[1])) {
    lines.push(`    ${reason.padEnd(18)}${int.format(count).padStart(10)}`);
  }
  const sizes = [...result.clusters.sizes].sort((a, b) => b - a);
  const shown = sizes.slice(0, 6).map((s) => int.format(s)).join(' · ');
  const more = sizes.length > 6 ? ` · … ${sizes.length - 6} more` : '';
  lines.push(`  clusters        ${result.clusters.count}${sizes.length ? ` (sizes ${shown}${more}; small: ${result.clusters.small.length})` : ''}`);
  lines.push(`  flags written   ${int.format(result.flagsWritten)} (rides whose flag, reason or score changed)`);
  if (result.reusedRunId !== null) {
    lines.push(`  computed        nothing: the day's rides, its flags and the detector's inputs are as run #${result.reusedRunId} left them, whose result is recorded again (--recompute to compute it)`);
  }
  lines.push(`  detector        ${describeDetector(result.params)}`);
  const r = result.resolved;
  if (r?.dbscan) {
    lines.push(
      `  resolved        eps ${r.dbscan.eps.toFixed(3)} · min_samples ${r.dbscan.minSamples} · clustered ${r.dbscan.clusteredRides.toLocaleString('en-US')} rides${r.dbscan.sampled ? ' (a sample)' : ''}${r.referenceRides > 0 ? `, ${int.format(r.referenceRides)} of them trailing rides` : ''}`,
    );
  } else if (r?.kmeans) {
    lines.push(`  resolved        k ${r.kmeans.k} · threshold ${r.kmeans.threshold.toFixed(3)} · fitted on ${r.kmeans.fittedRides.toLocaleString('en-US')} rides`);
  }
  if (r?.context) {
    const c = r.context;
    const baseline = c.ownDayIncluded
      ? `the day's own rides${c.baselineDays > 0 ? ` and ${c.baselineDays} trailing day(s)` : ''} (history under 2,000 rides)`
      : `${int.format(c.baselineRides)} rides of ${c.baselineDays} trailing day(s)`;
    lines.push(
      `  context         judged at zone pair ${int.format(c.levels.zone_pair)} · ${c.map ? `zone map ${int.format(c.levels.zone_map ?? 0)} · ` : ''}area pair ${int.format(c.levels.area_pair)} · all rides ${int.format(c.levels.all)}; baseline ${baseline}, ${int.format(c.baselinePairs)} zone pairs${c.map ? `; zone map of ${int.format(c.map.zones)} zones (fit ${fixed(c.map.rmse, 2)} ln units)` : ''}`,
    );
  }
  if (result.drift) {
    const d = result.drift;
    lines.push(
      `  drift           ${d.verdict === 'drift' ? `WARNING: ${d.drifted.length} metric${d.drifted.length === 1 ? '' : 's'} far from the last ${d.trailingDays} days` : d.verdict === 'stable' ? `none (against ${d.trailingDays} trailing days)` : `no verdict (${d.trailingDays} trailing days, need ${d.options.minDays})`}`,
    );
    for (const warning of driftWarnings(d)) lines.push(`                  ${warning}`);
  }
  if (result.scaler) {
    const s = result.scaler;
    lines.push(
      `  scaler          ${s.features.map((f, i) => `${f} mean ${fixed(s.mean[i], 3)} sd ${fixed(s.std[i], 3)}`).join(' · ')}`,
    );
  }
  lines.push(`  tensor backend  ${result.tensorBackend}`);
  const t = result.timings;
  lines.push(
    `  time            read ${fixed(t.readSeconds)} s · compute ${fixed(t.computeSeconds)} s (clustering ${fixed(t.clusterSeconds)} s) · write ${fixed(t.writeSeconds)} s · total ${fixed(t.totalSeconds)} s`,
  );
  return lines.join('\n');
}
