import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { buildReport, ReportUnavailableError, RULE_FLAGGED_LIMIT, type Report } from '../../../src/application/report/buildReport.js';
import { driftWarningsOfRun } from '../../../src/application/report/runDrift.js';
import { RULE_REASONS } from '../../../src/compute/outlierReasons.js';
import { checkLayout } from './reportLayout.js';
import { escapeHtml } from '../../../src/application/report/html.js';
import { plotSample } from '../../../src/storage/reportQueries.js';
import { CHROMIUM, launchChromium, openFile } from './chromium.js';
import { DETECT_PARAMS, HOSTILE_TAXI_ID, dayBefore, expectedPlotted, fillReportScenario, type ReportScenario } from './reportScenario.js';

/** Every http(s) URL in the text, with the attribute it is the value of (if any). */
function urlsIn(html: string): { url: string; attribute: string | null }[] {
  return [...html.matchAll(/https?:\/\/[^\s"'<>)]*/gi)].map((m) => {
    const before = html.slice(Math.max(0, m.index - 20), m.index);
    const attribute = /\s(xmlns(?::[a-z]+)?)="$/i.exec(before)?.[1] ?? null;
    return { url: m[0], attribute };
  });
}

function attributeRows(html: string, tableClass: string): Record<string, string>[] {
  const start = html.indexOf(`<table class="${tableClass}"`);
  expect(start, `table.${tableClass} in the report`).toBeGreaterThanOrEqual(0);
  const table = html.slice(start, html.indexOf('</table>', start));
  return [...table.matchAll(/<tr((?:\s+data-[a-z-]+="[^"]*")+)/g)].map((m) =>
    Object.fromEntries([...m[1].matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

const unescape = (text: string) =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

describe.each(databaseTargets)('ridescan report on $name', (target) => {
  let test: TestDatabase;
  let scenario: ReportScenario;
  let report: Report;

  beforeAll(async () => {
    test = await target.create();
    scenario = await fillReportScenario(test.db);
    report = await buildReport(test.db, { serviceDate: scenario.reportDay, timeZone: 'UTC' });
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('is self-contained: no URL but the SVG namespaces, no script, stylesheet link, image or font', () => {
    const { html } = report;
    const urls = urlsIn(html);
    expect(urls.length).toBeGreaterThan(0);
    for (const { url, attribute } of urls) {
      expect({ url, attribute }).toSatisfy(
        (u: { url: string; attribute: string | null }) =>
          (u.url === 'http://www.w3.org/2000/svg' && u.attribute === 'xmlns') ||
          (u.url === 'http://www.w3.org/1999/xlink' && u.attribute === 'xmlns:xlink'),
      );
    }
    // url(#id) points inside the page (SVG clip paths); any other url( would fetch
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|@font-face|url\((?!#)/i);
    expect(html).not.toMatch(/<[^>]*[\s:](src|href)=/i);
  });

  it('escapes text from the database', () => {
    expect(report.html).not.toContain(HOSTILE_TAXI_ID);
    expect(report.html).toContain(escapeHtml(HOSTILE_TAXI_ID));
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('draws every plottable outlier and a sample of 5,000 normal rides, and says so', async () => {
    const expected = await expectedPlotted(test.db, scenario.reportDay);
    expect(expected.normal).toBe(5_000);
    expect(report.model.scatter.plotted).toBe(expected.total);
    expect(report.html).toContain(`data-plotted="${expected.total}"`);
    const marks = report.model.scatter.svg.match(/<g class="mark-symbol role-mark ride_scatter_marks"[^>]*>(.*?)<\/g>/s);
    expect(marks).not.toBeNull();
    expect(marks![1].match(/<path /g)?.length).toBe(expected.total);
    const { rows } = await test.db.knex.raw(`select count(*) filter (where not is_outlier)::int as normal from rides where service_date = ?`, [
      scenario.reportDay,
    ]);
    expect(report.html).toContain(`a sample of 5,000 of ${Number(rows[0].normal).toLocaleString('en-US')} normal rides`);
    // the seven rule-flagged rides have negative or NaN values: counted in the caption instead
    expect(report.html).toMatch(/Not on the axes: 7 rides .*invalid_duration 3, invalid_distance 2, non_finite 2/);
  });

  it('caps each category at its limit, with the same rides every time', async () => {
    const small = { normalLimit: 40, perReasonLimit: 3 };
    const first = await plotSample(test.db, scenario.reportDay, small);
    expect(first.filter((p) => p.reason === null)).toHaveLength(40);
    const perReason = new Map<string, number>();
    for (const p of first) if (p.reason !== null) perReason.set(p.reason, (perReason.get(p.reason) ?? 0) + 1);
    expect(perReason.get('noise')).toBe(3);
    for (const count of perReason.values()) expect(count).toBeLessThanOrEqual(3);
    expect(await plotSample(test.db, scenario.reportDay, small)).toEqual(first);
  });

  it('samples the same rides every time', async () => {
    const again = await buildReport(test.db, { serviceDate: scenario.reportDay, timeZone: 'UTC', generatedAt: report.model.generatedAt });
    expect(again.html).toBe(report.html);
  });

  it('lists the top outliers by score, highest first, as a direct query does, with zone names', async () => {
    const listed = attributeRows(report.html, 'top-outliers');
    const direct = await test.db.knex('rides')
      .select('ride_id', 'outlier_score')
      .where({ service_date: scenario.reportDay, is_outlier: true })
      .whereNotNull('outlier_score')
      .orderBy([{ column: 'outlier_score', order: 'desc' }, 'ride_id'])
      .limit(50);
    expect(direct.length).toBeGreaterThan(10);
    expect(listed.map((r) => unescape(r['ride-id']))).toEqual(direct.map((r: { ride_id: string }) => r.ride_id));
    const scores = listed.map((r) => Number(r.score));
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
    expect(scores).toEqual(direct.map((r: { outlier_score: number }) => Number(r.outlier_score)));
    expect(report.html).toContain('<th>Pickup zone</th>');
    expect(report.html).toContain('JFK Airport <span class="borough">Queens</span>');
    expect(report.html).toContain('Times Sq/Theatre District <span class="borough">Manhattan</span>');
  });

  it('gives each listed outlier what was expected of it, as ride_flag_explanations has it', async () => {
    const [top] = report.model.topOutliers.rows;
    const view = await test.db.knex('ride_flag_explanations').where({ ride_id: top.rideId }).first();
    expect(top.expected).toEqual({ distanceKm: view.expected_distance_km, durationMin: view.expected_duration_min, band: view.distance_band });
    expect(report.model.topOutliers.rows.every((r) => r.expected !== null)).toBe(true);
    expect(report.html).toContain(`${view.expected_distance_km.toFixed(2)} km, ${view.expected_duration_min.toFixed(1)} min`);
  });

  it('shows the flag rate of the 30 days to the report day as the rides table has it', async () => {
    const listed = attributeRows(report.html, 'flag-rate');
    const from = dayBefore(scenario.reportDay, 29);
    expect(listed.map((r) => r.day)).toEqual(Array.from({ length: 30 }, (_, i) => dayBefore(scenario.reportDay, i)));
    const { rows } = await test.db.knex.raw(
      `select to_char(r.service_date, 'YYYY-MM-DD') as day, count(*)::int as rides,
              count(*) filter (where r.is_outlier)::int as outliers
       from rides r
       where r.service_date between ?::date and ?::date
         and exists (select 1 from detection_runs d where d.service_date = r.service_date and d.status = 'succeeded')
       group by r.service_date`,
      [from, scenario.reportDay],
    );
    const scored = new Map((rows as { day: string; rides: number; outliers: number }[]).map((r) => [r.day, r]));
    expect(scored.size).toBe(7);
    for (const row of listed) {
      const truth = scored.get(row.day);
      if (truth) {
        expect(row, row.day).toMatchObject({ 'rides-scored': String(truth.rides), outliers: String(truth.outliers) });
      } else {
        expect(row, row.day).toMatchObject({ 'rides-scored': '', outliers: '' });
      }
    }
    expect(report.html).toContain('Crosses on the axis mark the 23 days with no succeeded run (22 with no run at all, 1 whose runs failed');
  });

  it('heads the page with the day, the latest run and the outliers by reason', async () => {
    const [run] = await test.db.knex('detection_runs').where({ service_date: scenario.reportDay }).orderBy('id', 'desc').limit(1);
    const { html } = report;
    expect(html).toContain('Ride outliers on Friday, 15 March 2024');
    expect(html).toContain(`run <strong>#${run.id}</strong> <span class="status status-succeeded">succeeded</span>`);
    // the parameters as a definition list, in words
    expect(html).toContain(`<div data-key="eps"><dt>eps</dt><dd>${DETECT_PARAMS.eps}</dd></div>`);
    expect(html).toContain(`<div data-key="minSamples"><dt>min_samples</dt><dd>${DETECT_PARAMS.minSamples}</dd></div>`);
    expect(html).toContain(`<div data-key="minClusterShare"><dt>small cluster</dt><dd>under ${100 * DETECT_PARAMS.minClusterShare}% of the valid rides (small_cluster)</dd></div>`);
    expect(html).toContain(`<span class="value">${Number(run.rides_scored).toLocaleString('en-US')}</span><span class="label">rides scored</span>`);
    for (const [reason, count] of Object.entries(run.outliers_by_reason as Record<string, number>)) {
      expect(html).toMatch(new RegExp(`${reason}</td><td class="num">${count.toLocaleString('en-US')}</td>`));
    }
  });

  it('lists every rule-flagged ride of the day (fewer than the cap), without fare columns for simulated rides', async () => {
    const { rows } = await test.db.knex.raw(
      `select ride_id, outlier_reason from rides where service_date = ? and outlier_reason in (${RULE_REASONS.map(() => '?').join(', ')}) order by ride_id`,
      [scenario.reportDay, ...RULE_REASONS],
    );
    expect(rows.length).toBeGreaterThanOrEqual(7); // the scenario's seven broken rides, and any past a limit
    expect(rows.length).toBeLessThan(RULE_FLAGGED_LIMIT);
    const listed = attributeRows(report.html, 'rule-flagged');
    expect(listed.map((r) => ({ ride_id: unescape(r['ride-id']), outlier_reason: r.reason })).sort((a, b) => a.ride_id.localeCompare(b.ride_id))).toEqual(rows);
    expect(report.html).toContain(`data-total="${rows.length}"`);
    expect(report.html).not.toContain('class="more"');
    // simulated rides have no fare or rate code: no such columns in either list
    expect(report.model.ruleFlagged.withFares).toBe(false);
    expect(report.model.topOutliers.withFares).toBe(false);
    expect(report.html).not.toContain('Fare<br>');
    expect(report.html).not.toContain('Rate code');
  });

  it('says what drifted, by how much, against what range, as the run recorded it', async () => {
    const [run] = await test.db.knex('detection_runs').where({ service_date: scenario.reportDay, status: 'succeeded' }).orderBy('id', 'desc').limit(1);
    const warnings = driftWarningsOfRun(run);
    expect(report.model.driftWarnings).toEqual(warnings);
    if (run.drift_warning) {
      expect(warnings).toHaveLength(run.drift.drifted.length);
      for (const warning of warnings) expect(report.html).toContain(`<li>${escapeHtml(warning)}</li>`);
    } else {
      expect(report.html).not.toContain('Drift warning');
    }
    // a recorded drift, worded: the feature, its value, the range and the window
    const recorded = {
      drift_warning: true,
      drift: {
        drifted: ['duration_min.p50'],
        trailingDays: 28,
        options: { threshold: 3 },
        signals: [{ metric: 'duration_min.p50', feature: 'median duration', unit: 'min', value: 23.4, median: 14, mad: 1, scale: 1.4826, scaleFrom: 'mad', robustZ: 6.34, low: 9.55, high: 18.45, direction: 'above', drift: true }],
      },
    };
    expect(driftWarningsOfRun(recorded as never)).toEqual(['median duration 23.4 min is above its normal range 9.6–18.5 min (trailing 28 days, median ± 3 × 1.4826 MAD)']);
  });

  it('says when the latest run failed and whose flags it shows', async () => {
    const day = dayBefore(scenario.reportDay, 1);
    const [ok] = await test.db.knex('detection_runs').where({ service_date: day, status: 'succeeded' }).select('id');
    await test.db.knex('detection_runs').insert({
      service_date: day,
      status: 'failed',
      trigger: 'test',
      algorithm: 'dbscan',
      parameters: JSON.stringify(DETECT_PARAMS),
      error: 'disk <full>\nstack',
    });
    const { html } = await buildReport(test.db, { serviceDate: day, timeZone: 'UTC' });
    expect(html).toContain('status-failed');
    expect(html).toContain(`The latest run did not succeed: disk &lt;full&gt;. The flags below are those of run #${ok.id}`);
  });

  it('refuses a day without rides, and a day without a run', async () => {
    await expect(buildReport(test.db, { serviceDate: '2030-01-01', timeZone: 'UTC' })).rejects.toThrow(ReportUnavailableError);
    await expect(buildReport(test.db, { serviceDate: '2030-01-01', timeZone: 'UTC' })).rejects.toThrow(/no rides/);
    await expect(buildReport(test.db, { serviceDate: scenario.unscoredDays[0], timeZone: 'UTC' })).rejects.toThrow(
      /200 rides but no detection run: run `ridescan detect --date/,
    );
  });

  // Under CI (CI set) a missing Chromium fails the suite; on a developer's machine without it the
  // browser checks are skipped with a note, so that `npm test` passes on a fresh checkout.
  const browserMissing = !existsSync(CHROMIUM) && !process.env.CI;
  if (browserMissing) console.warn(`report browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium; CI installs it)`);
  describe.skipIf(browserMissing)('in headless Chromium', () => {
    let browser: Browser | undefined;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ridescan-report-browser-'));
      browser = await launchChromium(dir);
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('opens without errors or network requests, and draws one mark per plotted ride', async () => {
      const file = join(dir, 'report.html');
      writeFileSync(file, report.html);
      const { page, url, requests, problems } = await openFile(browser!, file);
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);

      const expected = await expectedPlotted(test.db, scenario.reportDay);
      // the scatter's mark group carries the class Vega derives from the spec's name
      const drawn = await page.$eval('figure.scatter-chart', (figure) => {
        const groups = figure.querySelectorAll(`svg g.${figure.getAttribute('data-marks-class')}`);
        const marks = groups.length === 1 ? [...groups[0].children].filter((child) => child.tagName === 'path') : [];
        return {
          groups: groups.length,
          marks: marks.length,
          // a mark the browser laid out has a box; a broken path has none
          laidOut: marks.filter((mark) => (mark as SVGGraphicsElement).getBBox().width > 0).length,
          said: Number(figure.querySelector('[data-plotted]')?.getAttribute('data-plotted')),
        };
      });
      expect(drawn).toEqual({ groups: 1, marks: expected.total, laidOut: expected.total, said: expected.total });
      expect(await page.$$eval('table.top-outliers tbody tr', (rows) => rows.length)).toBe(report.model.topOutliers.rows.length);
      // at 800 px nothing runs off the page: tables fit or scroll in their own box
      const layout = await checkLayout(page, 800);
      expect(layout.page.scrollWidth).toBeLessThanOrEqual(layout.page.clientWidth);
      expect(layout).toMatchObject({ overflowingBlocks: [], unscrolledTables: [], clippedBoxes: [] });
      await page.close();
    });
  });

  // Last: it drops the zones table that the tests above read.
  it('leaves the zone columns out when the schema has no zones table', async () => {
    await test.db.knex.raw('drop table zones cascade');
    const { html, model } = await buildReport(test.db, { serviceDate: scenario.reportDay, timeZone: 'UTC' });
    expect(model.topOutliers.rows.length).toBeGreaterThan(0);
    expect(model.topOutliers.withZones).toBe(false);
    expect(html).not.toContain('Pickup zone');
    expect(html).not.toContain('JFK Airport');
  });
});
