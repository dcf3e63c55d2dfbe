// The Evaluate view and the export / import dialogs in Chromium against the real web host: a
// library of three visually distinct classes (one folder each, plus a one-image folder that is
// too small to be a class), a tiny MoCo encoder trained through the API, then in the page: the
// encoder picked, folder labels with their example names, the live class preview, a probe with
// fewer epochs and its progress, the results of the encoder and both baselines, the confusion
// matrix with a cell's test images, the per-class table and the history; the weights exported
// as safetensors (checked on disk), a curated subset with its training command, a bad import path
// refused with the app's message, and the exported file imported back as a new encoder.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBrowser } from './helpers/browser';
import { makePhotoSet } from './helpers/photos';
import { tempDir } from './helpers/temp';
import { startHost } from './helpers/web-host';
import { cleanupsAfterEach, call, scanSettles, shot, imagesLoaded, WAIT, trainTinyRun, expectOnlyRefusals } from './helpers/session';

const cleanups = cleanupsAfterEach();
const PER_CLASS = 12;

/** The class preview's rows as name -> [train, test]. */
async function previewRows(page: Page): Promise<Record<string, [number, number]>> {
  const rows = await page
    .getByTestId('class-preview-row')
    .evaluateAll((els) =>
      els.map(
        (e) => [e.getAttribute('data-class') ?? '', Number(e.getAttribute('data-train')), Number(e.getAttribute('data-test'))] as const,
      ),
    );
  return Object.fromEntries(rows.map(([name, train, test]) => [name, [train, test]]));
}

