// Near-duplicates that the learned embedding alone misses: copies of library photos cropped 6%,
// halved, brightened 12% and saved as JPEG quality 55. The perceptual hash puts every copy's
// original in the top 3 of a search by the copy's file, marked as a near-duplicate, and in one
// near-duplicate group with it, while distinct photos stay apart; a library indexed before the
// hashes existed gets them on first use and on a rescan.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStudio } from '../../../src-main/core/studio';
import { makeRng } from '../../../scripts/make-demo-library';
import { CROPS, drawPhoto, editedCopy } from '../library/near-dup-photos';
import { trainedStudioSuite } from '../moco/train/fixtures';

const ORIGINALS = 24;
const COPIES = 12;
const copyFiles: string[] = [];

const originalName = (i: number) => `photo-${String(i).padStart(2, '0')}.jpg`;

async function idsByName(): Promise<Map<string, number>> {
  const page = await suite.studio.api.listImages({ limit: 1000 });
  return new Map(page.items.map((i) => [i.relPath, i.id]));
}

function nullHashes(): void {
  const db = new Database(join(dataDir(), 'library.db'));
  db.prepare('UPDATE images SET near_hash = NULL').run();
  db.close();
}

function pendingHashes(): number {
  const db = new Database(join(dataDir(), 'library.db'), { readonly: true });
  const n = (db.prepare('SELECT COUNT(*) AS n FROM images WHERE near_hash IS NULL').get() as { n: number }).n;
  db.close();
  return n;
}

async function makePhotos(photos: string): Promise<void> {
  mkdirSync(join(photos, 'originals'), { recursive: true });
  mkdirSync(join(photos, 'copies'), { recursive: true });
  const rng = makeRng(11);
  for (let i = 0; i < ORIGINALS; i++) {
    const jpeg = await drawPhoto(i);
    writeFileSync(join(photos, 'originals', originalName(i)), jpeg);
    if (i < COPIES) {
      const file = join(photos, 'copies', `copy-of-${originalName(i)}`);
      writeFileSync(file, await editedCopy(jpeg, CROPS[i % CROPS.length], rng));
      copyFiles.push(file);
    }
  }
}

const suite = trainedStudioSuite('near-dup', makePhotos);
const dataDir = () => join(suite.dir, 'data');

beforeAll(async () => {
  await suite.studio.api.startEmbedding(suite.runId);
  await suite.studio.waitForEmbedding();
}, 180_000);

describe('near-duplicate recall', () => {
  it("finds every edited copy's original in the top 3 of a search by the copy's file, marked near-duplicate", async () => {
    const ids = await idsByName();
    let found = 0;
    for (let i = 0; i < COPIES; i++) {
      const r = await suite.studio.api.searchSimilar({
        query: { fileName: `copy ${i}.jpg`, dataBase64: readFileSync(copyFiles[i]).toString('base64') },
        k: 3,
      });
      const original = ids.get(`originals/${originalName(i)}`)!;
      const hit = r.hits.find((h) => h.image.id === original);
      if (hit?.nearDuplicate) found++;
      // Near-duplicates come first; only the copy itself and its original match.
      const near = r.hits
        .filter((h) => h.nearDuplicate)
        .map((h) => h.image.relPath)
        .sort();
      expect(near).toEqual([`copies/copy-of-${originalName(i)}`, `originals/${originalName(i)}`]);
      expect(r.hits.slice(0, 2).every((h) => h.nearDuplicate)).toBe(true);
    }
    expect(found).toBe(COPIES);
  });

  it("marks a library copy's original among the hits of a search by the copy, keeping the similarity order", async () => {
    const ids = await idsByName();
    for (let i = 0; i < COPIES; i++) {
      const r = await suite.studio.api.searchSimilar({
        query: { imageId: ids.get(`copies/copy-of-${originalName(i)}`)! },
        k: ORIGINALS + COPIES,
      });
      expect(r.hits.filter((h) => h.nearDuplicate).map((h) => h.image.relPath)).toEqual([`originals/${originalName(i)}`]);
      expect(r.hits.every((h, j) => j === 0 || h.score <= r.hits[j - 1].score)).toBe(true);
    }
  });

  it('groups each copy with its original, and no two distinct photos, in near-duplicate review', async () => {
    const r = await suite.studio.api.findNearDuplicates({ threshold: 1 });
    const groups = r.groups.map((g) => g.images.map((i) => i.relPath).sort());
    const expected = Array.from({ length: COPIES }, (_, i) => [`copies/copy-of-${originalName(i)}`, `originals/${originalName(i)}`]);
    expect(groups.sort((a, b) => a[1].localeCompare(b[1]))).toEqual(expected);
    expect(r.groups.every((g) => g.byHash)).toBe(true);
    // The slider's count holds the hash groups at every threshold.
    expect(r.curve.at(-1)).toEqual({ threshold: 1, groups: COPIES });
  });

  it('computes the hashes a library indexed before them lacks: on first use, and on a rescan', async () => {
    await suite.studio.close();
    nullHashes();
    suite.studio = await createStudio({ dataDir: dataDir(), host: 'cli', demoFolder: null });
    expect(pendingHashes()).toBe(ORIGINALS + COPIES);
    const r = await suite.studio.api.findNearDuplicates({ threshold: 1 });
    expect(r.groups).toHaveLength(COPIES);
    expect(pendingHashes()).toBe(0);

    nullHashes();
    await suite.studio.api.rescan();
    await suite.studio.waitForScan();
    expect(pendingHashes()).toBe(0);
  });
});
