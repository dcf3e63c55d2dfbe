// The near-duplicate review: groups of images closer than the slider's threshold in the set the
// Search view has chosen, patched in place after a curation call.
import type { NearDuplicateResult } from '$contract';
import type { SearchOptions } from '../lib/search-request';
import { errorText, type ErrorText } from '../lib/error-text';
import { withExcluded } from '../lib/curation-groups';
import { countReading } from '../lib/curation-curve';
import { api, Latest, type ClientSource } from './client';
import { curation, type CurationChange, type CurationStore } from './curation.svelte';
import { Picks } from './picks.svelte';
import { search } from './search.svelte';

/** What the review reads from the Search view: the set searched and the distance space. */
export interface SearchScope {
  readonly setId: number | null;
  readonly options: Pick<SearchOptions, 'space'>;
}

export class NearDuplicateStore {
  /** the slider's position, live while it moves */
  threshold = $state(0.95);
  result = $state<NearDuplicateResult | null>(null);
  loading = $state(false);
  error = $state<ErrorText | null>(null);
  readonly picks = new Picks();
  /** the group count at the slider's position, from the last answer's curve */
  readonly reading = $derived(countReading(this.result, this.threshold));
  private readonly latest = new Latest('near-duplicates');

  private readonly client: ClientSource;
  private readonly scope: SearchScope;

  constructor(client: ClientSource, scope: SearchScope, curated: CurationStore) {
    this.client = client;
    this.scope = scope;
    curated.onChanged((change) => this.patch(change));
  }

  async load(threshold = this.threshold): Promise<void> {
    const setId = this.scope.setId;
    if (setId === null) return;
    const request = { setId, threshold, space: this.scope.options.space, includeExcluded: true };
    await this.latest.run(() => this.client().findNearDuplicates(request), {
      busy: (b) => (this.loading = b),
      ok: (r) => {
        this.result = r;
        this.error = null;
      },
      fail: (err) => (this.error = errorText(err, 'Finding near-duplicates')),
    });
  }

  /** Folds a curation change into the groups on screen; a group left with one image goes. */
  patch({ imageIds, excluded, removed }: CurationChange): void {
    if (removed) this.picks.drop(imageIds);
    const r = this.result;
    if (!r) return;
    let groups = r.groups;
    if (excluded !== undefined) groups = withExcluded(groups, imageIds, excluded);
    if (removed) {
      groups = groups.map((g) => ({ ...g, images: g.images.filter((i) => !imageIds.includes(i.id)) })).filter((g) => g.images.length > 1);
    }
    this.result = { ...r, groups };
  }
}

export const createNearDuplicateStore = (client: ClientSource, scope: SearchScope, curated: CurationStore): NearDuplicateStore =>
  new NearDuplicateStore(client, scope, curated);

export const nearDuplicates = createNearDuplicateStore(api, search, curation);
