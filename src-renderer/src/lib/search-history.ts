// The back stack of the Search view: each query a person opened, newest last, so Esc (or Back)
// returns to the one before with the focus where it was. Plain arrays in and out, so a store
// can hold the stack in $state.

/** What was searched by: a library image, or a file from outside the library. */
export type SearchSubject = { kind: 'image'; imageId: number } | { kind: 'file'; fileName: string; dataBase64: string };

export interface HistoryEntry {
  subject: SearchSubject;
  /** the result that had the focus when the person moved on; -1 for none */
  focus: number;
}

export const HISTORY_MAX = 30;

export function sameSubject(a: SearchSubject, b: SearchSubject): boolean {
  if (a.kind === 'image' && b.kind === 'image') return a.imageId === b.imageId;
  if (a.kind === 'file' && b.kind === 'file') return a.fileName === b.fileName && a.dataBase64 === b.dataBase64;
  return false;
}

/**
 * The stack after opening `subject`: the current entry keeps `focus` (where the person was),
 * the new one goes on top. Opening the current subject again changes nothing; the oldest
 * entries fall off beyond `max`.
 */
export function pushSubject(stack: readonly HistoryEntry[], subject: SearchSubject, focus = -1, max = HISTORY_MAX): HistoryEntry[] {
  const top = stack[stack.length - 1];
  if (top && sameSubject(top.subject, subject)) return [...stack];
  const kept = top ? [...stack.slice(0, -1), { ...top, focus }] : [];
  return [...kept, { subject, focus: -1 }].slice(-Math.max(1, max));
}

/** The stack after going back one step, or null when there is nothing to go back to. */
export function popSubject(stack: readonly HistoryEntry[]): HistoryEntry[] | null {
  return stack.length > 1 ? stack.slice(0, -1) : null;
}

export function currentEntry(stack: readonly HistoryEntry[]): HistoryEntry | null {
  return stack[stack.length - 1] ?? null;
}

/**
 * What Back does: the query before; from the only query, no query at all, and the view that
 * query was opened from (the Library's "More like this") when it came from another view.
 * Null when there is nothing to go back from.
 */
export function backFrom(stack: readonly HistoryEntry[], origin: string | null): { stack: HistoryEntry[]; view: string | null } | null {
  if (stack.length === 0) return null;
  if (stack.length > 1) return { stack: stack.slice(0, -1), view: null };
  return { stack: [], view: origin && origin !== 'search' ? origin : null };
}
