// The Library flow in Chromium against the real web host: add a folder, watch it scan, browse
// the grid, open a detail, read the Problems list and the duplicate groups.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { openBrowser, type Browser } from './helpers/browser';
import { makeManyImages, makePhotoSet } from './helpers/photos';
import { tempDir } from './helpers/temp';
import { startHost, type RunningHost } from './helpers/web-host';
import { cleanupsAfterEach, call, shot, imagesLoaded, expectOnlyRefusals } from './helpers/session';

const cleanups = cleanupsAfterEach();

async function setup(name: string, colorScheme: 'light' | 'dark' = 'light') {
  const tmp = await tempDir(name);
  cleanups.push(tmp.remove);
  const photos = join(tmp.path, 'photos');
  await mkdir(photos);
  const host: RunningHost = await startHost(join(tmp.path, 'data'));
  cleanups.push(host.stop);
  const browser: Browser = await openBrowser(join(tmp.path, 'profile'), colorScheme);
  cleanups.push(browser.close);
  return { tmp, photos, host, browser, page: browser.page };
}

/** How many images the app itself reports, asked directly rather than through the page. */
const imageCount = async (host: RunningHost): Promise<number> => (await call(host, 'getStatus')).images;

async function addFolder(page: Page, path: string): Promise<void> {
  await page.getByTestId('folder-path-input').fill(path);
  await page.getByTestId('add-folder-button').click();
}

