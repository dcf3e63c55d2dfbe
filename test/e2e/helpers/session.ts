// What every browser test needs around the app: calls to the API as the page makes them, a
// screenshot folder, a wait for thumbnails that really loaded, and cleanups run after each test.
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import type { ApiArgs, ApiMethod, ApiResult } from '../../../src-main/api/contract';
import { openBrowser, type Browser } from './browser';
import { tempDir } from './temp';
import { REPO_ROOT, startHost, type RunningHost } from './web-host';

export const SHOTS = join(REPO_ROOT, 'test-results', 'screenshots');
/** Polls that wait on the app on a busy 2-core machine. */
export const WAIT = { timeout: 30_000 };

/** A stack of cleanups, unwound after each test of the file that calls this. */
export function cleanupsAfterEach(): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return cleanups;
}

/** One API call through the web host, as the page's client makes it. */
export async function call<M extends ApiMethod>(host: RunningHost, method: M, ...args: ApiArgs<M>): Promise<ApiResult<M>> {
  const res = await fetch(`${host.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}` },
    body: JSON.stringify({ method, args }),
  });
  const body = (await res.json()) as { ok: boolean; result: ApiResult<M>; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
  return body.result;
}

/** Waits until no scan runs and the library holds `images` images. */
export async function scanSettles(host: RunningHost, images: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const s = await call(host, 'getStatus');
        return s.scan === null ? s.images : -1;
      },
      { timeout: 60_000, interval: 250 },
    )
    .toBe(images);
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled' });
}

/** All <img> inside `selector` finished loading with real pixels (thumbnails really served). */
export async function imagesLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const imgs = [...document.querySelectorAll<HTMLImageElement>(`${sel} img`)];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    selector,
    WAIT,
  );
}

/** Adds a folder through the Library view's path box and waits until the grid shows all `images`. */
export async function addFolderInPage(page: Page, path: string, images: number): Promise<void> {
  await page.getByTestId('folder-path-input').fill(path);
  await page.getByTestId('add-folder-button').click();
  await page.locator('[data-testid="scan-progress"][data-phase="done"]').waitFor({ timeout: 60_000 });
  await expect.poll(() => page.getByTestId('image-grid').getAttribute('data-total'), WAIT).toBe(String(images));
}

/** A tiny encoder (ResNet-18 at width 1/8, 16 px, one epoch) trained through the API to the end. */
export async function trainTinyRun(host: RunningHost): Promise<{ id: number }> {
  const quick = (await call(host, 'listTrainPresets')).find((p) => p.id === 'cpu-quick')!.config;
  const run = await call(host, 'startTraining', {
    ...quick,
    arch: 'resnet18',
    stem: 'small',
    widthMultiplier: 0.125,
    inputSize: 16,
    batchSize: 12,
    K: 36,
    epochs: 1,
    lrSteps: [],
    knnEvery: 0,
  });
  await expect
    .poll(async () => (await call(host, 'listRuns')).find((r) => r.id === run.id)?.status, { timeout: 90_000, interval: 500 })
    .toBe('done');
  return run;
}

/** The browser logged only the refused calls a test provoked (matching `expected`); clears them. */
export function expectOnlyRefusals(browser: Browser, expected: RegExp): void {
  expect(
    browser.problems.every((p) => expected.test(p)),
    browser.problems.join('\n'),
  ).toBe(true);
  browser.problems.length = 0;
}

/** A temporary folder with an empty photos/ in it, removed after the test. */
export async function photosFolder(cleanups: (() => Promise<void>)[], name: string): Promise<{ tmp: string; photos: string }> {
  const tmp = await tempDir(name);
  cleanups.push(tmp.remove);
  const photos = join(tmp.path, 'photos');
  await mkdir(photos);
  return { tmp: tmp.path, photos };
}

/** The web host on `tmp`/data and a browser with its profile in `tmp`, both closed after the test. */
export async function openApp(
  cleanups: (() => Promise<void>)[],
  tmp: string,
): Promise<{ host: RunningHost; browser: Browser; page: Page }> {
  const host = await startHost(join(tmp, 'data'));
  cleanups.push(host.stop);
  const browser = await openBrowser(join(tmp, 'profile'));
  cleanups.push(browser.close);
  return { host, browser, page: browser.page };
}
