// Opens a report file in headless Chromium (Debian's package: puppeteer-core downloads no
// browser) as the operations team would: from disk, with every network request refused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Fails, rather than skips, without Chromium: in CI the report's browser checks must run. */
export async function launchChromium(workDir: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the report's browser test needs it; install it with \`apt-get install -y chromium\``);
  }
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(workDir, 'chromium-profile')}`,
    ],
  });
}

export interface OpenedFile {
  page: Page;
  url: string;
  /** every request the page made, the file's own included */
  requests: string[];
  /** console errors and warnings, uncaught page errors, failed requests */
  problems: string[];
}

/** Loads the file with request interception on: only the file itself may load. */
export async function openFile(browser: Browser, file: string): Promise<OpenedFile> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    requests.push(request.url());
    if (request.url() === url) void request.continue();
    else void request.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, requests, problems };
}
