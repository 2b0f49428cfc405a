// The report as one self-contained HTML page: inline CSS and inline SVG, no script, font or image
// fetched from anywhere, so that it opens from a mail attachment or a shared drive as it is.
// Every piece of text that comes from the database goes through escapeHtml.
import type { RunRow } from '../../storage/runs.js';
import type { ListedRide } from '../../storage/reportQueries.js';
import type { CategoryCount, ReportModel, ShownColumns } from './buildReport.js';
import { categoryStyle, orderReasons, HISTORY_KINDS, NORMAL, SCATTER_MARKS_CLASS } from './charts.js';
import { parameterItems } from './parameters.js';
import { adviceFor } from './reasonAdvice.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

const integer = new Intl.NumberFormat('en-US');
const fmt = (value: number) => integer.format(value);
const fixed = (value: number, digits: number) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
function percent(part: number, whole: number): string {
  if (!(whole > 0)) return '–';
  const share = (100 * part) / whole;
  // one flagged ride in a million is not 0.00%
  return share > 0 && share < 0.005 ? '&lt;0.01%' : `${fixed(share, 2)}%`;
}
const rides = (count: number) => `${fmt(count)} ride${count === 1 ? '' : 's'}`;

function timestampIn(timeZone: string, value: Date | string | null, withSeconds = false): string {
  if (value === null) return '–';
  // sv-SE writes dates as YYYY-MM-DD hh:mm, the form the rest of ridescan prints
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(new Date(value));
}

function longDate(isoDate: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    new Date(`${isoDate}T00:00:00Z`),
  );
}

function swatch(category: string): string {
  return `<span class="swatch" style="background:${escapeHtml(categoryStyle(category).color)}"></span>`;
}

function runLine(run: RunRow, timeZone: string): string {
  const seconds = typeof run.timings?.total_s === 'number' ? ` in ${fixed(run.timings.total_s, 1)} s` : '';
  const finished = run.finished_at ? `, finished ${escapeHtml(timestampIn(timeZone, run.finished_at))}${seconds}` : ', not finished';
  return `run <strong>#${escapeHtml(run.id)}</strong> <span class="status status-${escapeHtml(run.status)}">${escapeHtml(run.status)}</span>
    (trigger ${escapeHtml(run.trigger)}, started ${escapeHtml(timestampIn(timeZone, run.started_at))}${finished})`;
}

function parameterList(parameters: Record<string, unknown>): string {
  const items = parameterItems(parameters);
  if (items.length === 0) return '<p><em>No parameters recorded.</em></p>';
  return `<dl class="params">
${items.map((item) => `  <div data-key="${escapeHtml(item.key)}"><dt>${escapeHtml(item.term)}</dt><dd>${escapeHtml(item.value)}</dd></div>`).join('\n')}
</dl>`;
}

/** TLC RatecodeID, as the data dictionary of the yellow trip records names them. */
export const RATE_CODES: Readonly<Record<number, string>> = Object.freeze({
  1: 'Standard',
  2: 'JFK',
  3: 'Newark',
  4: 'Nassau/Westchester',
  5: 'Negotiated',
  6: 'Group ride',
  99: 'unknown',
});

function rateCodeName(code: number | null): string {
  if (code === null) return '<span class="muted">–</span>';
  return `${escapeHtml(RATE_CODES[code] ?? 'not in the dictionary')} <span class="muted">(${escapeHtml(code)})</span>`;
}

