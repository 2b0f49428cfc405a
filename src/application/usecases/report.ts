// `ridescan report`: build the day's report and write it where asked.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import { buildReport } from '../report/buildReport.js';

export function defaultReportPath(serviceDate: string): string {
  return join('reports', `ridescan-report-${serviceDate}.html`);
}

/** Writes the report and returns its absolute path. ReportUnavailableError when the day has nothing to show. */
export async function writeReport(config: RidescanConfig, options: { serviceDate: string; out?: string }): Promise<string> {
  const { html } = await withDatabase(config, { requireSchema: true }, (db, settings) => buildReport(db, { serviceDate: options.serviceDate, timeZone: settings.timeZone.zone }));
  const out = resolve(options.out ?? defaultReportPath(options.serviceDate));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, html);
  return out;
}
