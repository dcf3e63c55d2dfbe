// The pixel limit setting: an image over it becomes a "too-large" problem that tells the person
// to raise the limit in Settings; raising it reads the refused images again without a manual
// rescan, and a lower limit is honoured by the next scan.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures';
import { closeStudios, openStudio } from './helpers/studio';

let cleanup: (() => void) | null = null;
afterEach(async () => {
  await closeStudios();
  cleanup?.();
});

describe('pixel limit', () => {
  it('refuses an image over the limit, and includes it once the limit is raised', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const photos = join(t.dir, 'photos');
    mkdirSync(photos);
    // 1,200 x 1,000 = 1.2 megapixels; 100 x 100 is far under any limit.
    await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#3a7' } })
      .png()
      .toFile(join(photos, 'big.png'));
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#a37' } })
      .png()
      .toFile(join(photos, 'small.png'));
    const studio = await openStudio(join(t.dir, 'data'), { demoFolder: null });
    await studio.api.updateSettings({ maxPixels: 1_000_000 });
    await studio.api.addFolder(photos);
    await studio.waitForScan();
    const problems = (await studio.api.listProblems({ limit: 10 })).items;
    expect(problems.map((p) => [p.reason, p.path])).toEqual([['too-large', join(photos, 'big.png')]]);
    expect(problems[0].message).toContain('raise the pixel limit in Settings');
    expect((await studio.api.getStatus()).images).toBe(1);

    // Raising the limit starts the rescan itself.
    await studio.api.updateSettings({ maxPixels: 2_000_000 });
    await studio.waitForScan();
    expect((await studio.api.listProblems({ limit: 10 })).items).toEqual([]);
    expect((await studio.api.getStatus()).images).toBe(2);
  });
});
