import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src-main/api/errors';
import { Rng } from '../../../src-main/core/moco/rng';
import { folderLabel } from '../../../src-main/core/library/folder-label';
import { labelImages, labelledSplit, type LabelImage } from '../../../src-main/core/probe/labels';
import { stratifiedSplit } from '../../../src-main/core/probe/split';

/** `count` images in the folder `dir` (relative path), ids from `firstId`. */
function inFolder(dir: string, count: number, firstId: number): LabelImage[] {
  return Array.from({ length: count }, (_, i) => ({ id: firstId + i, relPath: dir ? `${dir}/img${i}.jpg` : `img${i}.jpg` }));
}

describe('folderLabel', () => {
  it('counts level 0 from the library folder down and -1 from the file up', () => {
    const p = 'animals/cats/indoor/a.jpg';
    expect([0, 1, 2, 3].map((l) => folderLabel(p, l))).toEqual(['animals', 'cats', 'indoor', null]);
    expect([-1, -2, -3, -4].map((l) => folderLabel(p, l))).toEqual(['indoor', 'cats', 'animals', null]);
  });

  it('gives no label to an image directly in the library folder, at any level', () => {
    expect(folderLabel('a.jpg', 0)).toBeNull();
    expect(folderLabel('a.jpg', -1)).toBeNull();
  });
});