describe('evaluate view in the browser', () => {
  it('probes an encoder against its baselines, opens a confusion cell, exports the weights and imports them back', async () => {
    const tmp = await tempDir('evaluate');
    cleanups.push(tmp.remove);
    const photos = join(tmp.path, 'photos');
    await mkdir(photos);
    // sunsets/, ocean/, forest/ with PER_CLASS each; copies/ holds one image; broken/ none.
    const set = await makePhotoSet(photos, PER_CLASS);
    const exports = join(tmp.path, 'exports');
    await mkdir(exports);
    const host = await startHost(join(tmp.path, 'data'));
    cleanups.push(host.stop);

    // The library and a tiny encoder, through the API (the Train view has its own test).
    await call(host, 'addFolder', photos);
    await scanSettles(host, set.images);
    const run = await trainTinyRun(host);

    const browser = await openBrowser(join(tmp.path, 'profile'));
    cleanups.push(browser.close);
    const { page } = browser;
    await page.goto(host.url);
    await page.getByTestId('nav-evaluate').click();
    await page.getByTestId('evaluate-view').waitFor();
    await page.getByTestId('probe-empty').waitFor(WAIT);

    // The encoder, with its architecture and size.
    const runSelect = page.getByTestId('probe-run-select');
    await expect.poll(() => runSelect.locator('option:checked').textContent(), WAIT).toContain(`Run ${run.id}`);
    expect(await runSelect.locator('option:checked').textContent()).toContain('ResNet-18 small stem ×0.125 · 16 px');

    // Folder labels: the first level names the three classes (and the one-image folder).
    const level0 = page.locator('[data-testid="probe-label-option"][data-key="folder:0"]');
    await expect.poll(() => level0.textContent(), WAIT).toContain('forest, ocean, sunsets, copies');
    await level0.locator('input').check();

    // The live preview: per-class split counts, the small class left out.
    const preview = page.locator('[data-testid="class-preview"][data-state="ready"]');
    await preview.waitFor(WAIT);
    expect(await previewRows(page)).toEqual({ forest: [10, 2], ocean: [10, 2], sunsets: [10, 2] });
    expect(await page.getByTestId('class-preview-left-out').textContent()).toContain('copies (1)');
    await page.getByTestId('probe-field-testFraction').fill('0.25');
    await expect.poll(() => previewRows(page), WAIT).toEqual({ forest: [9, 3], ocean: [9, 3], sunsets: [9, 3] });
    expect(await page.getByTestId('class-preview-summary').textContent()).toBe(
      '3 classes · 27 train / 9 test · 1 small class left out (1 image)',
    );

    // The protocol's settings under Advanced; fewer epochs for a quick test.
    if ((await page.getByTestId('probe-advanced-toggle').getAttribute('aria-expanded')) !== 'true')
      await page.getByTestId('probe-advanced-toggle').click();
    const advanced = page.getByTestId('probe-advanced');
    await advanced.waitFor();
    const protocol = {
      epochs: '100',
      lr: '30',
      momentum: '0.9',
      weightDecay: '0',
      batchSize: '256',
      lrSteps: '0.6, 0.8',
      k: '200',
      T: '0.1',
    };
    for (const [field, value] of Object.entries(protocol))
      expect(await page.getByTestId(`probe-field-${field}`).inputValue(), field).toBe(value);
    expect(await page.getByTestId('probe-field-standardize').isChecked()).toBe(true);
    expect(await page.getByTestId('probe-field-randomInit').isChecked()).toBe(true);
    expect(await page.getByTestId('probe-field-rawPixels').isChecked()).toBe(true);
    await page.getByTestId('probe-field-epochs').fill('20');
    await expect.poll(() => page.getByTestId('probe-advanced-toggle').textContent()).toContain('epochs 20');
    await page.getByTestId('probe-encoder').scrollIntoViewIfNeeded();
    await shot(page, 'evaluate-setup');

    // Run it: the progress line while it works (every phase shown is recorded), then the results of all three models.
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="probe-progress"]');
        const line = el
          ? `${el.getAttribute('data-phase')}: ${el.querySelector('[data-testid="probe-progress-line"]')?.textContent ?? ''}`
          : null;
        if (line && w.seen[w.seen.length - 1] !== line) w.seen.push(line);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByTestId('probe-start-button').click();
    const panel = page.getByTestId('probe-panel');
    await expect.poll(() => panel.getAttribute('data-status'), { timeout: 90_000, interval: 250 }).toBe('done');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(
      seen.some((l) => /^features: .*\d+ \/ 36 images/.test(l)),
      seen.join('\n'),
    ).toBe(true);
    expect(
      seen.some((l) => /^linear: .*epoch \d+ \/ 20/.test(l)),
      seen.join('\n'),
    ).toBe(true);
    // Done: the results replace the progress line.
    await page.getByTestId('probe-progress').waitFor({ state: 'detached', ...WAIT });
    const rows = page.getByTestId('probe-result-row');
    await expect.poll(() => rows.count(), WAIT).toBe(6);
    const table = await rows.evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-model'), e.getAttribute('data-method'), Number(e.getAttribute('data-top1'))] as const),
    );
    expect(table.map(([m, k]) => `${m}/${k}`)).toEqual([
      'pretrained/linear',
      'random-init/linear',
      'raw-pixels/linear',
      'pretrained/knn',
      'random-init/knn',
      'raw-pixels/knn',
    ]);
    expect(table.every(([, , top1]) => top1 >= 0 && top1 <= 1)).toBe(true);
    // Three classes of distinct colours: the best of them is far above chance (1/3).
    expect(Math.max(...table.map(([, , t]) => t))).toBeGreaterThanOrEqual(0.66);
    expect(await page.getByTestId('probe-gain').textContent()).toMatch(
      /^Pretraining: [+−±][\d.]+ pts over a random-init encoder and [+−±][\d.]+ pts over raw pixels/,
    );
    expect(await rows.first().textContent()).toMatch(/\d+\.\d%/);

    // The confusion matrix of the pretrained linear probe: rows sum to each class's test images.
    const matrix = page.getByTestId('confusion-matrix');
    expect(await matrix.getAttribute('data-model')).toBe('pretrained');
    const cells = await page.getByTestId('confusion-cell').evaluateAll((els) =>
      els.map((e) => ({
        t: Number(e.getAttribute('data-true')),
        p: Number(e.getAttribute('data-pred')),
        n: Number(e.getAttribute('data-count')),
      })),
    );
    expect(cells).toHaveLength(9);
    for (const t of [0, 1, 2]) expect(cells.filter((c) => c.t === t).reduce((s, c) => s + c.n, 0)).toBe(3);
    // The row totals are inside the visible part of the matrix, never under a scrollbar.
    const clipped = await matrix.evaluate((m) => {
      const box = m.querySelector('.scroll')!.getBoundingClientRect();
      return [...m.querySelectorAll('.row-total')].filter(
        (t) => t.getBoundingClientRect().right > box.left + (m.querySelector('.scroll') as HTMLElement).clientWidth + 0.5,
      ).length;
    });
    expect(clipped).toBe(0);

    // A cell with images: its test images, labelled true → predicted, from the true class's folder.
    const classes = ['forest', 'ocean', 'sunsets'];
    const cell = [...cells].sort((a, b) => b.n - a.n)[0];
    await page.locator(`[data-testid="confusion-cell"][data-true="${cell.t}"][data-pred="${cell.p}"]`).click();
    await expect.poll(() => page.getByTestId('cell-images-title').textContent(), WAIT).toBe(`${classes[cell.t]} → ${classes[cell.p]}`);
    await expect.poll(() => page.getByTestId('cell-image').count(), WAIT).toBe(cell.n);
    const paths = await page.getByTestId('cell-image').evaluateAll((els) => els.map((e) => e.getAttribute('data-rel-path') ?? ''));
    expect(
      paths.every((p) => p.startsWith(`${classes[cell.t]}/`)),
      paths.join(','),
    ).toBe(true);
    await imagesLoaded(page, '[data-testid="cell-images"]');
    expect(await page.getByTestId('class-row').count()).toBe(3);
    await shot(page, 'evaluate');

    // Another row of the table shows its own matrix; the probe sits in the history.
    await page.locator('[data-testid="probe-result-row"][data-model="raw-pixels"][data-method="knn"]').click();
    await expect.poll(() => matrix.getAttribute('data-method'), WAIT).toBe('knn');
    expect(await matrix.getAttribute('data-model')).toBe('raw-pixels');
    expect(await page.getByTestId('probe-row').count()).toBe(1);
    expect(await page.getByTestId('probe-row-headline').textContent()).toMatch(/^linear top-1 \d+\.\d%$/);
    await page.getByTestId('probe-history').scrollIntoViewIfNeeded();
    await shot(page, 'evaluate-history');
    await page.getByTestId('probe-panel').scrollIntoViewIfNeeded();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'evaluate-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Export the weights as safetensors: the files listed are on disk with their sizes.
    await page.getByTestId('probe-export-button').click();
    const dialog = page.getByTestId('export-weights-dialog');
    await dialog.waitFor();
    expect(await page.getByTestId('export-format-safetensors').isChecked()).toBe(true);
    await page.getByTestId('export-dir').fill('exports');
    await page.getByTestId('export-weights-submit').click();
    expect(await dialog.textContent()).toContain('expected an absolute folder path');
    // A folder that does not exist: a readable message (no internal call name) and an offer to create it.
    const newDir = join(exports, 'new', 'weights');
    await page.getByTestId('export-dir').fill(newDir);
    await page.getByTestId('export-weights-submit').click();
    await page.getByTestId('create-folder-offer').waitFor(WAIT);
    const refusal = (await page.getByTestId('export-error').textContent()) ?? '';
    expect(refusal).toContain(`Destination: expected an existing folder, got ${newDir}, which does not exist`);
    expect(refusal).not.toContain('exportWeights');
    await shot(page, 'export-create-folder');
    browser.problems.length = 0; // the refused call, logged by the browser (HTTP 4xx) and the page
    await page.getByTestId('create-folder-button').click();
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 });
    expect((await page.getByTestId('export-result-dir').textContent())!.trim().startsWith(newDir)).toBe(true);
    expect(await page.getByTestId('create-folder-offer').count()).toBe(0);
    await page.getByTestId('export-dir').fill(exports);
    await page.getByTestId('export-weights-submit').click();
    await expect
      .poll(async () => (await page.getByTestId('export-result-dir').textContent())!.trim().startsWith(newDir), { timeout: 60_000 })
      .toBe(false);
    const outDir = (await page.getByTestId('export-result-dir').textContent())!.trim();
    expect(outDir.startsWith(exports)).toBe(true);
    const files = await page
      .getByTestId('export-file')
      .evaluateAll((els) => els.map((e) => [e.querySelector('td')!.textContent!.trim(), Number(e.getAttribute('data-bytes'))] as const));
    const names = files.map(([n]) => n);
    expect(names).toContain('encoder.safetensors');
    expect(names).toContain('config.json');
    for (const [name, bytes] of files) expect((await stat(join(outDir, name))).size, name).toBe(bytes);
    expect(await page.getByTestId('export-notes-text').textContent()).toMatch(/safetensors/);
    await shot(page, 'export');
    await page.getByTestId('export-weights-dialog-close').click();
    await dialog.waitFor({ state: 'detached' });

    // The curated subset as an ImageFolder tree of links, with the scale-out command lines.
    await page.getByTestId('export-subset-button').click();
    await page.getByTestId('export-subset-dialog').waitFor();
    expect(await page.getByTestId('export-subset-layout-tree').isChecked()).toBe(true);
    expect(await page.getByTestId('export-subset-mode-symlink').isChecked()).toBe(true);
    await page.getByTestId('export-subset-dir').fill(exports);
    await page.getByTestId('export-subset-submit').click();
    await page.getByTestId('export-command').first().waitFor({ timeout: 60_000 });
    const commands = await page.getByTestId('export-command-text').allTextContents();
    expect(commands.length).toBeGreaterThanOrEqual(1);
    for (const c of commands) expect(c).toMatch(/^(torchrun .*main_moco\.py|python3? main_moco\.py )/s);
    const subsetDir = (await page.getByTestId('export-result-dir').textContent())!.trim();
    expect((await stat(join(subsetDir, 'train', 'ocean', 'ocean-01.jpg'))).isFile()).toBe(true);
    await shot(page, 'export-subset');
    await page.getByTestId('export-subset-dialog-close').click();

    // Import: a path that is no file gets the app's own message; the exported file comes back as a new encoder.
    await page.getByTestId('probe-import-button').click();
    await page.getByTestId('import-weights-dialog').waitFor();
    const missing = join(tmp.path, 'nowhere', 'moco_v2.pth.tar');
    await page.getByTestId('import-path').fill(missing);
    await page.getByTestId('import-submit').click();
    const message = page.getByTestId('import-error-message');
    await message.waitFor(WAIT);
    expect(await message.textContent()).toBe(`importWeights: expected a weights file, got ${missing} (no such file)`);
    await shot(page, 'export-import-error');
    expectOnlyRefusals(browser, /status of 404|importWeights/);

    await page.getByTestId('import-path').fill(join(outDir, 'encoder.safetensors'));
    await page.getByTestId('import-name').fill('round trip');
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-done').waitFor({ timeout: 60_000 });
    expect((await page.getByTestId('import-report-text').textContent())!.length).toBeGreaterThan(0);
    await shot(page, 'export-import');
    await page.getByTestId('import-weights-dialog-close').click();
    await page.getByTestId('import-weights-dialog').waitFor({ state: 'detached' });
    const imported = (await call(host, 'listRuns')).find((r) => r.status === 'imported');
    expect(imported?.name).toBe('round trip');
    await expect.poll(() => runSelect.locator('option:checked').textContent(), WAIT).toContain(`Run ${imported!.id} · round trip`);
    expect(await runSelect.locator('option:checked').textContent()).toContain('imported');

    // The Train view lists it as an imported encoder, with no training numbers.
    await page.getByTestId('nav-train').click();
    const importedRow = page.locator(`[data-testid="run-row"][data-run-id="${imported!.id}"]`);
    await importedRow.waitFor(WAIT);
    expect(await importedRow.getByTestId('run-final').textContent()).toContain('imported from a weights file');
    expect(await importedRow.getByTestId('export-run-button').count()).toBe(1);
    await importedRow.locator('button.main').click();
    // Selected, it says what it is instead of showing empty training charts.
    await expect.poll(() => page.getByTestId('train-imported').textContent(), WAIT).toContain('Imported from a weights file');
    expect(await page.getByTestId('train-charts').count()).toBe(0);
    await shot(page, 'export-imported-train');

    // Embeddings from the Search view's encoder picker: the vectors as .npy with their ids and paths.
    const embedding = await call(host, 'startEmbedding', run.id);
    await expect
      .poll(async () => (await call(host, 'listEmbeddings')).find((s) => s.id === embedding.id)?.status, { timeout: 60_000, interval: 500 })
      .toBe('done');
    await page.getByTestId('nav-search').click();
    await page.getByTestId('encoder-select').selectOption(`set:${embedding.id}`);
    await page.getByTestId('export-embeddings-button').click();
    await page.getByTestId('export-embeddings-dialog').waitFor();
    await page.getByTestId('export-space-embedding').check();
    await page.getByTestId('export-embeddings-dir').fill(exports);
    await page.getByTestId('export-embeddings-submit').click();
    await page.getByTestId('export-result').waitFor({ timeout: 60_000 });
    const embDir = (await page.getByTestId('export-result-dir').textContent())!.trim();
    const embFiles = await page
      .getByTestId('export-file')
      .evaluateAll((els) => els.map((e) => [e.querySelector('td')!.textContent!.trim(), Number(e.getAttribute('data-bytes'))] as const));
    expect(embFiles.some(([n]) => n.endsWith('.npy'))).toBe(true);
    expect(embFiles.some(([n]) => n.endsWith('.csv'))).toBe(true);
    for (const [name, bytes] of embFiles) expect((await stat(join(embDir, name))).size, name).toBe(bytes);
    await shot(page, 'export-embeddings');
    await page.getByTestId('export-embeddings-dialog-close').click();

    // Deleting a probe asks first; Cancel keeps it.
    await page.getByTestId('nav-evaluate').click();
    const probeRow = page.getByTestId('probe-row');
    await probeRow.getByTestId('delete-probe-button').click();
    await probeRow.getByRole('button', { name: 'Cancel' }).click();
    expect(await probeRow.count()).toBe(1);
    await probeRow.getByTestId('delete-probe-button').click();
    await probeRow.getByTestId('confirm-delete-probe').click();
    await expect.poll(() => page.getByTestId('probe-row').count(), WAIT).toBe(0);
    await page.getByTestId('probe-empty').waitFor(WAIT);
    expect(await call(host, 'listProbes')).toEqual([]);

    expect(browser.problems).toEqual([]);
  });

  it('shows a 19-class confusion matrix whole: every row and the row totals in view, no inner scrollbar', async () => {
    const tmp = await tempDir('evaluate-19');
    cleanups.push(tmp.remove);
    const photos = join(tmp.path, 'photos');
    // 19 classes of a flat colour each, 5 images per class.
    const CLASSES = 19;
    for (let c = 0; c < CLASSES; c++) {
      const dir = join(photos, `class-${String(c + 1).padStart(2, '0')}`);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < 5; i++) {
        const hue = Math.round((c * 360) / CLASSES);
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="hsl(${hue},70%,${40 + i * 5}%)"/></svg>`;
        await sharp(Buffer.from(svg))
          .png()
          .toFile(join(dir, `img-${i}.png`));
      }
    }
    const host = await startHost(join(tmp.path, 'data'));
    cleanups.push(host.stop);
    await call(host, 'addFolder', photos);
    await scanSettles(host, CLASSES * 5);
    const run = await trainTinyRun(host);
    const presetProbe = await call(host, 'startProbe', {
      runId: run.id,
      labels: { kind: 'folder', level: 0 },
      testFraction: 0.5,
      minPerClass: 2,
      seed: 0,
      inputSize: null,
      linear: { epochs: 5, lr: 30, momentum: 0.9, weightDecay: 0, batchSize: 256, lrSteps: [0.6, 0.8], standardize: true },
      knn: { k: 20, T: 0.1 },
      baselines: { randomInit: false, rawPixels: false },
      folderIds: [],
    });
    await expect
      .poll(async () => (await call(host, 'listProbes')).find((p) => p.id === presetProbe.id)?.status, { timeout: 90_000, interval: 500 })
      .toBe('done');

    const browser = await openBrowser(join(tmp.path, 'profile'));
    cleanups.push(browser.close);
    const { page } = browser;
    // Wide enough for the whole matrix beside the cell images: nothing needs to scroll sideways.
    await page.setViewportSize({ width: 1800, height: 1000 });
    await page.goto(host.url);
    await page.getByTestId('nav-evaluate').click();
    const matrix = page.getByTestId('confusion-matrix');
    await matrix.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('confusion-cell').count()).toBe(CLASSES * CLASSES);
    const fit = await matrix.evaluate((m) => {
      const scroll = m.querySelector('.scroll') as HTMLElement;
      const right = scroll.getBoundingClientRect().left + scroll.clientWidth;
      const totals = [...m.querySelectorAll('.row-total')];
      return {
        overflow: scroll.scrollWidth - scroll.clientWidth,
        // A matrix taller than its box scrolls inside it, and on a desktop the scrollbar that
        // brings then covers the row totals (headless Chromium hides scrollbars, so this is the check).
        rowsOutOfView: scroll.scrollHeight - scroll.clientHeight,
        hidden: totals.filter((t) => t.getBoundingClientRect().right > right + 0.5).length,
        totals: totals.length,
      };
    });
    expect(fit).toEqual({ overflow: 0, rowsOutOfView: 0, hidden: 0, totals: CLASSES });
    await matrix.scrollIntoViewIfNeeded();
    await shot(page, 'evaluate-19-classes');
    expect(browser.problems).toEqual([]);
  });
});
