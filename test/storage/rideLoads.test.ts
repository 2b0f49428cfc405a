// loadRideBatches on its own, fed rows directly: one file is one transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.js';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { RIDES_CSV_TARGET } from '../support/loadTarget.js';
import { loadRideBatches, type RejectRow, type RideRow, type RowBatch } from '../../src/storage/rideLoads.js';


function batchOf(rides: RideRow[], rejects: RejectRow[] = []): RowBatch {
  return {
    each(onRide, onReject) {
      for (const ride of rides) onRide(ride);
      for (const reject of rejects) onReject(reject);
    },
  };
}

async function tableCounts(t: { db: Database }): Promise<{ rides: number; loads: number; rejects: number }> {
  const count = async (table: string) => Number((await t.db.knex(table).count<{ count: string | number }[]>('* as count'))[0].count);
  return { rides: await count('rides'), loads: await count('loads'), rejects: await count('ride_rejects') };
}

describe.each(databaseTargets)('loadRideBatches on $name', (target) => {
  const t = useTestDatabase(target);

  it('a load that fails after some batches are in leaves none of them', async () => {
    const ride = (i: number): RideRow => ({
      rideId: `atomic-${i}`,
      taxiId: null,
      pickupAtMs: Date.UTC(2021, 5, 1, 12) + i * 1000,
      dropoffAtMs: Date.UTC(2021, 5, 1, 12, 10) + i * 1000,
      serviceDay: Math.floor(Date.UTC(2021, 5, 1) / 86_400_000),
      distanceKm: 2,
    });
    async function* failing(): AsyncGenerator<RowBatch> {
      for (let b = 0; b < 3; b++) yield batchOf(Array.from({ length: 30_000 }, (_, i) => ride(b * 30_000 + i)), [{ lineNumber: b, reasonCode: 'x', reason: 'x', raw: 'x' }]);
      throw new Error('the disk went away');
    }
    const before = await tableCounts(t);
    await expect(loadRideBatches(t.db, RIDES_CSV_TARGET, failing())).rejects.toThrow('the disk went away');
    expect(await tableCounts(t)).toEqual(before);
  });

  it('writes every field of a new ride as given, once, and leaves out ids already present or repeated', async () => {
    const day = Math.floor(Date.UTC(2021, 6, 4) / 86_400_000);
    const full: RideRow = {
      rideId: 'rt-ü-1',
      taxiId: 'T-ß',
      pickupAtMs: Date.UTC(2021, 6, 4, 23, 59, 59, 123),
      dropoffAtMs: Date.UTC(2021, 6, 5, 0, 20),
      serviceDay: day,
      distanceKm: 3.25,
      tripDistanceMi: 2.02,
      vendorId: 2,
      passengerCount: -1,
      ratecodeId: 99,
      storeAndFwdFlag: 'N',
      pickupZoneId: 265,
      dropoffZoneId: 1,
      paymentType: 4,
      tripType: 1,
      fareAmount: -52.5,
      extra: 0.5,
      mtaTax: 0.5,
      tipAmount: 0,
      tollsAmount: 6.55,
      ehailFee: null,
      improvementSurcharge: 0.3,
      congestionSurcharge: 2.5,
      airportFee: 1.25,
      totalAmount: 1e6,
    };
    const bare: RideRow = { rideId: 'rt-2', taxiId: null, pickupAtMs: Date.UTC(1999, 11, 31, 23), dropoffAtMs: Date.UTC(2000, 0, 1, 1), serviceDay: Math.floor(Date.UTC(1999, 11, 31) / 86_400_000), distanceKm: 0 };
    const first = await loadRideBatches(t.db, RIDES_CSV_TARGET, (async function* () {
      yield batchOf([full, bare, { ...bare, distanceKm: 9 }]);
    })());
    expect([first.rowsRead, first.rowsLoaded, first.rowsAlreadyPresent]).toEqual([3, 2, 1]);
    const second = await loadRideBatches(t.db, RIDES_CSV_TARGET, (async function* () {
      yield batchOf([{ ...bare, rideId: 'rt-3' }, full]);
    })());
    expect([second.rowsRead, second.rowsLoaded, second.rowsAlreadyPresent]).toEqual([2, 1, 1]);

    const rows = await t.db.knex.raw(`select ride_id, taxi_id, (extract(epoch from pickup_at) * 1000)::float8 as pickup_ms,
        (extract(epoch from dropoff_at) * 1000)::float8 as dropoff_ms, distance_km, to_char(service_date, 'YYYY-MM-DD') as day,
        source, load_id::text, trip_distance_mi, vendor_id, passenger_count, ratecode_id, store_and_fwd_flag, pickup_zone_id,
        dropoff_zone_id, payment_type, trip_type, fare_amount, extra, mta_tax, tip_amount, tolls_amount, ehail_fee,
        improvement_surcharge, congestion_surcharge, airport_fee, total_amount
      from rides where ride_id like 'rt-%' order by ride_id`);
    expect(rows.rows).toEqual([
      {
        ride_id: 'rt-2', taxi_id: null, pickup_ms: bare.pickupAtMs, dropoff_ms: bare.dropoffAtMs, distance_km: 0, day: '1999-12-31',
        source: 'rides-csv', load_id: String(first.loadId), trip_distance_mi: null, vendor_id: null, passenger_count: null, ratecode_id: null,
        store_and_fwd_flag: null, pickup_zone_id: null, dropoff_zone_id: null, payment_type: null, trip_type: null, fare_amount: null,
        extra: null, mta_tax: null, tip_amount: null, tolls_amount: null, ehail_fee: null, improvement_surcharge: null,
        congestion_surcharge: null, airport_fee: null, total_amount: null,
      },
      expect.objectContaining({ ride_id: 'rt-3', load_id: String(second.loadId) }),
      {
        ride_id: 'rt-ü-1', taxi_id: 'T-ß', pickup_ms: full.pickupAtMs, dropoff_ms: full.dropoffAtMs, distance_km: 3.25, day: '2021-07-04',
        source: 'rides-csv', load_id: String(first.loadId), trip_distance_mi: 2.02, vendor_id: 2, passenger_count: -1, ratecode_id: 99,
        store_and_fwd_flag: 'N', pickup_zone_id: 265, dropoff_zone_id: 1, payment_type: 4, trip_type: 1, fare_amount: -52.5,
        extra: 0.5, mta_tax: 0.5, tip_amount: 0, tolls_amount: 6.55, ehail_fee: null, improvement_surcharge: 0.3,
        congestion_surcharge: 2.5, airport_fee: 1.25, total_amount: 1e6,
      },
    ]);
  });
});
