// What the Train view knows: the engine, presets and the form, the run history, the live
// progress of the running run, and the selected run's metrics and checkpoints, kept fresh
// from 'train.progress' and 'runs.changed'. Started with the app so the tab can show a
// running run from any view.
import type { CheckpointInfo, EngineStatus, RunSummary, TrainConfig, TrainPreset, TrainProgress } from '$contract';
import { appendPoint, emptySeries, fromMetrics, mergeSeries, pointFromProgress, type MetricSeries } from '../lib/chart-series';
import { debounce } from '../lib/debounce';
import { errorText, type ErrorText } from '../lib/error-text';
import { configHints, configToForm, fieldOfServerError, formToConfig, patchForm, type TrainForm } from '../lib/train-form';
import { defaultRunId, isActivePhase, type PendingAction } from '../lib/train-run';
import { defaultPreset, offeredPresets } from '../lib/engine-presets';
import { api, ApiStore, type ClientSource, type UiClient } from './client';
import { attempt, errors, reportFailedJob } from './errors.svelte';
import { library } from './library.svelte';

const ADVANCED_KEY = 'moco.train.advanced';

export class TrainStore extends ApiStore {
  engine = $state<EngineStatus | null>(null);
  engineFailed = $state(false);
  engineChecking = $state(false);
  presets = $state<TrainPreset[]>([]);
  presetId = $state<string | null>(null);
  form = $state<TrainForm | null>(null);
  showAdvanced = $state(localStorage.getItem(ADVANCED_KEY) === '1');
  runs = $state<RunSummary[]>([]);
  runsLoaded = $state(false);
  /** the latest progress event, of whichever run sent it */
  live = $state<TrainProgress | null>(null);
  selectedId = $state<number | null>(null);
  series = $state.raw<MetricSeries>(emptySeries());
  checkpoints = $state<CheckpointInfo[]>([]);
  pending = $state<PendingAction | null>(null);
  /** why the app refused the last start, shown next to the Start button */
  startError = $state<ErrorText | null>(null);

  readonly parsed = $derived(this.form ? formToConfig(this.form) : null);
  readonly preset = $derived(this.presets.find((p) => p.id === this.presetId) ?? null);
  /** the presets the engine can run: GPU presets only where a GPU engine was found */
  readonly offered = $derived(offeredPresets(this.presets, this.engine));
  /** images the form's run would train on: the chosen folders, or the whole library */
  readonly images = $derived.by(() => {
    const ids = this.form?.folderIds ?? [];
    const folders = ids.length ? library.folders.filter((f) => ids.includes(f.id)) : library.folders;
    return library.loaded ? folders.reduce((n, f) => n + f.imageCount, 0) : null;
  });
  readonly hints = $derived(
    this.parsed?.config ? configHints(this.parsed.config, { images: this.images, preset: this.preset?.config }) : [],
  );
  /** the field the app's argument check refused, when its message names one */
  readonly refusedField = $derived(this.startError ? fieldOfServerError(this.startError.message) : null);
  readonly running = $derived(this.runs.find((r) => r.status === 'running') ?? null);
  readonly selected = $derived(this.runs.find((r) => r.id === this.selectedId) ?? null);

  private opened = false;
  /** bumps on every selection, so answers for an earlier one are dropped */
  private loadToken = 0;
  private readonly runsChanged = debounce(() => void this.refreshRuns(), 300, 1500);
  /** runs named by 'runs.changed' since the last reload of the list */
  private changedRuns: number[] = [];

  constructor(client: ClientSource) {
    super(client);
  }

  protected listen(client: UiClient): void {
    client.on('train.progress', (p) => this.onProgress(p));
    client.on('runs.changed', (e) => {
      // A new checkpoint, a status, or a deletion: which one shows once the list is reloaded.
      if (!this.changedRuns.includes(e.runId)) this.changedRuns.push(e.runId);
      this.runsChanged();
    });
    client.onConnectionChange?.((state) => {
      if (state === 'open') void this.refreshRuns();
    });
    void this.refreshRuns();
  }