function header(model: ReportModel): string {
  const { latestRun, flagsRun, timeZone } = model;
  const notes: string[] = [];
  if (latestRun.status !== 'succeeded') {
    const error = latestRun.error ? `: ${escapeHtml(latestRun.error.split('\n')[0])}` : '';
    notes.push(
      flagsRun
        ? `The latest run did not succeed${error}. The flags below are those of run #${escapeHtml(flagsRun.id)}, the latest that succeeded.`
        : `No run of this day has succeeded${error}. No ride of the day is flagged yet.`,
    );
  }
  if (model.driftWarnings.length > 0) {
    notes.push(
      `<strong>Drift warning</strong>: this day is unlike the trailing days; check the data before trusting the flags.<ul class="drift">${model.driftWarnings
        .map((w) => `<li>${escapeHtml(w)}</li>`)
        .join('')}</ul>`,
    );
  }
  if (model.unscored > 0) {
    const why = flagsRun ? ' (loaded after the latest succeeded run)' : '';
    notes.push(`${fmt(model.unscored)} of the day's rides ${model.unscored === 1 ? 'is' : 'are'} not scored yet${why}: not in the charts or the table below.`);
  }
  const scored = flagsRun?.rides_scored ?? null;
  const outliers = flagsRun?.outliers ?? null;
  const byReason = flagsRun?.outliers_by_reason ?? {};
  const reasons = orderReasons(Object.keys(byReason));
  const reasonRows = reasons
    .map(
      (reason) => `<tr data-reason="${escapeHtml(reason)}"><td class="reason">${swatch(reason)}${escapeHtml(reason)}</td><td class="num">${fmt(byReason[reason])}</td><td class="num">${
        scored ? percent(byReason[reason], scored) : '–'
      }</td><td class="advice">${escapeHtml(adviceFor(reason) ?? 'A reason this release does not know: see the detector that gave it.')}</td></tr>`,
    )
    .join('\n');
  return `<header>
  <p class="kicker">ridescan · morning report</p>
  <h1>Ride outliers on ${escapeHtml(longDate(model.serviceDate))} <span class="iso">${escapeHtml(model.serviceDate)}</span></h1>
  <p class="meta">Generated ${escapeHtml(timestampIn(model.timeZone, model.generatedAt))} · times in ${escapeHtml(timeZone)}</p>
</header>
<section class="summary" aria-label="Run summary">
  <div class="run">
    <p>Latest ${runLine(latestRun, timeZone)}</p>
    ${notes.map((note) => `<div class="note">${note}</div>`).join('\n    ')}
    <details class="parameters" open>
      <summary>Parameters of run #${escapeHtml(latestRun.id)}</summary>
      ${parameterList(latestRun.parameters)}
    </details>
  </div>
  <div class="tiles">
    <div class="tile"><span class="value">${fmt(model.rides)}</span><span class="label">rides on the day</span></div>
    <div class="tile"><span class="value">${scored === null ? '–' : fmt(scored)}</span><span class="label">rides scored</span></div>
    <div class="tile"><span class="value">${outliers === null ? '–' : fmt(outliers)}</span><span class="label">outliers${
      outliers !== null && scored ? ` (${percent(outliers, scored)})` : ''
    }</span></div>
  </div>
  ${
    reasons.length > 0
      ? `<div class="table-scroll reasons-card"><table class="reasons" aria-label="Outliers by reason">
    <thead><tr><th>Reason</th><th class="num">Outliers</th><th class="num">Share of rides</th><th>What to do</th></tr></thead>
    <tbody>
${reasonRows}
    </tbody>
  </table></div>`
      : ''
  }
</section>`;
}

function scatterCaption(model: ReportModel): string {
  const parts: string[] = [];
  const outlierParts: string[] = [];
  let normal: CategoryCount | undefined;
  for (const c of model.scatter.categories) {
    if (c.category === NORMAL) {
      normal = c;
      continue;
    }
    if (c.plottable === 0) continue;
    outlierParts.push(
      c.plotted === c.plottable
        ? `all ${fmt(c.plotted)} ${escapeHtml(c.category)}`
        : `${fmt(c.plotted)} of ${fmt(c.plottable)} ${escapeHtml(c.category)} (sampled)`,
    );
  }
  if (outlierParts.length > 0) parts.push(`outliers: ${outlierParts.join(', ')}`);
  if (normal && normal.plottable > 0) {
    parts.push(
      normal.plotted === normal.plottable
        ? `all ${fmt(normal.plotted)} normal rides`
        : `a sample of ${fmt(normal.plotted)} of ${fmt(normal.plottable)} normal rides (chosen by a hash of ride_id, the same every time)`,
    );
  }
  const offAxis = model.scatter.categories.filter((c) => c.rides > c.plottable);
  const offAxisTotal = offAxis.reduce((sum, c) => sum + c.rides - c.plottable, 0);
  let text = `<strong data-plotted="${model.scatter.plotted}">${fmt(model.scatter.plotted)}</strong> ride${model.scatter.plotted === 1 ? '' : 's'} plotted: ${parts.join('; ') || 'none'}.`;
  if (offAxisTotal > 0) {
    text += ` Not on the axes: ${rides(offAxisTotal)} with a negative or non-finite distance or duration (${offAxis
      .map((c) => `${escapeHtml(c.category)} ${fmt(c.rides - c.plottable)}`)
      .join(', ')}).`;
  }
  const logAxes = [model.scatter.scales.x === 'symlog' ? 'distance' : '', model.scatter.scales.y === 'symlog' ? 'duration' : ''].filter(Boolean);
  if (logAxes.length > 0) text += ` The ${logAxes.join(' and ')} axis uses a symmetric log scale: a few extreme rides would otherwise squash the rest.`;
  return text;
}

