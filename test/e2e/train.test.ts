// The Train view in Chromium against the real web host: a small three-class library, the CPU
// preset made tiny in the advanced form, a refused config with the app's own message, then a
// real run with live curves, pause (checkpoint), resume, the run's final metrics in the
// history, both colour schemes, resizing, a second run stopped, choosing a past run, and deletion.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findPreset } from '../../src-main/api/train-presets';
import { configSummary } from '../../src-renderer/src/lib/train-text';
import { makePhotoSet } from './helpers/photos';
import { cleanupsAfterEach, shot, addFolderInPage, expectOnlyRefusals, photosFolder, openApp } from './helpers/session';

const cleanups = cleanupsAfterEach();

async function fill(page: Page, field: string, value: string): Promise<void> {
  await page.getByTestId(`train-field-${field}`).fill(value);
}

/** Points in a chart's series, and whether its canvas has anything drawn on it. */
async function chartState(page: Page, kind: string): Promise<{ points: number; inked: number }> {
  const chart = page.getByTestId(`chart-${kind}`);
  const points = Number(await chart.getAttribute('data-points'));
  const inked = await chart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
  return { points, inked };
}

describe('train view in the browser', () => {
  it('refuses a bad config readably, trains live, pauses with a checkpoint, resumes and lists the run', async () => {
    const { tmp, photos } = await photosFolder(cleanups, 'train');
    const set = await makePhotoSet(photos, 16);
    const { host, browser, page } = await openApp(cleanups, tmp);

    // A library of three classes (folders), scanned through the Library view.
    await page.goto(host.url);
    await addFolderInPage(page, photos, set.images);

    // The Train view: the engine in use, the presets, and no runs yet.
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-view').waitFor();
    await page.getByTestId('train-empty').waitFor();
    await expect.poll(() => page.getByTestId('engine-panel').getAttribute('data-backend'), { timeout: 30_000 }).toBe('wasm');
    expect(await page.getByTestId('engine-device').textContent()).toMatch(/wasm/i);
    expect(await page.getByTestId('preset-card').count()).toBeGreaterThanOrEqual(2);
    // Each card's numbers are written from its config.
    expect(await page.locator('[data-preset-id="cpu-quick"] [data-testid="preset-summary"]').textContent()).toBe(
      configSummary(findPreset('cpu-quick')!.config),
    );
    // No GPU here: the GPU presets are hidden and the view says why; the engine setting is Automatic.
    expect(await page.locator('[data-testid="preset-card"][data-preset-id^="gpu-"]').count()).toBe(0);
    expect(await page.getByTestId('presets-hidden').textContent()).toMatch(
      /GPU presets are hidden: (no GPU engine was found \(tensorflow-gpu and webgpu not used|the only GPU adapter)/,
    );
    expect(await page.getByTestId('engine-choice').inputValue()).toBe('auto');
    expect(await page.getByTestId('engine-skipped').textContent()).toContain('webgpu');
    await expect.poll(() => page.locator('[data-preset-id="cpu-quick"]').getAttribute('aria-checked')).toBe('true'); // the CPU default

    // The CPU quick preset, made tiny in the advanced form (every field is there).
    await page.locator('[data-testid="preset-card"][data-preset-id="cpu-quick"]').click();
    expect(await page.locator('[data-preset-id="cpu-quick"]').getAttribute('aria-checked')).toBe('true');
    await shot(page, 'train-setup');
    if ((await page.getByTestId('advanced-toggle').getAttribute('aria-expanded')) !== 'true')
      await page.getByTestId('advanced-toggle').click();
    await page.getByTestId('advanced-form').waitFor();
    for (const field of [
      'arch',
      'stem',
      'widthMultiplier',
      'inputSize',
      'batchSize',
      'epochs',
      'K',
      'm',
      'T',
      'dim',
      'mlpHead',
      'augmentation',
      'symmetric',
      'dictionary',
      'lr',
      'schedule',
      'lrSteps',
      'sgdMomentum',
      'weightDecay',
      'bnGroups',
      'seed',
      'knnEvery',
      'checkpointMinutes',
    ]) {
      expect(await page.getByTestId(`train-field-${field}`).count(), field).toBe(1);
    }
    expect(await page.getByTestId('train-folders-option').count()).toBe(1);
    await page.getByTestId('train-field-arch').selectOption('resnet18');
    await page.getByTestId('train-field-stem').selectOption('small');
    await fill(page, 'widthMultiplier', '0.125');
    await fill(page, 'inputSize', '32');
    await fill(page, 'batchSize', '16');
    // The lr follows the batch on request: 0.03 x 16/256.
    await page.getByTestId('hint-fix-lr').click();
    expect(await page.getByTestId('train-field-lr').inputValue()).toBe('0.001875');
    await fill(page, 'epochs', '4');
    await fill(page, 'knnEvery', '1');

    // A field that does not parse says so and blocks the start.
    await fill(page, 'm', 'fast');
    expect(await page.getByTestId('field-error-m').textContent()).toContain('m (key momentum): expected a number from 0 to 1, got "fast"');
    expect(await page.getByTestId('start-button').isDisabled()).toBe(true);
    await fill(page, 'm', '0.99');

    // K not a multiple of the batch: hinted here, refused by the app in its own words.
    await fill(page, 'K', '100');
    expect(await page.getByTestId('hint-K').first().textContent()).toContain('expected queue size K a multiple of the batch size 16');
    await page.getByTestId('start-button').click();
    const refused = page.getByTestId('start-error');
    await refused.waitFor();
    expect(await refused.textContent()).toContain(
      'startTraining: expected queue size K a multiple of the batch size 16, got K = 100 (try 112)',
    );
    const banner = page.getByTestId('error-banner').filter({ hasText: 'Starting training' });
    expect(await banner.textContent()).toContain('expected queue size K a multiple of the batch size 16');
    await shot(page, 'train-refused');
    // The refused call shows up only as the HTTP status of that call.
    expectOnlyRefusals(browser, /status of 4\d\d|queue size K/);
    await banner.getByRole('button', { name: 'Dismiss' }).click();

    await fill(page, 'K', '64');
    await expect.poll(() => page.getByTestId('start-error').count()).toBe(0);
    expect(await page.getByTestId('config-summary').textContent()).toContain(
      'ResNet-18 small ×0.125 · 32 px · batch 16 · 4 epochs · K 64 · m 0.99',
    );

    // "Train for N minutes": a time budget replaces the epochs in the summary; a typo blocks the start.
    await fill(page, 'minutes', 'soon');
    expect(await page.getByTestId('field-error-minutes').textContent()).toContain(
      'Train for: expected minutes from 0.05 to 100000, or nothing to train for the epochs, got "soon"',
    );
    expect(await page.getByTestId('start-button').isDisabled()).toBe(true);
    await fill(page, 'minutes', '2');
    expect(await page.getByTestId('config-summary').textContent()).toContain('batch 16 · 2 min · K 64');
    await fill(page, 'minutes', '');
    expect(await page.getByTestId('config-summary').textContent()).toContain('batch 16 · 4 epochs · K 64');
    await page.getByTestId('start-button').click();

    // Live progress: the panel trains, the tab says so, the loss chart fills.
    const panel = page.getByTestId('run-panel');
    await page.locator('[data-testid="run-panel"][data-phase="training"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('nav-train-running').waitFor();
    await expect.poll(async () => (await chartState(page, 'loss')).points, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect((await chartState(page, 'loss')).inked).toBeGreaterThan(0);
    expect(await page.getByTestId('run-fact-loss').textContent()).toMatch(/\d\.\d{3}/);
    // Every value shows in full (long ones wrap), none cut off with an ellipsis.
    const cut = await panel
      .locator('dd')
      .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    expect(cut).toEqual([]);
    await shot(page, 'train-live');
    expect(await page.getByTestId('start-button').isDisabled()).toBe(true);
    expect(await page.getByTestId('resume-button').isDisabled()).toBe(true);
    expect(await page.getByTestId('delete-run-button').isDisabled()).toBe(true);

    // Pause: the run stops at a checkpoint and can be resumed.
    await page.getByTestId('pause-button').click();
    await page.locator('[data-testid="run-panel"][data-phase="paused"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('checkpoint-row').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const pausedStep = Number(await page.getByTestId('checkpoint-row').first().getAttribute('data-step'));
    expect(pausedStep).toBeGreaterThan(0);
    expect(pausedStep).toBeLessThan(12);
    expect(await page.getByTestId('pause-button').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('resume-button').isDisabled()).toBe(false);
    await expect.poll(() => page.locator('[data-testid="run-row"]').getAttribute('data-status')).toBe('paused');
    expect(await page.getByTestId('nav-train-running').count()).toBe(0);
    await shot(page, 'train-paused');

    // Resume and train to the end: every step in the history, kNN measured each epoch.
    await page.getByTestId('resume-button').click();
    await page.locator('[data-testid="run-row"][data-status="done"]').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="run-panel"][data-phase="done"]').waitFor();
    await expect.poll(async () => (await chartState(page, 'loss')).points, { timeout: 10_000 }).toBe(12);
    expect((await chartState(page, 'lr')).points).toBe(12);
    expect((await chartState(page, 'accuracy')).inked).toBeGreaterThan(0);
    expect(await page.getByTestId('train-charts').getAttribute('data-knn')).toBe('true');
    const final = (await page.getByTestId('run-final').textContent()) ?? '';
    expect(final).toMatch(/step 12\/12/);
    expect(final).toMatch(/loss \d\.\d{3}/);
    expect(final).toMatch(/kNN \d+\.\d%/);
    expect(await page.getByTestId('run-fact-step').textContent()).toContain('12/12');
    await expect.poll(() => page.getByTestId('checkpoint-row').first().getAttribute('data-step')).toBe('12');
    await page.getByTestId('run-details-button').click();
    const config = (await page.getByTestId('run-config').textContent()) ?? '';
    expect(config).toMatch(/Width multiplier\s*0\.125/);
    expect(config).toMatch(/K \(queue size\)\s*64/);
    expect(await page.getByTestId('resume-button').isDisabled()).toBe(true);
    await shot(page, 'train');

    // Dark: the page and the charts follow the colour scheme.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(async () => (await chartState(page, 'loss')).inked).toBeGreaterThan(0);
    await shot(page, 'train-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // The charts follow their container's width.
    const fit = () =>
      page.getByTestId('chart-loss').evaluate((fig) => {
        const canvas = fig.querySelector('canvas')!.getBoundingClientRect().width;
        return { canvas: Math.round(canvas), slack: Math.abs(fig.querySelector<HTMLElement>('.plot')!.clientWidth - canvas) };
      });
    const before = await fit();
    expect(before.slack).toBeLessThanOrEqual(2);
    await page.setViewportSize({ width: 1800, height: 860 });
    await expect.poll(async () => (await fit()).canvas).toBeGreaterThan(before.canvas + 60);
    expect((await fit()).slack).toBeLessThanOrEqual(2);
    await page.setViewportSize({ width: 1400, height: 860 });
    await expect.poll(async () => (await fit()).canvas).toBe(before.canvas);

    // A second run, stopped for good: no checkpoint, and its row says so.
    await fill(page, 'epochs', '3');
    await page.getByTestId('start-button').click();
    await expect.poll(() => page.getByTestId('run-panel').getAttribute('data-run-id')).toBe('2');
    await expect.poll(() => page.getByTestId('stop-button').isDisabled(), { timeout: 30_000 }).toBe(false);
    await page.getByTestId('stop-button').click();
    const second = page.locator('[data-testid="run-row"][data-run-id="2"]');
    await page.locator('[data-testid="run-row"][data-run-id="2"][data-status="cancelled"]').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('run-phase').textContent()).toBe('Stopped');
    expect(await page.getByTestId('checkpoint-row').count()).toBe(0);
    expect(await page.getByTestId('run-row').count()).toBe(2);

    // Choosing the first run shows its curves and checkpoints again.
    await page.locator('[data-testid="run-row"][data-run-id="1"] button[aria-pressed]').click();
    await expect.poll(() => page.getByTestId('run-panel').getAttribute('data-run-id')).toBe('1');
    await expect.poll(async () => (await chartState(page, 'loss')).points).toBe(12);
    expect(await page.getByTestId('checkpoint-list').textContent()).toContain('Checkpoints of run 1');
    await expect.poll(() => page.getByTestId('checkpoint-row').count()).toBeGreaterThanOrEqual(2);
    // A finished run lists its backend ("wasm (wasm SIMD, 2 threads)"): shown in full, wrapped.
    await expect.poll(() => page.getByTestId('run-fact-backend').count()).toBe(1);
    const cutDone = await page
      .getByTestId('run-panel')
      .locator('dd')
      .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
    expect(cutDone).toEqual([]);
    await shot(page, 'train-run-facts');

    // Deleting asks first, then the run and its checkpoints are gone.
    await second.getByTestId('delete-run-button').click();
    await second.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('run-row').count()).toBe(2);
    await second.getByTestId('delete-run-button').click();
    await second.getByTestId('confirm-delete-button').click();
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(1);
    await page.getByTestId('delete-run-button').click();
    await page.getByTestId('confirm-delete-button').click();
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(0);
    await page.getByTestId('train-empty').waitFor();

    expect(browser.problems).toEqual([]);
  });
});