  /** The view opened: load what only it needs (asking for the engine starts the backend). */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const client = this.client();
    const presets = attempt('Loading training presets', async () => {
      this.presets = await client.listTrainPresets();
    });
    // The default preset depends on the engine: a new form waits for both.
    void Promise.all([presets, this.checkEngine()]).then(() => {
      if (!this.form) this.usePreset(defaultPreset(this.presets, this.engine)?.id);
    });
  }

  /** Asks which engine trains (starting it); again after the engine setting changed. */
  async checkEngine(): Promise<void> {
    this.engineChecking = true;
    const e = await attempt('Checking the compute backend', () => this.client().getEngine());
    this.engine = e ?? null;
    this.engineFailed = !e;
    this.engineChecking = false;
    // A preset the new engine cannot run gives way to its default.
    if (this.form && this.presetId && !this.offered.some((p) => p.id === this.presetId))
      this.usePreset(defaultPreset(this.presets, this.engine)?.id);
  }

  async refreshRuns(): Promise<void> {
    const changed = this.changedRuns;
    this.changedRuns = [];
    const runs = await attempt('Loading training runs', () => this.client().listRuns());
    if (!runs) return;
    this.runs = runs;
    this.runsLoaded = true;
    if (this.selectedId === null || !runs.some((r) => r.id === this.selectedId)) this.select(defaultRunId(runs));
    else if (changed.includes(this.selectedId)) void this.loadCheckpoints(this.selectedId, this.loadToken);
  }

  select(id: number | null): void {
    if (id === this.selectedId && id !== null) return;
    this.selectedId = id;
    this.series = emptySeries();
    this.checkpoints = [];
    const token = ++this.loadToken;
    if (id !== null) void this.loadRunDetails(id, token);
  }

  private async loadRunDetails(id: number, token: number): Promise<void> {
    await Promise.all([this.loadMetrics(id, token), this.loadCheckpoints(id, token)]);
  }

  private async loadMetrics(id: number, token: number): Promise<void> {
    const points = await attempt('Loading run metrics', () => this.client().getRunMetrics(id));
    // Live points that arrived meanwhile extend the stored history.
    if (points && token === this.loadToken) this.series = mergeSeries(fromMetrics(points), this.series);
  }

  private async loadCheckpoints(id: number, token: number): Promise<void> {
    const list = await attempt('Loading checkpoints', () => this.client().listCheckpoints(id));
    if (list && token === this.loadToken) this.checkpoints = list;
  }

  private onProgress(p: TrainProgress): void {
    const prev = this.live;
    this.live = p;
    if (!this.runs.some((r) => r.id === p.runId)) this.runsChanged();
    if (p.runId === this.selectedId) {
      const point = pointFromProgress(p, prev);
      if (point) this.series = appendPoint(this.series, point);
    }
    if (!isActivePhase(p.phase)) {
      reportFailedJob(p, 'Training', 'training');
      void this.refreshRuns();
      // The stored history is complete (live events are throttled): show it.
      if (p.runId === this.selectedId) void this.loadRunDetails(p.runId, this.loadToken);
    }
  }

  usePreset(id: string | undefined): void {
    const preset = this.presets.find((p) => p.id === id);
    if (!preset) return;
    this.presetId = preset.id;
    // Folders are a choice of data, not of recipe: they stay.
    this.form = { ...configToForm(preset.config), folderIds: this.form?.folderIds ?? [] };
    this.startError = null;
  }

  /** Starts the form from a past run's config. */
  useConfig(config: TrainConfig): void {
    this.presetId = null;
    this.form = configToForm(config);
    this.startError = null;
    this.setAdvanced(true);
  }

  setField<K extends keyof TrainForm>(field: K, value: TrainForm[K]): void {
    if (!this.form) return;
    this.form = { ...this.form, [field]: value };
    this.startError = null;
  }

  applyFix(patch: Partial<TrainConfig>): void {
    if (!this.form) return;
    this.form = patchForm(this.form, patch);
    this.startError = null;
  }

  setAdvanced(open: boolean): void {
    this.showAdvanced = open;
    localStorage.setItem(ADVANCED_KEY, open ? '1' : '0');
  }

  async startTraining(): Promise<void> {
    const config = this.parsed?.config;
    if (!config || this.pending) return;
    this.pending = 'start';
    this.startError = null;
    try {
      const run = await this.client().startTraining(config);
      this.select(run.id);
      await this.refreshRuns();
    } catch (err) {
      this.startError = errorText(err, 'Starting training');
      errors.report(err, 'Starting training');
    } finally {
      this.pending = null;
    }
  }

  /** Pause (checkpoint, resumable) or stop; the call returns once the run has ended. */
  async stopRun(how: 'pause' | 'stop'): Promise<void> {
    if (this.pending) return;
    this.pending = how;
    try {
      await attempt(how === 'pause' ? 'Pausing training' : 'Stopping training', () =>
        how === 'pause' ? this.client().pauseTraining() : this.client().cancelTraining(),
      );
    } finally {
      this.pending = null;
    }
    await this.refreshRuns();
    if (this.selectedId !== null) await this.loadRunDetails(this.selectedId, this.loadToken);
  }

  async resume(id: number): Promise<void> {
    if (this.pending) return;
    this.pending = 'resume';
    try {
      const run = await attempt('Resuming training', () => this.client().resumeTraining(id));
      if (!run) return;
      // The run's last event says 'paused'; keep one that already came from the new worker.
      if (this.live?.runId === id && !isActivePhase(this.live.phase)) this.live = null;
      // Steps after the checkpoint are redone and their stored points are gone: reload.
      this.selectedId = null;
      this.select(id);
    } finally {
      this.pending = null;
    }
    await this.refreshRuns();
  }

  async deleteRun(id: number): Promise<void> {
    if (this.pending) return;
    this.pending = 'delete';
    try {
      await attempt('Deleting a run', () => this.client().deleteRun(id));
    } finally {
      this.pending = null;
    }
    if (this.selectedId === id) this.select(null);
    await this.refreshRuns();
  }
}

export const createTrainStore = (client: ClientSource): TrainStore => new TrainStore(client);

export const train = createTrainStore(api);
