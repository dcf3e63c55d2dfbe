// Curation calls (exclude, tag, trash) shared by the Search and Duplicates views, and the tag
// list. The store writes no other store: each change is announced as `curation.changed` with
// what changed, and the stores showing those images fold it in themselves.
import type { ApiEvents, TagCount } from '$contract';
import { debounce } from '../lib/debounce';
import { api, ApiStore, type ClientSource, type UiClient } from './client';
import { attempt } from './errors.svelte';

/** The app's `curation.changed` event, plus what changed, for results patched in place. */
export type CurationChange = ApiEvents['curation.changed'] & {
  excluded?: boolean;
  /** the files went to the trash: they leave every list */
  removed?: boolean;
};

export class CurationStore extends ApiStore {
  tags = $state<TagCount[]>([]);
  busy = $state(false);
  private readonly listeners: ((change: CurationChange) => void)[] = [];
  private readonly tagsChanged = debounce(() => void this.refreshTags(), 300, 1500);

  constructor(client: ClientSource) {
    super(client);
  }

  protected listen(client: UiClient): void {
    client.on('curation.changed', () => this.tagsChanged());
    void this.refreshTags();
  }

  /** Calls `listener` after each curation call of this window that changed something. */
  onChanged(listener: (change: CurationChange) => void): void {
    this.listeners.push(listener);
  }

  async refreshTags(): Promise<void> {
    const tags = await attempt('Loading tags', () => this.client().listTags());
    if (tags) this.tags = tags;
  }

  private async call<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    try {
      return await attempt(context, fn);
    } finally {
      this.busy = false;
    }
  }

  private announce(change: CurationChange): true {
    for (const listener of this.listeners) listener(change);
    return true;
  }

  async setExcluded(ids: number[], excluded: boolean): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(excluded ? 'Excluding images' : 'Including images', () => this.client().setExcluded(ids, excluded));
    return !!r && this.announce({ imageIds: ids, excluded });
  }

  /** "Keep this one": the kept image included (if it was not), then the others excluded. */
  async keep(includeIds: number[], excludeIds: number[]): Promise<boolean> {
    if (includeIds.length && !(await this.setExcluded(includeIds, false))) return false;
    return excludeIds.length === 0 || this.setExcluded(excludeIds, true);
  }

  async tag(ids: number[], tag: string): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(`Tagging with "${tag}"`, () => this.client().tagImages(ids, tag));
    if (!r) return false;
    await this.refreshTags();
    return this.announce({ imageIds: ids });
  }

  async untag(ids: number[], tag: string): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(`Removing the tag "${tag}"`, () => this.client().untagImages(ids, tag));
    if (!r) return false;
    await this.refreshTags();
    return this.announce({ imageIds: ids });
  }

  /** Moves files to the OS trash (Electron only; the web host answers with why it cannot). */
  async trash(ids: number[]): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call('Moving to the trash', () => this.client().trashImages(ids));
    return !!r && this.announce({ imageIds: ids, removed: true });
  }
}

export const createCurationStore = (client: ClientSource): CurationStore => new CurationStore(client);

export const curation = createCurationStore(api);
