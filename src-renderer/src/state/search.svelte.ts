// The Search view's state: the encoders and their embedding sets, the running embedding job,
// the current query with its back stack, the near-duplicate review, and the curation calls
// (exclude, tag, trash) that both share. Results on screen are patched after a curation call
// rather than searched again, so nothing moves under the person's cursor.
import type { EmbeddingSet, EmbedProgress, NearDuplicateResult, RunSummary, SearchResult, TagCount } from '$contract';
import { debounce } from '../lib/debounce';
import { errorText, type ErrorText } from '../lib/error-text';
import { withExcluded } from '../lib/curation-groups';
import { countReading } from '../lib/curation-curve';
import { backFrom, currentEntry, pushSubject, type HistoryEntry, type SearchSubject } from '../lib/search-history';
import { prepareQueryFile, shrinkInBrowser, WEB_RAW_LIMIT, type QueryFile } from '../lib/search-file';
import { DEFAULT_OPTIONS, searchRequest, type SearchOptions } from '../lib/search-request';
import { defaultSet, encoderChoices, isEmbedActive, isSearchable, type EncoderChoice } from '../lib/search-sets';
import { api } from './client';
import { router } from './router.svelte';
import { attempt, errors } from './errors.svelte';
import { library } from './library.svelte';

/** A failure shown next to what caused it (e.g. the file that could not be read). */
export interface InlineError extends ErrorText {
  /** what was being searched by, e.g. the dropped file's name */
  subject: string;
}

/** Images picked for a bulk action (tag, exclude, trash). */
export class Picks {
  ids = $state<number[]>([]);

  has(id: number): boolean {
    return this.ids.includes(id);
  }
  toggle(id: number, on = !this.has(id)): void {
    this.ids = on ? (this.has(id) ? this.ids : [...this.ids, id]) : this.ids.filter((i) => i !== id);
  }
  set(ids: number[]): void {
    this.ids = [...new Set(ids)];
  }
  drop(ids: readonly number[]): void {
    this.ids = this.ids.filter((i) => !ids.includes(i));
  }
  clear(): void {
    this.ids = [];
  }
}

class SearchStore {
  sets = $state<EmbeddingSet[]>([]);
  runs = $state<RunSummary[]>([]);
  loaded = $state(false);
  /** the encoder picked (`set:<id>` or `run:<id>`); null = the app's default set */
  choiceKey = $state<string | null>(null);
  progress = $state<EmbedProgress | null>(null);
  options = $state<SearchOptions>({ ...DEFAULT_OPTIONS });
  history = $state<HistoryEntry[]>([]);
  result = $state<SearchResult | null>(null);
  searching = $state(false);
  error = $state<InlineError | null>(null);
  mode = $state<'similar' | 'near'>('similar');
  /** index of the focused result; -1 for none */
  focus = $state(-1);
  /** the view the first query of the back stack was opened from */
  origin: string | null = null;
  readonly picks = new Picks();

  readonly choices = $derived(encoderChoices(this.runs, this.sets));
  readonly choice = $derived<EncoderChoice | null>(this.pickChoice());
  /** the set searches go to; null when the chosen encoder has nothing searchable yet */
  readonly setId = $derived(this.choice?.set && isSearchable(this.choice.set) ? this.choice.set.id : null);
  readonly current = $derived(currentEntry(this.history));
  readonly embedding = $derived(isEmbedActive(this.progress));

  private started = false;
  private seq = 0;
  /** a subject whose search failed, tried again once embeddings are ready */
  private waiting: SearchSubject | null = null;
  private readonly setsChanged = debounce(() => void this.refresh(), 300, 1500);

  private pickChoice(): EncoderChoice | null {
    const picked = this.choices.find((c) => c.key === this.choiceKey);
    if (picked) return picked;
    const def = defaultSet(this.sets);
    return this.choices.find((c) => def && c.set?.id === def.id) ?? this.choices[0] ?? null;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const client = api();
    client.on('embed.progress', (p) => this.onProgress(p));
    client.on('embeddings.changed', () => this.setsChanged());
    client.on('runs.changed', () => this.setsChanged());
    curation.start();
  }

  async refresh(): Promise<void> {
    const client = api();
    await attempt('Loading encoders', async () => {
      const [sets, runs] = await Promise.all([client.listEmbeddings(), client.listRuns()]);
      this.sets = sets;
      this.runs = runs;
      this.loaded = true;
    });
  }

