// Embeddings, search and curation through the Studio API: a tiny run trained in its worker, its
// embeddings computed in theirs, then searches by library image and by outside file, filters,
// planted near-duplicates, incremental updates after a rescan, and clear errors.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { EmbeddingSet } from '../../../src-main/api/contract';
import { createStudio } from '../../../src-main/core/studio';
import { makePatternLibrary, trainedStudioSuite, embedToEnd } from '../moco/train/fixtures';

let set: EmbeddingSet;

const ORIGINAL = 'planted.png';
const COPY = 'near-copy.jpg';

// 24 images in 3 folders, plus the planted pair
const suite = trainedStudioSuite('embed', async (dir) => {
  await makePatternLibrary(dir, 8, 32);
  // A planted near-duplicate: a smooth picture, and a copy of it scaled down and recompressed as JPEG.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><defs><radialGradient id="g"><stop offset="0" stop-color="#ffd23f"/>
    <stop offset="1" stop-color="#3a0ca3"/></radialGradient></defs><rect width="64" height="64" fill="#06d6a0"/><circle cx="26" cy="30" r="22" fill="url(#g)"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(join(dir, ORIGINAL));
  await sharp(join(dir, ORIGINAL)).resize(52, 52).jpeg({ quality: 85 }).toFile(join(dir, COPY));
});
const photos = () => suite.photos;

async function idOf(relPath: string): Promise<number> {
  const page = await suite.studio.api.listImages({ limit: 1000, includeMissing: true });
  const img = page.items.find((i) => i.relPath === relPath);
  if (!img) throw new Error(`no image ${relPath}`);
  return img.id;
}

describe('embeddings', () => {
  it('refuses to search before any embeddings exist, and a run without a checkpoint', async () => {
    await expect(suite.studio.api.searchSimilar({ query: { imageId: 1 } })).rejects.toThrow(
      /searchSimilar: expected computed embeddings, got none/,
    );
    await expect(suite.studio.api.startEmbedding(9999)).rejects.toThrow('startEmbedding: expected a run id, got 9999');
  });

  it('embeds every image in a worker, with progress, and stores both vectors', async () => {
    const phases: string[] = [];
    const off = suite.studio.on('embed.progress', (p) => phases.push(p.phase));
    set = await embedToEnd(suite.studio, suite.runId);
    off();
    expect(set.status).toBe('done');
    expect(set.count).toBe(26);
    expect(set.stale).toBe(0);
    expect(set.featureDim).toBe(64); // 512 x 1/8
    expect(set.outDim).toBe(128);
    expect(set.engine).toMatch(/onnxruntime|tfjs/);
    expect(phases[0]).toBe('preparing');
    expect(phases).toContain('embedding');
    expect(phases.at(-1)).toBe('done');
    // A second call finds nothing to do.
    const again = await suite.studio.api.startEmbedding(suite.runId);
    expect(again.id).toBe(set.id);
    expect(again.count).toBe(26);
  });
});

