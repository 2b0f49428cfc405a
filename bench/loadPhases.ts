// `npm run bench:load-phases -- [--rows 1000000] [--repeat 3]`: where a TLC load's time goes, for
// docs/performance.md. Needs DATABASE_URL and psql. Each figure is one stage of what
// `ridescan load` does, measured alone, against psql's \copy of the CSV into a plain table:
// - in this process: reading and decoding the file; + splitting and validating rows
//   (rideBatches, the loader's own reader); + encoding them as binary COPY (27 fields, as
//   rideLoads.ts does);
// - in the database (whole psql processes, fresh schemas): one binary COPY of exactly the rows
//   the loader wrote, into `rides` as migrated (its day partitions made first, each with its
//   primary key), into a table like `rides` without its index and then its primary key built
//   once (what the loader does for a day that had no partition: fill, then ATTACH), and into a
//   plain table of the same columns;
// - the whole `ridescan load` process, once more under --cpu-prof, with the profile's self time
//   summed by file and by function (the top of each).
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { resolveConfig } from '../src/application/config.js';
import { parseCount } from '../src/application/cli/options.js';
import { formatTable } from '../src/application/cli/format/table.js';
import { inspectRideFile } from '../src/application/ingest/inspectFile.js';
import { rideBatches } from '../src/application/ingest/rideBatches.js';
import { ZoneClock } from '../src/application/ingest/zoneClock.js';
import { TLC_TIME_ZONE } from '../src/application/ingest/formats.js';
import { BinaryCopyWriter } from '../src/storage/binaryCopy.js';
import type { RideRow } from '../src/storage/rideLoads.js';
import { encodeRideRow, RIDE_COLUMNS as LOADER_COLUMNS } from '../src/storage/rideRows.js';
import { freshSchema } from './benchDatabase.js';
import { openDatabase } from '../src/storage/database.js';
import { ensureDayPartitions, listDayPartitions } from '../src/storage/ridePartitions.js';
import { median, timeProcess, timeRidescan, CLI } from './processes.js';
import { Psql, checkpoint } from './psqlFloors.js';
import { TLC_YELLOW_PLAIN_COLUMNS, writeTlcCsv } from './tlcCsv.js';
import { profileSummary } from './cpuProfile.js';

const options = new Command('bench:load-phases')
  .addOption(new Option('--rows <n>', 'rows in the generated TLC CSV').argParser(parseCount).default(1_000_000))
  .addOption(new Option('--repeat <n>', 'repetitions; medians are printed').argParser(parseCount).default(3))
  .option('--file <csv>', 'a TLC yellow CSV to use instead of generating one')
  .addOption(new Option('--top <n>', 'functions of the CPU profile to list').argParser(parseCount).default(20))
  .parse()
  .opts<{ rows: number; repeat: number; file?: string; top: number }>();
const config = resolveConfig();
if (!config.databaseUrl) {
  console.error('bench:load-phases: set DATABASE_URL to a PostgreSQL server');
  process.exit(2);
}
const databaseUrl = config.databaseUrl;

/** The loader's column list of its COPY into rides, on one line (psql's \copy is a one-line command). */
const RIDE_COLUMNS = LOADER_COLUMNS.replace(/\s+/g, ' ');
const COPY_ROWS = 25_000;

