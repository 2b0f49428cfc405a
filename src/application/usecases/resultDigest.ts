// A run's result digest: SHA-256 of everything the detector reads for a day and of the day's flags
// as the run leaves them. The detector is pure (compute/scoreDayRides), so a later run that reads
// the same inputs and finds the flags as they were left would compute the same flags and write
// none: it records the earlier run's result instead of computing it (scoreDay.ts). At 1M rides
// that is the compute's ~0.9 s of a 3.2 s re-run saved, for ~0.05 s of hashing (docs/performance.md,
// "A re-run with nothing new"). Any difference, even one a recompute would absorb (a float sum of
// the baseline in another order), only means the day is computed again: the digest can miss a
// reuse, never make a wrong one, as long as it covers every input. What it covers:
// - the day's rides as the detector gets them (features and TLC fields in the read's id order),
// - what was read beside them (trailing summaries, the zone-pair baseline and zone areas, the
//   trailing rides a small day is clustered with),
// - the parameters, the TF.js backend and the detector's own code (the files of src/compute, so
//   that a changed detector recomputes without a version bump; a new TF.js release does not: its
//   float32 differences stay within the write's score tolerance, and `detect --recompute` is there),
// - the day's flags, reasons and scores: as read, or as a run's write will leave them.
import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DetectionInputs, DetectorParams } from '../../compute/detectOutliers.js';
import type { DaySummary } from '../../compute/monitoring/featureSummary.js';
import type { DayRides } from '../../storage/rides.js';
import type { FlagChanges, NewFlags } from '../../storage/flags.js';

type Numbers = Float64Array | Int16Array | Uint8Array | Int8Array | Uint32Array;

/** An array's bytes, after a tag and its length, so that no two inputs hash the same by shifting a boundary. */
function addArray(hash: Hash, tag: string, values: Numbers | undefined): void {
  if (values === undefined) {
    hash.update(`${tag}:none;`);
    return;
  }
  hash.update(`${tag}:${values.byteLength};`);
  hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export interface DigestInputs {
  rides: DayRides;
  params: DetectorParams;
  trailing: DaySummary[];
  inputs: DetectionInputs;
  tensorBackend: string;
}

/** The digest of what the detector reads for the day (not the flags). */
export function inputsDigest({ rides, params, trailing, inputs, tensorBackend }: DigestInputs): string {
  const hash = createHash('sha256');
  // JSON turns NaN quantiles into null, as the runs' records do: the same summaries hash the same
  hash.update(JSON.stringify({ code: detectorCodeDigest(), tensorBackend, params, trailing, day: rides.serviceDate, rides: rides.count }));
  addArray(hash, 'distance', rides.distanceKm);
  addArray(hash, 'duration', rides.durationMin);
  const { fares, zones, history, reference } = inputs;
  addArray(hash, 'fare', fares?.fareAmount);
  addArray(hash, 'payment', fares?.paymentType);
  addArray(hash, 'pickup', zones?.pickup);
  addArray(hash, 'dropoff', zones?.dropoff);
  addArray(hash, 'hour', zones?.hour);
  if (history) {
    const m = history.moments;
    hash.update(`history:${history.days};`);
    for (const [tag, values] of Object.entries(m)) addArray(hash, `history.${tag}`, values as Numbers);
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

/**
 * The digest of a day's flags: flag per ride (-1 none, 0, 1), score as stored (float4; every NaN
 * and -0 made one value) and the reason of each ride that has one.
 */
function flagsDigest(flag: Int8Array, score: Float64Array, reasonAt: (i: number) => string | null): string {
  const hash = createHash('sha256');
  addArray(hash, 'flag', flag);
  const canonical = new Float64Array(score.length);
  for (let i = 0; i < score.length; i++) {
    const s = score[i];
    canonical[i] = Number.isNaN(s) ? Number.NaN : s === 0 ? 0 : s;
  }
  addArray(hash, 'score', canonical);
  const reasons: string[] = [];
  for (let i = 0; i < flag.length; i++) {
    const reason = reasonAt(i);
    if (reason !== null) reasons.push(`${i}\t${reason}`);
  }
  hash.update(`reasons:${reasons.length};`);
  hash.update(reasons.join('\n'));
  return hash.digest('hex');
}

/** The day's flags as read. */
export function storedFlagsDigest(rides: DayRides): string {
  return flagsDigest(rides.previousFlag, rides.previousScore, (i) => rides.previousReason[i]);
}

/**
 * The day's flags as the write of `changes` leaves them: every ride the new flag and reason; the
 * new score (as float4) where the ride is written, else the stored one, which differs from the new
 * by less than the write's tolerance (flags.ts changedRides).
 */
export function writtenFlagsDigest(rides: DayRides, flags: NewFlags, changes: FlagChanges): string {
  const n = rides.count;
  const written = new Uint8Array(n);
  for (const i of changes.staged) written[i] = 1;
  const flag = new Int8Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    flag[i] = flags.isOutlier[i];
    score[i] = written[i] === 1 || rides.previousFlag[i] === -1 ? Math.fround(flags.score[i]) : rides.previousScore[i];
  }
  return flagsDigest(flag, score, (i) => (flags.reasonCode[i] === 0 ? null : flags.reasonNames[flags.reasonCode[i] - 1]));
}

/** The run's result digest: its inputs' and its flags'. */
export function resultDigest(inputs: string, flags: string): string {
  return createHash('sha256').update(`${inputs}\n${flags}`).digest('hex');
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
