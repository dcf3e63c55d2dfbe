import { describe, expect, it } from 'vitest';
import {
  backFrom,
  currentEntry,
  popSubject,
  pushSubject,
  sameSubject,
  type HistoryEntry,
  type SearchSubject,
} from '../../src-renderer/src/lib/search-history';
import { columnsFromTops, resultKeyAction } from '../../src-renderer/src/lib/search-keys';

const img = (imageId: number): SearchSubject => ({ kind: 'image', imageId });
const file = (fileName: string, dataBase64 = 'AAAA'): SearchSubject => ({ kind: 'file', fileName, dataBase64 });

describe('query history', () => {
  it('pushes new subjects, remembers the focus of the one left, and goes back to it', () => {
    let s: HistoryEntry[] = [];
    s = pushSubject(s, img(1));
    s = pushSubject(s, img(7), 4); // focus 4 was on the result opened
    s = pushSubject(s, file('cat.jpg'), 2);
    expect(s.map((e) => e.subject)).toEqual([img(1), img(7), file('cat.jpg')]);
    expect(s.map((e) => e.focus)).toEqual([4, 2, -1]);

    const back = popSubject(s)!;
    expect(currentEntry(back)).toEqual({ subject: img(7), focus: 2 });
    const back2 = popSubject(back)!;
    expect(currentEntry(back2)).toEqual({ subject: img(1), focus: 4 });
    expect(popSubject(back2)).toBeNull();
    expect(currentEntry([])).toBeNull();
  });

  it('does not stack the same subject twice in a row', () => {
    const s = pushSubject(pushSubject([], img(3)), img(3), 5);
    expect(s).toEqual([{ subject: img(3), focus: -1 }]);
  });

  it('keeps at most `max` entries, dropping the oldest', () => {
    let s: HistoryEntry[] = [];
    for (let i = 1; i <= 10; i++) s = pushSubject(s, img(i), -1, 4);
    expect(s.map((e) => (e.subject as { imageId: number }).imageId)).toEqual([7, 8, 9, 10]);
  });

  it('compares files by name and content, and never a file with an image', () => {
    expect(sameSubject(file('a.jpg', 'AA'), file('a.jpg', 'AA'))).toBe(true);
    expect(sameSubject(file('a.jpg', 'AA'), file('a.jpg', 'BB'))).toBe(false);
    expect(sameSubject(img(1), file('1'))).toBe(false);
  });
});

describe('result grid keys', () => {
  it('reads the column count from the cells of the first row', () => {
    expect(columnsFromTops([14, 14, 14, 14, 172, 172])).toBe(4);
    expect(columnsFromTops([14, 14.4, 14, 172])).toBe(3);
    expect(columnsFromTops([14])).toBe(1);
    expect(columnsFromTops([])).toBe(1);
  });

  it('moves the focus with arrows in a 4-column grid of 10 results', () => {
    expect(resultKeyAction('ArrowRight', 1, 4, 10)).toEqual({ type: 'focus', index: 2 });
    expect(resultKeyAction('ArrowDown', 1, 4, 10)).toEqual({ type: 'focus', index: 5 });
    expect(resultKeyAction('ArrowDown', 5, 4, 10)).toEqual({ type: 'focus', index: 9 }); // short last row
    expect(resultKeyAction('ArrowUp', 2, 4, 10)).toEqual({ type: 'focus', index: 2 }); // top row stays
    expect(resultKeyAction('End', 0, 4, 10)).toEqual({ type: 'focus', index: 9 });
    expect(resultKeyAction('ArrowLeft', -1, 4, 10)).toEqual({ type: 'focus', index: 0 }); // nothing focused yet
  });

  it('opens or picks the focused result, and goes back on Esc', () => {
    expect(resultKeyAction('Enter', 3, 4, 10)).toEqual({ type: 'open', index: 3 });
    expect(resultKeyAction(' ', 3, 4, 10)).toEqual({ type: 'pick', index: 3 });
    expect(resultKeyAction('Enter', -1, 4, 10)).toBeNull();
    expect(resultKeyAction('Escape', -1, 4, 0)).toEqual({ type: 'back' });
  });

  it('leaves other keys and empty grids alone', () => {
    expect(resultKeyAction('a', 0, 4, 10)).toBeNull();
    expect(resultKeyAction('ArrowRight', -1, 4, 0)).toBeNull();
  });
});

describe('back', () => {
  it('goes to the query before; from the only query to none, and to the view it was opened from', () => {
    const two = pushSubject(pushSubject([], img(1)), img(2), 3);
    expect(backFrom(two, 'library')).toEqual({ stack: [{ subject: img(1), focus: 3 }], view: null });
    const one = pushSubject([], img(1));
    expect(backFrom(one, 'library')).toEqual({ stack: [], view: 'library' });
    expect(backFrom(one, 'search')).toEqual({ stack: [], view: null });
    expect(backFrom(one, null)).toEqual({ stack: [], view: null });
    expect(backFrom([], 'library')).toBeNull();
  });
});
