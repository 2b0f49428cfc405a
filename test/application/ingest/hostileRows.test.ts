// Rows written to hurt (issue 10, "rows and ranges"): each is rejected on its own with a reason,
// or read the one sensible way, and the rest of the file loads; the loads account adds up to
// every physical line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { load, SAMPLE_HEADER, scratchDir } from './fixtures.js';
import { scoreForTest } from '../../support/scoring.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';

const GOOD = '1,2021-01-05 10:00:00,2021-01-05 10:12:00,1,2.10,1,N,142,43,2,8,3,0.5,0,0,0.3,11.8,2.5';
/** A valid TLC yellow row; `k` makes it a distinct trip (its pickup minute and fare). */
const tlcRow = (k: number, changes: Record<number, string> = {}) =>
  GOOD.split(',')
    .map((v, i) => changes[i] ?? (i === 1 ? `2021-01-05 ${String(10 + Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:00` : i === 2 ? `2021-01-05 ${String(11 + Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:00` : v))
    .join(',');

describe.each(databaseTargets)('hostile rows on $name', (target) => {
  const t = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  const rejectsOf = async (loadId: number | null) =>
    (await t.db.knex('ride_rejects').where({ load_id: loadId }).orderBy('line_number')).map((r: { line_number: number | string; reason_code: string; reason: string; raw: string }) => ({
      line: Number(r.line_number),
      code: r.reason_code,
      reason: r.reason,
      raw: r.raw,
    }));

  it('a stray quote closed by a quoted field 20 lines later rejects its own line only', async () => {
    const stray = tlcRow(2, { 6: '"N' });
    const lines = [
      SAMPLE_HEADER,
      tlcRow(0),
      tlcRow(1),
      stray, // line 4
      ...Array.from({ length: 19 }, (_, i) => tlcRow(3 + i)),
      tlcRow(22, { 6: '"N"' }), // line 24: its quotes pair with the stray one
      ...Array.from({ length: 3 }, (_, i) => tlcRow(23 + i)),
    ];
    const { account } = await load(t.db, scratch.file('stray.csv', `${lines.join('\n')}\n`));
    expect(account).toMatchObject({ rowsRead: 26, rowsLoaded: 25, rowsAlreadyPresent: 0, rowsRejected: 1 });
    const rejects = await rejectsOf(account.loadId);
    expect(rejects).toEqual([{ line: 4, code: 'stray_quote', reason: expect.stringMatching(/quote/), raw: stray }]);
    const row = await t.db.knex('loads').where({ id: account.loadId }).first();
    expect(Number(row.rows_read)).toBe(Number(row.rows_loaded) + Number(row.rows_already_present) + Number(row.rows_rejected));
  });

  it('a ride dated outside 1900-2099 is rejected with a reason and the rest of the file loads', async () => {
    const lines = [
      SAMPLE_HEADER,
      tlcRow(100),
      tlcRow(101, { 1: '0000-01-01 00:30:00', 2: '0000-01-01 00:45:00' }), // line 3
      tlcRow(102),
      tlcRow(103, { 2: '0000-01-01 00:45:00' }), // line 5: dropoff only
      tlcRow(104, { 1: '2100-01-01 00:30:00', 2: '2100-01-01 00:45:00' }), // line 6
      tlcRow(105, { 1: '1900-01-01 00:30:00', 2: '1900-01-01 00:45:00' }), // the first day accepted
      tlcRow(106, { 1: '2099-12-31 23:30:00', 2: '2099-12-31 23:45:00' }), // the last
    ];
    const { account } = await load(t.db, scratch.file('year0.csv', `${lines.join('\n')}\n`));
    expect(account).toMatchObject({ rowsRead: 7, rowsLoaded: 4, rowsRejected: 3, rejectsByReason: { date_out_of_range: 3 } });
    const rejects = await rejectsOf(account.loadId);
    expect(rejects.map((r) => [r.line, r.code])).toEqual([
      [3, 'date_out_of_range'],
      [5, 'date_out_of_range'],
      [6, 'date_out_of_range'],
    ]);
    expect(rejects[0].reason).toMatch(/^tpep_pickup_datetime '0000-01-01 00:30:00' is outside the years 1900.2099/);
    expect(rejects[1].reason).toMatch(/^tpep_dropoff_datetime '0000-01-01 00:45:00' is outside/);
    expect(account.serviceDays.map((d) => d.day)).toEqual(['1900-01-01', '2021-01-05', '2099-12-31']);

    // a day before year 1 once failed the whole file after reading (a date PostgreSQL could not take)
    const company = await load(
      t.db,
      scratch.file(
        'year0-company.csv',
        ['ride_id,taxi_id,pickup_at,dropoff_at,distance_km', 'y0-1,T1,0000-01-01T00:30:00+14:00,0000-01-01T00:45:00+14:00,2', 'y0-2,T1,2021-03-01 10:00:00,2021-03-01 10:10:00,2'].join('\n') + '\n',
      ),
      { serviceTimeZone: 'UTC' },
    );
    expect(company.account).toMatchObject({ rowsRead: 2, rowsLoaded: 1, rowsRejected: 1, rejectsByReason: { date_out_of_range: 1 } });
  });

  it('a distance that is not finite in km, or absurd, is rejected with a reason; a merely implausible one loads', async () => {
    const lines = [
      SAMPLE_HEADER,
      tlcRow(200, { 4: '1.7976931348623157e308' }), // line 2: finite in miles, Infinity in km
      tlcRow(201, { 4: '1e300' }), // line 3
      tlcRow(202, { 4: '-6300000' }), // line 4: 10,138,867 km backwards
      tlcRow(203, { 4: '350000' }), // as in real TLC files: loaded, for the detector to flag
      tlcRow(204, { 4: '-1.5' }),
    ];
    const { account } = await load(t.db, scratch.file('far.csv', `${lines.join('\n')}\n`));
    expect(account).toMatchObject({ rowsRead: 5, rowsLoaded: 2, rowsRejected: 3, rejectsByReason: { absurd_distance: 3 } });
    const rejects = await rejectsOf(account.loadId);
    expect(rejects.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(rejects[0].reason).toMatch(/^trip_distance '1\.7976931348623157e308' is beyond ±10,000,000 km/);
    const stored = await t.db.knex('rides').where({ load_id: account.loadId }).select('distance_km').orderBy('distance_km');
    expect(stored.map((r: { distance_km: number }) => Math.round(r.distance_km))).toEqual([-2, 563270]);
    const infinite = await t.db.knex('rides').whereRaw(`distance_km in ('Infinity'::float8, '-Infinity'::float8)`).count<{ n: string | number }[]>('* as n');
    expect(Number(infinite[0].n)).toBe(0);

    const company = await load(
      t.db,
      scratch.file('far-company.csv', ['ride_id,taxi_id,pickup_at,dropoff_at,distance_km', 'far-1,T1,2021-03-01 10:00:00,2021-03-01 10:10:00,2e7', 'far-2,T1,2021-03-01 10:00:00,2021-03-01 10:10:00,2'].join('\n') + '\n'),
      { serviceTimeZone: 'UTC' },
    );
    expect(company.account).toMatchObject({ rowsLoaded: 1, rowsRejected: 1, rejectsByReason: { absurd_distance: 1 } });
  });

  it('in the repeated hour of a fall-back night, reads an ambiguous time the way that gives a non-negative, shortest ride', async () => {
    // New York, 2021-11-07: at 02:00 EDT the clocks went back to 01:00 EST, so 01:00–01:59 happened twice
    const night = (pickup: string, dropoff: string, fare: string) => tlcRow(0, { 1: `2021-11-07 ${pickup}`, 2: `2021-11-07 ${dropoff}`, 10: fare });
    const lines = [
      SAMPLE_HEADER,
      night('01:50:00', '01:10:00', '21'), // picked up before the change, dropped after: 20 min, not -40
      night('00:55:00', '01:10:00', '22'), // 15 min, not 75
      night('01:50:00', '02:10:00', '23'), // 20 min, not 80
      night('01:10:00', '01:50:00', '24'), // 40 min either way: PostgreSQL's reading (the later one) stays
      night('01:30:00', '00:50:00', '25'), // negative whichever way: left as PostgreSQL reads it
    ];
    const { account } = await load(t.db, scratch.file('fallback.csv', `${lines.join('\n')}\n`));
    expect(account).toMatchObject({ rowsRead: 5, rowsLoaded: 5, rowsRejected: 0 });
    const rides = await t.db.knex('rides')
      .where({ load_id: account.loadId })
      .select(
        'fare_amount',
        'duration_min',
        t.db.knex.raw(`to_char(pickup_at at time zone 'UTC', 'HH24:MI') as pickup_utc`),
        t.db.knex.raw(`to_char(dropoff_at at time zone 'UTC', 'HH24:MI') as dropoff_utc`),
        t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`),
      )
      .orderBy('fare_amount');
    expect(rides).toEqual([
      { fare_amount: 21, duration_min: 20, pickup_utc: '05:50', dropoff_utc: '06:10', day: '2021-11-07' },
      { fare_amount: 22, duration_min: 15, pickup_utc: '04:55', dropoff_utc: '05:10', day: '2021-11-07' },
      { fare_amount: 23, duration_min: 20, pickup_utc: '06:50', dropoff_utc: '07:10', day: '2021-11-07' },
      { fare_amount: 24, duration_min: 40, pickup_utc: '06:10', dropoff_utc: '06:50', day: '2021-11-07' },
      { fare_amount: 25, duration_min: -100, pickup_utc: '06:30', dropoff_utc: '04:50', day: '2021-11-07' },
    ]);
  });

  it('a re-sent ride with new content is a correction: updated, flag cleared, counted; an identical one stays already present', async () => {
    const DAY = '2021-04-20';
    await simulateDay(t.db, { serviceDate: DAY, rides: 400, seed: 9, timeZone: 'UTC' });
    const header = 'ride_id,taxi_id,pickup_at,dropoff_at,distance_km';
    const first = [header, `fix-1,T1,${DAY} 09:00:00,${DAY} 09:20:00,5`, `fix-2,T2,${DAY} 10:00:00,${DAY} 10:12:00,3`, `fix-3,T3,${DAY} 11:00:00,${DAY} 11:30:00,8`];
    await load(t.db, scratch.file('fix-a.csv', `${first.join('\n')}\n`), { serviceTimeZone: 'UTC' });
    const run = await scoreForTest(t.db, { serviceDate: DAY, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    expect(run.status).toBe('succeeded');
    const unscored = async () => Number((await t.db.knex('rides').whereRaw(`service_date = ?::date and is_outlier is null`, [DAY]).count<{ n: string }[]>('* as n'))[0].n);
    expect(await unscored()).toBe(0);

    const second = [
      header,
      first[1], // identical: already present
      `fix-2,T2,${DAY} 10:00:00,${DAY} 10:12:00,3.4`, // distance corrected
      `fix-3,T3,2021-04-21 11:00:00,2021-04-21 11:30:00,8`, // moved to the next day
      `fix-4,T4,${DAY} 12:00:00,${DAY} 12:10:00,2`, // new
      `fix-2,T2,${DAY} 10:00:00,${DAY} 10:12:00,9`, // the same id again in the file: the first one counts
    ];
    const { account } = await load(t.db, scratch.file('fix-b.csv', `${second.join('\n')}\n`), { serviceTimeZone: 'UTC' });
    expect(account).toMatchObject({ rowsRead: 5, rowsLoaded: 1, rowsAlreadyPresent: 2, rowsCorrected: 2, rowsRejected: 0 });
    expect(account.staleDays).toEqual([{ day: DAY, lastRunId: run.runId, newRides: 1, correctedRides: 2 }]);

    const rides = await t.db.knex('rides')
      .whereIn('ride_id', ['fix-1', 'fix-2', 'fix-3'])
      .select('ride_id', 'distance_km', 'is_outlier', 'outlier_reason', 'outlier_score', 'detection_run_id', 'load_id', t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`))
      .orderBy('ride_id');
    expect(rides.map((r: { ride_id: string; distance_km: number; day: string; is_outlier: boolean | null }) => [r.ride_id, r.distance_km, r.day, r.is_outlier === null])).toEqual([
      ['fix-1', 5, DAY, false],
      ['fix-2', 3.4, DAY, true],
      ['fix-3', 8, '2021-04-21', true],
    ]);
    expect(rides[1]).toMatchObject({ outlier_reason: null, outlier_score: null, detection_run_id: null, load_id: account.loadId });
    expect(await unscored()).toBe(2); // fix-2 and fix-4: the day shows unscored until a run scores it again

    const row = await t.db.knex('loads').where({ id: account.loadId }).first();
    expect([row.rows_read, row.rows_loaded, row.rows_already_present, row.rows_corrected, row.rows_rejected].map(Number)).toEqual([5, 1, 2, 2, 0]);
    expect(row.stale_days).toBeDefined();
    // the account is enforced by the database: a row that does not add up is refused
    await expect(t.db.knex('loads').where({ id: account.loadId }).update({ rows_corrected: 3 })).rejects.toThrow(/loads_check/);

    // the corrected file again: everything already present, nothing corrected twice
    const again = await load(t.db, scratch.file('fix-c.csv', `${second.join('\n')}\n`), { serviceTimeZone: 'UTC' });
    expect(again.account).toMatchObject({ rowsRead: 5, rowsLoaded: 0, rowsAlreadyPresent: 5, rowsCorrected: 0 });
  });
});