function flagRateSection(model: ReportModel): string {
  const { days, reasons } = model.flagRate;
  const missing = days.filter((d) => d.succeededRunId === null);
  const failed = missing.filter((d) => d.lastRunStatus !== null);
  const reasonHeads = reasons.map((r) => `<th class="num">${swatch(r)}${escapeHtml(r)}</th>`).join('');
  const rows = [...days]
    .reverse()
    .map((d) => {
      const status = d.succeededRunId !== null ? `run #${escapeHtml(d.succeededRunId)}` : d.lastRunStatus === null ? 'no run' : `last run ${escapeHtml(d.lastRunStatus)}`;
      const rate = d.succeededRunId !== null && d.ridesScored ? percent(d.outliers ?? 0, d.ridesScored) : '–';
      const byReason = reasons
        .map((r) => `<td class="num">${d.outliersByReason === null ? '–' : d.outliersByReason[r] ? fmt(d.outliersByReason[r]) : '<span class="muted">0</span>'}</td>`)
        .join('');
      return `<tr data-day="${escapeHtml(d.day)}" data-rides="${d.rides}" data-rides-scored="${d.ridesScored ?? ''}" data-outliers="${d.outliers ?? ''}"${
        d.day === model.serviceDate ? ' class="report-day"' : ''
      }><td class="when">${escapeHtml(d.day)}</td><td class="num">${fmt(d.rides)}</td><td class="num">${d.ridesScored === null ? '–' : fmt(d.ridesScored)}</td><td class="num">${
        d.outliers === null ? '–' : fmt(d.outliers)
      }</td><td class="num">${rate}</td>${byReason}<td class="when">${status}</td></tr>`;
    })
    .join('\n');
  const missingText =
    missing.length === 0
      ? 'Every day has a succeeded run.'
      : `Crosses on the axis mark the ${fmt(missing.length)} day${missing.length === 1 ? '' : 's'} with no succeeded run (${fmt(
          missing.length - failed.length,
        )} with no run at all, ${fmt(failed.length)} whose runs failed or are unfinished).`;
  return `<section aria-labelledby="flag-rate-title">
  <h2 id="flag-rate-title">Rides and flags, ${days.length} days to ${escapeHtml(model.serviceDate)}</h2>
  <figure class="chart flag-rate-chart">
    ${model.flagRate.svg}
    <figcaption>Top: the rides each day holds (the report day darker). Bottom: the share of each day's scored rides flagged by its latest succeeded run, stacked by reason (outliers ÷ rides scored, as the run recorded them; ${escapeHtml(
      HISTORY_KINDS.missing,
    )}: a cross). ${missingText}</figcaption>
  </figure>
  <details>
    <summary>The numbers, newest first: rides, flags and flags by reason per day</summary>
    <div class="table-scroll">
    <table class="flag-rate">
      <thead><tr><th>Day</th><th class="num">Rides</th><th class="num">Rides scored</th><th class="num">Outliers</th><th class="num">Flag rate</th>${reasonHeads}<th>Flags from</th></tr></thead>
      <tbody>
${rows}
      </tbody>
    </table>
    </div>
  </details>
</section>`;
}

function zoneCell(zone: ListedRide['pickupZone']): string {
  if (!zone) return '<td class="muted">–</td>';
  return `<td class="zone">${escapeHtml(zone.zone)} <span class="borough">${escapeHtml(zone.borough)}</span></td>`;
}

/** The columns every ride list has, then fare and rate code, then zones, the last two when shown. */
function rideHeads(model: ReportModel, shown: ShownColumns): { lead: string; tail: string } {
  return {
    lead: [
      '<th>Ride</th>',
      ...(shown.withTaxi ? ['<th>Taxi</th>'] : []),
      `<th>Pickup <span class="tz">${escapeHtml(model.timeZone)}</span></th>`,
      '<th class="num">Distance<br>(km)</th>',
      '<th class="num">Duration<br>(min)</th>',
      '<th class="num">Speed<br>(km/h)</th>',
      '<th>Reason</th>',
    ].join(''),
    tail: [
      ...(shown.withFares ? ['<th class="num">Fare<br>(USD)</th>', '<th>Rate code</th>'] : []),
      ...(shown.withZones ? ['<th>Pickup zone</th>', '<th>Dropoff zone</th>'] : []),
    ].join(''),
  };
}

