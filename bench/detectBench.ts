// `npm run bench -- --rides 1000000 [--repeat 3] [--no-evaluate]`: issue 13's figures, each as a
// ratio to a floor measured in the same run on the same tables (bench/psqlFloors.ts):
// - `ridescan detect` as whole processes, a day's first scoring (every flag written) and its
//   re-run with nothing changed (0 flags written), against psql's \copy of the day's two
//   features (also a whole process);
// - the day's read (the run's recorded read phase) against psql's binary COPY of the same columns;
// - `ridescan load` of a generated TLC yellow CSV (whole process) against psql's \copy of the
//   same file into a plain table of its columns;
// - start-up (`ridescan --version`), and phase timings and peak RSS of every process;
// - worker scaling (bench/workerScaling.ts), once `ridescan worker` exists.
// A compact table with each target and whether it is met ends the output. Needs DATABASE_URL
// (psql is the floor) and psql on the PATH; medians over --repeat repetitions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { resolveConfig } from '../src/application/config.js';
import { simulateDay } from '../src/application/usecases/simulate.js';
import type { DayRun } from '../src/application/usecases/scoreDay.js';
import { parseCount } from '../src/application/cli/options.js';
import { formatTable } from '../src/application/cli/format/table.js';
import { benchDatabaseUrl, freshSchema, openBenchDatabase } from './benchDatabase.js';
import { CLI, median, timeRidescan } from './processes.js';
import { Psql, checkpoint } from './psqlFloors.js';
import { TLC_YELLOW_PLAIN_COLUMNS, writeTlcCsv } from './tlcCsv.js';
import { workerScaling } from './workerScaling.js';

const program = new Command('bench')
  .description("issue 13's benchmark: detection, the day's read, loading and start-up as ratios to psql floors of the same run")
  .addOption(new Option('--rides <n>', 'rides in the scored service day').argParser(parseCount).default(1_000_000))
  .addOption(new Option('--repeat <n>', 'repetitions; medians are printed').argParser(parseCount).default(3))
  .addOption(new Option('--load-rows <n>', 'rows of the generated TLC CSV (default: --rides)').argParser(parseCount))
  .option('--no-load', 'skip the load measurement')
  .addOption(new Option('--only <case>', 'run only this measurement (the load: no detection, no workers)').choices(['load']))
  .option('--no-evaluate', 'skip the evaluate sweep')
  .option('--no-workers', 'skip worker scaling')
  .addOption(new Option('--worker-days <n>', 'worker scaling: service days').argParser(parseCount).default(30))
  .addOption(new Option('--worker-rides <n>', 'worker scaling: simulated rides per day').argParser(parseCount).default(200_000))
  .option('--worker-counts <list>', 'worker scaling: worker process counts', '1,2,4')
  .parse();
const options = program.opts<{
  rides: number;
  repeat: number;
  loadRows?: number;
  load: boolean;
  evaluate: boolean;
  workers: boolean;
  workerDays: number;
  workerRides: number;
  workerCounts: string;
  only?: 'load';
}>();
// --only load: the load and start-up alone (the detection cases seed and score 1M rides first)
const detection = options.only === undefined;
if (options.only === 'load') {
  options.load = true;
  options.workers = false;
  options.evaluate = false;
}
const workerCounts = options.workerCounts.split(',').map((s) => parseCount(s.trim()));
const config = resolveConfig();
if (!config.databaseUrl) {
  console.error('ridescan bench: set DATABASE_URL to a PostgreSQL server (the floors are psql against the same server)');
  process.exit(2);
}
const databaseUrl = config.databaseUrl;

const SCHEMA = 'ridescan_bench_detect';
const detectEnv = { ...process.env, DATABASE_URL: benchDatabaseUrl(config, SCHEMA)!, RIDESCAN_LOG_LEVEL: 'warn', RIDESCAN_LOG_FORMAT: 'json' };
const psql = new Psql(databaseUrl, SCHEMA);

/** One `ridescan detect` process, and the floors measured on the same state of the day just before it. */
interface DetectCase {
  wall: number;
  peakRssMb: number | null;
  run: DayRun;
  /** psql \copy of the day's two features, whole process */
  featureFloor: number;
  /** psql binary COPY of the read's columns, \timing */
  readFloor: number;
}

