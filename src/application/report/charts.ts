// The report's charts, as Vega-Lite specs rendered to SVG strings on the server.
//
// Why Vega-Lite: the charts are declarative JSON specs (below) that the ML engineer can tweak
// without touching rendering code; compiled through `vega` with the 'none' renderer they become
// SVG in Node with no browser, canvas or native dependency; and scales, axes and legends come out
// right (nice ticks, titles, a legend per encoding) without hand-drawn geometry.
import * as vega from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import { OUTLIER_REASONS, type OutlierReason } from '../../compute/outlierReasons.js';
import type { FlagRateDay, PlotPoint } from '../../storage/reportQueries.js';

/** The scatter's category for rides that are not outliers. */
export const NORMAL = 'normal';

/** Vega names the scatter's mark group `<name>_marks`: the SVG group of one symbol per ride. */
export const SCATTER_NAME = 'ride_scatter';
export const SCATTER_MARKS_CLASS = `${SCATTER_NAME}_marks`;

interface CategoryStyle {
  color: string;
  shape: string;
}

// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies) and a few dark
// ones after them, one shape per reason as well, and normal traffic muted grey so that the
// flags stand out.
const NORMAL_STYLE: CategoryStyle = { color: '#b3b3b3', shape: 'circle' };
const REASON_STYLES: Record<OutlierReason, CategoryStyle> = {
  noise: { color: '#d55e00', shape: 'circle' },
  small_cluster: { color: '#0072b2', shape: 'diamond' },
  invalid_duration: { color: '#cc79a7', shape: 'triangle-up' },
  invalid_distance: { color: '#e69f00', shape: 'square' },
  non_finite: { color: '#009e73', shape: 'cross' },
  speed_limit: { color: '#000000', shape: 'triangle-right' },
  duration_limit: { color: '#7a5195', shape: 'triangle-left' },
  zero_distance: { color: '#a6761d', shape: 'wedge' },
  kmeans_distance: { color: '#56b4e9', shape: 'triangle-down' },
  no_trip: { color: '#8c6d31', shape: 'triangle' },
  // a five-pointed star (a Vega shape may be an SVG path in a unit square about the origin)
  void_fare: { color: '#b2182b', shape: 'M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z' },
};
// Reasons a later detector may add before this list knows them: still drawn, in other colours.
const OTHER_STYLES: CategoryStyle[] = [
  { color: '#4d4d4d', shape: 'arrow' },
  { color: '#882255', shape: 'triangle' },
  { color: '#999933', shape: 'stroke' },
];

export function categoryStyle(category: string): CategoryStyle {
  if (category === NORMAL) return NORMAL_STYLE;
  if ((OUTLIER_REASONS as readonly string[]).includes(category)) return REASON_STYLES[category as OutlierReason];
  let hash = 0;
  for (const ch of category) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return OTHER_STYLES[hash % OTHER_STYLES.length];
}

/** Known reasons in their canonical order, then any others alphabetically. */
export function orderReasons(reasons: Iterable<string>): string[] {
  const known = OUTLIER_REASONS as readonly string[];
  return [...new Set(reasons)].sort((a, b) => {
    const ia = known.indexOf(a);
    const ib = known.indexOf(b);
    if (ia >= 0 && ib >= 0) return ia - ib;
    if (ia >= 0 || ib >= 0) return ia >= 0 ? -1 : 1;
    return a.localeCompare(b);
  });
}

export type AxisScale = 'linear' | 'symlog';

/**
 * Linear axes read best, but a handful of absurd rides (a 900 km trip) would squash the day's
 * traffic into a corner: an axis whose largest value passes 20 times the 95th percentile of
 * normal rides (of all plotted rides when none is normal) turns symmetric-log.
 */
export function scatterAxes(points: PlotPoint[]): { x: AxisScale; y: AxisScale } {
  const normal = points.filter((p) => p.reason === null);
  const typical = normal.length > 0 ? normal : points;
  const choose = (value: (p: PlotPoint) => number): AxisScale => {
    if (typical.length === 0) return 'linear';
    const sorted = Float64Array.from(typical, value).sort();
    const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))];
    const largest = points.reduce((max, p) => Math.max(max, value(p)), 0);
    return largest > 1 && largest > 20 * p95 ? 'symlog' : 'linear';
  };
  return { x: choose((p) => p.distanceKm), y: choose((p) => p.durationMin) };
}

/** 0, 1, 2, 5, 10, 20, 50, … up to `largest`: readable ticks for a symlog axis (vega's own bunch up at the far end). */
export function symlogTicks(largest: number): number[] {
  const ticks = [0];
  for (let decade = 1; ; decade *= 10) {
    for (const step of [1, 2, 5]) {
      ticks.push(step * decade);
      if (step * decade >= largest) return ticks;
    }
  }
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const CHART_CONFIG: Config = {
  font: FONT,
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 600, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 12, titleFontSize: 13 },
  view: { stroke: '#cccccc' },
};

