// Views live in the address's hash (#/problems) so a reload keeps the place. Views are a
// list, so later features add tabs by adding entries.

export interface ViewInfo {
  id: string;
  label: string;
}

/** The view named by `hash`, or `fallback` when the hash names none of `known`. */
export function parseRoute(hash: string, known: readonly ViewInfo[], fallback: string): string {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return known.some((v) => v.id === id) ? id : fallback;
}

export function routeHash(id: string): string {
  return `#/${id}`;
}