describe('library in the browser', () => {
  it('adds a folder, scans it, and shows grid, detail, problems and duplicates', async () => {
    const { photos, host, browser, page } = await setup('flow');
    const set = await makePhotoSet(photos, 6);

    await page.goto(host.url);
    await expect.poll(() => page.url()).not.toContain('token=');
    await page.getByTestId('grid-empty').waitFor();
    await shot(page, 'empty');

    await addFolder(page, photos);
    const row = page.getByTestId('folder-row');
    await row.waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(photos);

    // The progress bar appears and ends in 'done' with every found file handled.
    const progress = page.getByTestId('scan-progress');
    await progress.waitFor();
    await page.locator('[data-testid="scan-progress"][data-phase="done"]').waitFor({ timeout: 60_000 });
    const counts = (await page.getByTestId('scan-counts').textContent()) ?? '';
    const m = /^(\d+) \/ (\d+) files · (\d+) failed/.exec(counts);
    expect(m, `scan counts: ${counts}`).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]));
    expect(Number(m![3])).toBeGreaterThanOrEqual(2);

    // The grid fills with every readable image, thumbnails loaded.
    const grid = page.getByTestId('image-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(set.images));
    await expect.poll(() => page.getByTestId('grid-cell').count()).toBe(set.images);
    await imagesLoaded(page, '[data-testid="image-grid"]');
    expect(await page.getByTestId('image-count').textContent()).toBe(`${set.images} images`);
    expect(await row.textContent()).toContain(`${set.images} images`);
    await shot(page, 'library');

    // Open an image: large preview and its metadata.
    await page.getByTestId('grid-cell').first().click();
    const detail = page.getByTestId('detail-panel');
    await detail.waitFor();
    await imagesLoaded(page, '[data-testid="detail-panel"] .preview');
    const firstId = await detail.getAttribute('data-image-id');
    const path = (await page.getByTestId('detail-path').textContent()) ?? '';
    expect(path.startsWith(photos)).toBe(true);
    const meta = (await page.getByTestId('detail-meta').textContent()) ?? '';
    expect(meta).toMatch(/\d+ × \d+ px/);
    expect(meta).toContain('JPEG');
    expect(meta).toMatch(/[0-9a-f]{16}/);

    // Arrow keys move the selection through the grid.
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => detail.getAttribute('data-image-id')).not.toBe(firstId);
    expect(await page.locator('[data-testid="grid-cell"][aria-selected="true"]').getAttribute('data-index')).toBe('1');
    await shot(page, 'detail');

    // Problems: the empty, corrupt and non-image files, each with a readable reason.
    await page.getByTestId('nav-problems').click();
    await page.getByTestId('problems-view').waitFor();
    const problems = page.getByTestId('problem-row');
    await expect.poll(() => problems.count()).toBe(3);
    const rows = await problems.evaluateAll((els) =>
      els.map((e) => ({ reason: e.getAttribute('data-reason'), text: e.textContent ?? '' })),
    );
    const byFile = (name: string) => rows.find((r) => r.text.includes(name));
    expect(byFile('empty.jpg')?.reason).toBe('empty');
    expect(byFile('empty.jpg')?.text).toContain('Empty file');
    expect(byFile('corrupt.jpg')?.reason).toMatch(/^(corrupt|not-image)$/);
    expect(byFile('notes.png')?.reason).toMatch(/^(not-image|corrupt)$/);
    expect(byFile('notes.png')?.text).toMatch(/Not an image|Truncated or corrupt/);
    await shot(page, 'problems');

    // Duplicates: the copied file and its original in one group.
    await page.getByTestId('nav-duplicates').click();
    await page.getByTestId('duplicates-view').waitFor();
    const groups = page.getByTestId('duplicate-group');
    await expect.poll(() => groups.count()).toBe(1);
    const items = groups.first().getByTestId('duplicate-item');
    expect(await items.count()).toBe(2);
    const names = await items.evaluateAll((els) => els.map((e) => e.getAttribute('title')));
    expect(names.sort()).toEqual([set.duplicate.copy, set.duplicate.original].sort());
    await imagesLoaded(page, '[data-testid="duplicates-view"]');
    await shot(page, 'duplicates');

    // A duplicate opens in the library's detail panel, listing its twin.
    await items.first().click();
    await page.getByTestId('detail-panel').waitFor();
    await expect.poll(() => page.getByTestId('detail-duplicate').count()).toBe(1);

    // So far: no console errors, page errors or CSP violations.
    expect(browser.problems).toEqual([]);

    // A bad path is refused with a readable message, not swallowed.
    await addFolder(page, join(photos, 'no such folder'));
    const banner = page.getByTestId('error-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('no such folder');
    await shot(page, 'error');
    // The refused call is logged by the browser (HTTP 4xx) and by the app; nothing else.
    expectOnlyRefusals(browser, /status of 4\d\d|no such folder/);

    // Removing the folder (after confirming) empties the library.
    await page.getByTestId('remove-folder-button').click();
    await page.getByTestId('confirm-remove-button').click();
    await expect.poll(() => page.getByTestId('folder-row').count()).toBe(0);
    await expect.poll(() => grid.getAttribute('data-total')).toBe('0');

    expect(browser.problems).toEqual([]);
  });

  it('keeps only the visible thumbnails in the DOM and scrolls to the end', async () => {
    const { photos, host, browser, page } = await setup('virtual', 'dark');
    const total = await makeManyImages(photos, 1200);

    await page.goto(host.url);
    await addFolder(page, photos);
    await page.locator('[data-testid="scan-progress"][data-phase="done"]').waitFor({ timeout: 110_000 });
    const grid = page.getByTestId('image-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(total));

    const inDom = await page.getByTestId('grid-cell').count();
    expect(inDom).toBeGreaterThan(0);
    expect(inDom).toBeLessThan(total / 4);
    await imagesLoaded(page, '[data-testid="image-grid"]');
    await shot(page, 'library-dark');

    // Keyboard: End selects the last image and scrolls it into view; the DOM stays small.
    await page.getByTestId('grid-cell').first().click();
    await page.keyboard.press('End');
    const last = page.locator(`[data-testid="grid-cell"][data-index="${total - 1}"]`);
    await last.waitFor();
    await expect.poll(() => last.getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => last.getAttribute('data-image-id')).not.toBeNull();
    expect(await page.getByTestId('grid-cell').count()).toBeLessThan(total / 4);
    expect(await page.locator('[data-testid="grid-cell"][data-index="0"]').count()).toBe(0);
    await page.getByTestId('detail-panel').waitFor();
    expect(await page.getByTestId('detail-path').textContent()).toContain(`img-${String(total - 1).padStart(5, '0')}.png`);

    expect(browser.problems).toEqual([]);
  });

  it('follows changes on disk once watching is turned on', async () => {
    const { photos, host, browser, page } = await setup('watch');
    const set = await makePhotoSet(photos, 2);

    await page.goto(host.url);
    await addFolder(page, photos);
    await page.locator('[data-testid="scan-progress"][data-phase="done"]').waitFor({ timeout: 60_000 });
    const grid = page.getByTestId('image-grid');
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 30_000 }).toBe(String(set.images));
    expect(await page.getByTestId('watch-status').textContent()).toContain('Not watching');

    await page.getByTestId('setting-watch').check();
    await expect.poll(() => page.getByTestId('watch-status').textContent(), { timeout: 30_000 }).toMatch(/^\s*Watching/);

    // A file that appears on disk reaches the grid through the app's events, with no click.
    await copyFile(join(photos, 'forest', 'forest-01.jpg'), join(photos, 'forest', 'forest-new.jpg'));
    // First the app must see it (watcher), then the page (events → refresh).
    await expect.poll(() => imageCount(host), { timeout: 60_000 }).toBe(set.images + 1);
    await expect.poll(() => grid.getAttribute('data-total'), { timeout: 10_000 }).toBe(String(set.images + 1));
    await shot(page, 'watching');

    // The setting sticks: a reload shows it from the app, not from the page.
    await page.reload();
    await expect.poll(() => page.getByTestId('setting-watch').isChecked()).toBe(true);
    expect(browser.problems).toEqual([]);

    // The pixel limit is a real setting: a value out of range is refused in place; a lower limit
    // refuses a large image (the Problems view says to raise it in Settings); raising it rescans.
    const limit = page.getByTestId('setting-max-pixels');
    expect(await limit.inputValue()).toBe('268.4');
    await limit.fill('0.5');
    await limit.dispatchEvent('change');
    await expect
      .poll(() => page.getByTestId('setting-max-pixels-error').textContent())
      .toContain('expected a number of megapixels from 1 to 2000, got "0.5"');
    expect((await call(host, 'getSettings')).maxPixels).toBe(268_402_689);
    await limit.fill('1');
    await limit.dispatchEvent('change');
    await expect.poll(async () => (await call(host, 'getSettings')).maxPixels).toBe(1_000_000);
    expect(await page.getByTestId('setting-max-pixels-error').count()).toBe(0);
    await shot(page, 'settings-pixel-limit');
    // 1,200 x 1,000 = 1.2 megapixels: over the limit.
    await mkdir(join(photos, 'large'));
    await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#3a7' } })
      .png()
      .toFile(join(photos, 'large', 'big.png'));
    await page.getByTestId('nav-problems').click();
    const tooLarge = page.locator('[data-testid="problem-row"][data-reason="too-large"]');
    await tooLarge.waitFor({ timeout: 60_000 });
    expect(await tooLarge.textContent()).toContain('raise the pixel limit in Settings');
    await page.getByTestId('nav-library').click();
    await limit.fill('2');
    await limit.dispatchEvent('change');
    await expect.poll(() => imageCount(host), { timeout: 60_000 }).toBe(set.images + 2);
    await page.getByTestId('nav-problems').click();
    await expect.poll(() => tooLarge.count(), { timeout: 30_000 }).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});
