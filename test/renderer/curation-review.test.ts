import { describe, expect, it } from 'vitest';
import type { NearDuplicateGroup, NearDuplicateImage } from '../../src-main/api/contract';
import { countReading, groupCountText, groupsAt, snapThreshold } from '../../src-renderer/src/lib/curation-curve';
import { groupState, keepOnly, suggestedKeep, withExcluded } from '../../src-renderer/src/lib/curation-groups';

const curve = [
  { threshold: 0.8, groups: 30 },
  { threshold: 0.85, groups: 24 },
  { threshold: 0.9, groups: 12 },
  { threshold: 0.95, groups: 5 },
  { threshold: 1, groups: 1 },
];

describe('live group count from the curve', () => {
  it('reads the count at a threshold the curve has', () => {
    expect(groupsAt(curve, 0.9)).toEqual({ groups: 12, at: 0.9, exact: true });
    expect(groupsAt(curve, 0.8)).toEqual({ groups: 30, at: 0.8, exact: true });
    expect(groupsAt(curve, 1)).toEqual({ groups: 1, at: 1, exact: true });
  });
  it('takes the nearest point between two, a tie going to the higher threshold', () => {
    expect(groupsAt(curve, 0.91)).toEqual({ groups: 12, at: 0.9, exact: false });
    expect(groupsAt(curve, 0.94)).toEqual({ groups: 5, at: 0.95, exact: false });
    expect(groupsAt(curve, 0.925)).toMatchObject({ groups: 5, at: 0.95 });
  });
  it('clamps to the ends and knows nothing without a curve', () => {
    expect(groupsAt(curve, 0.5)).toEqual({ groups: 30, at: 0.8, exact: false });
    expect(groupsAt([{ threshold: 0.9, groups: 3 }], 0.99)).toEqual({ groups: 3, at: 0.9, exact: false });
    expect(groupsAt([], 0.9)).toBeNull();
  });
  it("words the count, marking a neighbour's count as approximate", () => {
    expect(groupCountText(groupsAt(curve, 1))).toBe('1 group');
    expect(groupCountText(groupsAt(curve, 0.91))).toBe('≈ 12 groups');
    expect(groupCountText(null)).toBe('… groups');
  });
  it('snaps slider values to the 0.005 grid within 0.80–1.00', () => {
    expect(snapThreshold(0.9512)).toBe(0.95);
    expect(snapThreshold(0.9538)).toBe(0.955);
    expect(snapThreshold(0.5)).toBe(0.8);
    expect(snapThreshold(1.2)).toBe(1);
    expect(() => snapThreshold(Number.NaN)).toThrow('snapThreshold: expected a number, got NaN');
  });
});

function image(id: number, over: Partial<NearDuplicateImage> = {}): NearDuplicateImage {
  return {
    id,
    folderId: 1,
    relPath: `a/${id}.jpg`,
    name: `${id}.jpg`,
    width: 100,
    height: 100,
    format: 'jpeg',
    size: 1000,
    missing: false,
    excluded: false,
    takenAt: null,
    ...over,
  };
}
const group = (...images: NearDuplicateImage[]): NearDuplicateGroup => ({ images, maxScore: 0.99, minScore: 0.97 });

describe('keep this one', () => {
  it('excludes every other image of the group and includes the kept one again', () => {
    const g = group(image(1), image(2, { excluded: true }), image(3), image(4, { excluded: true }));
    expect(keepOnly(g, 2)).toEqual({ exclude: [1, 3], include: [2] });
    expect(keepOnly(g, 1)).toEqual({ exclude: [3], include: [] });
  });
  it('refuses an image that is not in the group', () => {
    expect(() => keepOnly(group(image(1), image(2)), 9)).toThrow('keepOnly: expected an image of the group (1, 2), got 9');
  });
});

describe('groups after an exclusion', () => {
  it('marks the given images and leaves other groups as they were', () => {
    const a = group(image(1), image(2));
    const b = group(image(3), image(4));
    const after = withExcluded([a, b], [2, 9], true);
    expect(after[0].images.map((i) => i.excluded)).toEqual([false, true]);
    expect(after[1]).toBe(b);
    expect(a.images[1].excluded).toBe(false); // the input is not changed
    expect(withExcluded(after, [2], false)[0].images[1].excluded).toBe(false);
  });
  it('says whether a group is still open, resolved to one image, or wholly excluded', () => {
    expect(groupState(group(image(1), image(2)))).toBe('open');
    expect(groupState(group(image(1), image(2, { excluded: true })))).toBe('resolved');
    expect(groupState(group(image(1, { excluded: true }), image(2, { excluded: true })))).toBe('all-excluded');
  });
});

describe('suggested keep', () => {
  it('prefers more pixels, then a larger file, then the earlier date, then the lower id', () => {
    expect(suggestedKeep(group(image(1, { width: 50, height: 50 }), image(2)))?.id).toBe(2);
    expect(suggestedKeep(group(image(1), image(2, { size: 2000 })))?.id).toBe(2);
    expect(suggestedKeep(group(image(1, { takenAt: '2024-05-02T00:00:00Z' }), image(2, { takenAt: '2024-05-01T00:00:00Z' })))?.id).toBe(2);
    expect(suggestedKeep(group(image(1, { takenAt: null }), image(2, { takenAt: '2024-05-01T00:00:00Z' })))?.id).toBe(2);
    expect(suggestedKeep(group(image(3), image(2)))?.id).toBe(2);
  });
});

describe('near-duplicate header count', () => {
  it('reads the curve at the slider, and the listed groups when a capped answer has no curve point', () => {
    const groups = [{}, {}, {}];
    expect(groupCountText(countReading(null, 0.95))).toBe('… groups');
    expect(groupCountText(countReading({ curve: [{ threshold: 0.95, groups: 7 }], groups, threshold: 0.95 }, 0.95))).toBe('7 groups');
    // All pairs sat above the slider's last step (pairs capped at a floor over 1): groups listed, no curve.
    expect(groupCountText(countReading({ curve: [], groups, threshold: 0.95 }, 0.95))).toBe('3 groups');
    expect(groupCountText(countReading({ curve: [], groups, threshold: 0.95 }, 0.9))).toBe('≈ 3 groups');
  });
});