  private onProgress(p: EmbedProgress): void {
    const wasActive = this.embedding;
    this.progress = p;
    if (p.phase === 'failed') errors.report(new Error(p.error ?? 'the embedding job stopped without saying why'), 'Computing embeddings');
    if (wasActive && !isEmbedActive(p)) {
      this.setsChanged.cancel();
      void this.refresh().then(() => {
        if (p.phase !== 'done') return;
        const again = this.waiting ?? this.current?.subject;
        if (again) void this.open(again);
      });
    }
  }

  choose(key: string): void {
    this.choiceKey = key;
    void this.refine();
  }

  async compute(runId: number): Promise<void> {
    const set = await attempt('Computing embeddings', () => api().startEmbedding(runId));
    if (!set) return;
    this.sets = [set, ...this.sets.filter((s) => s.id !== set.id)];
    this.choiceKey = `set:${set.id}`;
  }

  async cancelEmbedding(): Promise<void> {
    await attempt('Cancelling the embedding job', () => api().cancelEmbedding());
  }

  async deleteSet(setId: number): Promise<void> {
    const ok = await attempt('Deleting embeddings', async () => {
      await api().deleteEmbeddings(setId);
      return true;
    });
    if (!ok) return;
    if (this.result?.setId === setId) this.result = null;
    await this.refresh();
  }

  /** Searches by `subject` and puts it on the back stack once it answered. */
  async open(subject: SearchSubject): Promise<boolean> {
    this.mode = 'similar';
    // The view a first query came from (the Library's "More like this"), for Back to return to.
    const from = router.view;
    const ok = await this.run(subject);
    if (ok) {
      if (this.history.length === 0) this.origin = from;
      this.history = pushSubject(this.history, subject, this.focus);
      this.focus = -1;
    }
    return ok;
  }

  openImage(imageId: number): Promise<boolean> {
    return this.open({ kind: 'image', imageId });
  }

  /** A file from outside the library: read here, decoded and searched by the app. */
  async openFile(file: File): Promise<boolean> {
    this.mode = 'similar';
    let ready: QueryFile;
    try {
      ready = await prepareQueryFile(file, {
        maxRawBytes: api().host === 'electron' ? Number.POSITIVE_INFINITY : WEB_RAW_LIMIT,
        shrink: shrinkInBrowser,
      });
    } catch (err) {
      this.error = { ...errorText(err, 'Search'), subject: file.name };
      return false;
    }
    return this.open({ kind: 'file', fileName: ready.fileName, dataBase64: ready.dataBase64 });
  }

  /**
   * Back to the previous query, with the focus where it was; from the only query, back to no
   * query (and to the view it was opened from).
   */
  async back(): Promise<boolean> {
    const step = backFrom(this.history, this.origin);
    if (!step) return false;
    this.history = step.stack;
    const entry = currentEntry(step.stack);
    if (!entry) {
      this.seq++; // an answer still on its way is for a query that is gone
      this.result = null;
      this.focus = -1;
      this.searching = false;
      this.origin = null;
      if (step.view) router.go(step.view);
      return true;
    }
    const ok = await this.run(entry.subject);
    if (ok) this.focus = Math.min(entry.focus, (this.result?.hits.length ?? 0) - 1);
    return ok;
  }

  /** The same query again after the options or the encoder changed. */
  async refine(): Promise<void> {
    const entry = this.current;
    if (entry) {
      await this.run(entry.subject);
      this.focus = -1;
    }
  }

  setOptions(patch: Partial<SearchOptions>): void {
    this.options = { ...this.options, ...patch };
    void this.refine();
  }

  dismissError(): void {
    this.error = null;
  }

  private async run(subject: SearchSubject): Promise<boolean> {
    const seq = ++this.seq;
    this.searching = true;
    try {
      const result = await api().searchSimilar(searchRequest(subject, this.options, this.setId));
      if (seq !== this.seq) return false;
      this.result = result;
      this.error = null;
      this.waiting = null;
      return true;
    } catch (err) {
      if (seq !== this.seq) return false;
      console.error('search', err);
      this.error = { ...errorText(err, 'Search'), subject: subject.kind === 'file' ? subject.fileName : `image ${subject.imageId}` };
      this.waiting = subject;
      return false;
    } finally {
      if (seq === this.seq) this.searching = false;
    }
  }