type CaseName = 'first scoring, every flag written' | 're-run, nothing changed' | 're-run, computed (--recompute)' | 're-run, 1% new rides' | 'first scoring, not analysed';
const cases: Record<CaseName, DetectCase[]> = {
  'first scoring, every flag written': [],
  're-run, nothing changed': [],
  // the detector run again on the same rides: it must write 0 flags too (its sums in the read's id
  // order), which the re-run above, taking the first scoring's result, no longer shows
  're-run, computed (--recompute)': [],
  're-run, 1% new rides': [],
  'first scoring, not analysed': [],
};

function detectCase(day: string, flags: string[] = []): DetectCase {
  const featureFloor = psql.featureCopy(day).seconds;
  const readFloor = psql.readCopySeconds(day);
  const p = timeRidescan(['detect', '--date', day, '--json', ...flags], detectEnv);
  return { wall: p.seconds, peakRssMb: p.peakRssMb, run: JSON.parse(p.stdout) as DayRun, featureFloor, readFloor };
}

const db = await openBenchDatabase(config, SCHEMA);
console.log(`ridescan bench: ${options.rides.toLocaleString('en-US')} rides, ${options.repeat} repetition(s), ${db.describe}`);
const seedSeconds: number[] = [];
for (let k = 0; k < (detection ? options.repeat : 0); k++) {
  const day = `2030-01-${String(k + 1).padStart(2, '0')}`;
  await db.knex('rides').where({ service_date: day }).delete();
  await db.knex('detection_runs').where({ service_date: day }).delete();
  const t = performance.now();
  await simulateDay(db, { serviceDate: day, rides: options.rides, seed: 1000 + k, timeZone: 'UTC' });
  seedSeconds.push((performance.now() - t) / 1000);
  await db.knex.raw('vacuum analyze rides');
  checkpoint(psql);
  cases['first scoring, every flag written'].push(detectCase(day));
  cases['re-run, nothing changed'].push(detectCase(day));
  cases['re-run, computed (--recompute)'].push(detectCase(day, ['--recompute']));
  await simulateDay(db, { serviceDate: day, rides: Math.max(1, Math.round(options.rides / 100)), seed: 5000 + k, timeZone: 'UTC' });
  cases['re-run, 1% new rides'].push(detectCase(day));
  // The planner's worst case: a day inserted and scored at once, before any ANALYZE, so that its
  // rows lie beyond the statistics (estimated at about one row). It once planned the write as a
  // quadratic anti join ("no progress in 100 s"); it must stay near an analysed first scoring.
  const fresh = `2030-02-${String(k + 1).padStart(2, '0')}`;
  await db.knex('rides').where({ service_date: fresh }).delete();
  await db.knex('detection_runs').where({ service_date: fresh }).delete();
  await simulateDay(db, { serviceDate: fresh, rides: options.rides, seed: 3000 + k, timeZone: 'UTC' });
  cases['first scoring, not analysed'].push(detectCase(fresh));
  process.stderr.write(`  detection: repetition ${k + 1}/${options.repeat} done\n`);
}
await db.close();

