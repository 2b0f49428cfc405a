// A TLC yellow trip CSV for the benchmarks, generated from a seed (the same seed, the same bytes):
// in pickup order with a few minutes of jitter, as TLC files come, with the blanks and oddities
// real files have. Shared by `npm run bench` and `npm run bench:load`.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { SeededRandom } from '../src/compute/simulation/seededRandom.js';

export const TLC_YELLOW_HEADER =
  'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,' +
  'PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,' +
  'total_amount,congestion_surcharge';

/** A month of yellow cab trips, shaped like TLC's 2021 files. */
export async function writeTlcCsv(path: string, rows: number, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const monthStart = Date.UTC(2021, 2, 1);
  const monthMs = 31 * 86_400_000;
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  const stamp = (ms: number) => {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
  out.write(`${TLC_YELLOW_HEADER}\n`);
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

/**
 * The file's columns as a plain table takes them (psql's `\copy … csv header` floor): the types a
 * person would give them, no keys, no indexes, no constraints.
 */
export const TLC_YELLOW_PLAIN_COLUMNS = `"VendorID" int2, tpep_pickup_datetime timestamp, tpep_dropoff_datetime timestamp,
  passenger_count int2, trip_distance float8, "RatecodeID" int2, store_and_fwd_flag text,
  "PULocationID" int2, "DOLocationID" int2, payment_type int2, fare_amount float8, extra float8,
  mta_tax float8, tip_amount float8, tolls_amount float8, improvement_surcharge float8,
  total_amount float8, congestion_surcharge float8`;
