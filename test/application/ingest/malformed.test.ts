// Rows that cannot be parsed go to ride_rejects with a reason a person understands; rows that
// parse but are implausible are loaded (the detector flags them by rule). Either way the account
// adds up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { load, SAMPLE_HEADER, scratchDir } from './fixtures.js';

const GOOD = '1,2021-01-05 10:00:00,2021-01-05 10:12:00,1,2.10,1,N,142,43,2,8,3,0.5,0,0,0.3,11.8,2.5';
const tlcRow = (changes: Record<number, string>) =>
  GOOD.split(',')
    .map((v, i) => changes[i] ?? v)
    .join(',');

// [line content, expected reason code, expected reason]; the header is line 1
const MALFORMED: [string, string, RegExp][] = [
  [`${GOOD},7`, 'field_count', /^has 19 fields; the header has 18$/],
  ['1,2021-01-05 10:00:00,2021-01-05 10:12:00', 'field_count', /^has 3 fields; the header has 18$/],
  [tlcRow({ 1: '2021-13-05 10:00:00' }), 'bad_timestamp', /^tpep_pickup_datetime '2021-13-05 10:00:00' is not a timestamp/],
  [tlcRow({ 2: '05/01/2021 10:12' }), 'bad_timestamp', /^tpep_dropoff_datetime '05\/01\/2021 10:12' is not a timestamp/],
  [tlcRow({ 4: 'abc' }), 'bad_number', /^trip_distance 'abc' is not a number$/],
  [tlcRow({ 4: '' }), 'missing_value', /^trip_distance is empty$/],
  [tlcRow({ 7: '12.5' }), 'bad_whole_number', /^PULocationID '12.5' is not a whole number/],
  [tlcRow({ 6: 'X' }), 'bad_flag', /^store_and_fwd_flag 'X' is not Y, N or empty$/],
  [tlcRow({ 10: '8,00' }), 'field_count', /^has 19 fields/],
  [tlcRow({ 1: '"2021-01-05 10:00:00"x' }), 'bad_quoting', /^bad quoting: Invalid Closing Quote/],
  [tlcRow({ 1: 'soon', 4: 'far' }), 'bad_timestamp', /^tpep_pickup_datetime 'soon' is not a timestamp.*; trip_distance 'far' is not a number$/],
];

// implausible, but parseable: loaded
const IMPLAUSIBLE = [
  tlcRow({ 2: '2021-01-05 09:50:00' }), // dropoff before pickup
  tlcRow({ 4: '0', 2: '2021-01-05 10:13:00' }), // zero distance
  tlcRow({ 4: '-1.5', 2: '2021-01-05 10:14:00' }), // negative distance
  tlcRow({ 0: '', 3: '', 5: '', 6: '', 7: '', 9: '', 2: '2021-01-05 10:15:00' }), // blanks: still a ride
];

