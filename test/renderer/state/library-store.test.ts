// The library store against a fake client: what it loads, and how app events reach it.
import './browser-stubs';
import { describe, expect, it } from 'vitest';
import type { Folder, LibraryStatus } from '$contract';
import { createLibraryStore } from '../../../src-renderer/src/state/library.svelte';
import { fakeClient } from './fake-client';

const status = { images: 3, watch: { enabled: false }, scan: null } as unknown as LibraryStatus;
const folders = [{ id: 1, path: '/photos', imageCount: 3 }] as Folder[];

const setup = () => {
  const fake = fakeClient({ getStatus: status, listFolders: folders, getSettings: { theme: 'dark' }, removeFolder: undefined });
  return { fake, library: createLibraryStore(() => fake.client) };
};

describe('library store', () => {
  it('loads status, folders and settings on start', async () => {
    const { library } = setup();
    library.start();
    await new Promise((r) => setTimeout(r, 0));
    expect(library.loaded).toBe(true);
    expect(library.folders).toEqual(folders);
    expect(library.settings).toEqual({ theme: 'dark' });
    expect(library.version).toBe(1);
  });

  it("bumps its version on the app's curation.changed event, so lists reload", async () => {
    const { fake, library } = setup();
    library.start();
    await new Promise((r) => setTimeout(r, 0));
    const before = library.version;
    fake.emit('curation.changed', { imageIds: [2] });
    expect(library.version).toBe(before + 1);
  });

  it('reloads after removing a folder', async () => {
    const { fake, library } = setup();
    await library.removeFolder(1);
    expect(fake.calls.map((c) => c.method)).toEqual(['removeFolder', 'getStatus', 'listFolders']);
    expect(library.loaded).toBe(true);
  });
});
