// A run's result digest: SHA-256 of everything the detector reads for a day and of the day's flags
// as the run leaves them. The detector is pure (compute/scoreDayRides), so a later run that finds
// the same would compute the same flags and write none: it records the earlier run's result
// instead of computing it, and reads no more of the day than its fingerprint (scoreDay.ts). Any
// difference, even one a recompute would absorb (a float sum of the baseline in another order),
// only means the day is computed again: the digest can miss a reuse, never make a wrong one, as
// long as it covers every input. It is made of two parts:
// - the day's fingerprint (storage/dayFingerprint.ts): the rides' ids, every column the detector
//   reads of them, and their flags, reasons and scores, hashed by PostgreSQL in one scan;
// - the context, hashed here: the service time zone, the trailing days' summaries, the zone-pair
//   baseline and zone areas, the trailing rides a small day is clustered with, the parameters, the
//   TF.js backend as configured, and the detector's own code (the files of src/compute, so that a
//   changed detector recomputes without a version bump; a new TF.js release does not: its float32
//   differences stay within the write's score tolerance, and `detect --recompute` is there).
import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DetectionInputs, DetectorParams } from '../../compute/detectOutliers.js';
import type { DaySummary } from '../../compute/monitoring/featureSummary.js';

type Numbers = Float64Array | Int16Array | Uint8Array;

/** An array's bytes, after a tag and its length, so that no two inputs hash the same by shifting a boundary. */
function addArray(hash: Hash, tag: string, values: Numbers | undefined): void {
  if (values === undefined) {
    hash.update(`${tag}:none;`);
    return;
  }
  hash.update(`${tag}:${values.byteLength};`);
  hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export interface RunContext {
  serviceDate: string;
  timeZone: string;
  /** whether the day is read with its TLC columns (rides.ts dayHasTlcRides) */
  tlc: boolean;
  params: DetectorParams;
  trailing: DaySummary[];
  /** what is read beside the day: its baseline history and trailing rides */
  context: Pick<DetectionInputs, 'history' | 'reference'>;
  /** the TF.js backend as configured (RIDESCAN_TENSOR_BACKEND), not as resolved */
  tensorBackend: string;
}

/** The digest of what the detector reads beside the day's own rides. */
export function contextDigest({ serviceDate, timeZone, tlc, params, trailing, context, tensorBackend }: RunContext): string {
  const hash = createHash('sha256');
  // JSON turns NaN quantiles into null, as the runs' records do: the same summaries hash the same;
  // keys sorted, since parameters that went through a job's jsonb come back in jsonb's key order
  hash.update(canonicalJson({ code: detectorCodeDigest(), tensorBackend, serviceDate, timeZone, tlc, params, trailing }));
  const { history, reference } = context;
  if (history) {
    hash.update(`history:${history.days};`);
    for (const [tag, values] of Object.entries(history.moments)) addArray(hash, `history.${tag}`, values as Numbers);
    hash.update(JSON.stringify([...history.areaOf].sort((a, b) => a[0] - b[0])));
  }
  if (reference) {
    addArray(hash, 'reference.distance', reference.distanceKm);
    addArray(hash, 'reference.duration', reference.durationMin);
    addArray(hash, 'reference.pickup', reference.zones?.pickup);
    addArray(hash, 'reference.dropoff', reference.zones?.dropoff);
    addArray(hash, 'reference.hour', reference.zones?.hour);
  }
  return hash.digest('hex');
}

/** JSON with every object's keys in sorted order (and, as JSON.stringify, undefined ones left out). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The run's result digest: its context's and the day's fingerprint. */
export function resultDigest(context: string, dayFingerprint: string): string {
  return createHash('sha256').update(`${context}\n${dayFingerprint}`).digest('hex');
}

let codeDigest: string | undefined;

/**
 * SHA-256 of the detector's source files (src/compute, or dist/src/compute when built), by path:
 * a changed detector gives every day a new digest. Read once per process (~60 small files).
 */
export function detectorCodeDigest(): string {
  if (codeDigest !== undefined) return codeDigest;
  const root = fileURLToPath(new URL('../../compute/', import.meta.url));
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        hash.update(`${relative(root, path)}\n`);
        hash.update(readFileSync(path));
      }
    }
  };
  walk(root);
  codeDigest = hash.digest('hex');
  return codeDigest;
}
