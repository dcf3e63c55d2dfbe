// Keyboard use of the search results: arrows (and Home/End/PageUp/PageDown) move the focus,
// Enter searches by the focused result, Space picks it for tagging, Esc goes back to the
// previous query. The grid is laid out by CSS, so its column count is read from the cells.
import { isGridKey, moveSelection } from './virtual-grid';

export type ResultAction =
  { type: 'focus'; index: number } | { type: 'open'; index: number } | { type: 'pick'; index: number } | { type: 'back' };

/** Columns of a wrapped grid, from the top edge of each cell in order: cells sharing the first row's top. */
export function columnsFromTops(tops: readonly number[]): number {
  if (tops.length === 0) return 1;
  let n = 1;
  // Sub-pixel layout can round one cell of a row differently.
  while (n < tops.length && Math.abs(tops[n] - tops[0]) < 1) n++;
  return n;
}

/** What a key does with `current` focused among `total` results laid out in `columns`; null = not ours. */
export function resultKeyAction(key: string, current: number, columns: number, total: number, pageRows = 3): ResultAction | null {
  if (key === 'Escape') return { type: 'back' };
  if (total <= 0) return null;
  const focused = current >= 0 && current < total;
  if (key === 'Enter') return focused ? { type: 'open', index: current } : null;
  if (key === ' ') return focused ? { type: 'pick', index: current } : null;
  if (!isGridKey(key)) return null;
  return { type: 'focus', index: moveSelection(current, key, columns, total, pageRows) };
}
