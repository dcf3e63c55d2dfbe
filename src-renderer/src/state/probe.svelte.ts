// What the Evaluate view knows: the form (encoder, labels, split, probe settings), the live
// class preview, the probe history with the selected probe's results, the running probe's
// progress, and the confusion-matrix cell whose test images are on screen. Kept fresh from
// 'probe.progress', 'probes.changed' and the Train store's run list.
import type { ImageSummary, LabelPreview, ProbeProgress, ProbeRun } from '$contract';
import { debounce } from '../lib/debounce';
import { errorText, type ErrorText } from '../lib/error-text';
import { samePick, type CellPick } from '../lib/probe-confusion';
import { configToProbeForm, defaultProbeForm, formToProbeConfig, previewRequest, type ProbeForm } from '../lib/probe-form';
import { labelOptions, sampleOffsets } from '../lib/probe-labels';
import { defaultResultKey, findResult, type ResultKey } from '../lib/probe-results';
import { pickRun, probeableRuns } from '../lib/probe-runs';
import { defaultProbeId, isProbeActive } from '../lib/probe-text';
import { api, ApiStore, Latest, type ClientSource, type UiClient } from './client';
import { attempt, errors, reportFailedJob } from './errors.svelte';
import { curation } from './curation.svelte';
import { train } from './train.svelte';

const ADVANCED_KEY = 'moco.probe.advanced';
const EXPORT_DIR_KEY = 'moco.export.dir';
const SAMPLE_PAGE = 200;
const SAMPLE_PAGES = 5;

export class ProbeStore extends ApiStore {
  form = $state<ProbeForm>(defaultProbeForm());
  showAdvanced = $state(localStorage.getItem(ADVANCED_KEY) === '1');
  /** relative paths of a spread sample of the library, for the label level examples */
  sample = $state<string[]>([]);
  preview = $state<LabelPreview | null>(null);
  previewError = $state<ErrorText | null>(null);
  previewing = $state(false);
  probes = $state<ProbeRun[]>([]);
  probesLoaded = $state(false);
  selectedId = $state<number | null>(null);
  live = $state<ProbeProgress | null>(null);
  starting = $state(false);
  cancelling = $state(false);
  startError = $state<ErrorText | null>(null);
  /** the (model, method) whose confusion matrix and per-class table show */
  resultPick = $state<ResultKey | null>(null);
  cell = $state<CellPick | null>(null);
  cellImages = $state<ImageSummary[] | null>(null);
  cellLoading = $state(false);
  cellError = $state<ErrorText | null>(null);
  /** the destination of the last export, offered again by every export dialog */
  exportDir = $state(localStorage.getItem(EXPORT_DIR_KEY) ?? '');

  readonly runs = $derived(probeableRuns(train.runs));
  /** the encoder the form evaluates: the one chosen while it can be probed, else the newest */
  readonly runId = $derived(pickRun(train.runs, this.form.runId));
  readonly run = $derived(this.runs.find((r) => r.id === this.runId) ?? null);
  readonly parsed = $derived(formToProbeConfig({ ...this.form, runId: this.runId }));
  readonly labelChoices = $derived(labelOptions(this.sample, curation.tags));
  readonly selected = $derived(this.probes.find((p) => p.id === this.selectedId) ?? null);
  readonly running = $derived(this.probes.find((p) => p.status === 'running') ?? null);
  readonly active = $derived(isProbeActive(this.live) || !!this.running);
  readonly result = $derived(
    this.selected ? findResult(this.selected.results, this.resultPick ?? defaultResultKey(this.selected.results)) : null,
  );

  private previewKey: string | null = null;
  private libraryVersion: number | null = null;
  private readonly previewCalls = new Latest('previewLabels');
  private readonly cellCalls = new Latest('probeCellImages');
  private readonly previewSoon = debounce(() => void this.refreshPreview(), 300, 1200);
  private readonly probesChanged = debounce(() => void this.refreshProbes(), 300, 1500);

  constructor(client: ClientSource) {
    super(client);
  }

  protected listen(client: UiClient): void {
    client.on('probe.progress', (p) => this.onProgress(p));
    client.on('probes.changed', () => this.probesChanged());
    client.onConnectionChange?.((state) => {
      if (state === 'open') void this.refreshProbes();
    });
    curation.start();
    void this.refreshProbes();
    void this.refreshSample();
    this.previewSoon();
  }

  async refreshProbes(): Promise<void> {
    const list = await attempt('Loading probes', () => this.client().listProbes());
    if (!list) return;
    this.probes = list;
    this.probesLoaded = true;
    if (this.selectedId === null || !list.some((p) => p.id === this.selectedId)) this.select(defaultProbeId(list));
  }

  /** A spread sample of the library's paths: enough to name each folder level's classes. */
  async refreshSample(): Promise<void> {
    const client = this.client();
    await attempt('Reading folder names', async () => {
      const first = await client.listImages({ offset: 0, limit: SAMPLE_PAGE });
      const rest = sampleOffsets(first.total, SAMPLE_PAGE, SAMPLE_PAGES).filter((o) => o > 0);
      const pages = await Promise.all(rest.map((offset) => client.listImages({ offset, limit: SAMPLE_PAGE })));
      this.sample = [first, ...pages].flatMap((p) => p.items.map((i) => i.relPath));
    });
  }

