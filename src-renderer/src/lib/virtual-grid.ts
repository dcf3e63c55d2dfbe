// Geometry of a virtualized grid of fixed-size cells: which rows are in view, where each row
// sits, and how keyboard moves map to cell indices. Pure functions, so they are easy to test
// and cheap to run on every animation frame.

export interface GridGeometry {
  /** smallest cell width and height including the gap that follows it, px */
  cellSize: number;
  /** gap between cells, px (already part of cellSize) */
  gap: number;
  /** inner width available for cells, px */
  width: number;
  /** height of the scrolling viewport, px */
  viewportHeight: number;
  total: number;
  /** widen square cells so the columns fill the width exactly (no ragged right edge) */
  stretch?: boolean;
}

export interface GridLayout {
  columns: number;
  rows: number;
  /** height of the spacer that gives the scrollbar its length, px */
  totalHeight: number;
  /** width (and height) of a cell without its gap, px */
  cellWidth: number;
  /** cell height plus gap: the distance from one row's top to the next, px */
  rowHeight: number;
}

export interface VisibleRange {
  /** first row to render (inclusive) */
  firstRow: number;
  /** last row to render (exclusive) */
  endRow: number;
  /** first cell index to render (inclusive) */
  start: number;
  /** last cell index to render (exclusive) */
  end: number;
}

function check(where: string, name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${where}: expected ${name} to be a number >= ${min}, got ${value}`);
  }
}

export function gridLayout(g: GridGeometry): GridLayout {
  check('gridLayout', 'cellSize', g.cellSize, 1);
  check('gridLayout', 'gap', g.gap, 0);
  check('gridLayout', 'total', g.total, 0);
  const usable = Math.max(0, g.width) + g.gap; // the last column needs no trailing gap
  const columns = Math.max(1, Math.floor(usable / g.cellSize));
  const rows = Math.ceil(g.total / columns);
  const minWidth = g.cellSize - g.gap;
  const cellWidth = g.stretch ? Math.max(minWidth, (g.width - (columns - 1) * g.gap) / columns) : minWidth;
  const rowHeight = cellWidth + g.gap;
  return { columns, rows, cellWidth, rowHeight, totalHeight: Math.max(0, rows * rowHeight - (rows > 0 ? g.gap : 0)) };
}

/** Rows intersecting [scrollTop, scrollTop + viewportHeight], widened by `overscan` rows each side. */
export function visibleRange(g: GridGeometry, scrollTop: number, overscan = 2): VisibleRange {
  const { columns, rows, rowHeight } = gridLayout(g);
  if (rows === 0) return { firstRow: 0, endRow: 0, start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const firstVisible = Math.min(rows - 1, Math.floor(top / rowHeight));
  const lastVisible = Math.min(rows, Math.ceil((top + Math.max(0, g.viewportHeight)) / rowHeight));
  const firstRow = Math.max(0, firstVisible - overscan);
  const endRow = Math.min(rows, Math.max(lastVisible, firstVisible + 1) + overscan);
  return { firstRow, endRow, start: firstRow * columns, end: Math.min(g.total, endRow * columns) };
}

/** The scrollTop that brings cell `index` fully into view, or the current one if it already is. */
export function scrollToReveal(g: GridGeometry, scrollTop: number, index: number): number {
  const { columns, rowHeight } = gridLayout(g);
  const row = Math.floor(index / columns);
  const top = row * rowHeight;
  const bottom = top + rowHeight - g.gap;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + g.viewportHeight) return Math.max(0, bottom - g.viewportHeight);
  return scrollTop;
}

export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End' | 'PageUp' | 'PageDown';

export const GRID_KEYS: readonly string[] = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'];

export function isGridKey(key: string): key is GridKey {
  return GRID_KEYS.includes(key);
}

/**
 * The selection after a key press. `current` is -1 when nothing is selected: any key then
 * selects the first cell. `pageRows` is how many rows a PageUp/PageDown moves.
 */
export function moveSelection(current: number, key: GridKey, columns: number, total: number, pageRows = 1): number {
  if (total <= 0) return -1;
  if (current < 0 || current >= total) return key === 'End' ? total - 1 : 0;
  const cols = Math.max(1, columns);
  const page = Math.max(1, pageRows) * cols;
  let next = current;
  switch (key) {
    case 'ArrowLeft':
      next = current - 1;
      break;
    case 'ArrowRight':
      next = current + 1;
      break;
    case 'ArrowUp':
      next = current - cols;
      break;
    case 'ArrowDown':
      // Moving down from a row above a short last row lands on its last cell.
      next = current + cols < total ? current + cols : Math.floor(current / cols) < Math.floor((total - 1) / cols) ? total - 1 : current;
      break;
    case 'PageUp':
      next = current - page;
      break;
    case 'PageDown':
      next = current + page;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = total - 1;
      break;
  }
  if (key === 'ArrowUp' && next < 0) return current;
  return Math.min(total - 1, Math.max(0, next));
}
