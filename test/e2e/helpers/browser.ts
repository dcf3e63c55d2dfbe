// Debian's Chromium driven by playwright-core, with a fresh profile per test.
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors, page errors and CSP violations seen so far */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(userDataDir: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`openBrowser: expected Chromium at ${CHROMIUM}, got nothing (apt-get install -y chromium)`);
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1400, height: 860 },
    colorScheme,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems, close: () => context.close() };
}
