// `npm run bench:load -- [--rows 1000000] [--repeat 3]`: writes a TLC yellow trip CSV of that
// many rows (seeded; in pickup order with a few minutes of jitter, as TLC files come, with the
// blanks and oddities real files have) to a temporary directory, then loads it into the database
// DATABASE_URL names (the embedded one when unset), each repetition into a fresh schema and in a
// fresh process, and prints rows, seconds, rows/s and the loading process's peak RSS, as medians.
// A second load of the same file (every row already present) is timed too.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import knexFactory from 'knex';
import { resolveConfig } from '../src/application/config.js';
import { parseCount } from '../src/application/cli/options.js';
import { openDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';
import { loadRideFile } from '../src/application/ingest/loadFile.js';
import { SeededRandom } from '../src/compute/simulation/seededRandom.js';

interface LoadRun {
  rows: number;
  loaded: number;
  present: number;
  rejected: number;
  seconds: number;
  peakRssMb: number;
}

const program = new Command('bench:load')
  .description('benchmark of `ridescan load` on a generated TLC yellow trip CSV')
  .addOption(new Option('--rows <n>', 'rows in the generated file').argParser(parseCount).default(1_000_000))
  .addOption(new Option('--repeat <n>', 'repetitions; medians are printed').argParser(parseCount).default(3))
  .addOption(new Option('--load-only <file>', 'internal: load one file in this process and print JSON').hideHelp())
  .parse();
const options = program.opts<{ rows: number; repeat: number; loadOnly?: string }>();
const config = resolveConfig();

const HEADER =
  'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,' +
  'PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,' +
  'total_amount,congestion_surcharge';

/** A month of yellow cab trips, shaped like TLC's 2021 files. */
async function writeTlcCsv(path: string, rows: number, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const monthStart = Date.UTC(2021, 2, 1);
  const monthMs = 31 * 86_400_000;
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  const stamp = (ms: number) => {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
  out.write(`${HEADER}\n`);
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    // in pickup order, each row up to five minutes off (TLC files are sorted loosely)
    const pickup = monthStart + Math.floor((i / rows) * monthMs) + Math.floor(random.uniform(-300, 300)) * 1000;
    const miles = Math.max(0, Math.exp(random.normal(0.6, 0.8)));
    const mph = Math.max(2, random.normal(12, 4));
    const dropoff = pickup + Math.round((miles / mph) * 3600) * 1000;
    const fare = 2.5 + Math.round(miles * 2.5 * 2) / 2;
    const tip = random.next() < 0.7 ? Math.round(fare * 0.2 * 100) / 100 : 0;
    const total = Math.round((fare + 0.5 + 0.5 + tip + 0.3 + 2.5) * 100) / 100;
    // the late-month blanks TLC files have: no vendor, passenger count, rate code or payment type
    const blank = random.next() < 0.02;
    chunk.push(
      [
        blank ? '' : 1 + random.int(2),
        stamp(pickup),
        stamp(dropoff),
        blank ? '' : 1 + random.int(4),
        miles.toFixed(2),
        blank ? '' : 1,
        blank ? '' : 'N',
        1 + random.int(265),
        1 + random.int(265),
        blank ? '' : 1 + random.int(2),
        fare,
        0.5,
        0.5,
        tip,
        0,
        0.3,
        total,
        2.5,
      ].join(','),
    );
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(`${chunk.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** A fresh migrated schema (server) or data directory (embedded) for one repetition. */
async function freshTarget(dir: string, k: number): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (config.databaseUrl) {
    const schema = `ridescan_loadbench_${randomBytes(4).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: config.databaseUrl });
    await admin.raw(`create schema ${schema}`);
    await admin.destroy();
    const url = withSearchPath(config.databaseUrl, schema);
    const db = await openDatabase({ databaseUrl: url });
    await migrateToLatest(db);
    // Each repetition starts from a clean state: the previous one's dirty pages written out
    // now, not during this load (best effort: CHECKPOINT needs a privileged role).
    await db.knex.raw('checkpoint').catch(() => {});
    await db.close();
    return {
      env: { BENCH_DATABASE_URL: url },
      async drop() {
        const again = knexFactory({ client: 'pg', connection: config.databaseUrl });
        await again.raw(`drop schema ${schema} cascade`);
        await again.destroy();
      },
    };
  }
  const dataDir = join(dir, `db-${k}`);
  const db = await openDatabase({ dataDir });
  await migrateToLatest(db);
  await db.close();
  return { env: { BENCH_DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

function loadInFreshProcess(file: string, env: Record<string, string>): LoadRun {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--load-only', file], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`load failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

async function runBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ridescan-loadbench-'));
  try {
    const file = join(dir, 'yellow_tripdata_bench.csv');
    const t = performance.now();
    await writeTlcCsv(file, options.rows, 2021);
    const mb = statSync(file).size / 1e6;
    console.log(
      `ridescan bench:load: ${options.rows.toLocaleString('en-US')}-row TLC yellow CSV (${mb.toFixed(0)} MB, written in ${((performance.now() - t) / 1000).toFixed(1)} s), ` +
        `${options.repeat} repetition(s), ${config.databaseUrl ? 'server' : 'embedded PGlite'}`,
    );
    const first: LoadRun[] = [];
    const again: LoadRun[] = [];
    for (let k = 0; k < options.repeat; k++) {
      const target = await freshTarget(dir, k);
      try {
        first.push(loadInFreshProcess(file, target.env));
        again.push(loadInFreshProcess(file, target.env));
      } finally {
        await target.drop();
      }
      const f = first[k];
      process.stderr.write(`  repetition ${k + 1}/${options.repeat}: ${f.seconds.toFixed(2)} s (reload ${again[k].seconds.toFixed(2)} s)\n`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const header = ['case', 'rows read', 'loaded', 'already present', 'rejected', 'seconds', 'rows/s', 'peak RSS MB'];
    const rows = (
      [
        ['first load', first],
        ['same file again', again],
      ] as const
    ).map(([name, runs]) => {
      const seconds = median(runs.map((r) => r.seconds));
      return [
        name,
        median(runs.map((r) => r.rows)).toLocaleString('en-US'),
        median(runs.map((r) => r.loaded)).toLocaleString('en-US'),
        median(runs.map((r) => r.present)).toLocaleString('en-US'),
        median(runs.map((r) => r.rejected)).toLocaleString('en-US'),
        seconds.toFixed(2),
        Math.round(median(runs.map((r) => r.rows)) / seconds).toLocaleString('en-US'),
        median(runs.map((r) => r.peakRssMb)).toFixed(0),
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log(`\n(medians over repetitions, each into a fresh schema or data directory; seconds from inside the loading process, from opening the file to commit)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (options.loadOnly) {
  const db = await openDatabase({ databaseUrl: process.env.BENCH_DATABASE_URL, dataDir: process.env.BENCH_DATA_DIR });
  const result = await loadRideFile(db, options.loadOnly, { format: 'auto', dryRun: false, serviceTimeZone: 'America/New_York' });
  await db.close();
  const a = result.account;
  const run: LoadRun = {
    rows: a.rowsRead,
    loaded: a.rowsLoaded,
    present: a.rowsAlreadyPresent,
    rejected: a.rowsRejected,
    seconds: result.seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(run));
} else {
  await runBench();
}
