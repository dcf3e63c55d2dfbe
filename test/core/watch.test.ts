import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchStatus } from '../../src-main/api/contract';
import { LibraryWatcher } from '../../src-main/core/library/watcher';
import { noisyImage, tempDir } from './fixtures';
import { addAndScan, closeStudios, imagesByPath, openStudio } from './helpers/studio';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(async () => {
  await closeStudios();
  cleanup();
});

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`until: expected ${what} within ${ms} ms, got nothing`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('watch mode', () => {
  it('picks up new and deleted files while the app runs, ignoring hidden ones', async () => {
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    await (await noisyImage(64, 64, 1)).jpeg().toFile(join(photos, 'first.jpg'));
    const studio = await openStudio(join(dir, 'data'));
    const statuses: WatchStatus[] = [];
    studio.on('watch.status', (s) => statuses.push(s));
    await addAndScan(studio, photos);
    await studio.api.updateSettings({ watch: true });
    expect((await studio.api.getStatus()).watch).toEqual({ mode: 'events', message: null });
    expect(statuses.at(-1)).toEqual({ mode: 'events', message: null });
    await new Promise((r) => setTimeout(r, 300)); // let the watcher finish its initial listing

    mkdirSync(join(photos, 'new'));
    await (await noisyImage(64, 64, 2)).jpeg().toFile(join(photos, 'new', 'second.jpg'));
    await (await noisyImage(64, 64, 3)).jpeg().toFile(join(photos, '.secret.jpg'));
    const second = await until('the new file indexed', async () => (await imagesByPath(studio)).get('new/second.jpg'));
    expect(second.missing).toBe(false);
    expect((await imagesByPath(studio)).has('.secret.jpg')).toBe(false);

    rmSync(join(photos, 'first.jpg'));
    await until('the deleted file missing', async () => ((await imagesByPath(studio)).get('first.jpg')?.missing ? true : undefined));

    await studio.api.updateSettings({ watch: false });
    expect((await studio.api.getStatus()).watch.mode).toBe('off');
  });

  it('falls back to periodic rescans when the tree needs more watches than the system allows', async () => {
    const statuses: WatchStatus[] = [];
    let polls = 0;
    const watcher = new LibraryWatcher(
      [{ id: 1, path: dir, dirCount: 5000 }],
      { skipHidden: true, watchLimit: 8192, pollMs: 30 },
      { onChange: () => undefined, onPoll: () => polls++, onStatus: (s) => statuses.push(s) },
    );
    watcher.start();
    try {
      expect(watcher.status.mode).toBe('polling');
      expect(watcher.status.message).toContain('5000 folders but the system allows 8192 watches');
      expect(statuses).toEqual([watcher.status]);
      await until('two polls', async () => (polls >= 2 ? true : undefined), 2000);
    } finally {
      await watcher.stop();
    }
    const after = polls;
    await new Promise((r) => setTimeout(r, 100));
    expect(polls).toBe(after);
  });
});
