// The Library grid's curation filter as one <select>: everything, excluded only, included
// only, or one tag. Values are strings so they fit an <option>.
import type { TagCount } from '$contract';

export interface CurationFilter {
  tag?: string;
  excluded?: boolean;
}

export interface FilterOption {
  value: string;
  label: string;
}

const TAG_PREFIX = 'tag:';

export function filterValue(f: CurationFilter): string {
  if (f.tag !== undefined) return TAG_PREFIX + f.tag;
  if (f.excluded === true) return 'excluded';
  if (f.excluded === false) return 'included';
  return 'all';
}

export function parseFilterValue(value: string): CurationFilter {
  if (value.startsWith(TAG_PREFIX)) return { tag: value.slice(TAG_PREFIX.length) };
  if (value === 'excluded') return { excluded: true };
  if (value === 'included') return { excluded: false };
  return {};
}

/** The choices, keeping a chosen tag that no image carries any more so the select still shows it. */
export function filterOptions(tags: readonly TagCount[], current: CurationFilter): FilterOption[] {
  const options: FilterOption[] = [
    { value: 'all', label: 'All images' },
    { value: 'included', label: 'Not excluded' },
    { value: 'excluded', label: 'Excluded only' },
  ];
  const names = tags.map((t) => t.name);
  for (const t of tags) options.push({ value: TAG_PREFIX + t.name, label: `Tag: ${t.name} (${t.count})` });
  if (current.tag !== undefined && !names.includes(current.tag)) {
    options.push({ value: TAG_PREFIX + current.tag, label: `Tag: ${current.tag} (0)` });
  }
  return options;
}
