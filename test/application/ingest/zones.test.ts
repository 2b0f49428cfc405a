// The TLC zone lookup ships with the project (compiled into the migrations) and is loaded into
// zones by migration 002; it must be the published file, all 265 zones.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { TAXI_ZONES } from '../../../migrations/data/taxiZones.js';
import { ZONE_LOOKUP } from './fixtures.js';

const published = (parseCsv(readFileSync(ZONE_LOOKUP), { columns: true }) as Record<string, string>[]).map(
  (r) => [Number(r.LocationID), r.Borough, r.Zone, r.service_zone] as const,
);

describe('the zone lookup compiled into the migrations', () => {
  it('is taxi_zone_lookup.csv, all 265 zones', () => {
    expect(published).toHaveLength(265);
    expect(TAXI_ZONES).toEqual(published);
  });
});

describe.each(databaseTargets)('zones on $name', (target) => {
  const t = useTestDatabase(target);

  it('holds every zone, so rides can be joined to their pickup and dropoff zones', async () => {
    const rows = await t.db.knex('zones').select('location_id', 'borough', 'zone', 'service_zone').orderBy('location_id');
    expect(rows.map((r: { location_id: number; borough: string; zone: string; service_zone: string }) => [r.location_id, r.borough, r.zone, r.service_zone])).toEqual(published);
  });
});