  /** Folds a curation change into the results on screen. */
  patch(ids: readonly number[], change: { excluded?: boolean; removed?: boolean }): void {
    const r = this.result;
    if (!r) return;
    const set = new Set(ids);
    const hits = change.removed
      ? r.hits.filter((h) => !set.has(h.image.id))
      : r.hits.map((h) =>
          set.has(h.image.id) && change.excluded !== undefined ? { ...h, image: { ...h.image, excluded: change.excluded } } : h,
        );
    this.result = { ...r, hits };
    if (change.removed) this.focus = Math.min(this.focus, hits.length - 1);
  }
}

class NearDuplicateStore {
  /** the slider's position, live while it moves */
  threshold = $state(0.95);
  result = $state<NearDuplicateResult | null>(null);
  loading = $state(false);
  error = $state<ErrorText | null>(null);
  readonly picks = new Picks();
  /** the group count at the slider's position, from the last answer's curve */
  readonly reading = $derived(countReading(this.result, this.threshold));
  private seq = 0;

  async load(threshold = this.threshold): Promise<void> {
    const setId = search.setId;
    if (setId === null) return;
    const seq = ++this.seq;
    this.loading = true;
    try {
      const r = await api().findNearDuplicates({ setId, threshold, space: search.options.space, includeExcluded: true });
      if (seq !== this.seq) return;
      this.result = r;
      this.error = null;
    } catch (err) {
      if (seq !== this.seq) return;
      console.error('near-duplicates', err);
      this.error = errorText(err, 'Finding near-duplicates');
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  patch(ids: readonly number[], change: { excluded?: boolean; removed?: boolean }): void {
    const r = this.result;
    if (!r) return;
    let groups = r.groups;
    if (change.excluded !== undefined) groups = withExcluded(groups, ids, change.excluded);
    if (change.removed) {
      const set = new Set(ids);
      groups = groups.map((g) => ({ ...g, images: g.images.filter((i) => !set.has(i.id)) })).filter((g) => g.images.length > 1);
    }
    this.result = { ...r, groups };
  }
}

class CurationStore {
  tags = $state<TagCount[]>([]);
  busy = $state(false);
  private started = false;
  private readonly tagsChanged = debounce(() => void this.refreshTags(), 300, 1500);

  start(): void {
    if (this.started) return;
    this.started = true;
    api().on('curation.changed', () => this.tagsChanged());
    void this.refreshTags();
  }

  async refreshTags(): Promise<void> {
    const tags = await attempt('Loading tags', () => api().listTags());
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

  async setExcluded(ids: number[], excluded: boolean): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(excluded ? 'Excluding images' : 'Including images', () => api().setExcluded(ids, excluded));
    if (!r) return false;
    search.patch(ids, { excluded });
    nearDuplicates.patch(ids, { excluded });
    library.version++;
    return true;
  }

  /** "Keep this one": the kept image included (if it was not), then the others excluded. */
  async keep(includeIds: number[], excludeIds: number[]): Promise<boolean> {
    if (includeIds.length && !(await this.setExcluded(includeIds, false))) return false;
    return excludeIds.length === 0 || this.setExcluded(excludeIds, true);
  }

  async tag(ids: number[], tag: string): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(`Tagging with "${tag}"`, () => api().tagImages(ids, tag));
    if (!r) return false;
    await this.refreshTags();
    library.version++;
    return true;
  }

  async untag(ids: number[], tag: string): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call(`Removing the tag "${tag}"`, () => api().untagImages(ids, tag));
    if (!r) return false;
    await this.refreshTags();
    library.version++;
    return true;
  }

  /** Moves files to the OS trash (Electron only; the web host answers with why it cannot). */
  async trash(ids: number[]): Promise<boolean> {
    if (ids.length === 0) return false;
    const r = await this.call('Moving to the trash', () => api().trashImages(ids));
    if (!r) return false;
    search.patch(ids, { removed: true });
    nearDuplicates.patch(ids, { removed: true });
    search.picks.drop(ids);
    nearDuplicates.picks.drop(ids);
    return true;
  }
}

export const search = new SearchStore();
export const nearDuplicates = new NearDuplicateStore();
export const curation = new CurationStore();