describe('search', () => {
  it('finds the k nearest by cosine, best first, never the query itself', async () => {
    const q = await idOf('down/down-3.png');
    const r = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 5 });
    expect(r.setId).toBe(set.id);
    expect(r.queryImageId).toBe(q);
    expect(r.hits).toHaveLength(5);
    expect(r.hits.map((h) => h.image.id)).not.toContain(q);
    const scores = r.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const s of scores) expect(s).toBeLessThanOrEqual(1 + 1e-5);
  });

  it('finds the planted near-duplicate first, in both spaces', async () => {
    const q = await idOf(ORIGINAL);
    const copy = await idOf(COPY);
    for (const space of ['features', 'embedding'] as const) {
      const r = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 3, space });
      expect(r.hits[0].image.id).toBe(copy);
      expect(r.hits[0].score).toBeGreaterThan(r.hits[1].score);
    }
  });

  it('searches by a file from outside the library: a copy of a library image finds it at similarity ~1', async () => {
    const bytes = readFileSync(join(photos(), 'checker/checker-2.png'));
    const r = await suite.studio.api.searchSimilar({ query: { fileName: 'outside.png', dataBase64: bytes.toString('base64') }, k: 3 });
    expect(r.queryImageId).toBeNull();
    expect(r.queryName).toBe('outside.png');
    expect(r.hits[0].image.id).toBe(await idOf('checker/checker-2.png'));
    expect(r.hits[0].score).toBeGreaterThan(0.9999);
  });

  it('says clearly when a dropped file is not an image', async () => {
    const junk = Buffer.from('this is not an image at all').toString('base64');
    await expect(suite.studio.api.searchSimilar({ query: { fileName: 'notes.txt', dataBase64: junk } })).rejects.toThrow(
      /searchSimilar: expected an image file \(JPEG, PNG, WebP, AVIF, GIF, TIFF\), got notes\.txt, which cannot be decoded/,
    );
    await expect(suite.studio.api.searchSimilar({ query: { fileName: 'x', dataBase64: '***' } })).rejects.toThrow(/expected base64 data/);
  });

  it('restricts to folders, hides byte-identical copies, and leaves excluded images out', async () => {
    const q = await idOf('down/down-1.png');
    const folders = await suite.studio.api.listFolders();
    const all = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 30 });
    expect(all.hits).toHaveLength(25);
    // Folder restriction: the library has one root folder; an unknown folder gives nothing.
    const inRoot = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 30, folderIds: [folders[0].id] });
    expect(inRoot.hits).toHaveLength(25);
    const none = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 30, folderIds: [folders[0].id + 100] });
    expect(none.hits).toHaveLength(0);

    const target = all.hits[0].image.id;
    await suite.studio.api.setExcluded([target], true);
    const without = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 30 });
    expect(without.hits.map((h) => h.image.id)).not.toContain(target);
    const withExcluded = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 30, includeExcluded: true });
    expect(withExcluded.hits.find((h) => h.image.id === target)?.image.excluded).toBe(true);
    await suite.studio.api.setExcluded([target], false);
  });

  it('hides exact duplicates on request', async () => {
    copyFileSync(join(photos(), 'down/down-5.png'), join(photos(), 'down-5-copy.png'));
    await suite.studio.api.rescan();
    await suite.studio.waitForScan();
    await embedToEnd(suite.studio, suite.runId);
    const q = await idOf('down/down-5.png');
    const copy = await idOf('down-5-copy.png');
    const plain = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 3 });
    expect(plain.hits[0].image.id).toBe(copy);
    expect(plain.hits[0].score).toBeGreaterThan(0.9999);
    const hidden = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 3, hideDuplicates: true });
    expect(hidden.hits.map((h) => h.image.id)).not.toContain(copy);
    expect(hidden.hits).toHaveLength(3);
  });
});

describe('incremental embeddings', () => {
  it('embeds only new and changed images after a rescan; a missing image keeps its vector', async () => {
    const before = (await suite.studio.api.listEmbeddings()).find((s) => s.id === set.id)!;
    await sharp(join(photos(), 'checker/checker-1.png')).rotate(90).png().toFile(join(photos(), 'new-one.png'));
    writeFileSync(join(photos(), 'down/down-7.png'), await sharp(join(photos(), 'down/down-6.png')).flop().png().toBuffer());
    await suite.studio.api.rescan();
    await suite.studio.waitForScan();
    const stale = (await suite.studio.api.listEmbeddings()).find((s) => s.id === set.id)!;
    expect(stale.stale).toBe(2); // one new, one changed
    const progress: number[] = [];
    const off = suite.studio.on('embed.progress', (p) => p.phase === 'done' && progress.push(p.total));
    const after = await embedToEnd(suite.studio, suite.runId);
    off();
    expect(progress).toEqual([2]);
    expect(after.count).toBe(before.count + 1);
    expect(after.stale).toBe(0);

    // A file that goes missing leaves the search, but its vector stays: back on disk, it needs no new pass.
    const path = join(photos(), 'new-one.png');
    const bytes = readFileSync(path);
    rmSync(path);
    await suite.studio.api.rescan();
    await suite.studio.waitForScan();
    const gone = (await suite.studio.api.listEmbeddings()).find((s) => s.id === set.id)!;
    expect(gone.count).toBe(after.count - 1);
    expect(gone.stale).toBe(0);
    writeFileSync(path, bytes);
    await suite.studio.api.rescan();
    await suite.studio.waitForScan();
    const back = (await suite.studio.api.listEmbeddings()).find((s) => s.id === set.id)!;
    expect(back.count).toBe(after.count);
    expect(back.stale).toBe(0);
  });
});