function rideCells(model: ReportModel, r: ListedRide, shown: ShownColumns): { lead: string; tail: string } {
  const finite = (v: number, digits: number) => (Number.isFinite(v) ? fixed(v, digits) : escapeHtml(String(v)));
  return {
    lead: `<td class="id">${escapeHtml(r.rideId)}</td>${
      shown.withTaxi ? `<td>${r.taxiId === null ? '<span class="muted">–</span>' : escapeHtml(r.taxiId)}</td>` : ''
    }<td class="when">${escapeHtml(
      timestampIn(model.timeZone, r.pickupAt),
    )}</td><td class="num">${finite(r.distanceKm, 2)}</td><td class="num">${finite(r.durationMin, 1)}</td><td class="num">${
      r.speedKmh === null ? '–' : finite(r.speedKmh, 1)
    }</td><td class="when">${swatch(r.reason)}${escapeHtml(r.reason)}</td>`,
    tail: `${
      shown.withFares
        ? `<td class="num">${r.fareAmount === null ? '<span class="muted">–</span>' : fixed(r.fareAmount, 2)}</td><td class="when">${rateCodeName(r.ratecodeId)}</td>`
        : ''
    }${shown.withZones ? zoneCell(r.pickupZone) + zoneCell(r.dropoffZone) : ''}`,
  };
}

function topOutliersSection(model: ReportModel): string {
  const { rows, limit } = model.topOutliers;
  const heads = rideHeads(model, model.topOutliers);
  const head = `<th class="num">#</th>${heads.lead}<th class="num">Score</th><th>Expected <span class="tz">rides like it</span></th>${heads.tail}`;
  const body = rows
    .map((r, i) => {
      const cells = rideCells(model, r, model.topOutliers);
      return `<tr data-ride-id="${escapeHtml(r.rideId)}" data-score="${r.score}"><td class="num">${i + 1}</td>${cells.lead}<td class="num">${fixed(r.score, 2)}</td><td class="expected">${
        r.expected
          ? `${fixed(r.expected.distanceKm, 2)} km, ${fixed(r.expected.durationMin, 1)} min <span class="muted">(${escapeHtml(r.expected.band)})</span>`
          : '<span class="muted">–</span>'
      }</td>${cells.tail}</tr>`;
    })
    .join('\n');
  return `<section aria-labelledby="top-title">
  <h2 id="top-title">Top ${fmt(limit)} outliers by score</h2>
  <p class="explain">Score: how far a ride lies from normal traffic (for DBSCAN flags, in units of eps: above 1 = outside it). Rides flagged by a rule have no score: they are listed in the next section. Expected: for a ride between two zones, the typical distance and duration of trips between them in the trailing 84 days; otherwise the median of the day's normal rides in its distance band (ride_flag_explanations).</p>
  ${
    rows.length === 0
      ? '<p class="empty">No outlier with a score on this day.</p>'
      : `<div class="table-scroll"><table class="top-outliers">
    <thead><tr>${head}</tr></thead>
    <tbody>
${body}
    </tbody>
  </table></div>`
  }
</section>`;
}

