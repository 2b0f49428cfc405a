// Migrations as data: an ordered list, compiled with the code, so that the same build runs them
// from the CLI, the tests and the scheduler without scanning a directory at run time.
import type { Knex } from 'knex';
import * as m001 from './001_rides_and_runs.js';
import * as m002 from './002_load.js';
import * as m003 from './003_ride_outliers_view.js';
import * as m004 from './004_run_monitoring.js';
import * as m005 from './005_load_corrections.js';
import * as m006 from './006_query_reader.js';
import * as m007 from './007_no_rides_runs.js';
import * as m008 from './008_flag_explanations.js';
import * as m009 from './009_settings.js';
import * as m010 from './010_zone_pair_baseline.js';
import * as m011 from './011_flag_explanations_by_zone_pair.js';
import * as m012 from './012_rides_by_service_day.js';
import * as m013 from './013_run_result_digest.js';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: Migration[] = [
  { name: '001_rides_and_runs', ...m001 },
  { name: '002_load', ...m002 },
  { name: '003_ride_outliers_view', ...m003 },
  { name: '004_run_monitoring', ...m004 },
  { name: '005_load_corrections', ...m005 },
  { name: '006_query_reader', ...m006 },
  { name: '007_no_rides_runs', ...m007 },
  { name: '008_flag_explanations', ...m008 },
  { name: '009_settings', ...m009 },
  { name: '010_zone_pair_baseline', ...m010 },
  { name: '011_flag_explanations_by_zone_pair', ...m011 },
  { name: '012_rides_by_service_day', ...m012 },
  { name: '013_run_result_digest', ...m013 },
];
