// Decisions in the near-duplicate review: keeping one image of a group excludes the others,
// and the answer of setExcluded is folded into the groups on screen without a reload.
import type { NearDuplicateGroup, NearDuplicateImage } from '$contract';

export interface ExclusionChange {
  exclude: number[];
  include: number[];
}

/** What "keep this one" changes: the kept image included, every other image of the group excluded. */
export function keepOnly(group: NearDuplicateGroup, keepId: number): ExclusionChange {
  if (!group.images.some((i) => i.id === keepId)) {
    throw new RangeError(`keepOnly: expected an image of the group (${group.images.map((i) => i.id).join(', ')}), got ${keepId}`);
  }
  return {
    exclude: group.images.filter((i) => i.id !== keepId && !i.excluded).map((i) => i.id),
    include: group.images.filter((i) => i.id === keepId && i.excluded).map((i) => i.id),
  };
}

/** The groups with `excluded` set on the given images; untouched groups keep their identity. */
export function withExcluded(groups: readonly NearDuplicateGroup[], ids: readonly number[], excluded: boolean): NearDuplicateGroup[] {
  const set = new Set(ids);
  return groups.map((g) =>
    g.images.some((i) => set.has(i.id) && i.excluded !== excluded)
      ? { ...g, images: g.images.map((i) => (set.has(i.id) ? { ...i, excluded } : i)) }
      : g,
  );
}

/**
 * The image to suggest keeping: the most pixels, then the larger file (less compressed), then
 * the earliest date taken, then the lowest id, so the choice is stable.
 */
export function suggestedKeep(group: NearDuplicateGroup): NearDuplicateImage | null {
  const rank = (a: NearDuplicateImage, b: NearDuplicateImage) =>
    b.width * b.height - a.width * a.height ||
    b.size - a.size ||
    (a.takenAt ?? '\uffff').localeCompare(b.takenAt ?? '\uffff') ||
    a.id - b.id;
  return [...group.images].sort(rank)[0] ?? null;
}

/** The group's state in one word: every image kept, one kept, or several still in. */
export function groupState(group: NearDuplicateGroup): 'open' | 'resolved' | 'all-excluded' {
  const kept = group.images.filter((i) => !i.excluded).length;
  if (kept === 0) return 'all-excluded';
  return kept === 1 ? 'resolved' : 'open';
}
