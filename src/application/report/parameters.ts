// A run's recorded parameters (detection_runs.parameters: as asked for, plus `resolved`, what they
// came to) as terms and readable values for the report's definition list. Known keys get words and
// units; a key this release does not know is still listed, its value flattened, never dropped.

export interface ParameterItem {
  term: string;
  /** plain text (the page escapes it) */
  value: string;
  /** the recorded key(s), for a reader who wants to find them in detection_runs.parameters */
  key: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, digits = 3): string =>
  typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : digits }) : String(v);
const pct = (v: unknown): string => (typeof v === 'number' ? `${num(100 * v, 2)}%` : String(v));

/** A value of a key this module does not know: numbers as numbers, objects as `key value` pairs. */
function flatten(value: unknown): string {
  if (isObject(value)) return Object.entries(value).map(([k, v]) => `${words(k)} ${flatten(v)}`).join(', ');
  if (Array.isArray(value)) return value.map(flatten).join(', ');
  return typeof value === 'number' ? num(value) : String(value);
}

/** camelCase and snake_case keys as words: maxSpeedKmh → max speed kmh. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

const RULE_TERMS: Record<string, (v: unknown, rules: Json) => [string, string]> = {
  maxSpeedKmh: (v) => ['speed limit', `${num(v)} km/h (faster: speed_limit)`],
  maxDurationMin: (v, rules) => ['duration limit', `${num(v)} min, for trips under ${num(rules.longTripKm)} km (longer: duration_limit)`],
  longTripKm: () => ['', ''],
  zeroDistanceMaxMin: (v) => ['zero-distance limit', `${num(v)} min (a zero-distance ride lasting longer: zero_distance)`],
};

export function parameterItems(parameters: Json | null | undefined): ParameterItem[] {
  const asked = isObject(parameters) ? parameters : {};
  const resolved = isObject(asked.resolved) ? asked.resolved : {};
  const dbscan = isObject(resolved.dbscan) ? resolved.dbscan : null;
  const kmeans = isObject(resolved.kmeans) ? resolved.kmeans : null;
  const items: ParameterItem[] = [];
  const add = (term: string, value: string, key: string) => items.push({ term, value, key });
  const done = new Set<string>(['resolved']);

  const algorithm = asked.algorithm ?? resolved.algorithm ?? 'dbscan';
  add('algorithm', String(algorithm), 'algorithm');
  done.add('algorithm');
  if (asked.features !== undefined || resolved.features !== undefined) {
    const distanceScale = typeof resolved.distanceScaleKm === 'number' ? ` (distance scale ${num(resolved.distanceScaleKm, 2)} km, the day's median)` : '';
    add('features', `${String(asked.features ?? resolved.features)}${distanceScale}`, 'features');
  }
  done.add('features');

  if (algorithm === 'dbscan') {
    if ('eps' in asked) {
      const scale = asked.epsScale ?? dbscan?.epsScale;
      const kDistance = typeof dbscan?.kDistanceMedian === 'number' ? ` × median k-distance ${num(dbscan.kDistanceMedian)}` : '';
      add(
        'eps',
        asked.eps === 'auto' && dbscan ? `auto → ${num(dbscan.eps)}${scale !== undefined ? ` (${num(scale)}${kDistance})` : ''}` : num(asked.eps),
        'eps',
      );
    }
    if ('minSamples' in asked) {
      add('min_samples', asked.minSamples === 'auto' && dbscan ? `auto → ${num(dbscan.minSamples)}` : num(asked.minSamples), 'minSamples');
    }
    if (typeof asked.minClusterShare === 'number') {
      add('small cluster', asked.minClusterShare > 0 ? `under ${pct(asked.minClusterShare)} of the valid rides (small_cluster)` : 'off: noise only', 'minClusterShare');
    }
    if (asked.sampleSize !== undefined) {
      const clustered = dbscan?.clusteredRides !== undefined ? `; ${num(dbscan.clusteredRides)} clustered${dbscan.sampled ? ', a hash sample' : ', the whole day'}` : '';
      add('sample size', `at most ${num(asked.sampleSize)} rides${clustered}`, 'sampleSize');
    }
    for (const key of ['eps', 'minSamples', 'minClusterShare', 'sampleSize', 'epsScale']) done.add(key);
  } else if (kmeans) {
    add('k', num(kmeans.k), 'k');
    add('contamination', `${pct(kmeans.contamination)} of the valid rides (kmeans_distance)`, 'contamination');
    add('threshold', `${num(kmeans.threshold)} from the nearest centroid`, 'resolved.kmeans.threshold');
    if (kmeans.fittedRides !== undefined) add('fitted on', `${num(kmeans.fittedRides)} rides`, 'fitSampleSize');
    if (kmeans.seed !== undefined) add('seed', num(kmeans.seed), 'seed');
    for (const key of ['k', 'contamination', 'fitSampleSize', 'seed', 'eps', 'minSamples', 'minClusterShare']) done.add(key);
  }

  // the rules: the limits the run used (resolved), else those asked for
  const rules = isObject(resolved.rules) ? resolved.rules : isObject(asked.rules) ? asked.rules : null;
  if (rules) {
    for (const [key, value] of Object.entries(rules)) {
      const known = RULE_TERMS[key];
      const [term, text] = known ? known(value, rules) : [words(key), flatten(value)];
      if (term) add(term, text, `rules.${key}`);
    }
  }
  done.add('rules');
  if (typeof resolved.validRides === 'number') add('valid rides', `${num(resolved.validRides)} (passed the rules)`, 'resolved.validRides');

  for (const [key, value] of Object.entries(asked)) if (!done.has(key)) add(words(key), flatten(value), key);
  return items;
}
