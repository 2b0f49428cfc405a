// `evaluate --scenario tlc` end to end on a test database (PGlite, and the server when configured):
// the real load, the injection by SQL, the backfill per day, and figures that agree with the
// scored database counted another way.
import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { resolveConfig } from '../../../src/application/config.js';
import { createLogger } from '../../../src/application/logger.js';
import { evaluateRealRidesIn, type RealRideEvaluation } from '../../../src/application/usecases/evaluateRealRides.js';
import { formatRealRideEvaluation } from '../../../src/application/cli/format/realRideEvaluation.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';
import { INJECTED_KINDS } from '../../../src/compute/simulation/injectAnomalies.js';
import { chooseServiceTimeZone } from '../../../src/storage/settings.js';

const HEAD = 'test/fixtures/tlc/yellow_tripdata_2021-01_head.csv';
const SHARE = 0.01;

describe.each(databaseTargets)('evaluate on real rides, on $name', (target) => {
  const t = useTestDatabase(target);

  it('injects the share per kind, scores every day in date order, and reports what the database holds', async () => {
    // as the throwaway database of `evaluate` is: its service days in New York
    await chooseServiceTimeZone(t.db, 'America/New_York');
    const config = resolveConfig({});
    const log = createLogger(config, { write: () => undefined, isTTY: false }, { level: 'silent' });
    const result: RealRideEvaluation = await evaluateRealRidesIn(t.db, config, { files: [HEAD], injectShare: SHARE, seed: 5, params: { ...DEFAULT_DETECTOR }, log });
    const db = t.db;
    const count = async (sql: string, bindings: Knex.RawBinding[] = []) => Number((await db.knex.raw(sql, bindings)).rows[0].n);

    // the rides of the file, each kind its share of them
    const rides = await count('select count(*) as n from rides');
    expect(result.rides).toBe(rides);
    expect(rides).toBeGreaterThan(20_000);
    const perKind = Math.round(rides * SHARE);
    expect(result.injection.perKind).toBe(perKind);
    for (const kind of INJECTED_KINDS) {
      expect(await count('select count(*) as n from evaluation_injections where kind = ?', [kind])).toBe(perKind);
    }

    // the rides in the database carry the injected values; trip_distance_mi follows distance_km
    const truth: Array<{ ride_id: string; kind: string; distance_km_before: number; duration_min_before: number; distance_km: number; duration_min: number }> = (
      await db.knex.raw('select * from evaluation_injections')
    ).rows;
    const stored = new Map<string, { distance_km: number; duration_min: number; trip_distance_mi: number }>(
      (await db.knex.raw('select ride_id, distance_km, duration_min, trip_distance_mi from rides where ride_id in (select ride_id from evaluation_injections)')).rows.map(
        (r: { ride_id: string; distance_km: number; duration_min: number; trip_distance_mi: number }) => [r.ride_id, r],
      ),
    );
    expect(stored.size).toBe(3 * perKind);
    for (const x of truth) {
      const r = stored.get(x.ride_id)!;
      expect(r.distance_km).toBeCloseTo(x.distance_km, 9);
      expect(r.duration_min).toBeCloseTo(x.duration_min, 4); // dropoff_at holds microseconds
      expect(r.trip_distance_mi * 1.609344).toBeCloseTo(r.distance_km, 9);
      if (x.kind === 'meter_running') expect(r.distance_km).toBe(x.distance_km_before);
      if (x.kind === 'odometer_jump') expect(r.duration_min).toBeCloseTo(x.duration_min_before, 4);
      if (x.kind === 'long_haul') expect(r.distance_km / x.distance_km_before).toBeGreaterThanOrEqual(2);
    }

    // recall per kind is what a count of the flagged rides of that kind's ids gives
    for (const k of result.recall) {
      const ids = truth.filter((x) => x.kind === k.kind).map((x) => x.ride_id);
      const flagged = await count('select count(*) as n from rides where is_outlier and ride_id = any(?::text[])', [ids]);
      expect(k.injected).toBe(perKind);
      expect(k.flagged).toBe(flagged);
      expect(k.recall).toBe(flagged / perKind);
    }
    expect(result.recall.reduce((s, k) => s + k.flagged, 0)).toBeGreaterThan(0);

    // the real rides: every one scored, and the flags counted as the database has them
    const realFlagged = await count('select count(*) as n from rides r where r.is_outlier and r.ride_id not in (select ride_id from evaluation_injections)');
    expect(result.real.rides).toBe(rides - 3 * perKind);
    expect(result.real.unscored).toBe(0);
    expect(result.real.flagged).toBe(realFlagged);
    expect(realFlagged).toBeGreaterThan(0);
    expect(result.real.flaggedShare).toBe(realFlagged / result.real.rides);
    const airport = await count(`select count(*) as n from rides r where r.ride_id not in (select ride_id from evaluation_injections)
      and (r.ratecode_id in (2, 3) or r.pickup_zone_id in (1, 132, 138) or r.dropoff_zone_id in (1, 132, 138))`);
    expect(result.real.airportRides).toBe(airport);
    expect(airport).toBeGreaterThan(0);
    expect(result.days.reduce((s, d) => s + d.rides, 0)).toBe(result.real.rides);
    const byReason = Object.values(result.reasons).reduce((s, by) => s + Object.values(by).reduce((a, b) => a + b, 0), 0);
    expect(byReason).toBe(await count('select count(*) as n from rides where is_outlier'));

    // one succeeded backfill run per day with rides, run in date order; New York days: New Year's Day is one day
    const runs: Array<{ day: string; status: string }> = (
      await db.knex.raw(`select to_char(service_date, 'YYYY-MM-DD') as day, status from detection_runs where trigger = 'backfill' order by id`)
    ).rows;
    expect(runs.map((r) => r.day)).toEqual(result.days.map((d) => d.day));
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(result.days.find((d) => d.day === '2021-01-01')!.rides).toBeGreaterThan(20_000);
    expect(result.daySummary.busiest?.day).toBe('2021-01-01');
    expect(result.daySummary.partialDays).toBe(result.daySummary.days - 1);

    const text = formatRealRideEvaluation(result, 'the default detector');
    for (const k of result.recall) expect(text).toMatch(new RegExp(`^${k.kind} +${k.injected} +${k.flagged} +${k.recall.toFixed(3)}$`, 'm'));
    expect(text).toContain('no_trip and void_fare');
    expect(text).toMatch(/^busiest day \/ median day +\S+ +<= 3× +(yes|NO)$/m);
    expect(text).toMatch(/^highest rate +2021-01-01 /m);
  });
});
