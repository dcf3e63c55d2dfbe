// The confusion matrix as a heat map: rows are true classes, columns predicted ones. A cell's
// colour says which share of its row it holds (so a small class reads as clearly as a big one),
// in the accent colour on the diagonal (right) and the danger colour off it (mistakes); its text
// is the count. A selected cell is moved with the arrow keys like a spreadsheet's.

export interface MatrixCell {
  row: number;
  col: number;
  count: number;
  /** count / row total, 0..1 (0 for an empty row) */
  share: number;
  diagonal: boolean;
  /** colour strength 0..1 */
  level: number;
  /** strong enough that its text needs the light colour */
  strong: boolean;
}

export interface CellPick {
  trueClass: number;
  predictedClass: number;
}

/** Below this strength a cell's text stays in the normal colour. */
const STRONG = 0.55;

/**
 * Strength of a cell holding `share` of its row: 0 for no images, then from a visible 0.12 up
 * to 1, on a square-root curve so one stray image in a big row still shows.
 */
export function cellLevel(count: number, share: number): number {
  if (!(count > 0) || !(share > 0)) return 0;
  return Math.min(1, 0.12 + 0.88 * Math.sqrt(Math.min(1, share)));
}

export function confusionCells(confusion: readonly (readonly number[])[]): MatrixCell[][] {
  return confusion.map((counts, row) => {
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.map((count, col) => {
      const share = total > 0 ? count / total : 0;
      const level = cellLevel(count, share);
      return { row, col, count, share, diagonal: row === col, level, strong: level >= STRONG };
    });
  });
}

/** The cell's background as CSS (set through the style property, never as markup): a mix of the tone into the surface. */
export function cellBackground(cell: Pick<MatrixCell, 'level' | 'diagonal'>): string {
  if (cell.level <= 0) return 'transparent';
  const pct = Math.round(cell.level * 100);
  return `color-mix(in srgb, var(${cell.diagonal ? '--accent' : '--danger'}) ${pct}%, var(--surface))`;
}

export function columnTotals(confusion: readonly (readonly number[])[]): number[] {
  const n = confusion[0]?.length ?? 0;
  return Array.from({ length: n }, (_, j) => confusion.reduce((s, row) => s + (row[j] ?? 0), 0));
}

export function rowTotals(confusion: readonly (readonly number[])[]): number[] {
  return confusion.map((r) => r.reduce((s, c) => s + c, 0));
}

/** The pick after an arrow key (or Home / End) in an n×n matrix; null for other keys. */
export function moveCell(pick: CellPick | null, key: string, n: number): CellPick | null {
  if (n <= 0) return null;
  const cur = pick ?? { trueClass: 0, predictedClass: 0 };
  const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
  if (!pick && ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key)) return cur;
  switch (key) {
    case 'ArrowUp':
      return { ...cur, trueClass: clamp(cur.trueClass - 1) };
    case 'ArrowDown':
      return { ...cur, trueClass: clamp(cur.trueClass + 1) };
    case 'ArrowLeft':
      return { ...cur, predictedClass: clamp(cur.predictedClass - 1) };
    case 'ArrowRight':
      return { ...cur, predictedClass: clamp(cur.predictedClass + 1) };
    case 'Home':
      return { ...cur, predictedClass: 0 };
    case 'End':
      return { ...cur, predictedClass: n - 1 };
    default:
      return null;
  }
}

export function samePick(a: CellPick | null, b: CellPick | null): boolean {
  return !!a && !!b && a.trueClass === b.trueClass && a.predictedClass === b.predictedClass;
}

/** "ocean → forest" */
export function pickLabel(classes: readonly { name: string }[], pick: CellPick): string {
  const name = (i: number) => classes[i]?.name ?? `class ${i}`;
  return `${name(pick.trueClass)} → ${name(pick.predictedClass)}`;
}

/** "3 ocean test images predicted as forest" / "all 5 ocean test images predicted correctly" */
export function pickSentence(classes: readonly { name: string }[], pick: CellPick, count: number): string {
  const name = (i: number) => classes[i]?.name ?? `class ${i}`;
  const images = `${count} ${name(pick.trueClass)} test image${count === 1 ? '' : 's'}`;
  return pick.trueClass === pick.predictedClass ? `${images} predicted correctly` : `${images} predicted as ${name(pick.predictedClass)}`;
}

/** The most confused pair (largest off-diagonal count), for the first pick after a probe. */
export function worstConfusion(confusion: readonly (readonly number[])[]): CellPick | null {
  let best: CellPick | null = null;
  let max = 0;
  confusion.forEach((row, i) =>
    row.forEach((c, j) => {
      if (i !== j && c > max) {
        max = c;
        best = { trueClass: i, predictedClass: j };
      }
    }),
  );
  return best;
}

/** Short class names for the matrix's axis: long names are cut with an ellipsis. */
export function axisLabel(name: string, max = 14): string {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}
