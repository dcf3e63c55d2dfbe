import { describe, expect, it } from 'vitest';
import type { LabelPreview } from '../../src-main/api/contract';
import { folderLabel } from '../../src-main/core/library/folder-label';
import {
  examplesText,
  folderAt,
  labelOptions,
  labelSourceText,
  previewSummary,
  sampleOffsets,
} from '../../src-renderer/src/lib/probe-labels';

const paths = [
  'animals/cats/a.jpg',
  'animals/cats/b.jpg',
  'animals/cats/c.jpg',
  'animals/dogs/d.jpg',
  'animals/dogs/e.jpg',
  'plants/trees/f.jpg',
  'plants/f2.jpg',
  'top.jpg',
];

describe('folder levels', () => {
  it('names the same folder as the app does, at every level', () => {
    for (const p of [...paths, 'x//y/./z.jpg', 'a/b/c/d/e.png']) {
      for (const level of [-3, -2, -1, 0, 1, 2, 3]) expect(folderAt(p, level), `${p} @ ${level}`).toBe(folderLabel(p, level));
    }
  });

  it('offers each level with its most common names first, and -1 only where it labels differently', () => {
    const opts = labelOptions(paths, []);
    expect(opts.map((o) => o.key)).toEqual(['folder:0', 'folder:1', 'folder:-1']);
    const [l0, l1, own] = opts;
    expect(l0).toMatchObject({ title: 'First folder level', examples: ['animals', 'plants'], classes: 2, coverage: 7 / 8 });
    expect(l1).toMatchObject({ examples: ['cats', 'dogs', 'trees'], classes: 3, coverage: 6 / 8 });
    // plants/f2.jpg sits in 'plants' itself: only -1 labels it so.
    expect(own).toMatchObject({ title: 'Folder each image is in', examples: ['cats', 'dogs', 'plants', 'trees'], classes: 4 });
    expect(own.source).toEqual({ kind: 'folder', level: -1 });
  });

  it('leaves -1 out where it is the same as a level counted from the top', () => {
    const flat = ['ocean/1.jpg', 'ocean/2.jpg', 'forest/3.jpg'];
    expect(labelOptions(flat, []).map((o) => o.key)).toEqual(['folder:0']);
  });

  it('keeps level 0 even for a library without sub-folders, and offers tags when there are some', () => {
    const opts = labelOptions(
      ['a.jpg', 'b.jpg'],
      [
        { name: 'dog', count: 3 },
        { name: 'cat', count: 9 },
      ],
    );
    expect(opts.map((o) => o.key)).toEqual(['folder:0', 'tag']);
    expect(opts[0]).toMatchObject({ examples: [], classes: 0, coverage: 0 });
    expect(opts[1]).toMatchObject({ source: { kind: 'tag' }, examples: ['cat', 'dog'], classes: 2 });
  });

  it('writes examples with a hint of more', () => {
    expect(examplesText({ examples: ['a', 'b'], classes: 2 })).toBe('a, b (2)');
    expect(examplesText({ examples: ['a', 'b', 'c', 'd'], classes: 9 })).toBe('a, b, c, d, … (9+)');
    expect(examplesText({ examples: [], classes: 0 })).toBe('no labels in the sample');
    expect(labelSourceText({ kind: 'folder', level: 0 })).toBe('folder level 0');
    expect(labelSourceText({ kind: 'folder', level: -1 })).toBe('own folder');
    expect(labelSourceText({ kind: 'tag' })).toBe('tags');
  });
});

describe('class preview numbers', () => {
  it('sums the splits and reports what was left out', () => {
    const p: LabelPreview = {
      classes: [
        { name: 'forest', train: 10, test: 2 },
        { name: 'ocean', train: 8, test: 2 },
      ],
      leftOut: [
        { name: 'copies', count: 1 },
        { name: 'misc', count: 3 },
      ],
      unlabelled: 4,
    };
    const s = previewSummary(p);
    expect(s).toMatchObject({ classes: 2, train: 18, test: 4, leftOutImages: 4, maxClass: 12 });
    expect(s.line).toBe('2 classes · 18 train / 4 test · 2 small classes left out (4 images) · 4 unlabelled');
    expect(previewSummary({ classes: [{ name: 'a', train: 4, test: 1 }], leftOut: [], unlabelled: 0 }).line).toBe(
      '1 class · 4 train / 1 test',
    );
  });
});

describe('path sample', () => {
  it('reads everything of a small library and spreads pages over a big one', () => {
    expect(sampleOffsets(0, 200, 5)).toEqual([]);
    expect(sampleOffsets(450, 200, 5)).toEqual([0, 200, 400]);
    const spread = sampleOffsets(100_000, 200, 5);
    expect(spread).toEqual([0, 24950, 49900, 74850, 99800]);
    expect(spread[spread.length - 1] + 200).toBe(100_000);
  });
});
