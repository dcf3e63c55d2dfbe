// The Search view in Chromium against the real web host: a library of three visually distinct
// classes plus a planted near-duplicate (a resized, recompressed copy), a tiny MoCo encoder
// trained through the API, then in the page: embeddings computed with progress, "More like
// this" from the Library's detail panel (top results from the query's own class), keyboard
// navigation with a back stack, tagging, a search by an outside file and by an unreadable
// dropped one, and the near-duplicate review (live count, the planted pair in one group, keep).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  cleanupsAfterEach,
  call,
  shot,
  imagesLoaded,
  WAIT,
  addFolderInPage,
  expectOnlyRefusals,
  photosFolder,
  openApp,
} from './helpers/session';

const cleanups = cleanupsAfterEach();
const PER_CLASS = 16;

// Three classes that differ in colour and in structure (a checkerboard, stripes, one big shape),
// which survives MoCo's colour jitter and grayscale; within a class, hue, lightness, size and
// placement vary a little, and no two images are the same.
const CLASSES: Record<string, (i: number, w: number, h: number) => string> = {
  reds: (i, w, h) => `
    <defs><pattern id="c" width="${32 + (i % 3) * 2}" height="${32 + (i % 3) * 2}" patternUnits="userSpaceOnUse" x="${i % 5}" y="${i % 4}">
      <rect width="100%" height="100%" fill="hsl(${(354 + i * 0.5) % 360},80%,${46 + (i % 3) * 2}%)"/>
      <rect width="50%" height="50%" fill="hsl(20,90%,82%)"/><rect x="50%" y="50%" width="50%" height="50%" fill="hsl(20,90%,82%)"/>
    </pattern></defs>
    <rect width="${w}" height="${h}" fill="url(#c)"/>`,
  greens: (i, w, h) => `
    <rect width="${w}" height="${h}" fill="hsl(${115 + i * 0.5},55%,${30 + (i % 3) * 2}%)"/>
    ${[0, 1, 2, 3]
      .map((k) => `<rect y="${h * (0.08 + k * 0.24) + (i % 4)}" width="${w}" height="${h * 0.09}" fill="hsl(80,70%,${78 - k * 3}%)"/>`)
      .join('')}`,
  blues: (i, w, h) => `
    <rect width="${w}" height="${h}" fill="hsl(${222 + i * 0.5},75%,${28 + (i % 3) * 2}%)"/>
    <polygon points="${w * (0.28 + (i % 4) * 0.02)},${h * 0.85} ${w * (0.5 + (i % 3) * 0.02)},${h * 0.15} ${w * (0.72 - (i % 2) * 0.02)},${h * 0.85}" fill="hsl(190,90%,88%)"/>`,
};

async function jpeg(cls: string, i: number, w = 160, h = 120): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${CLASSES[cls](i, w, h)}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

interface Library {
  images: number;
  planted: { original: string; copy: string };
}

/** `root/<class>/<class>-NN.jpg`, plus a smaller, recompressed copy of one green image in its folder. */
async function makeLibrary(root: string): Promise<Library> {
  let images = 0;
  for (const cls of Object.keys(CLASSES)) {
    await mkdir(join(root, cls), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      await writeFile(join(root, cls, `${cls}-${String(i + 1).padStart(2, '0')}.jpg`), await jpeg(cls, i));
      images++;
    }
  }
  const original = 'greens/greens-04.jpg';
  const copy = 'greens/greens-04-small.jpg';
  const small = await sharp(join(root, original)).resize(112, 84).jpeg({ quality: 55 }).toBuffer();
  await writeFile(join(root, copy), small);
  return { images: images + 1, planted: { original, copy } };
}

/** Folder (= class) of each result shown, best first. */
async function resultClasses(page: Page): Promise<string[]> {
  const paths = await page.getByTestId('search-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-rel-path') ?? ''));
  return paths.map((p) => p.split('/')[0]);
}

/**
 * The nearest neighbours come from the query's own class: the first three all of them, and most
 * of the first eight. An encoder trained for a few steps is weak, so one stray further down is
 * allowed; a search that ignored the query would get a third of them right.
 */
function expectOwnClassFirst(classes: string[], own: string): void {
  const why = `classes of the results, best first: ${classes.join(',')}`;
  expect(classes.slice(0, 3), why).toEqual([own, own, own]);
  expect(classes.slice(0, 8).filter((c) => c === own).length, why).toBeGreaterThanOrEqual(6);
}

