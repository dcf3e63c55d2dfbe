// The Search view's state: the encoders and their embedding sets, the running embedding job and
// the current query with its back stack. Results on screen are patched after a curation call
// rather than searched again, so nothing moves under the person's cursor.
import type { EmbeddingSet, EmbedProgress, RunSummary, SearchHit, SearchResult } from '$contract';
import { debounce } from '../lib/debounce';
import { errorText, type ErrorText } from '../lib/error-text';
import { backFrom, currentEntry, pushSubject, type HistoryEntry, type SearchSubject } from '../lib/search-history';
import { prepareQueryFile, shrinkInBrowser, WEB_RAW_LIMIT, type QueryFile } from '../lib/search-file';
import { DEFAULT_OPTIONS, searchRequest, type SearchOptions } from '../lib/search-request';
import { defaultSet, encoderChoices, isEmbedActive, isSearchable, type EncoderChoice } from '../lib/search-sets';
import { api, ApiStore, Latest, type ClientSource, type UiClient } from './client';
import { router } from './router.svelte';
import { attempt, reportFailedJob } from './errors.svelte';
import { curation, type CurationChange, type CurationStore } from './curation.svelte';
import { Picks } from './picks.svelte';

/** The part of the router the Search view uses: where a query was opened from, and going back. */
export interface Navigator {
  readonly view: string;
  go(view: string): void;
}

/** A failure shown next to what caused it (e.g. the file that could not be read). */
export interface InlineError extends ErrorText {
  /** what was being searched by, e.g. the dropped file's name */
  subject: string;
}

export class SearchStore extends ApiStore {
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

  private readonly latest = new Latest('search');
  /** a subject whose search failed, tried again once embeddings are ready */
  private waiting: SearchSubject | null = null;
  private readonly setsChanged = debounce(() => void this.refresh(), 300, 1500);

  private readonly nav: Navigator;
  private readonly curated: CurationStore;

  constructor(client: ClientSource, nav: Navigator, curated: CurationStore) {
    super(client);
    this.nav = nav;
    this.curated = curated;
    curated.onChanged((change) => this.patch(change));
  }

  private pickChoice(): EncoderChoice | null {
    const picked = this.choices.find((c) => c.key === this.choiceKey);
    if (picked) return picked;
    const def = defaultSet(this.sets);
    return this.choices.find((c) => def && c.set?.id === def.id) ?? this.choices[0] ?? null;
  }

  protected listen(client: UiClient): void {
    client.on('embed.progress', (p) => this.onProgress(p));
    client.on('embeddings.changed', () => this.setsChanged());
    client.on('runs.changed', () => this.setsChanged());
    this.curated.start();
  }

  async refresh(): Promise<void> {
    await this.load(
      'Loading encoders',
      (c) => Promise.all([c.listEmbeddings(), c.listRuns()]),
      ([sets, runs]) => {
        this.sets = sets;
        this.runs = runs;
        this.loaded = true;
      },
    );
  }

  private onProgress(p: EmbedProgress): void {
    const wasActive = this.embedding;
    this.progress = p;
    reportFailedJob(p, 'Computing embeddings', 'the embedding job');
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
    const set = await attempt('Computing embeddings', () => this.client().startEmbedding(runId));
    if (!set) return;
    this.sets = [set, ...this.sets.filter((s) => s.id !== set.id)];
    this.choiceKey = `set:${set.id}`;
  }

  async cancelEmbedding(): Promise<void> {
    await attempt('Cancelling the embedding job', () => this.client().cancelEmbedding());
  }

  async deleteSet(setId: number): Promise<void> {
    const ok = await attempt('Deleting embeddings', async () => {
      await this.client().deleteEmbeddings(setId);
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
    const from = this.nav.view;
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
        maxRawBytes: this.client().host === 'electron' ? Number.POSITIVE_INFINITY : WEB_RAW_LIMIT,
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
      this.latest.drop(); // an answer still on its way is for a query that is gone
      this.result = null;
      this.focus = -1;
      this.searching = false;
      this.origin = null;
      if (step.view) this.nav.go(step.view);
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
    const outcome = await this.latest.run(() => this.client().searchSimilar(searchRequest(subject, this.options, this.setId)), {
      busy: (b) => (this.searching = b),
      ok: (result) => {
        this.result = result;
        this.error = null;
        this.waiting = null;
      },
      fail: (err) => {
        this.error = { ...errorText(err, 'Search'), subject: subject.kind === 'file' ? subject.fileName : `image ${subject.imageId}` };
        this.waiting = subject;
      },
    });
    return outcome === 'ok';
  }

  /** Folds a curation change into the results on screen. */
  patch({ imageIds, excluded, removed }: CurationChange): void {
    if (removed) this.picks.drop(imageIds);
    const r = this.result;
    if (!r) return;
    const hit = (h: SearchHit) => imageIds.includes(h.image.id);
    const hits = removed
      ? r.hits.filter((h) => !hit(h))
      : r.hits.map((h) => (hit(h) && excluded !== undefined ? { ...h, image: { ...h.image, excluded } } : h));
    this.result = { ...r, hits };
    if (removed) this.focus = Math.min(this.focus, hits.length - 1);
  }
}

export const createSearchStore = (client: ClientSource, nav: Navigator, curated: CurationStore): SearchStore =>
  new SearchStore(client, nav, curated);

export const search = createSearchStore(api, router, curation);
