// The operations team's morning report for one service day: gathers the day from the database,
// draws the charts and lays out one self-contained HTML page (see html.ts).
import type { Database } from '../../storage/database.js';
import { WorkFailedError } from '../errors.js';
import { getRun, listRuns, type RunRow } from '../../storage/runs.js';
import {
  dayComposition,
  flagRateDays,
  latestSucceededRunId,
  optionalColumns,
  plotSample,
  reasonRidesSql,
  ridesWithReasons,
  topScoredOutliers,
  type FlagRateDay,
  type ListedRide,
  type ScoredOutlier,
} from '../../storage/reportQueries.js';
import { RULE_REASONS } from '../../compute/outlierReasons.js';
import { historySpec, orderReasons, renderSvg, scatterAxes, scatterSpec, NORMAL, type AxisScale } from './charts.js';
import { renderReportHtml } from './html.js';
import { driftWarningsOfRun } from './runDrift.js';

/** Normal rides drawn in the scatter: enough to show the shape of the day's traffic. */
export const NORMAL_PLOT_LIMIT = 5_000;
/** Outliers drawn per reason: all of them on any plausible day; a cap keeps the file small on a broken one. */
export const REASON_PLOT_LIMIT = 10_000;
export const FLAG_RATE_DAYS = 30;
export const TOP_OUTLIERS = 50;
/** Rule-flagged rides listed; the rest are counted, with the SQL that lists them all. */
export const RULE_FLAGGED_LIMIT = 100;

export interface ReportOptions {
  serviceDate: string;
  /** service-day time zone: pickup times are shown in it */
  timeZone: string;
  generatedAt?: Date;
}

/** The day cannot be reported on (no rides, never scored): the command fails with exit 1. */
export class ReportUnavailableError extends WorkFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'ReportUnavailableError';
  }
}

export interface CategoryCount {
  /** an outlier reason, or NORMAL */
  category: string;
  /** scored rides of this category */
  rides: number;
  /** of which can be drawn on the axes */
  plottable: number;
  /** of which are drawn */
  plotted: number;
}

export interface ReportModel {
  serviceDate: string;
  timeZone: string;
  generatedAt: Date;
  latestRun: RunRow;
  /** the latest succeeded run, whose flags the rides table holds; null when none succeeded */
  flagsRun: RunRow | null;
  rides: number;
  unscored: number;
  scatter: {
    svg: string;
    plotted: number;
    /** normal first, then reasons in canonical order */
    categories: CategoryCount[];
    scales: { x: AxisScale; y: AxisScale };
  };
  /** the flags run's drift warnings, one sentence per drifted metric (none without drift) */
  driftWarnings: string[];
  /** the trailing days: rides, flag rate by reason */
  flagRate: { svg: string; days: FlagRateDay[]; reasons: string[] };
  topOutliers: { rows: ScoredOutlier[]; limit: number } & ShownColumns;
  /** rides flagged by a rule (no score): the first `limit`, the count of all, the SQL listing all */
  ruleFlagged: { rows: ListedRide[]; total: number; limit: number; sql: string } & ShownColumns;
}

/** Optional columns shown only when a listed ride has a value for them. */
export interface ShownColumns {
  /** TLC records have no taxi id */
  withTaxi: boolean;
  withZones: boolean;
  withFares: boolean;
}

function shownColumns(rows: ListedRide[]): ShownColumns {
  return {
    withTaxi: rows.some((r) => r.taxiId !== null),
    withZones: rows.some((r) => r.pickupZone || r.dropoffZone),
    withFares: rows.some((r) => r.fareAmount !== null || r.ratecodeId !== null),
  };
}

export interface Report {
  html: string;
  model: ReportModel;
}

async function latestSucceededRun(db: Database, serviceDate: string): Promise<RunRow | null> {
  const id = await latestSucceededRunId(db, serviceDate);
  return id === null ? null : ((await getRun(db, id)) ?? null);
}

export async function buildReport(db: Database, options: ReportOptions): Promise<Report> {
  const { serviceDate } = options;
  // Independent reads run side by side: a server answers them on parallel connections.
  const [composition, [latestRun]] = await Promise.all([dayComposition(db, serviceDate), listRuns(db, { serviceDate, limit: 1 })]);
  const rides = composition.reduce((sum, row) => sum + row.rides, 0);
  if (rides === 0) throw new ReportUnavailableError(`service day ${serviceDate} has no rides: load or simulate its rides first`);
  if (!latestRun) {
    throw new ReportUnavailableError(
      `service day ${serviceDate} has ${rides.toLocaleString('en-US')} rides but no detection run: run \`ridescan detect --date ${serviceDate}\` first`,
    );
  }
  const columns = await optionalColumns(db);
  const [flagsRun, points, days, top, ruleFlagged] = await Promise.all([
    latestRun.status === 'succeeded' ? latestRun : latestSucceededRun(db, serviceDate),
    plotSample(db, serviceDate, { normalLimit: NORMAL_PLOT_LIMIT, perReasonLimit: REASON_PLOT_LIMIT }),
    flagRateDays(db, serviceDate, FLAG_RATE_DAYS),
    topScoredOutliers(db, serviceDate, TOP_OUTLIERS, columns),
    ridesWithReasons(db, serviceDate, RULE_REASONS, RULE_FLAGGED_LIMIT, columns),
  ]);
  const categories = countCategories(composition, points);
  const scales = scatterAxes(points);
  const scatterSvg = await renderSvg(scatterSpec(points, scales));
  const historySvg = await renderSvg(historySpec(days, serviceDate));

  const model: ReportModel = {
    serviceDate,
    timeZone: options.timeZone,
    generatedAt: options.generatedAt ?? new Date(),
    latestRun,
    flagsRun,
    rides,
    unscored: composition.filter((row) => row.isOutlier === null).reduce((sum, row) => sum + row.rides, 0),
    scatter: { svg: scatterSvg, plotted: points.length, categories, scales },
    driftWarnings: flagsRun ? driftWarningsOfRun(flagsRun) : [],
    flagRate: { svg: historySvg, days, reasons: orderReasons(days.flatMap((d) => Object.keys(d.outliersByReason ?? {}))) },
    topOutliers: { rows: top, limit: TOP_OUTLIERS, ...shownColumns(top) },
    ruleFlagged: {
      rows: ruleFlagged.rows,
      total: ruleFlagged.total,
      limit: RULE_FLAGGED_LIMIT,
      sql: reasonRidesSql(serviceDate, RULE_REASONS),
      ...shownColumns(ruleFlagged.rows),
    },
  };
  return { html: renderReportHtml(model), model };
}

function countCategories(composition: Awaited<ReturnType<typeof dayComposition>>, points: { reason: string | null }[]): CategoryCount[] {
  const counts = new Map<string, CategoryCount>();
  const entry = (category: string) => {
    let found = counts.get(category);
    if (!found) counts.set(category, (found = { category, rides: 0, plottable: 0, plotted: 0 }));
    return found;
  };
  for (const row of composition) {
    if (row.isOutlier === null) continue;
    const count = entry(row.isOutlier ? (row.reason ?? 'unknown') : NORMAL);
    count.rides += row.rides;
    if (row.plottable) count.plottable += row.rides;
  }
  for (const point of points) entry(point.reason ?? NORMAL).plotted++;
  const order = [NORMAL, ...orderReasons([...counts.keys()].filter((c) => c !== NORMAL))];
  return order.filter((c) => counts.has(c)).map((c) => counts.get(c)!);
}