describe('near-duplicates', () => {
  it('puts the planted pair in one group at a threshold just below its similarity, with a slider curve', async () => {
    const q = await idOf(ORIGINAL);
    const copy = await idOf(COPY);
    const score = (await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 1, space: 'embedding' })).hits[0].score;
    const threshold = Math.max(0.5, score - 1e-4);
    const r = await suite.studio.api.findNearDuplicates({ threshold });
    const group = r.groups.find((g) => g.images.some((i) => i.id === q));
    expect(group?.images.map((i) => i.id)).toContain(copy);
    expect(group!.maxScore).toBeGreaterThanOrEqual(score - 1e-4);
    // The curve's counts (for the slider) match a fresh grouping at those thresholds; at 1 nothing
    // but byte-identical images could group.
    expect(r.curve[0].threshold).toBeCloseTo(0.8, 6);
    expect(r.curve.at(-1)!.threshold).toBe(1);
    for (const p of [r.curve[0], r.curve[Math.floor(r.curve.length / 2)], r.curve.at(-2)!]) {
      expect((await suite.studio.api.findNearDuplicates({ threshold: p.threshold })).groups).toHaveLength(p.groups);
    }
  });

  it('keeps one and excludes the others: excluded images leave training, and nothing is deleted', async () => {
    const copy = await idOf(COPY);
    expect(await suite.studio.api.setExcluded([copy], true)).toEqual({ changed: 1 });
    expect(await suite.studio.api.setExcluded([copy], true)).toEqual({ changed: 0 });
    expect((await suite.studio.api.getImage(copy)).excluded).toBe(true);
    const excluded = await suite.studio.api.listImages({ excluded: true });
    expect(excluded.items.map((i) => i.id)).toEqual([copy]);
    const sets = await suite.studio.api.listEmbeddings();
    expect(sets.find((s) => s.id === set.id)!.stale).toBe(0);
    await expect(suite.studio.api.trashImages([copy])).rejects.toThrow(/trashImages: expected the desktop app .* got the command line/);
    expect(readFileSync(join(photos(), COPY)).length).toBeGreaterThan(0);
    await expect(suite.studio.api.setExcluded([424242], true)).rejects.toThrow(
      'setExcluded: expected image ids in the library, got 424242',
    );
  });
});

describe('tags', () => {
  it('tags and untags images, lists tags with counts, and filters the library by tag', async () => {
    const a = await idOf('across/across-1.png');
    const b = await idOf('across/across-2.png');
    expect(await suite.studio.api.tagImages([a, b], 'keeper')).toEqual({ changed: 2 });
    expect(await suite.studio.api.tagImages([a], 'Keeper')).toEqual({ changed: 0 }); // names are case-insensitive
    await suite.studio.api.tagImages([a], 'beach');
    expect(await suite.studio.api.listTags()).toEqual([
      { name: 'beach', count: 1 },
      { name: 'keeper', count: 2 },
    ]);
    expect((await suite.studio.api.getImage(a)).tags).toEqual(['beach', 'keeper']);
    expect((await suite.studio.api.listImages({ tag: 'keeper' })).items.map((i) => i.id).sort()).toEqual([a, b].sort());
    expect(await suite.studio.api.untagImages([a], 'beach')).toEqual({ changed: 1 });
    expect((await suite.studio.api.listTags()).map((t) => t.name)).toEqual(['keeper']);
    await expect(suite.studio.api.tagImages([a], 'a/b')).rejects.toThrow(/tag without control characters or slashes/);
  });
});

describe('approximate search', () => {
  it('uses the HNSW index when the setting is on and the library is large enough, reporting its recall', async () => {
    await suite.studio.close();
    // The same library, opened as for a very large one: the approximate index applies from 10 images.
    suite.studio = await createStudio({ dataDir: join(suite.dir, 'data'), host: 'cli', demoFolder: null, approxMinImages: 10 });
    const q = await idOf('down/down-2.png');
    const exact = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 5 });
    expect(exact.index).toBe('exact');
    expect(exact.recallAt10).toBeNull();
    const six = (await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 6 })).hits;
    await suite.studio.api.updateSettings({ approximateSearch: true });
    const approx = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 5 });
    expect(approx.index).toBe('approximate');
    expect(approx.recallAt10).toBeGreaterThan(0.9); // 28 vectors: HNSW finds nearly all true neighbours
    // The same neighbours; near-equal scores may swap places (HNSW scores in its own precision),
    // so a sixth neighbour tied with the fifth may stand in for it.
    const tied = Math.abs(six[4].score - six[5].score) < 1e-3;
    const allowed = new Set(six.slice(0, tied ? 6 : 5).map((h) => h.image.id));
    expect(approx.hits.filter((h) => !allowed.has(h.image.id))).toEqual([]);
    approx.hits.forEach((h, i) => expect(h.score).toBeCloseTo(exact.hits[i].score, 3));
    // A filter that leaves fewer rows than HNSW returns falls back to exact search.
    const folder = (await suite.studio.api.listFolders())[0].id;
    const filtered = await suite.studio.api.searchSimilar({ query: { imageId: q }, k: 5, folderIds: [folder] });
    expect(filtered.hits).toHaveLength(5);
  });
});