describe('labelImages', () => {
  it('labels by folder name at a level, merges equal names under different parents, and reports the rest', () => {
    const images = [
      ...inFolder('2020/beach', 6, 1),
      ...inFolder('2021/beach', 4, 100),
      ...inFolder('2021/city', 7, 200),
      ...inFolder('2021/snow', 3, 300), // too small alone
      ...inFolder('', 2, 400), // in the root: no label
      ...inFolder('loose', 1, 500), // one level only: no label at level 1
    ];
    const l = labelImages(images, { kind: 'folder', level: 1 });
    expect(l.classes).toEqual(['beach', 'city']);
    expect(l.counts).toEqual([10, 7]);
    expect(l.tooSmall).toEqual([{ name: 'snow', count: 3 }]);
    expect(l.unlabelled).toBe(3);
    expect(l.ambiguous).toEqual([]);
    expect(l.rows.length).toBe(17);
    l.rows.forEach((r, i) => expect(images[r].relPath.split('/')[1]).toBe(l.classes[l.labels[i]]));
    // Level 0 groups by year instead; -1 equals level 1 here.
    expect(labelImages(images, { kind: 'folder', level: 0 }).classes).toEqual(['2020', '2021']);
    expect(labelImages(images, { kind: 'folder', level: -1 }).classes).toEqual(['beach', 'city']);
    // -1 also labels 'loose/img0.jpg' (its parent), but that class of 1 is too small.
    expect(labelImages(images, { kind: 'folder', level: -1 }).tooSmall).toEqual([
      { name: 'loose', count: 1 },
      { name: 'snow', count: 3 },
    ]);
  });

  it('takes the one matching tag, leaves out and reports images with several, and can restrict to chosen tags', () => {
    const tagged = (id: number, ...tags: string[]): LabelImage => ({ id, relPath: `x/${id}.jpg`, tags });
    const images = [
      ...Array.from({ length: 5 }, (_, i) => tagged(1 + i, 'Cat')),
      ...Array.from({ length: 5 }, (_, i) => tagged(10 + i, 'dog')),
      tagged(20, 'cat', 'Dog'), // ambiguous
      tagged(21), // no tag
      tagged(22, 'cat', 'favourite'),
    ];
    const all = labelImages(images, { kind: 'tags' });
    // Every tag is a class: image 22 has two (cat, favourite), so it is ambiguous too.
    expect(all.classes).toEqual(['Cat', 'dog']);
    expect(all.counts).toEqual([5, 5]);
    expect(all.ambiguous).toEqual([20, 22]);
    expect(all.unlabelled).toBe(1);
    expect(all.tooSmall).toEqual([]);
    // Restricted to cat and dog, 'favourite' no longer counts: image 22 is a cat (named as in `only`).
    const some = labelImages(images, { kind: 'tags', only: ['cat', 'DOG'] });
    expect(some.classes).toEqual(['DOG', 'cat']);
    expect(some.counts).toEqual([5, 6]);
    expect(some.ambiguous).toEqual([20]);
    expect(Array.from(some.rows)).toContain(images.findIndex((im) => im.id === 22));
  });

  it('leaves out classes below minPerClass and refuses fewer than 2 classes with the reason', () => {
    const images = [...inFolder('a', 8, 1), ...inFolder('b', 3, 20), ...inFolder('c', 2, 40)];
    expect(labelImages(images, { kind: 'folder', level: 0 }, { minPerClass: 3 }).classes).toEqual(['a', 'b']);
    let err: unknown;
    try {
      labelImages(images, { kind: 'folder', level: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe(
      'labelImages: expected at least 2 classes with 5 or more images each from folder level 0, got 1: a (8); left out for fewer than 5 images: b (3), c (2)',
    );
    expect(() => labelImages(inFolder('', 10, 1), { kind: 'folder', level: 0 })).toThrow(/got 0: none/);
    expect(() => labelImages(images, { kind: 'folder', level: 0 }, { minPerClass: 1 })).toThrow(
      /expected minPerClass to be an integer >= 2, got 1/,
    );
    expect(() => labelImages(images, { kind: 'folder', level: 0.5 })).toThrow(/expected an integer folder level, got 0.5/);
  });
});

describe('stratifiedSplit', () => {
  // Classes of 50, 20, 7 and 2 members, shuffled together.
  const grouped = [50, 20, 7, 2].flatMap((n, c) => Array.from({ length: n }, () => c));
  const labels = Int32Array.from(new Rng(99).permutation(grouped.length), (i) => grouped[i]);

  it('holds out round(count x fraction) of every class (at least 1, never all), disjoint and complete', () => {
    const s = stratifiedSplit(labels, 4, { testFraction: 0.2, seed: 1 });
    expect(s.testCounts).toEqual([10, 4, 1, 1]);
    expect(s.trainCounts).toEqual([40, 16, 6, 1]);
    expect(s.train.length + s.test.length).toBe(labels.length);
    expect(new Set([...s.train, ...s.test]).size).toBe(labels.length);
    for (let c = 0; c < 4; c++) expect(Array.from(s.test).filter((i) => labels[i] === c).length).toBe(s.testCounts[c]);
    expect(Array.from(s.test)).toEqual(Array.from(s.test).sort((a, b) => a - b));
    const half = stratifiedSplit(labels, 4, { testFraction: 0.5, seed: 1 });
    expect(half.testCounts).toEqual([25, 10, 4, 1]);
  });

  it('is the same under a seed and differs between seeds', () => {
    const a = stratifiedSplit(labels, 4, { seed: 7 });
    const b = stratifiedSplit(labels, 4, { seed: 7 });
    const c = stratifiedSplit(labels, 4, { seed: 8 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
    expect(c.testCounts).toEqual(a.testCounts);
  });

  it('refuses a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(labels, 4, { testFraction: 1 })).toThrow(/expected testFraction in \(0, 1\), got 1/);
    expect(() => stratifiedSplit(labels, 4, { testFraction: 0 })).toThrow(/got 0/);
  });
});

describe('labelledSplit', () => {
  it('splits the labelled images and maps both splits back to the images given', () => {
    const images = [...inFolder('', 3, 1), ...inFolder('cats', 10, 10), ...inFolder('dogs', 15, 30)];
    const s = labelledSplit(images, { kind: 'folder', level: 0 }, { testFraction: 0.2, seed: 3 });
    expect(s.classes).toEqual(['cats', 'dogs']);
    expect(s.trainCounts).toEqual([8, 12]);
    expect(s.testCounts).toEqual([2, 3]);
    expect(new Set([...s.trainRows, ...s.testRows]).size).toBe(25);
    for (const [rows, labels] of [
      [s.trainRows, s.trainLabels],
      [s.testRows, s.testLabels],
    ] as const) {
      rows.forEach((r, i) => expect(images[r].relPath.split('/')[0]).toBe(s.classes[labels[i]]));
    }
    expect(s.trainRows.every((r) => r >= 3)).toBe(true); // the root images have no label
  });
});
