// The text of `evaluate --scenario tlc`: what was run on, recall per injected kind, how much of the
// real traffic is flagged, the day-to-day flag rate, flags by reason, and the targets.
import { INJECTED_KINDS } from '../../../compute/simulation/injectAnomalies.js';
import type { RealRideEvaluation } from '../../usecases/evaluateRealRides.js';
import { NOT_A_RIDE_REASONS } from '../../usecases/evaluateRealRides.js';
import { formatTable } from './table.js';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

export function formatRealRideEvaluation(e: RealRideEvaluation, detector: string): string {
  const notRides = NOT_A_RIDE_REASONS.join(' and ');
  const lines: string[] = [
    `scenario tlc: real rides with injected anomalies, scored day by day through the pipeline (service days in ${e.timeZone})`,
    `detector  ${detector}`,
    ...e.files.map((f) => `file      ${f.path}: ${f.format}, ${int(f.rowsLoaded)} rides loaded, ${int(f.rowsRejected)} rejected`),
    `injected  ${int(e.injection.perKind)} rides per kind (share ${e.injection.share} of ${int(e.rides)} rides, seed ${e.injection.seed}), ` +
      `drawn from ${int(e.injection.eligible)} plausible trips; fares unchanged`,
    '',
    'recall per injected kind',
    formatTable(
      ['kind', 'injected', 'flagged', 'recall'],
      e.recall.map((k) => [k.kind, int(k.injected), int(k.flagged), fixed(k.recall)]),
    ),
    '',
    `real rides flagged ("trips" leave out records flagged ${notRides}: they are not rides)`,
    formatTable(
      ['rides', 'count', 'flagged', 'share'],
      [
        ['all real rides', int(e.real.rides), int(e.real.flagged), pct(e.real.flaggedShare)],
        ['real trips', int(e.real.trips), int(e.real.tripsFlagged), pct(e.real.tripsFlaggedShare)],
        ['airport rides', int(e.real.airportRides), int(e.real.airportFlagged), pct(e.real.airportFlaggedShare)],
        ['airport trips', int(e.real.airportTrips), int(e.real.airportTripsFlagged), pct(e.real.airportTripsFlaggedShare)],
      ],
    ),
    '(airport: rate code 2 or 3, or pickup or dropoff in zone 1 Newark, 132 JFK or 138 LaGuardia)',
    '',
  ];
  const s = e.daySummary;
  lines.push(
    `flag rate per day, real trips (${int(s.days)} days; ${int(s.partialDays)} partial, under 10% of the median day's trips, left out of the figures)`,
    formatTable(
      ['day', 'date', 'trips', 'flagged', 'rate', '× median'],
      [
        ['median day', '', '', '', pct(s.medianRate), ratio(1)],
        ['highest rate', s.highest?.day ?? '', s.highest ? int(s.highest.rides) : '', s.highest ? int(s.highest.flagged) : '', pct(s.highest?.rate ?? NaN), ratio(s.highestOverMedian)],
        ['most trips (busiest)', s.busiest?.day ?? '', s.busiest ? int(s.busiest.rides) : '', s.busiest ? int(s.busiest.flagged) : '', pct(s.busiest?.rate ?? NaN), ratio(s.busiestOverMedian)],
      ],
    ),
    ...(s.days - s.partialDays < 2 ? ['(one full day: the day-to-day figures and their target say nothing here)'] : []),
    '',
    'flags by reason',
  );
  const columns = ['real', ...INJECTED_KINDS];
  const reasons = Object.entries(e.reasons).sort(([, a], [, b]) => total(b) - total(a));
  lines.push(
    formatTable(
      ['reason', ...columns],
      reasons.map(([reason, by]) => [reason, ...columns.map((c) => int(by[c] ?? 0))]),
    ),
    '',
    'targets (issue 11)',
    formatTable(
      ['target', 'value', 'wanted', 'holds'],
      e.targets.map((t) => [t.name, t.name.startsWith('recall') ? fixed(t.value) : t.name.includes('/') ? ratio(t.value) : pct(t.value), t.target, t.holds ? 'yes' : 'NO']),
    ),
    '',
    `seconds: load ${e.seconds.load.toFixed(1)}, inject ${e.seconds.inject.toFixed(1)}, score ${e.seconds.score.toFixed(1)}, total ${e.seconds.total.toFixed(1)}`,
  );
  return lines.join('\n');
}

function total(by: Record<string, number>): number {
  return Object.values(by).reduce((a, b) => a + b, 0);
}