describe.each(databaseTargets)('malformed rows on $name', (target) => {
  const t = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  it('rejects each kind with its reason, loads the implausible ones, and the account adds up', async () => {
    const lines = [SAMPLE_HEADER, GOOD, ...MALFORMED.map(([line]) => line), ...IMPLAUSIBLE, '1,2021-01-05 11:00:00,2021-01-0'];
    const file = scratch.file('malformed.csv', lines.join('\n')); // no line break at the end: cut short
    const { account } = await load(t.db, file);
    expect(account).toMatchObject({ rowsRead: lines.length - 1, rowsLoaded: 1 + IMPLAUSIBLE.length, rowsAlreadyPresent: 0, rowsRejected: MALFORMED.length + 1 });

    const rejects = await t.db.knex('ride_rejects').where({ load_id: account.loadId }).orderBy('line_number');
    expect(rejects.length).toBe(MALFORMED.length + 1);
    MALFORMED.forEach(([line, code, reason], i) => {
      const reject = rejects[i];
      expect(Number(reject.line_number), line).toBe(i + 3);
      expect(reject.raw).toBe(line);
      expect(reject.reason_code, line).toBe(code);
      expect(reject.reason, line).toMatch(reason);
    });
    expect(rejects[MALFORMED.length]).toMatchObject({ reason_code: 'truncated_line', raw: '1,2021-01-05 11:00:00,2021-01-0' });
    expect(rejects[MALFORMED.length].reason).toMatch(/it has 3 of 18 fields and no line break after it/);
    expect(account.rejectsByReason).toEqual({
      field_count: 3,
      bad_timestamp: 3,
      bad_number: 1,
      missing_value: 1,
      bad_whole_number: 1,
      bad_flag: 1,
      bad_quoting: 1,
      truncated_line: 1,
    });

    const loaded = await t.db.knex('rides').select('duration_min', 'distance_km', 'vendor_id', 'passenger_count', 'pickup_zone_id').orderBy('dropoff_at');
    expect(loaded.map((r: { duration_min: number }) => r.duration_min)).toEqual([-10, 12, 13, 14, 15]);
    expect(loaded.map((r: { distance_km: number }) => Math.round(r.distance_km * 1000) / 1000)).toEqual([3.38, 3.38, 0, -2.414, 3.38]);
    expect(loaded[4]).toMatchObject({ vendor_id: null, passenger_count: null, pickup_zone_id: null });
  });

  it('reads TLC green records, with their trip type and e-hail fee', async () => {
    const header =
      'VendorID,lpep_pickup_datetime,lpep_dropoff_datetime,store_and_fwd_flag,RatecodeID,PULocationID,DOLocationID,passenger_count,' +
      'trip_distance,fare_amount,extra,mta_tax,tip_amount,tolls_amount,ehail_fee,improvement_surcharge,total_amount,payment_type,trip_type,congestion_surcharge';
    const file = scratch.file(
      'green_tripdata_2021-01.csv',
      [header, '2,2021-01-01 00:15:56,2021-01-01 00:19:52,N,1,43,151,1,1.01,5.5,0.5,0.5,0,0,,0.3,6.8,2,1,0', ',2021-01-01 00:25:00,2021-01-01 00:40:00,,,75,42,,3.2,20,0,0.5,0,0,,0.3,20.8,,,0'].join('\n') + '\n',
    );
    const result = await load(t.db, file);
    expect(result.format).toBe('tlc-green');
    expect(result.account).toMatchObject({ rowsRead: 2, rowsLoaded: 2, rowsRejected: 0 });
    const rides = await t.db.knex('rides').select('ride_id', 'trip_type', 'ehail_fee', 'payment_type', 'pickup_zone_id', 'source').where({ source: 'tlc-green' }).orderBy('pickup_at');
    expect(rides).toEqual([
      { ride_id: expect.stringMatching(/^tlc-g-20210101T001556-[0-9a-f]{16}$/), trip_type: 1, ehail_fee: null, payment_type: 2, pickup_zone_id: 43, source: 'tlc-green' },
      { ride_id: expect.stringMatching(/^tlc-g-20210101T002500-/), trip_type: null, ehail_fee: null, payment_type: null, pickup_zone_id: 75, source: 'tlc-green' },
    ]);
  });

  it('reads the company CSV: ids as given, offsets as instants, local times in the service time zone, empty taxi ids', async () => {
    const file = scratch.file(
      'rides.csv',
      [
        'ride_id,taxi_id,pickup_at,dropoff_at,distance_km',
        'c-1,T1,2021-02-01T08:00:00+01:00,2021-02-01T08:20:00+01:00,5.5',
        'c-2,,2021-02-01 23:30:00,2021-02-01 23:45:30,2.25',
        'c-3,T2,2021-02-01T10:00:00Z,2021-02-01T10:05:00.250Z,1',
        ',T3,2021-02-01 10:00:00,2021-02-01 10:05:00,1',
        'c-4,T4,2021-02-01,2021-02-01 10:05:00,1',
        'c-5,T5,2021-02-01 10:00:00,2021-02-01 10:05:00,far',
        '"c-6","T,6","2021-02-01 10:00:00","2021-02-01 10:05:00","3.5"',
        'c-1,T9,2021-02-01 11:00:00,2021-02-01 11:05:00,9',
      ].join('\n') + '\n',
    );
    const { account, format } = await load(t.db, file, { serviceTimeZone: 'America/New_York' });
    expect(format).toBe('rides-csv');
    expect(account).toMatchObject({ rowsRead: 8, rowsLoaded: 4, rowsAlreadyPresent: 1, rowsRejected: 3, rejectsByReason: { missing_value: 1, bad_timestamp: 1, bad_number: 1 } });
    expect(account.firstRejects.map((r) => r.reason)).toEqual([
      'ride_id is empty',
      expect.stringMatching(/^pickup_at '2021-02-01' is not a timestamp/),
      "distance_km 'far' is not a number",
    ]);
    const rides = await t.db.knex('rides')
      .select('ride_id', 'taxi_id', 'distance_km', 'duration_min', 'source', t.db.knex.raw(`to_char(pickup_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as pickup_utc`), t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`))
      .whereIn('ride_id', ['c-1', 'c-2', 'c-3', 'c-6'])
      .orderBy('ride_id');
    expect(rides).toEqual([
      { ride_id: 'c-1', taxi_id: 'T1', distance_km: 5.5, duration_min: 20, source: 'rides-csv', pickup_utc: '2021-02-01 07:00:00', day: '2021-02-01' },
      // 23:30 in New York is 04:30 UTC the next day; its service day is still Feb 1
      { ride_id: 'c-2', taxi_id: null, distance_km: 2.25, duration_min: 15.5, source: 'rides-csv', pickup_utc: '2021-02-02 04:30:00', day: '2021-02-01' },
      { ride_id: 'c-3', taxi_id: 'T2', distance_km: 1, duration_min: 5 + 0.25 / 60, source: 'rides-csv', pickup_utc: '2021-02-01 10:00:00', day: '2021-02-01' },
      { ride_id: 'c-6', taxi_id: 'T,6', distance_km: 3.5, duration_min: 5, source: 'rides-csv', pickup_utc: '2021-02-01 15:00:00', day: '2021-02-01' },
    ]);
  });
});
