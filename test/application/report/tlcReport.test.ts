// The report of a real day: the first 22,793 TLC yellow trips of January 2021 loaded and scored
// through the real use cases, each new section checked against what the database says, and the
// page laid out in Chromium at 800 and 1400 px.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { scoreForTest } from '../../support/scoring.js';
import { loadRideFile } from '../../../src/application/ingest/loadFile.js';
import { buildReport, RULE_FLAGGED_LIMIT, type Report } from '../../../src/application/report/buildReport.js';
import { RATE_CODES } from '../../../src/application/report/html.js';
import { adviceFor } from '../../../src/application/report/reasonAdvice.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectorParams.js';
import { RULE_REASONS } from '../../../src/compute/outlierReasons.js';
import { runReadOnlyQuery } from '../../../src/storage/readOnlyQuery.js';
import { TLC_SAMPLE } from '../ingest/fixtures.js';
import { CHROMIUM, launchChromium, openFile } from './chromium.js';
import { checkLayout } from './reportLayout.js';

const DAY = '2021-01-01';
const TZ = 'America/New_York';

function rowsOf(html: string, tableClass: string): Record<string, string>[] {
  const start = html.indexOf(`<table class="${tableClass}"`);
  expect(start, `table.${tableClass} in the report`).toBeGreaterThanOrEqual(0);
  const table = html.slice(start, html.indexOf('</table>', start));
  return [...table.matchAll(/<tr((?:\s+data-[a-z-]+="[^"]*")+)/g)].map((m) =>
    Object.fromEntries([...m[1].matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

describe.each(databaseTargets)('the report of a TLC day on $name', (target) => {
  let test: TestDatabase;
  let report: Report;

  beforeAll(async () => {
    test = await target.create();
    await loadRideFile(test.db, TLC_SAMPLE, { format: 'auto', dryRun: false, serviceTimeZone: TZ });
    await scoreForTest(test.db, { serviceDate: DAY, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    report = await buildReport(test.db, { serviceDate: DAY, timeZone: TZ });
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('lists the rule-flagged rides up to the cap, says how many more, and gives SQL that finds them all', async () => {
    const { rows } = await test.db.knex.raw(
      `select ride_id, outlier_reason from rides where service_date = ? and outlier_reason in (${RULE_REASONS.map(() => '?').join(', ')})`,
      [DAY, ...RULE_REASONS],
    );
    const truth = new Map((rows as { ride_id: string; outlier_reason: string }[]).map((r) => [r.ride_id, r.outlier_reason]));
    // the sample has more rule-flagged rides than the cap: the cap and the "more" line are both tested
    expect(truth.size).toBeGreaterThan(RULE_FLAGGED_LIMIT);
    const listed = rowsOf(report.html, 'rule-flagged');
    expect(listed).toHaveLength(Math.min(truth.size, RULE_FLAGGED_LIMIT));
    expect(new Set(listed.map((r) => r['ride-id'])).size).toBe(listed.length);
    for (const row of listed) expect(row.reason, row['ride-id']).toBe(truth.get(row['ride-id']));
    // grouped by reason, in the canonical order
    const order = listed.map((r) => RULE_REASONS.indexOf(r.reason as (typeof RULE_REASONS)[number]));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(report.html).toContain(`data-total="${truth.size}"`);
    expect(report.html).toContain(`<p class="more" data-more="${truth.size - listed.length}"><strong>${(truth.size - listed.length).toLocaleString('en-US')} more</strong>`);
    const all = await runReadOnlyQuery(test.db, report.model.ruleFlagged.sql, { timeoutMs: 20_000, maxRows: 10_000, timeZone: 'UTC' });
    expect(all.rows.map((r) => r[0]).sort()).toEqual([...truth.keys()].sort());
  });

  it('shows the fare and a named rate code of each listed TLC ride, as the rides table has them', async () => {
    expect(report.model.ruleFlagged.withFares).toBe(true);
    expect(report.model.topOutliers.withFares).toBe(true);
    expect(report.html).toContain('<th class="num">Fare<br>(USD)</th><th>Rate code</th>');
    const listed = rowsOf(report.html, 'rule-flagged');
    const stored = await test.db.knex('rides').select('ride_id', 'fare_amount', 'ratecode_id').whereIn('ride_id', listed.map((r) => r['ride-id']));
    const byId = new Map(stored.map((r: { ride_id: string; fare_amount: number | null; ratecode_id: number | null }) => [r.ride_id, r]));
    for (const row of listed) {
      const ride = byId.get(row['ride-id'])!;
      expect(row.fare, row['ride-id']).toBe(ride.fare_amount === null ? '' : String(ride.fare_amount));
      expect(row.ratecode, row['ride-id']).toBe(ride.ratecode_id === null ? '' : String(ride.ratecode_id));
    }
    // a negotiated fare among them is named
    const negotiated = listed.find((r) => r.ratecode === '5');
    expect(negotiated).toBeDefined();
    expect(RATE_CODES[5]).toBe('Negotiated');
    expect(report.html).toContain('Negotiated <span class="muted">(5)</span>');
    // TLC records carry no taxi id: no empty Taxi column
    expect(report.model.ruleFlagged.withTaxi).toBe(false);
  });

  it('names pickup and dropoff zones as the zones table does', async () => {
    expect(report.model.ruleFlagged.withZones).toBe(true);
    const [first] = report.model.ruleFlagged.rows;
    const zone = await test.db.knex('rides as r').join('zones as z', 'z.location_id', 'r.pickup_zone_id').where('r.ride_id', first.rideId).first('z.zone', 'z.borough');
    expect(first.pickupZone).toEqual({ zone: zone.zone, borough: zone.borough });
  });

  it('puts the rides of the day beside its flags by reason, as the run recorded them', async () => {
    const [run] = await test.db.knex('detection_runs').where({ service_date: DAY, status: 'succeeded' }).orderBy('id', 'desc').limit(1);
    const day = report.model.flagRate.days.find((d) => d.day === DAY)!;
    const { rows } = await test.db.knex.raw(`select count(*)::int as n from rides where service_date = ?`, [DAY]);
    expect(day.rides).toBe(Number(rows[0].n));
    expect(day.outliersByReason).toEqual(run.outliers_by_reason);
    const row = rowsOf(report.html, 'flag-rate').find((r) => r.day === DAY)!;
    expect(row.rides).toBe(String(rows[0].n));
    // one column per reason of the window, each day's count in it
    for (const reason of Object.keys(run.outliers_by_reason)) expect(report.model.flagRate.reasons).toContain(reason);
    const table = report.html.slice(report.html.indexOf('<table class="flag-rate"'));
    const dayRow = table.slice(table.indexOf(`data-day="${DAY}"`), table.indexOf('</tr>', table.indexOf(`data-day="${DAY}"`)));
    const cells = [...dayRow.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    // rides, rides scored, outliers, flag rate, then the reasons in the table's order
    const counts = cells.slice(4, 4 + report.model.flagRate.reasons.length);
    expect(counts).toEqual(report.model.flagRate.reasons.map((r) => (run.outliers_by_reason[r] ?? 0).toLocaleString('en-US')));
  });

  it('gives the parameters as a definition list and what to do per reason', async () => {
    const [run] = await test.db.knex('detection_runs').where({ service_date: DAY }).orderBy('id', 'desc').limit(1);
    const resolved = run.parameters.resolved;
    expect(report.html).toContain(`<div data-key="minSamples"><dt>min_samples</dt><dd>auto → ${resolved.dbscan.minSamples}</dd></div>`);
    expect(report.html).toContain(`<div data-key="rules.maxSpeedKmh"><dt>speed limit</dt><dd>${resolved.rules.maxSpeedKmh} km/h`);
    expect(report.html).not.toMatch(/<code>[^<]*\{/); // no raw JSON
    for (const reason of Object.keys(run.outliers_by_reason)) {
      expect(report.html).toContain(`<tr data-reason="${reason}">`);
      expect(report.html).toContain(`<td class="advice">${adviceFor(reason)!.replace(/'/g, '&#39;')}</td>`);
    }
  });

  const browserMissing = !existsSync(CHROMIUM) && !process.env.CI;
  describe.skipIf(browserMissing)('in headless Chromium', () => {
    let browser: Browser | undefined;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ridescan-tlc-report-'));
      browser = await launchChromium(dir);
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fits 800 and 1400 px: no page-wide horizontal scroll, every table whole or scrolling in its own box', async () => {
      const file = join(dir, 'report.html');
      writeFileSync(file, report.html);
      const { page, problems } = await openFile(browser!, file);
      expect(problems).toEqual([]);
      for (const width of [800, 1400]) {
        const layout = await checkLayout(page, width);
        expect(layout.tables, `${width} px`).toBeGreaterThanOrEqual(4);
        expect(layout.page.scrollWidth, `${width} px`).toBeLessThanOrEqual(layout.page.clientWidth);
        expect(layout.overflowingBlocks, `${width} px`).toEqual([]);
        expect(layout.unscrolledTables, `${width} px`).toEqual([]);
        expect(layout.clippedBoxes, `${width} px`).toEqual([]);
      }
      // the widest table does scroll at 800 px: the check above is not vacuous
      await page.setViewport({ width: 800, height: 900 });
      const scrolls = await page.$eval('table.rule-flagged', (t) => {
        const box = t.closest('.table-scroll')!;
        return box.scrollWidth > box.clientWidth;
      });
      expect(scrolls).toBe(true);
      await page.close();
    });
  });
});