const dir = mkdtempSync(join(tmpdir(), 'ridescan-load-phases-'));
try {
  const file = options.file ?? join(dir, 'yellow_tripdata_bench.csv');
  if (!options.file) await writeTlcCsv(file, options.rows, 2021);
  console.log(`bench:load-phases: ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB), ${options.repeat} repetition(s)`);
  const stages: [string, number[]][] = [
    ['read and decode the file (node)', []],
    ['+ split and validate rows (rideBatches)', []],
    ['+ encode binary COPY rows (27 fields)', []],
  ];
  let rows = 0;
  for (let k = 0; k < options.repeat; k++) {
    stages[0][1].push(await timed(() => readOnly(file)));
    stages[1][1].push(await timed(async () => void (rows = await parseOnly(file, false))));
    stages[2][1].push(await timed(async () => void (rows = await parseOnly(file, true))));
  }

  // The rows as the loader wrote them: load once (under the profiler), export them in table order.
  const loaded = await freshSchema(databaseUrl, 'ridescan_bench_phases');
  const profileDir = join(dir, 'profile');
  const binary = join(dir, 'rides.bin');
  let profiled: { wall: number; inProcess: number };
  let days: string[] = [];
  try {
    const p = timeProcess(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, CLI, 'load', file, '--json'], { ...process.env, DATABASE_URL: loaded.url, RIDESCAN_LOG_LEVEL: 'warn' });
    profiled = { wall: p.seconds, inProcess: (JSON.parse(p.stdout) as { files: { seconds: number }[] }).files[0].seconds };
    new Psql(databaseUrl, loaded.schema).run([`\\copy (select ${RIDE_COLUMNS} from rides) to '${binary}' with (format binary)`]);
    const db = await openDatabase({ databaseUrl: loaded.url });
    days = (await listDayPartitions(db.knex)).map((p) => p.day);
    await db.close();
  } finally {
    await loaded.drop();
  }

  const database: [string, number[]][] = [
    ["psql \\copy of the CSV into a plain table of the file's columns (the issue's floor)", []],
    ['psql \\copy of the binary rows into a plain table of the same columns', []],
    ['psql \\copy of the binary rows into a table like rides, no index', []],
    ['  then its primary key built (as ATTACH builds a new day\'s)', []],
    ['psql \\copy of the binary rows into rides as migrated (day partitions made first)', []],
    ['ridescan load, whole process', []],
    ['ridescan load, in process (its own seconds: file open to commit)', []],
  ];
  for (let k = 0; k < options.repeat; k++) {
    const target = await freshSchema(databaseUrl, 'ridescan_bench_phases');
    try {
      const psql = new Psql(databaseUrl, target.schema);
      database[0][1].push(psql.csvCopy('tlc_plain', TLC_YELLOW_PLAIN_COLUMNS, file).seconds);
      psql.run([`create table rides_plain as select ${RIDE_COLUMNS} from rides with no data`]);
      checkpoint(psql);
      database[1][1].push(psql.run([`\\copy rides_plain (${RIDE_COLUMNS}) from '${binary}' with (format binary)`]).seconds);
      psql.run(['create table rides_bare (like rides including defaults) with (fillfactor = 50)']);
      checkpoint(psql);
      database[2][1].push(psql.run([`\\copy rides_bare (${RIDE_COLUMNS}) from '${binary}' with (format binary)`]).seconds);
      database[3][1].push(psql.run(['alter table rides_bare add primary key (service_date, ride_id)']).seconds);
      const db = await openDatabase({ databaseUrl: target.url });
      await db.knex.transaction((trx) => ensureDayPartitions(trx, days));
      await db.close();
      checkpoint(psql);
      database[4][1].push(psql.run([`\\copy rides (${RIDE_COLUMNS}) from '${binary}' with (format binary)`]).seconds);
    } finally {
      await target.drop();
    }
    const again = await freshSchema(databaseUrl, 'ridescan_bench_phases');
    try {
      checkpoint(new Psql(databaseUrl, again.schema));
      const p = timeRidescan(['load', file, '--json'], { ...process.env, DATABASE_URL: again.url, RIDESCAN_LOG_LEVEL: 'warn' });
      database[5][1].push(p.seconds);
      database[6][1].push((JSON.parse(p.stdout) as { files: { seconds: number }[] }).files[0].seconds);
    } finally {
      await again.drop();
    }
    process.stderr.write(`  repetition ${k + 1}/${options.repeat} done\n`);
  }

  const floor = median(database[0][1]);
  const line = ([name, xs]: [string, number[]]) => [name, median(xs).toFixed(2), `${(median(xs) / floor).toFixed(2)}×`];
  console.log(`\n${rows.toLocaleString('en-US')} rides; seconds are medians; × is against the first database line`);
  console.log(formatTable(['stage', 's', '× floor'], [...stages.map(line), ...database.map(line)]));

  console.log(`\nCPU profile of one more whole load (${profiled.wall.toFixed(2)} s wall, ${profiled.inProcess.toFixed(2)} s in process, under the profiler): self time`);
  console.log(profileSummary(join(profileDir, readdirSync(profileDir)[0]), 15, options.top));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function readOnly(file: string): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  stream.setEncoding('utf8');
  let chars = 0;
  for await (const chunk of stream as AsyncIterable<string>) chars += chunk.length;
  if (chars === 0) throw new Error('empty file');
}

/** The loader's reader over the whole file; with `encode`, each ride encoded by rideLoads.ts's encodeRideRow. */
async function parseOnly(path: string, encode: boolean): Promise<number> {
  const file = await inspectRideFile(path, 'auto');
  const clocks = { source: new ZoneClock(TLC_TIME_ZONE), service: new ZoneClock(TLC_TIME_ZONE) };
  let rides = 0;
  let writer = new BinaryCopyWriter(27, 1 << 20);
  const onRide = encode
    ? (r: RideRow) => {
        rides++;
        encodeRideRow(writer, r.rideId, r, 'tlc-yellow', 1);
        if (writer.rowCount === COPY_ROWS) {
          writer.finish();
          writer = new BinaryCopyWriter(27, 1 << 20);
        }
      }
    : () => void rides++;
  for await (const batch of rideBatches(file, clocks)) batch.each(onRide, () => {});
  return rides;
}