describe('search in the browser', () => {
  it('embeds the library, finds images like a library image or an outside file, tags them, and reviews near-duplicates', async () => {
    const { tmp, photos } = await photosFolder(cleanups, 'search');
    const lib = await makeLibrary(photos);
    const outside = join(tmp, 'outside');
    await mkdir(outside);
    const queryFile = join(outside, 'red-query.jpg');
    await writeFile(queryFile, await jpeg('reds', PER_CLASS));
    const { host, browser, page } = await openApp(cleanups, tmp);

    await page.goto(host.url);
    await addFolderInPage(page, photos, lib.images);
    expect((await call(host, 'getStatus')).duplicateGroups).toBe(0);

    // A tiny encoder, trained through the API (the Train view has its own test).
    const presets = await call(host, 'listTrainPresets');
    const quick = presets.find((p) => p.id === 'cpu-quick')!.config;
    const run = await call(host, 'startTraining', {
      ...quick,
      widthMultiplier: 0.125,
      inputSize: 32,
      batchSize: 16,
      K: 64,
      epochs: 2,
      lrSteps: [],
      knnEvery: 0,
    });
    await expect
      .poll(async () => (await call(host, 'listRuns')).find((r) => r.id === run.id)?.status, { timeout: 90_000, interval: 500 })
      .toBe('done');

    // Search view: the run has no embeddings yet; compute them and watch the progress.
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-view').waitFor();
    await page.getByTestId('compute-embeddings-button').click();
    const progress = page.getByTestId('embed-progress');
    await progress.waitFor();
    await page.locator('[data-testid="embed-progress"][data-phase="done"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('embed-counts').textContent()).toContain(`${lib.images} / ${lib.images} images`);
    await expect
      .poll(() => page.getByTestId('encoder-select').locator('option:checked').textContent(), WAIT)
      .toContain(`${lib.images} images`);

    // "More like this" from the Library's detail panel: the query's own class comes first.
    await page.getByTestId('nav-library').click();
    await page.locator('[data-testid="grid-cell"][title^="blues/blues-05.jpg"]').click();
    await page.getByTestId('detail-panel').waitFor();
    await page.getByTestId('more-like-this').click();
    await page.getByTestId('search-view').waitFor();
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('blues-05.jpg');
    await expect.poll(() => page.getByTestId('search-result').count(), WAIT).toBe(24);
    expectOwnClassFirst(await resultClasses(page), 'blues');
    const scores = await page.getByTestId('search-result').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
    expect(scores.every((s, i) => i === 0 || s <= scores[i - 1])).toBe(true);
    expect(await page.getByTestId('result-score').first().textContent()).toMatch(/^-?\d\.\d{3}$/);
    await imagesLoaded(page, '[data-testid="search-results"]');
    await imagesLoaded(page, '[data-testid="query-panel"] .image');
    await shot(page, 'search');
    // The tooltip's second line is a real line break.
    const tip = (await page.getByTestId('search-result').first().getAttribute('title')) ?? '';
    expect(tip.split('\n')).toHaveLength(2);
    expect(tip).not.toContain('\\n');

    // Back from the only query returns to the Library it came from; the query is gone.
    await page.getByTestId('search-back-button').click();
    await page.getByTestId('detail-panel').waitFor(WAIT);
    await expect.poll(() => page.url()).toContain('#/library');
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-start-image').first().waitFor(WAIT);
    expect(await page.getByTestId('query-name').textContent()).toBe('No query yet');
    await page.getByTestId('nav-library').click();
    await page.getByTestId('more-like-this').click();
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('blues-05.jpg');
    await expect.poll(() => page.getByTestId('search-result').count(), WAIT).toBe(24);

    // Keyboard: arrows move the focus, Enter searches by the focused result, Esc goes back.
    await page.getByTestId('search-results').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const focused = page.locator('[data-testid="search-result"].focused');
    expect(await focused.getAttribute('data-index')).toBe('1');
    const nextName = ((await focused.getAttribute('data-rel-path')) ?? '').split('/').pop();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe(nextName);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('blues-05.jpg');
    await expect.poll(() => page.locator('[data-testid="search-result"].focused').getAttribute('data-index'), WAIT).toBe('1');

    // Tag two results, then find exactly them through the Library's tag filter.
    const results = page.getByTestId('search-result');
    await results.nth(0).getByTestId('result-pick').check();
    await results.nth(1).getByTestId('result-pick').check();
    await expect.poll(() => page.getByTestId('pick-bar').getAttribute('data-picked'), WAIT).toBe('2');
    await page.getByTestId('tag-input').fill('blue  picks');
    await page.getByTestId('tag-add-button').click();
    await expect.poll(async () => (await call(host, 'listTags')).find((t) => t.name === 'blue picks')?.count, WAIT).toBe(2);
    await shot(page, 'search-picked');
    await page.getByTestId('nav-library').click();
    await page.getByTestId('curation-filter').selectOption('tag:blue picks');
    await expect.poll(() => page.getByTestId('image-grid').getAttribute('data-total'), WAIT).toBe('2');
    await page.getByTestId('grid-cell').first().click();
    await expect.poll(() => page.getByTestId('detail-tags').textContent(), WAIT).toContain('blue picks');
    await imagesLoaded(page, '[data-testid="image-grid"]');
    await shot(page, 'search-tag-filter');
    await page.getByTestId('curation-filter').selectOption('all');
    await expect.poll(() => page.getByTestId('image-grid').getAttribute('data-total'), WAIT).toBe(String(lib.images));

    // An outside file through the file picker: a red checkerboard finds red checkerboards.
    await page.getByTestId('nav-search').click();
    await page.getByTestId('search-file-input').setInputFiles(queryFile);
    // The first outside file loads the encoder for files, which takes longest.
    await expect.poll(() => page.getByTestId('query-name').textContent(), { timeout: 60_000 }).toBe('red-query.jpg');
    await page.getByTestId('query-file-preview').waitFor();
    expectOwnClassFirst(await resultClasses(page), 'reds');
    await imagesLoaded(page, '[data-testid="search-results"]');
    await shot(page, 'search-file');

    // An edited copy of a library photo (cropped 6%, halved, brightened 12%, JPEG q55) finds it,
    // marked as the same photo, with the images marked so first. (These drawn blues differ by a
    // few pixels, so several of them match; test/core/search/near-duplicate-recall.test.ts
    // measures the top 3 on photo-like images.)
    const edited = join(outside, 'edited-copy.jpg');
    await sharp(join(photos, 'blues', 'blues-09.jpg'))
      .extract({ left: 0, top: 0, width: 150, height: 113 })
      .resize(75, 56)
      .linear(1.12, 0)
      .jpeg({ quality: 55 })
      .toFile(edited);
    await page.getByTestId('search-file-input').setInputFiles(edited);
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('edited-copy.jpg');
    const marks = await page
      .getByTestId('search-result')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-near-duplicate') === 'true'));
    expect(marks[0]).toBe(true);
    expect(
      marks.slice(marks.indexOf(false)).every((m) => !m),
      marks.join(','),
    ).toBe(true);
    expect(
      await page.locator('[data-testid="search-result"][data-rel-path="blues/blues-09.jpg"] [data-testid="result-near-duplicate"]').count(),
    ).toBe(1);
    await imagesLoaded(page, '[data-testid="search-results"]');
    await shot(page, 'search-near-duplicate');
    await page.getByTestId('search-file-input').setInputFiles(queryFile);
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('red-query.jpg');

    // A file dropped from outside that is no image: the app's own reason, next to its name.
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['this is a shopping list, not a photo'], 'list.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('[data-testid="search-drop-zone"]')!;
      zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    const message = page.getByTestId('search-error-message');
    await message.waitFor();
    expect(await page.getByTestId('search-error').textContent()).toContain('Could not search by list.jpg');
    expect(await message.textContent()).toMatch(/searchSimilar: expected an image file .* got list\.jpg, which cannot be decoded/);
    // The previous query and its results stay.
    expect(await page.getByTestId('query-name').textContent()).toBe('red-query.jpg');
    await shot(page, 'search-error');
    // The refused call is logged by the browser (HTTP 4xx) and by the page; nothing else.
    expectOnlyRefusals(browser, /status of 4\d\d|cannot be decoded/);
    await page.getByTestId('search-error').getByRole('button', { name: 'Dismiss' }).click();

    // Near-duplicate review: the slider's count moves live without a call; the groups load on release.
    const ids = Object.fromEntries((await call(host, 'listImages', { limit: 1000 })).items.map((i) => [i.relPath, i.id] as const));
    const originalId = ids[lib.planted.original];
    const copyId = ids[lib.planted.copy];
    const pair = await call(host, 'searchSimilar', { query: { imageId: originalId }, k: 5 });
    const pairScore = pair.hits.find((h) => h.image.id === copyId)?.score;
    expect(pairScore, "the planted copy is among the original's 5 nearest").toBeDefined();
    // The highest slider step at or below the pair's similarity joins the pair.
    const threshold = Math.max(0.8, Math.floor(pairScore! / 0.005) * 0.005);

    await page.getByTestId('search-mode-near').click();
    await page.getByTestId('near-duplicates').waitFor();
    const count = page.getByTestId('near-dup-count');
    await expect.poll(() => count.getAttribute('data-groups'), WAIT).not.toBe('');
    const calls: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/call') && (r.postData() ?? '').includes('findNearDuplicates')) calls.push(r.postData() ?? '');
    });
    const slider = page.getByTestId('near-dup-threshold');
    const countWhileDragging: string[] = [];
    for (const t of [0.8, 0.9, 1]) {
      await slider.evaluate((el: HTMLInputElement, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, t);
      countWhileDragging.push((await count.getAttribute('data-groups')) ?? '');
    }
    expect(calls).toEqual([]);
    expect(
      countWhileDragging.every((c) => /^\d+$/.test(c)),
      countWhileDragging.join(','),
    ).toBe(true);

    await slider.fill(threshold.toFixed(3));
    await expect.poll(() => page.getByTestId('near-dup-threshold-value').textContent(), WAIT).toBe(threshold.toFixed(3));
    await expect.poll(() => calls.length, WAIT).toBeGreaterThan(0);
    const group = page.locator(`[data-testid="near-dup-group"]:has([data-image-id="${copyId}"])`);
    await group.waitFor(WAIT);
    expect(await group.locator(`[data-testid="near-dup-item"][data-image-id="${originalId}"]`).count()).toBe(1);
    expect(await count.getAttribute('data-groups')).toBe(String(await page.getByTestId('near-dup-group').count()));
    expect(await group.locator(`[data-image-id="${copyId}"] [data-testid="near-dup-meta"]`).textContent()).toContain('112 × 84');
    // The copy's perceptual hash matches its original's: the group says it is the same photo.
    expect(await group.getByTestId('near-dup-by-hash').count()).toBe(1);
    await group.scrollIntoViewIfNeeded();
    await imagesLoaded(page, `[data-testid="near-dup-group"]:has([data-image-id="${copyId}"])`);
    await shot(page, 'near-duplicates');

    // Keep the original: every other image of its group is excluded, visibly and in the app.
    const others = (
      await group.getByTestId('near-dup-item').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-image-id'))))
    ).filter((id) => id !== originalId);
    await group.locator(`[data-testid="near-dup-item"][data-image-id="${originalId}"]`).getByTestId('near-dup-keep').click();
    const copyItem = group.locator(`[data-testid="near-dup-item"][data-image-id="${copyId}"]`);
    await expect.poll(() => copyItem.getAttribute('data-excluded'), WAIT).toBe('true');
    await copyItem.getByTestId('near-dup-excluded-mark').waitFor();
    expect(await group.locator(`[data-testid="near-dup-item"][data-image-id="${originalId}"]`).getAttribute('data-excluded')).toBe('false');
    expect(await group.getAttribute('data-state')).toBe('resolved');
    const excluded = (await call(host, 'listImages', { excluded: true, limit: 1000 })).items.map((i) => i.id);
    expect(excluded.sort()).toEqual(others.sort());
    await shot(page, 'near-duplicates-kept');

    // Excluded images leave the search results unless asked for.
    await group.locator(`[data-testid="near-dup-item"][data-image-id="${originalId}"] .thumb`).click();
    await expect.poll(() => page.getByTestId('detail-panel').getAttribute('data-image-id'), WAIT).toBe(String(originalId));
    await page.getByTestId('more-like-this').click();
    await expect.poll(() => page.getByTestId('query-name').textContent(), WAIT).toBe('greens-04.jpg');
    await page.getByTestId('search-result').first().waitFor();
    expect(await page.locator(`[data-testid="search-result"][data-image-id="${copyId}"]`).count()).toBe(0);
    await page.getByTestId('search-include-excluded').check();
    const excludedHit = page.locator(`[data-testid="search-result"][data-image-id="${copyId}"]`);
    await excludedHit.waitFor();
    expect(await excludedHit.getAttribute('data-excluded')).toBe('true');
    await page.getByTestId('search-include-excluded').uncheck();

    // Include it again from the review.
    await page.getByTestId('search-mode-near').click();
    await group.waitFor();
    await group.getByTestId('near-dup-include-all').click();
    await expect.poll(() => copyItem.getAttribute('data-excluded'), WAIT).toBe('false');
    expect((await call(host, 'listImages', { excluded: true, limit: 1000 })).total).toBe(0);

    // Both colour schemes.
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'near-duplicates-dark');
    await page.getByTestId('search-mode-similar').click();
    await imagesLoaded(page, '[data-testid="search-results"]');
    await shot(page, 'search-dark');

    expect(browser.problems).toEqual([]);
  });
});
