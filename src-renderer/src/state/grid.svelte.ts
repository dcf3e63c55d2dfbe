// What the thumbnail grid shows (filter, order, cell size) and how many images that is.
import type { ImageSort } from '$contract';

const CELL_KEY = 'moco.grid.cellSize';
export const CELL_MIN = 96;
export const CELL_MAX = 280;
const CELL_DEFAULT = 160;

function storedCellSize(): number {
  const raw = Number(localStorage.getItem(CELL_KEY));
  return Number.isFinite(raw) && raw >= CELL_MIN && raw <= CELL_MAX ? raw : CELL_DEFAULT;
}

class GridState {
  folderId = $state<number | undefined>(undefined);
  sort = $state<ImageSort>('path');
  /** only images with this tag, or only excluded / only included ones (ListImagesQuery) */
  curation = $state<{ tag?: string; excluded?: boolean }>({});
  cellSize = $state(storedCellSize());
  /** images matching the current filter, once the first page has answered */
  total = $state<number | null>(null);

  setCellSize(px: number): void {
    this.cellSize = Math.min(CELL_MAX, Math.max(CELL_MIN, Math.round(px)));
    localStorage.setItem(CELL_KEY, String(this.cellSize));
  }
}

export const grid = new GridState();