  /** The library is at `version` (library.version): new images change the classes and the level examples. */
  syncLibrary(version: number): void {
    if (this.libraryVersion === null || version === this.libraryVersion) {
      this.libraryVersion = version;
      return;
    }
    this.libraryVersion = version;
    this.previewKey = null;
    this.previewSoon();
    void this.refreshSample();
  }

  setField<K extends keyof ProbeForm>(field: K, value: ProbeForm[K]): void {
    this.form = { ...this.form, [field]: value };
    this.startError = null;
    this.previewSoon();
  }

  rememberExportDir(dir: string): void {
    this.exportDir = dir;
    localStorage.setItem(EXPORT_DIR_KEY, dir);
  }

  setAdvanced(open: boolean): void {
    this.showAdvanced = open;
    localStorage.setItem(ADVANCED_KEY, open ? '1' : '0');
  }

  /** Back to the protocol's settings, keeping the encoder, labels, split and folders. */
  resetMethods(): void {
    const d = defaultProbeForm(this.form.runId);
    const { runId, labels, testFraction, minPerClass, seed, folderIds } = this.form;
    this.form = { ...d, runId, labels, testFraction, minPerClass, seed, folderIds };
  }

  /** A past probe's settings into the form. */
  useSettings(p: ProbeRun): void {
    this.form = configToProbeForm(p.config);
    this.startError = null;
    this.previewSoon();
  }

  async refreshPreview(): Promise<void> {
    const req = previewRequest(this.form);
    if (!req) return; // the split fields show their own messages
    if (req.key === this.previewKey && (this.preview || this.previewError)) return;
    this.previewKey = req.key;
    await this.previewCalls.run(() => this.client().previewLabels(req.labels, req.options), {
      busy: (b) => (this.previewing = b),
      ok: (preview) => {
        this.preview = preview;
        this.previewError = null;
      },
      // Shown in the preview itself (e.g. "expected at least 2 classes ..."), which is where it matters.
      fail: (err) => {
        this.preview = null;
        this.previewError = errorText(err, 'Class preview');
      },
    });
  }

  select(id: number | null): void {
    if (id === this.selectedId && id !== null) return;
    this.selectedId = id;
    this.resultPick = null;
    this.clearCell();
  }

  pickResult(key: ResultKey): void {
    this.resultPick = key;
    this.clearCell();
  }

  clearCell(): void {
    this.cellCalls.drop();
    this.cell = null;
    this.cellImages = null;
    this.cellError = null;
    this.cellLoading = false;
  }

  /** Shows the test images of one confusion-matrix cell of the selected result. */
  async pickCell(pick: CellPick): Promise<void> {
    const probe = this.selected;
    const r = this.result;
    if (!probe || !r) return;
    if (samePick(pick, this.cell) && (this.cellImages || this.cellLoading)) return;
    this.cell = pick;
    this.cellError = null;
    await this.cellCalls.run(() => this.client().probeCellImages({ probeId: probe.id, model: r.model, method: r.method, ...pick }), {
      busy: (b) => (this.cellLoading = b),
      ok: (images) => (this.cellImages = images),
      fail: (err) => {
        this.cellImages = null;
        this.cellError = errorText(err, 'Loading the cell’s images');
      },
    });
  }

  async startProbe(): Promise<void> {
    const config = this.parsed.config;
    if (!config || this.starting) return;
    this.starting = true;
    this.startError = null;
    try {
      const p = await this.client().startProbe(config);
      this.probes = [p, ...this.probes.filter((x) => x.id !== p.id)];
      this.select(p.id);
    } catch (err) {
      this.startError = errorText(err, 'Starting the probe');
      errors.report(err, 'Starting the probe');
    } finally {
      this.starting = false;
    }
    void this.refreshProbes();
  }

  async cancelProbe(): Promise<void> {
    if (this.cancelling) return;
    this.cancelling = true;
    try {
      await attempt('Cancelling the probe', () => this.client().cancelProbe());
    } finally {
      this.cancelling = false;
    }
    await this.refreshProbes();
  }

  async deleteProbe(id: number): Promise<void> {
    const ok = await attempt('Deleting a probe', async () => {
      await this.client().deleteProbe(id);
      return true;
    });
    if (!ok) return;
    if (this.selectedId === id) this.select(null);
    await this.refreshProbes();
  }

  private onProgress(p: ProbeProgress): void {
    this.live = p;
    if (!this.probes.some((x) => x.id === p.probeId)) this.probesChanged();
    if (!isProbeActive(p)) {
      reportFailedJob(p, 'Probe', 'the probe');
      this.probesChanged.cancel();
      void this.refreshProbes().then(() => {
        // The finished probe is the one to look at.
        if (p.phase === 'done') this.select(p.probeId);
      });
    }
  }
}

export const createProbeStore = (client: ClientSource): ProbeStore => new ProbeStore(client);

export const probe = createProbeStore(api);