function ruleFlaggedSection(model: ReportModel): string {
  const { rows, total, sql } = model.ruleFlagged;
  const heads = rideHeads(model, model.ruleFlagged);
  const body = rows
    .map((r) => {
      const cells = rideCells(model, r, model.ruleFlagged);
      const fare = model.ruleFlagged.withFares ? ` data-fare="${r.fareAmount ?? ''}" data-ratecode="${r.ratecodeId ?? ''}"` : '';
      return `<tr data-ride-id="${escapeHtml(r.rideId)}" data-reason="${escapeHtml(r.reason)}"${fare}>${cells.lead}${cells.tail}</tr>`;
    })
    .join('\n');
  const more = total - rows.length;
  return `<section aria-labelledby="rules-title">
  <h2 id="rules-title">Rides flagged by a rule <span class="count" data-total="${total}">${fmt(total)}</span></h2>
  <p class="explain">Rides that break a validity rule or a limit (see the parameters above): impossible or implausible records rather than odd traffic. Listed by reason, then pickup time.</p>
  ${
    rows.length === 0
      ? '<p class="empty">No ride of this day breaks a rule.</p>'
      : `<div class="table-scroll"><table class="rule-flagged">
    <thead><tr>${heads.lead}${heads.tail}</tr></thead>
    <tbody>
${body}
    </tbody>
  </table></div>`
  }
  ${
    more > 0
      ? `<p class="more" data-more="${more}"><strong>${fmt(more)} more</strong> not listed. To see all ${fmt(total)}, run <code>ridescan query</code> with:</p>
  <pre class="sql"><code>${escapeHtml(sql)}</code></pre>`
      : ''
  }
</section>`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #6b7280; --line: #e3e6ea; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: #f6f7f9; }
main { max-width: 1360px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; min-height: 100vh; }
header .kicker { margin: 0; color: var(--accent); font-weight: 600; letter-spacing: .04em; text-transform: uppercase; font-size: 12px; }
h1 { margin: 4px 0 2px; font-size: 26px; }
h1 .iso { color: var(--muted); font-weight: 400; font-size: 18px; margin-left: 8px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.meta, .explain, figcaption, .muted { color: var(--muted); }
.meta { margin: 0 0 18px; font-size: 13px; }
.summary { display: flex; flex-direction: column; gap: 14px; }
.summary > * { min-width: 0; }
.run p { margin: 4px 0; }
.note { background: #fff4e5; border-left: 4px solid #e69f00; padding: 6px 10px; margin: 6px 0; }
.note ul.drift { margin: 4px 0 2px; padding-left: 20px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f3f5; padding: 1px 5px; border-radius: 3px; margin-right: 4px; }
details.parameters { margin-top: 8px; }
dl.params { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 6px 24px; margin: 8px 0 0; padding: 10px 14px; border: 1px solid var(--line); border-radius: 6px; }
dl.params div { min-width: 0; }
dl.params dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
dl.params dd { margin: 0; overflow-wrap: anywhere; }
td.advice { min-width: 260px; max-width: 560px; font-size: 13.5px; }
td.reason { white-space: nowrap; }
pre.sql { white-space: pre-wrap; overflow-wrap: anywhere; background: #f1f3f5; padding: 8px 12px; border-radius: 4px; font-size: 12.5px; }
pre.sql code { background: none; padding: 0; margin: 0; }
h2 .count { color: var(--muted); font-weight: 400; font-size: 16px; margin-left: 6px; }
.status { font-weight: 600; padding: 1px 6px; border-radius: 3px; }
.status-succeeded { background: #e3f4ea; color: #17663a; }
.status-failed { background: #fde8e8; color: #a11d1d; }
.status-running { background: #fff4e5; color: #8a5a00; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 150px; }
.tile .value { display: block; font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; white-space: nowrap; vertical-align: bottom; }
th .tz { font-weight: 400; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfc; }
.table-scroll { overflow-x: auto; max-width: 100%; }
table.top-outliers, table.rule-flagged { width: 100%; font-size: 13.5px; }
table.top-outliers th, table.top-outliers td, table.rule-flagged th, table.rule-flagged td, table.flag-rate th, table.flag-rate td { padding: 5px 8px; }
/* ride ids run to 40 characters (TLC): broken anywhere rather than widening the table */
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; min-width: 120px; max-width: 180px; word-break: break-all; }
td.when { white-space: nowrap; }
.borough { color: var(--muted); font-size: 12px; }
td.zone { min-width: 120px; }
tr.report-day { font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
figure { margin: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 13.5px; margin-top: 6px; max-width: 880px; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--accent); }
.empty { font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
section { min-width: 0; }
@media (max-width: 900px) {
  main { padding: 18px 14px 32px; }
  h1 { font-size: 22px; }
  .tile { min-width: 0; flex: 1 1 140px; }
}
@media print { body { background: #fff; } main { padding: 0; } details { display: none; } }
`;

export function renderReportHtml(model: ReportModel): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ridescan report ${escapeHtml(model.serviceDate)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(model)}
<section aria-labelledby="scatter-title">
  <h2 id="scatter-title">Distance against duration</h2>
  <figure class="chart scatter-chart" data-marks-class="${escapeHtml(SCATTER_MARKS_CLASS)}">
    ${model.scatter.svg}
    <figcaption>${scatterCaption(model)}</figcaption>
  </figure>
</section>
${flagRateSection(model)}
${topOutliersSection(model)}
${ruleFlaggedSection(model)}
<footer>ridescan: DBSCAN on ride distance and duration. Flags live in rides.is_outlier, outlier_reason and outlier_score; runs in detection_runs.</footer>
</main>
</body>
</html>
`;
}
