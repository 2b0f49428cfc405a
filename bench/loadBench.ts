// `npm run bench:load -- [--rows 1000000] [--repeat 3]`: writes a TLC yellow trip CSV of that
// many rows (seeded; in pickup order with a few minutes of jitter, as TLC files come, with the
// blanks and oddities real files have) to a temporary directory, then loads it into the database
// DATABASE_URL names (the embedded one when unset), each repetition into a fresh schema and in a
// fresh process, and prints rows, seconds, rows/s and the loading process's peak RSS, as medians.
// A second load of the same file (every row already present) is timed too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { resolveConfig } from '../src/application/config.js';
import { parseCount } from '../src/application/cli/options.js';
import { openDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';
import { loadRideFile } from '../src/application/ingest/loadFile.js';
import { writeTlcCsv } from './tlcCsv.js';
import { freshSchema } from './benchDatabase.js';

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

/** A fresh migrated schema (server) or data directory (embedded) for one repetition. */
async function freshTarget(dir: string, k: number): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (config.databaseUrl) {
    const target = await freshSchema(config.databaseUrl, 'ridescan_loadbench');
    // Each repetition starts from a clean state: the previous one's dirty pages written out
    // now, not during this load (best effort: CHECKPOINT needs a privileged role).
    const db = await openDatabase({ databaseUrl: target.url });
    await db.knex.raw('checkpoint').catch(() => {});
    await db.close();
    return { env: { BENCH_DATABASE_URL: target.url }, drop: target.drop };
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
