// A service day's fingerprint, computed by PostgreSQL in one scan of the day's partition: whether
// anything the detector reads of the day, or any of its flags, changed since a run left it. It
// lets a re-run with nothing new decide without the day's COPY (usecases/resultDigest.ts): at 1M
// rides 0.33 s of the server's time against a COPY of 0.7-0.9 s and ~0.5 s of parsing, and
// nothing sent. A run takes it again inside its write transaction, after its updates, so that the
// fingerprint it records is of the flags exactly as it committed them.
import type { Knex } from 'knex';
import type { Database } from './database.js';

// Per ride a 64-bit hash of its id, seeded with the hashes of every column the detector reads (the
// TLC ones whether or not the day is a TLC day; NULL as a value no column takes) and of its flag,
// reason and score, each hash with a seed of its own so that no two columns cancel; the day's
// fingerprint is their XOR, which is independent of the rows' order. Ids are unique within a day,
// so no two rows cancel either. Hashes are PostgreSQL's own (hashtextextended, hashfloat8extended,
// hashint4extended: those of hash partitioning, stable across versions); the pickup time enters
// as its epoch (the local hour the detector reads derives from it and the service time zone,
// which the run's digest covers).
const DAY_FINGERPRINT = `select count(*)::int8 as rides,
    count(*) filter (where is_outlier is null)::int8 as unscored,
    coalesce(bit_xor(hashtextextended(ride_id,
        hashfloat8extended(distance_km, 1)
      # hashfloat8extended(duration_min, 2)
      # hashint4extended(coalesce(is_outlier::int, -1), 3)
      # hashtextextended(coalesce(outlier_reason, ''), 4)
      # hashfloat8extended(coalesce(outlier_score, -1), 5)
      # hashfloat8extended(date_part('epoch', pickup_at), 6)
      # hashint4extended(coalesce(pickup_zone_id, -1), 7)
      # hashint4extended(coalesce(dropoff_zone_id, -1), 8)
      # hashfloat8extended(coalesce(fare_amount, -1), 9)
      # hashint4extended(coalesce(payment_type, -1), 10))), 0)::text as fingerprint
  from rides where service_date = ?::date`;

export interface DayFingerprint {
  rides: number;
  /** rides without a flag: a day with any cannot have been left so by a run */
  unscored: number;
  fingerprint: string;
}

/** The day's fingerprint, read in `trx` (a write transaction sees its own updates) or on its own. */
export async function dayFingerprint(db: Database, serviceDate: string, trx?: Knex.Transaction): Promise<DayFingerprint> {
  const run = async (t: Knex.Transaction) => {
    // JIT compiling this scan's expressions costs more than it saves (as for the day's read)
    if (db.profile.jit) await t.raw('set local jit = off');
    const row = (await t.raw(DAY_FINGERPRINT, [serviceDate])).rows[0] as { rides: string | number; unscored: string | number; fingerprint: string };
    return { rides: Number(row.rides), unscored: Number(row.unscored), fingerprint: row.fingerprint };
  };
  return trx ? run(trx) : db.knex.transaction(run, { readOnly: true });
}
