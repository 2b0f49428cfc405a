// What `ridescan load` prints for each file and in total: the format it read, and an account
// that adds up (read = loaded + already present + corrected + rejected; corrected shown when there
// are any), with what to do about stale days.
import type { FileLoadResult } from '../../ingest/loadFile.js';

const int = new Intl.NumberFormat('en-US');
const SHOWN_DAYS = 6;

export interface FileFailure {
  path: string;
  error: string;
}

export function formatFileSummary(result: FileLoadResult): string {
  const a = result.account;
  const picked = result.detected
    ? `picked from the ${result.container === 'parquet' ? 'Parquet columns' : 'CSV header'}`
    : 'as --format said';
  const container = { csv: 'CSV', 'csv.gz': 'gzipped CSV', parquet: 'Parquet' }[result.container];
  const lines: string[] = [];
  lines.push(`${result.name}${a.dryRun ? '  (dry run: checked and counted, nothing written)' : ''}`);
  lines.push(`  format           ${result.format} (${picked}), ${container}, ${megabytes(result.bytes)}`);
  if (result.ignoredColumns.length > 0) lines.push(`  ignored columns  ${result.ignoredColumns.join(', ')}`);
  if (result.timeZoneSet) {
    lines.push(
      `  time zone        service days ${a.dryRun ? 'would be' : 'are now'} in ${result.timeZoneSet}: the first load into this database, a TLC file (New York local times); \`ridescan time-zone\` changes it`,
    );
  }
  for (const warning of result.warnings) lines.push(`  WARNING          ${warning}`);
  const width = int.format(a.rowsRead).length;
  const count = (n: number) => int.format(n).padStart(width);
  lines.push(`  rows read        ${count(a.rowsRead)}`);
  lines.push(`  ${a.dryRun ? 'would load     ' : 'loaded         '}  ${count(a.rowsLoaded)}`);
  lines.push(`  already present  ${count(a.rowsAlreadyPresent)}`);
  if (a.rowsCorrected > 0) lines.push(`  corrected        ${count(a.rowsCorrected)} (same ride_id, new content: updated, flags cleared)`);
  lines.push(`  rejected         ${count(a.rowsRejected)}${a.rowsRejected > 0 && !a.dryRun ? ` (kept in ride_rejects, load_id ${a.loadId})` : ''}`);
  for (const [reason, n] of Object.entries(a.rejectsByReason).sort((x, y) => y[1] - x[1])) {
    lines.push(`    ${reason.padEnd(18)}${int.format(n).padStart(width - 2)}`);
  }
  for (const r of a.firstRejects) lines.push(`    ${result.container === 'parquet' ? 'row' : 'line'} ${r.lineNumber}: ${r.reason}`);
  if (a.rowsRejected > a.firstRejects.length) lines.push(`    … ${int.format(a.rowsRejected - a.firstRejects.length)} more`);
  lines.push(`  service days     ${describeDays(a.serviceDays)}`);
  if (a.staleDays.length === 0) {
    lines.push(`  stale days       none (no day that was already scored got new or corrected rides)`);
  } else {
    lines.push(`  stale days       ${a.staleDays.length} already scored, now with unscored rides: re-score them`);
    for (const d of a.staleDays) {
      const corrected = d.correctedRides > 0 ? `, ${int.format(d.correctedRides)} corrected` : '';
      lines.push(`    ${d.day}  ${int.format(d.newRides)} new rides${corrected} since run #${d.lastRunId}: ridescan detect --date ${d.day}`);
    }
  }
  const rate = result.seconds > 0 ? ` (${int.format(Math.round(a.rowsRead / result.seconds))} rows/s)` : '';
  lines.push(`  time             ${result.seconds.toFixed(2)} s${rate}${a.loadId !== null ? `, load #${a.loadId}` : ''}`);
  return lines.join('\n');
}

export function formatTotal(results: FileLoadResult[], failures: FileFailure[]): string {
  const sum = (f: (r: FileLoadResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const read = sum((r) => r.account.rowsRead);
  const corrected = sum((r) => r.account.rowsCorrected);
  const stale = new Set(results.flatMap((r) => r.account.staleDays.map((d) => d.day)));
  const files = `${results.length} file${results.length === 1 ? '' : 's'} loaded${failures.length > 0 ? `, ${failures.length} could not be read` : ''}`;
  return (
    `total: ${files}; rows read ${int.format(read)} = loaded ${int.format(sum((r) => r.account.rowsLoaded))}` +
    ` + already present ${int.format(sum((r) => r.account.rowsAlreadyPresent))}` +
    (corrected > 0 ? ` + corrected ${int.format(corrected)}` : '') +
    ` + rejected ${int.format(sum((r) => r.account.rowsRejected))}` +
    (stale.size > 0 ? `; stale days: ${[...stale].sort().join(', ')}` : '')
  );
}

function describeDays(days: { day: string; rides: number }[]): string {
  if (days.length === 0) return 'none (no new rides)';
  if (days.length <= SHOWN_DAYS) return days.map((d) => `${d.day} (${int.format(d.rides)})`).join(', ');
  const busiest = [...days].sort((x, y) => y.rides - x.rides).slice(0, 3);
  return (
    `${days.length} days, ${days[0].day} … ${days[days.length - 1].day}; busiest ` +
    busiest.map((d) => `${d.day} (${int.format(d.rides)})`).join(', ')
  );
}

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${int.format(Math.ceil(bytes / 1e3))} kB`;
}
