// The Search and Duplicates stores against a fake client: curation calls go to the app once and
// reach the results on screen through the curation store's `curation.changed` announcement.
import './browser-stubs';
import { describe, expect, it } from 'vitest';
import type { ImageSummary, NearDuplicateResult, SearchResult } from '$contract';
import { createCurationStore } from '../../../src-renderer/src/state/curation.svelte';
import { createNearDuplicateStore } from '../../../src-renderer/src/state/near-duplicates.svelte';
import { createSearchStore } from '../../../src-renderer/src/state/search.svelte';
import { errors } from '../../../src-renderer/src/state/errors.svelte';
import { fakeClient } from './fake-client';

const image = (id: number): ImageSummary => ({ id, excluded: false }) as ImageSummary;

const searchAnswer = (ids: number[]): SearchResult =>
  ({
    setId: 7,
    space: 'embedding',
    queryImageId: ids[0],
    queryName: 'q',
    hits: ids.map((id) => ({ image: image(id), score: 0.9 })),
    tookMs: 1,
  }) as unknown as SearchResult;

const groupsAnswer = (groups: number[][]): NearDuplicateResult => ({
  setId: 7,
  threshold: 0.9,
  groups: groups.map((ids) => ({
    images: ids.map((id) => ({ ...image(id) })),
    maxScore: 1,
    minScore: 0.9,
  })) as NearDuplicateResult['groups'],
  curve: [],
  truncated: false,
  tookMs: 1,
});

function setup(answers: Record<string, unknown> = {}) {
  const fake = fakeClient({
    searchSimilar: () => searchAnswer([1, 2, 3]),
    findNearDuplicates: () =>
      groupsAnswer([
        [1, 2],
        [3, 4, 5],
      ]),
    setExcluded: { updated: 1 },
    trashImages: { trashed: 1 },
    tagImages: { updated: 1 },
    listTags: [{ tag: 'cat', count: 2 }],
    ...answers,
  });
  const nav = { view: 'library', go: (v: string) => void (nav.view = v) };
  const curation = createCurationStore(() => fake.client);
  const search = createSearchStore(() => fake.client, nav, curation);
  const near = createNearDuplicateStore(() => fake.client, { setId: 7, options: { space: 'features' } }, curation);
  return { fake, nav, curation, search, near };
}

describe('curation across stores', () => {
  it('marks an excluded image in the search results without searching again', async () => {
    const { fake, curation, search } = setup();
    expect(await search.openImage(1)).toBe(true);
    expect(await curation.setExcluded([2], true)).toBe(true);
    expect(search.result!.hits.map((h) => [h.image.id, h.image.excluded])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(fake.calls.filter((c) => c.method === 'searchSimilar')).toHaveLength(1);
    expect(fake.calls.find((c) => c.method === 'setExcluded')!.args).toEqual([[2], true]);
  });

  it('takes trashed images out of the results, the groups and the picks', async () => {
    const { curation, search, near } = setup();
    await search.openImage(1);
    await near.load();
    search.focus = 2;
    search.picks.set([3, 1]);
    near.picks.set([1, 4]);
    expect(await curation.trash([3, 1])).toBe(true);
    expect(search.result!.hits.map((h) => h.image.id)).toEqual([2]);
    expect(search.focus).toBe(0);
    expect(search.picks.ids).toEqual([]);
    // the pair [1, 2] lost an image and is no group any more
    expect(near.result!.groups.map((g) => g.images.map((i) => i.id))).toEqual([[4, 5]]);
    expect(near.picks.ids).toEqual([4]);
  });

  it('asks for near-duplicates in the scope the Search view chose', async () => {
    const { fake, near, curation } = setup();
    await near.load(0.93);
    expect(fake.calls.find((c) => c.method === 'findNearDuplicates')!.args).toEqual([
      { setId: 7, threshold: 0.93, space: 'features', includeExcluded: true },
    ]);
    await curation.keep([3], [4, 5]);
    expect(near.result!.groups[1].images.map((i) => i.excluded)).toEqual([false, true, true]);
  });

  it('changes nothing on screen when the app refuses, and says why', async () => {
    errors.clear();
    const { curation, search } = setup({ setExcluded: new Error('setExcluded: expected image ids, got 99') });
    await search.openImage(1);
    expect(await curation.setExcluded([2], true)).toBe(false);
    expect(search.result!.hits.every((h) => !h.image.excluded)).toBe(true);
    expect(errors.items.map((t) => t.message)).toEqual(['setExcluded: expected image ids, got 99']);
    expect(curation.busy).toBe(false);
  });

  it('reloads the tag list after tagging, and refuses an empty pick without a call', async () => {
    const { fake, curation } = setup();
    expect(await curation.tag([], 'cat')).toBe(false);
    expect(await curation.tag([1, 2], 'cat')).toBe(true);
    expect(fake.calls.map((c) => c.method)).toEqual(['tagImages', 'listTags']);
    expect(curation.tags).toEqual([{ tag: 'cat', count: 2 }]);
  });
});

describe('search store', () => {
  it('keeps a back stack and returns to the view the first query came from', async () => {
    const { search, nav } = setup();
    await search.openImage(1);
    await search.openImage(2);
    expect(search.history.map((h) => h.subject)).toEqual([
      { kind: 'image', imageId: 1 },
      { kind: 'image', imageId: 2 },
    ]);
    nav.view = 'search';
    expect(await search.back()).toBe(true);
    expect(search.current!.subject).toEqual({ kind: 'image', imageId: 1 });
    expect(await search.back()).toBe(true);
    expect(search.result).toBeNull();
    expect(nav.view).toBe('library');
  });

  it('drops an answer that arrives after a newer query', async () => {
    let release: (r: SearchResult) => void = () => undefined;
    const slow = new Promise<SearchResult>((r) => (release = r));
    let first = true;
    const { search } = setup({
      searchSimilar: () => {
        if (!first) return searchAnswer([9]);
        first = false;
        return slow;
      },
    });
    const older = search.openImage(1);
    expect(await search.openImage(2)).toBe(true);
    release(searchAnswer([5]));
    expect(await older).toBe(false);
    expect(search.result!.hits.map((h) => h.image.id)).toEqual([9]);
    expect(search.searching).toBe(false);
  });

  it('shows a failed search next to its subject and keeps it for a retry', async () => {
    const { search } = setup({ searchSimilar: new Error('searchSimilar: expected an embedding set, got none') });
    expect(await search.openImage(4)).toBe(false);
    expect(search.error).toMatchObject({ subject: 'image 4', message: 'searchSimilar: expected an embedding set, got none' });
    expect(search.history).toEqual([]);
  });
});
