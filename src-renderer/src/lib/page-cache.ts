// Pages of a long list (e.g. 100,000 images) fetched on demand for a virtualized view.
// Only pages the view wants are loaded, a few at a time, newest wish first; pages far from
// the view are evicted to bound memory; after invalidate() the old items stay on screen until
// fresh ones replace them, so a refresh never flickers to empty.
import type { Page } from '$contract';

export type PageLoader<T> = (offset: number, limit: number) => Promise<Page<T>>;

export interface PageCacheOptions<T> {
  load: PageLoader<T>;
  pageSize?: number;
  /** most page loads in flight at once */
  concurrency?: number;
  /** most pages kept; those farthest from the wanted range go first */
  maxPages?: number;
  /** called after any change visible to a reader (items or total) */
  onChange?: () => void;
  /** called with each failed load; the page is retried on the next want() */
  onError?: (err: unknown) => void;
}

interface Entry<T> {
  items: T[];
  generation: number;
}

export class PageCache<T> {
  readonly pageSize: number;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly pages = new Map<number, Entry<T>>();
  private readonly inFlight = new Set<number>();
  private wanted: number[] = [];
  /** first and last page of the latest wish, to judge which pages are far away */
  private view: [number, number] = [0, 0];
  private generation = 0;
  private totalKnown: number | null = null;
  private closed = false;

  constructor(private readonly opts: PageCacheOptions<T>) {
    this.pageSize = opts.pageSize ?? 200;
    this.concurrency = opts.concurrency ?? 3;
    this.maxPages = opts.maxPages ?? 60;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError(`PageCache: expected pageSize to be a positive integer, got ${this.pageSize}`);
    }
  }

  /** Item count reported by the latest load; null until the first page arrives. */
  get total(): number | null {
    return this.totalKnown;
  }

  /** The item at `index` if its page is loaded (possibly from before the last invalidate). */
  get(index: number): T | undefined {
    if (this.totalKnown != null && index >= this.totalKnown) return undefined;
    const entry = this.pages.get(Math.floor(index / this.pageSize));
    return entry?.items[index % this.pageSize];
  }

  /** Is the page holding `index` current (loaded since the last invalidate)? */
  isFresh(index: number): boolean {
    return this.pages.get(Math.floor(index / this.pageSize))?.generation === this.generation;
  }

  /** Say which items [start, end) the view shows now; loads what is missing or stale. */
  want(start: number, end: number): void {
    if (this.closed) return;
    const first = Math.max(0, Math.floor(start / this.pageSize));
    // Before the total is known, ask for the first page: its answer tells how many there are.
    const last = Math.max(first, Math.floor((Math.max(start, end) - 1) / this.pageSize));
    const wanted: number[] = [];
    for (let p = first; p <= last; p++) {
      if (this.totalKnown != null && p * this.pageSize >= this.totalKnown && p > 0) break;
      wanted.push(p);
    }
    this.wanted = wanted;
    this.view = [first, last];
    this.evict();
    this.pump();
  }

  /** Mark everything stale (the list changed); the current wish is reloaded. */
  invalidate(): void {
    this.generation++;
    this.pump();
  }

  /** Forget everything, e.g. when the query (sort, filter) changes. */
  reset(): void {
    this.generation++;
    this.pages.clear();
    this.totalKnown = null;
    this.opts.onChange?.();
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.wanted = [];
  }

  private pump(): void {
    if (this.closed) return;
    for (const p of this.wanted) {
      if (this.inFlight.size >= this.concurrency) return;
      if (this.inFlight.has(p)) continue;
      if (this.pages.get(p)?.generation === this.generation) continue;
      void this.fetch(p);
    }
  }

  private async fetch(p: number): Promise<void> {
    const generation = this.generation;
    this.inFlight.add(p);
    try {
      const page = await this.opts.load(p * this.pageSize, this.pageSize);
      if (this.closed || generation !== this.generation) return; // a newer list replaced this one
      this.pages.set(p, { items: page.items, generation });
      this.totalKnown = page.total;
      this.evict();
      this.opts.onChange?.();
    } catch (err) {
      if (!this.closed) this.opts.onError?.(err);
      // Drop the page from the wish so a failing server is not hammered; the next want() retries.
      this.wanted = this.wanted.filter((w) => w !== p);
    } finally {
      this.inFlight.delete(p);
      this.pump();
    }
  }

  private evict(): void {
    if (this.pages.size <= this.maxPages) return;
    const [first, last] = this.view;
    const distance = (p: number) => (p < first ? first - p : p > last ? p - last : 0);
    const byDistance = [...this.pages.keys()].sort((a, b) => distance(b) - distance(a));
    for (const p of byDistance) {
      if (this.pages.size <= this.maxPages || distance(p) === 0) break;
      this.pages.delete(p);
    }
  }
}
