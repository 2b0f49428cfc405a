// Shared by the load tests: the TLC fixtures, scratch files, and what the tables hold.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../../../src/storage/database.js';
import { loadRideFile, type LoadFileOptions } from '../../../src/application/ingest/loadFile.js';

const fixtures = fileURLToPath(new URL('../../fixtures/tlc/', import.meta.url));

/** The first rows of NYC TLC's yellow trip records for January 2021, the last line cut short. */
export const TLC_SAMPLE = join(fixtures, 'yellow_tripdata_2021-01_head.csv');
export const ZONE_LOOKUP = join(fixtures, 'taxi_zone_lookup.csv');

export const SAMPLE_TEXT = readFileSync(TLC_SAMPLE, 'utf8');
export const SAMPLE_LINES = SAMPLE_TEXT.split('\n');
export const SAMPLE_HEADER = SAMPLE_LINES[0];

/** A scratch directory, removed by the returned cleanup. */
export function scratchDir(): { dir: string; file(name: string, content: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ridescan-load-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function load(db: Database, path: string, options: Partial<LoadFileOptions> = {}) {
  return loadRideFile(db, path, { format: 'auto', dryRun: false, serviceTimeZone: 'America/New_York', ...options });
}

export async function tableCounts(db: Database): Promise<{ rides: number; loads: number; rejects: number }> {
  const count = async (table: string) => Number((await db.knex(table).count<{ count: string | number }[]>('* as count'))[0].count);
  return { rides: await count('rides'), loads: await count('loads'), rejects: await count('ride_rejects') };
}