export function scatterSpec(points: PlotPoint[], scales: { x: AxisScale; y: AxisScale }): TopLevelSpec {
  const categories = [NORMAL, ...orderReasons(points.flatMap((p) => (p.reason === null ? [] : [p.reason])))];
  const present = new Set(points.map((p) => p.reason ?? NORMAL));
  const domain = categories.filter((c) => present.has(c));
  const styles = domain.map(categoryStyle);
  const isNormal = `datum.category === '${NORMAL}'`;
  const axisTitle = (title: string, scale: AxisScale) => (scale === 'symlog' ? `${title}, symmetric log scale` : title);
  const largest = (values: number[]) => values.reduce((max, v) => Math.max(max, v), 0);
  const ticks = (values: number[]) => symlogTicks(largest(values));
  // a symlog axis ends on its last tick, so that the far end is labelled
  const scale = (type: AxisScale, values: number[]) =>
    type === 'symlog' ? { type, domain: [0, ticks(values).at(-1)!] } : { type, zero: true, nice: true };
  const axis = (type: AxisScale, values: number[]) => (type === 'symlog' ? { values: ticks(values) } : {});
  return {
    name: SCATTER_NAME,
    width: 900,
    height: 440,
    data: { values: points.map((p) => ({ distance_km: p.distanceKm, duration_min: p.durationMin, category: p.reason ?? NORMAL })) },
    // aria off: otherwise every one of thousands of symbols carries its own label in the SVG
    mark: { type: 'point', filled: true, aria: false },
    encoding: {
      x: {
        field: 'distance_km',
        type: 'quantitative',
        title: axisTitle('Distance (km)', scales.x),
        scale: scale(scales.x, points.map((p) => p.distanceKm)),
        axis: axis(scales.x, points.map((p) => p.distanceKm)),
      },
      y: {
        field: 'duration_min',
        type: 'quantitative',
        title: axisTitle('Duration (min)', scales.y),
        scale: scale(scales.y, points.map((p) => p.durationMin)),
        axis: axis(scales.y, points.map((p) => p.durationMin)),
      },
      color: {
        field: 'category',
        type: 'nominal',
        title: 'Ride',
        scale: { domain, range: styles.map((s) => s.color) },
      },
      shape: {
        field: 'category',
        type: 'nominal',
        title: 'Ride',
        scale: { domain, range: styles.map((s) => s.shape) },
      },
      size: { condition: { test: isNormal, value: 14 }, value: 40 },
      opacity: { condition: { test: isNormal, value: 0.45 }, value: 0.9 },
    },
    config: { ...CHART_CONFIG, legend: { ...CHART_CONFIG.legend, symbolOpacity: 1, symbolSize: 80 } },
  };
}

export const HISTORY_KINDS = {
  missing: 'no succeeded run',
} as const;

/**
 * The trailing days in two panels on one day axis: the rides each day holds, and below it
 * the share of its scored rides flagged, stacked by reason (so a jump shows which reason made it).
 * A day without a succeeded run is a red cross on the axis rather than a bar of zero; the report
 * day's label is bold.
 */
export function historySpec(days: FlagRateDay[], reportDay: string): TopLevelSpec {
  const reasons = orderReasons(days.flatMap((d) => Object.keys(d.outliersByReason ?? {})));
  const styles = reasons.map(categoryStyle);
  const flags = days.flatMap((d) =>
    d.succeededRunId === null || !d.ridesScored
      ? []
      : reasons
          .filter((reason) => (d.outliersByReason?.[reason] ?? 0) > 0)
          .map((reason) => ({ day: d.day, reason, order: reasons.indexOf(reason), rate: (100 * d.outliersByReason![reason]) / d.ridesScored! })),
  );
  const missing = days.filter((d) => d.succeededRunId === null).map((d) => ({ day: d.day, kind: HISTORY_KINDS.missing }));
  const x = (title: string | null, labels: boolean) => ({
    field: 'day',
    type: 'ordinal' as const,
    title,
    scale: { domain: days.map((d) => d.day) },
    axis: labels
      ? {
          labelExpr: 'slice(datum.value, 5)',
          labelAngle: -60,
          labelFontWeight: { condition: { test: `datum.value === '${reportDay}'`, value: 'bold' as const }, value: 'normal' as const },
        }
      : { labels: false, ticks: false },
  });
  return {
    vconcat: [
      {
        width: 900,
        height: 90,
        data: { values: days.map((d) => ({ day: d.day, rides: d.rides, isReportDay: d.day === reportDay })) },
        mark: { type: 'bar', aria: false },
        encoding: {
          x: x(null, false),
          y: { field: 'rides', type: 'quantitative', title: 'Rides', axis: { tickCount: 3, format: '~s' } },
          color: { condition: { test: 'datum.isReportDay', value: '#0b4f8a' }, value: '#9db4cc' },
        },
      },
      {
        width: 900,
        height: 220,
        layer: [
          {
            data: { values: flags },
            mark: { type: 'bar', aria: false },
            encoding: {
              x: x('Service day', true),
              y: { field: 'rate', type: 'quantitative', title: 'Flagged rides (%)', stack: 'zero' },
              color: { field: 'reason', type: 'nominal', title: 'Reason', scale: { domain: reasons, range: styles.map((st) => st.color) } },
              order: { field: 'order', type: 'quantitative' },
            },
          },
          {
            // days with no flags to count: a cross on the axis rather than a bar of zero
            data: { values: missing },
            mark: { type: 'point', shape: 'cross', filled: true, size: 70, color: '#c0392b', aria: false },
            encoding: { x: x('Service day', true), y: { datum: 0, type: 'quantitative' } },
          },
        ],
      },
    ],
    spacing: 6,
    config: CHART_CONFIG,
  };
}

/** Compiles a Vega-Lite spec and renders it headless to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Vega writes symbol positions with full float precision; hundredths of a pixel are plenty
    // and make a scatter of thousands of rides a third smaller.
    return svg.replace(/translate\((-?[\d.]+),(-?[\d.]+)\)/g, (_, x: string, y: string) => `translate(${round2(x)},${round2(y)})`);
  } finally {
    view.finalize();
  }
}

function round2(value: string): string {
  return String(Math.round(Number(value) * 100) / 100);
}
