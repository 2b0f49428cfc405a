// `npm run bench -- --rides 1000000 [--repeat 3]`: seeds one simulated service day into the
// database DATABASE_URL names (the embedded one when unset), scores it in a fresh process, and
// prints read / compute / write / total seconds and the scoring process's peak RSS, as medians.
// Four cases: the day's first scoring (every flag goes from NULL to a value), a re-run with 1%
// new rides (the flags that move plus the new rides), a re-run with nothing new, and a first
// scoring straight after the insert, before any ANALYZE (the planner's worst case).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { resolveConfig } from '../src/application/config.js';
import { openDatabase } from '../src/storage/database.js';
import { benchDatabaseUrl, openBenchDatabase } from './benchDatabase.js';
import { simulateDay } from '../src/application/usecases/simulate.js';
import { scoreDay } from '../src/application/usecases/scoreDay.js';
import { DEFAULT_DETECTOR } from '../src/compute/detectOutliers.js';
import { parseCount } from '../src/application/cli/options.js';
import { formatTable } from '../src/application/cli/format/table.js';

interface PhaseResult {
  rides: number;
  flagsWritten: number;
  outliers: number;
  read: number;
  compute: number;
  cluster: number;
  write: number;
  total: number;
  peakRssMb: number;
  backend: string | null;
}

const program = new Command('bench')
  .description('benchmark of the nightly detection path')
  .addOption(new Option('--rides <n>', 'rides in the service day').argParser(parseCount).default(1_000_000))
  .addOption(new Option('--repeat <n>', 'repetitions; medians are printed').argParser(parseCount).default(3))
  .option('--no-evaluate', 'skip the evaluate sweep')
  .addOption(new Option('--detect-only <date>', 'internal: score one day in this process and print JSON').hideHelp())
  .parse();
const options = program.opts<{ rides: number; repeat: number; detectOnly?: string; evaluate: boolean }>();
const config = resolveConfig();
const dataDir = join(config.home, 'db');

const SCHEMA = 'ridescan_bench_detect';

if (options.detectOnly) {
  const db = await openDatabase({ databaseUrl: benchDatabaseUrl(config, SCHEMA), dataDir });
  const outcome = await scoreDay(db, options.detectOnly, { params: { ...DEFAULT_DETECTOR }, trigger: 'bench', maxAttempts: 1, tensorBackend: config.tensorBackend });
  await db.close();
  if (outcome.status !== 'succeeded') throw new Error(outcome.status === 'failed' ? outcome.error : outcome.why);
  const r = outcome.run;
  const result: PhaseResult = {
    rides: r.rides,
    flagsWritten: r.flagsWritten,
    outliers: r.outliers,
    read: r.timings.readSeconds,
    compute: r.timings.computeSeconds,
    cluster: r.timings.clusterSeconds,
    write: r.timings.writeSeconds,
    total: r.timings.totalSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    backend: r.tensorBackend,
  };
  console.log(JSON.stringify(result));
} else {
  await runBench();
}

function detectInFreshProcess(date: string): PhaseResult {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--detect-only', date], {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`detect failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

async function runBench(): Promise<void> {
  const db = await openBenchDatabase(config, SCHEMA);
  console.log(`ridescan bench: ${options.rides.toLocaleString('en-US')} rides, ${options.repeat} repetition(s), ${db.describe}`);
  const cases: Record<string, PhaseResult[]> = {
    'first scoring': [],
    're-run, 1% new rides': [],
    're-run, nothing new': [],
    'first scoring, not analysed': [],
  };
  const seedSeconds: number[] = [];
  for (let k = 0; k < options.repeat; k++) {
    const date = `2030-01-${String(k + 1).padStart(2, '0')}`;
    await db.knex('rides').where({ service_date: date }).delete();
    await db.knex('detection_runs').where({ service_date: date }).delete();
    let t = performance.now();
    await simulateDay(db, { serviceDate: date, rides: options.rides, seed: 1000 + k, timeZone: 'UTC' });
    seedSeconds.push((performance.now() - t) / 1000);
    if (config.databaseUrl) await db.knex.raw('vacuum analyze rides');
    else await db.knex.raw('analyze rides');
    cases['first scoring'].push(detectInFreshProcess(date));
    await simulateDay(db, { serviceDate: date, rides: Math.max(1, Math.round(options.rides / 100)), seed: 5000 + k, timeZone: 'UTC' });
    cases['re-run, 1% new rides'].push(detectInFreshProcess(date));
    cases['re-run, nothing new'].push(detectInFreshProcess(date));
    // The nightly case for the planner: a day inserted and scored at once, before any ANALYZE,
    // so that its rows lie beyond the statistics (estimated at about one row). It once planned the
    // write as a quadratic anti join ("no progress in 100 s"); it must stay near the case above.
    const fresh = `2030-02-${String(k + 1).padStart(2, '0')}`;
    await db.knex('rides').where({ service_date: fresh }).delete();
    await db.knex('detection_runs').where({ service_date: fresh }).delete();
    await simulateDay(db, { serviceDate: fresh, rides: options.rides, seed: 3000 + k, timeZone: 'UTC' });
    cases['first scoring, not analysed'].push(detectInFreshProcess(fresh));
    process.stderr.write(`  repetition ${k + 1}/${options.repeat} done\n`);
  }
  await db.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  console.log(`seeding (simulate + COPY + insert), median: ${median(seedSeconds).toFixed(2)} s`);
  console.log(`tensor backend: ${cases['first scoring'][0].backend}`);
  console.log('');
  const header = ['case', 'rides', 'flags written', 'read s', 'compute s', '(clustering s)', 'write s', 'total s', 'peak RSS MB'];
  const rows = Object.entries(cases).map(([name, rs]) => [
    name,
    median(rs.map((r) => r.rides)).toLocaleString('en-US'),
    median(rs.map((r) => r.flagsWritten)).toLocaleString('en-US'),
    median(rs.map((r) => r.read)).toFixed(2),
    median(rs.map((r) => r.compute)).toFixed(2),
    median(rs.map((r) => r.cluster)).toFixed(2),
    median(rs.map((r) => r.write)).toFixed(2),
    median(rs.map((r) => r.total)).toFixed(2),
    median(rs.map((r) => r.peakRssMb)).toFixed(0),
  ]);
  console.log(formatTable(header, rows));
  console.log('\n(medians over repetitions; timings from inside the scoring process, which is started fresh for each case)');

  if (options.evaluate) {
    // The detector's quality and compute time on labelled days of each size (no database).
    console.log('\nevaluate sweep (ridescan evaluate --rides 400,10000,100000,1000000 --seed 1,2,3):');
    const cli = fileURLToPath(new URL('../src/application/cli.js', import.meta.url));
    const sweep = spawnSync(process.execPath, [cli, 'evaluate', '--rides', '400,10000,100000,1000000', '--seed', '1,2,3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(sweep.stdout);
  }
}