// Load: the generated file into a fresh schema per repetition, and psql's \copy of it into a
// plain table beside it.
interface LoadCase {
  wall: number;
  peakRssMb: number | null;
  loaded: number;
  floor: number;
}
const loads: LoadCase[] = [];
const loadRows = options.loadRows ?? options.rides;
let loadFileMb = 0;
if (options.load) {
  const dir = mkdtempSync(join(tmpdir(), 'ridescan-bench-'));
  try {
    const file = join(dir, 'yellow_tripdata_bench.csv');
    await writeTlcCsv(file, loadRows, 2021);
    loadFileMb = statSync(file).size / 1e6;
    for (let k = 0; k < options.repeat; k++) {
      const target = await freshSchema(databaseUrl, 'ridescan_bench_load');
      try {
        const schemaPsql = new Psql(databaseUrl, target.schema);
        const floor = schemaPsql.csvCopy('tlc_plain', TLC_YELLOW_PLAIN_COLUMNS, file).seconds;
        checkpoint(schemaPsql);
        const p = timeRidescan(['load', file, '--json'], { ...process.env, DATABASE_URL: target.url, RIDESCAN_LOG_LEVEL: 'warn' });
        const result = JSON.parse(p.stdout) as { files: { account: { rowsLoaded: number } }[] };
        loads.push({ wall: p.seconds, peakRssMb: p.peakRssMb, loaded: result.files[0].account.rowsLoaded, floor });
      } finally {
        await target.drop();
      }
      process.stderr.write(`  load: repetition ${k + 1}/${options.repeat} done\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const startUps = Array.from({ length: Math.max(5, options.repeat) }, () => timeRidescan(['--version'], process.env).seconds);

// ---- the output ----
const s2 = (x: number) => x.toFixed(2);
const mb = (x: number | null) => (x === null ? 'n/a' : x.toFixed(0));
const medianOf = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
const rssMedian = <T extends { peakRssMb: number | null }>(xs: T[]) => (xs.some((x) => x.peakRssMb === null) ? null : median(xs.map((x) => x.peakRssMb!)));

if (detection) {
  console.log(`seeding a day (simulate + insert), median: ${s2(median(seedSeconds))} s; tensor backend: ${cases['first scoring, every flag written'][0].run.tensorBackend}`);
  console.log('\ndetection: whole `ridescan detect --json` processes; phases as the run recorded them; floors measured on the same state just before');
  console.log(
    formatTable(
      ['case', 'rides', 'flags written', 'wall s', 'read s', 'compute s', '(clustering s)', 'write s', 'run total s', 'outside the run s', 'peak RSS MB', 'feature \\copy s', 'read COPY s'],
      Object.entries(cases).map(([name, rs]) => {
        const flags = medianOf(rs, (r) => r.run.flagsWritten);
        const mustBeZero = name.startsWith('re-run, nothing changed') || name.startsWith('re-run, computed');
        const notZero = mustBeZero && rs.some((r) => r.run.flagsWritten !== 0);
        // with nothing new the first scoring's result stands (usecases/resultDigest.ts)
        const notReused = name === 're-run, nothing changed' && rs.some((r) => r.run.reusedRunId === null);
        return [
          name,
          medianOf(rs, (r) => r.run.rides).toLocaleString('en-US'),
          `${flags.toLocaleString('en-US')}${notZero ? ' (≠ 0!)' : ''}${notReused ? ' (computed!)' : ''}`,
          s2(medianOf(rs, (r) => r.wall)),
          s2(medianOf(rs, (r) => r.run.timings.readSeconds)),
          s2(medianOf(rs, (r) => r.run.timings.computeSeconds)),
          s2(medianOf(rs, (r) => r.run.timings.clusterSeconds)),
          s2(medianOf(rs, (r) => r.run.timings.writeSeconds)),
          s2(medianOf(rs, (r) => r.run.timings.totalSeconds)),
          s2(medianOf(rs, (r) => r.wall - r.run.timings.totalSeconds)),
          mb(rssMedian(rs)),
          s2(medianOf(rs, (r) => r.featureFloor)),
          s2(medianOf(rs, (r) => r.readFloor)),
        ];
      }),
    ),
  );
  console.log(
    "(wall: process start to exit; run total: the pipeline inside it; outside the run: start-up, opening the database, printing;\n feature \\copy: psql's whole process copying distance_km, duration_min of the day as text;\n" +
      ` read COPY: psql's \\timing of a binary COPY of the read's columns, the same the read copies)`,
  );
}

if (options.load) {
  console.log(`\nload: ${loadRows.toLocaleString('en-US')}-row TLC yellow CSV (${loadFileMb.toFixed(0)} MB), fresh schema per repetition`);
  const wall = medianOf(loads, (l) => l.wall);
  console.log(
    formatTable(
      ['case', 'rows loaded', 'wall s', 'rows/s', 'peak RSS MB'],
      [
        ['ridescan load (whole process)', medianOf(loads, (l) => l.loaded).toLocaleString('en-US'), s2(wall), Math.round(loadRows / wall).toLocaleString('en-US'), mb(rssMedian(loads))],
        ['psql \\copy into a plain table of the file\'s columns', loadRows.toLocaleString('en-US'), s2(medianOf(loads, (l) => l.floor)), Math.round(loadRows / medianOf(loads, (l) => l.floor)).toLocaleString('en-US'), ''],
      ],
    ),
  );
}

console.log(`\nstart-up: \`ridescan --version\` ${s2(median(startUps))} s wall (median of ${startUps.length})`);

console.log('');
console.log(options.workers ? await workerScaling(config, { days: options.workerDays, ridesPerDay: options.workerRides, workers: workerCounts }) : 'worker scaling: skipped (--no-workers)');

// Each ratio is taken within a repetition (measure and floor back to back, under the same load
// from the rest of the machine), then the median of the ratios is printed.
interface Target {
  line: string;
  measured: number;
  floor: number | null;
  ratio: number | null;
  target: number | null;
  note?: string;
}
const ratioOf = <T>(xs: T[], measure: (x: T) => number, floor: (x: T) => number) => median(xs.map((x) => measure(x) / floor(x)));
const first = cases['first scoring, every flag written'];
const rerun = cases['re-run, nothing changed'];
const rerunFlags = Math.max(...rerun.map((r) => r.run.flagsWritten));
const reused = rerun.filter((r) => r.run.reusedRunId !== null).length;
const recomputed = cases['re-run, computed (--recompute)'];
const recomputedFlags = recomputed.map((r) => r.run.flagsWritten);
const targets: Target[] = !detection ? [] : [
  { line: 'first scoring, every flag written (wall vs feature \\copy)', measured: medianOf(first, (r) => r.wall), floor: medianOf(first, (r) => r.featureFloor), ratio: ratioOf(first, (r) => r.wall, (r) => r.featureFloor), target: 3 },
  {
    line: 're-run, nothing changed (wall vs feature \\copy)',
    measured: medianOf(rerun, (r) => r.wall),
    floor: medianOf(rerun, (r) => r.featureFloor),
    ratio: ratioOf(rerun, (r) => r.wall, (r) => r.featureFloor),
    target: 2,
    note: `${rerunFlags === 0 ? '0 flags written' : `flags written ${rerun.map((r) => r.run.flagsWritten).join(', ')}: must be 0`}; the first scoring's result taken in ${reused} of ${rerun.length}`,
  },
  {
    line: 're-run, computed (--recompute; wall vs feature \copy)',
    measured: medianOf(recomputed, (r) => r.wall),
    floor: medianOf(recomputed, (r) => r.featureFloor),
    ratio: ratioOf(recomputed, (r) => r.wall, (r) => r.featureFloor),
    target: null,
    note: recomputedFlags.every((f) => f === 0) ? '0 flags written' : `flags written ${recomputedFlags.join(', ')}: must be 0`,
  },
  { line: "day's read, first scoring (read phase vs binary COPY)", measured: medianOf(first, (r) => r.run.timings.readSeconds), floor: medianOf(first, (r) => r.readFloor), ratio: ratioOf(first, (r) => r.run.timings.readSeconds, (r) => r.readFloor), target: 1.5 },
  { line: "day's read, re-run (read phase vs binary COPY)", measured: medianOf(rerun, (r) => r.run.timings.readSeconds), floor: medianOf(rerun, (r) => r.readFloor), ratio: ratioOf(rerun, (r) => r.run.timings.readSeconds, (r) => r.readFloor), target: 1.5 },
];
if (options.load) {
  targets.push({ line: `load ${loadRows.toLocaleString('en-US')}-row TLC CSV (wall vs psql \\copy)`, measured: medianOf(loads, (l) => l.wall), floor: medianOf(loads, (l) => l.floor), ratio: ratioOf(loads, (l) => l.wall, (l) => l.floor), target: 2 });
}
targets.push({ line: 'start-up, ridescan --version', measured: median(startUps), floor: null, ratio: null, target: null, note: 'no target set' });

console.log('\nagainst the targets (medians; each ratio within a repetition, then the median)');
console.log(
  formatTable(
    ['line', 'measured s', 'floor s', 'ratio', 'target', 'verdict'],
    targets.map((t) => {
      const meets = t.ratio !== null && t.target !== null && t.ratio <= t.target && !(t.note?.includes('must be 0') ?? false);
      return [
        t.line,
        s2(t.measured),
        t.floor === null ? '' : s2(t.floor),
        t.ratio === null ? '' : `${t.ratio.toFixed(2)}×`,
        t.target === null ? '' : `≤ ${t.target}×`,
        `${t.target === null ? '—' : meets ? 'meets' : 'misses'}${t.note ? ` (${t.note})` : ''}`,
      ];
    }),
  ),
);

if (options.evaluate) {
  // The detector's quality and compute time on labelled days of each size (no database).
  console.log('\nevaluate sweep (ridescan evaluate --rides 400,10000,100000,1000000 --seed 1,2,3):');
  const sweep = spawnSync(process.execPath, [CLI, 'evaluate', '--rides', '400,10000,100000,1000000', '--seed', '1,2,3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log(sweep.stdout);
}
