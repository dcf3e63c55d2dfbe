import { describe, expect, it } from 'vitest';
import { normalizeTag, tagProblem, TAG_MAX } from '../../src-renderer/src/lib/curation-tags';
import { filterOptions, filterValue, parseFilterValue } from '../../src-renderer/src/lib/curation-filter';

describe('tag names', () => {
  it('trims and collapses whitespace', () => {
    expect(normalizeTag('  beach   day\t')).toBe('beach day');
  });
  it('refuses what the app refuses, saying what was wrong', () => {
    expect(tagProblem('')).toBe('Tag: expected a name, got nothing');
    expect(tagProblem('x'.repeat(TAG_MAX + 1))).toBe(`Tag: expected at most ${TAG_MAX} characters, got ${TAG_MAX + 1}`);
    expect(tagProblem('a/b')).toBe('Tag: expected no slashes or control characters, got "a/b"');
    expect(tagProblem('a\\b')).not.toBeNull();
    expect(tagProblem('line\u0007')).not.toBeNull();
    expect(tagProblem('beach day')).toBeNull();
    expect(tagProblem('x'.repeat(TAG_MAX))).toBeNull();
  });
});

describe('library curation filter', () => {
  it('round-trips every filter through its <option> value', () => {
    for (const f of [{}, { excluded: true }, { excluded: false }, { tag: 'beach' }, { tag: 'tag:odd' }]) {
      expect(parseFilterValue(filterValue(f))).toEqual(f);
    }
  });
  it('lists the fixed choices, then each tag with its count, keeping a chosen tag that is gone', () => {
    const tags = [
      { name: 'beach', count: 3 },
      { name: 'cats', count: 1 },
    ];
    expect(filterOptions(tags, {}).map((o) => o.label)).toEqual([
      'All images',
      'Not excluded',
      'Excluded only',
      'Tag: beach (3)',
      'Tag: cats (1)',
    ]);
    const withGone = filterOptions(tags, { tag: 'old' });
    expect(withGone[withGone.length - 1]).toEqual({ value: 'tag:old', label: 'Tag: old (0)' });
  });
});
