// The training part of the API: one run at a time in a worker, its row and metric history in
// SQLite (written here, from the worker's reports), its checkpoints under <dataDir>/runs/<id>.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  ApiEvents,
  BackendName,
  CheckpointInfo,
  EngineStatus,
  MetricPoint,
  RunStatus,
  RunSummary,
  TrainConfig,
  TrainPreset,
  TrainProgress,
} from '../../../api/contract';
import { ConflictError, NotFoundError } from '../../../api/errors';
import type { Db } from '../../db/connection';
import { ImageSetsStore } from '../../db/image-sets-store';
import { describeOwner, type OwnerIdentity } from '../../db/job-owner';
import { RunsStore } from '../../db/runs-store';
import { initEngine } from '../../engine/backend';
import { engineStatus } from '../../engine/engine-info';
import type { TrainImage } from '../data/training-images';
import { latestCheckpoint, listCheckpoints } from './checkpoint';
import { checkTrainConfig } from './check-config';
import { TRAIN_PRESETS } from '../../../api/train-presets';
import { JobSlot } from '../../jobs/job-slot';
import type { JobEnd } from '../../jobs/worker-job';
import { SHUTDOWN_GRACE_MS, startTrainJob, type TrainJob } from './train-job';
import type { EndStatus, TrainRequest, WorkerMessage } from './train-types';
import { runDirIn } from './trainer';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

/** Statuses a run can be continued from (its newest checkpoint, or step 0 without one). */
const RESUMABLE: readonly RunStatus[] = ['paused', 'interrupted', 'failed', 'cancelled'];

export class TrainingService {
  private readonly runs: RunsStore;
  private readonly slot: JobSlot<TrainJob, TrainProgress, JobEnd<EndStatus>>;

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly emit: Emit,
    me: OwnerIdentity,
    /** the app's engine setting, read at each use */
    private readonly backendSetting: () => BackendName | undefined = () => undefined,
  ) {
    this.runs = new RunsStore(db, me);
    this.slot = new JobSlot(
      { idle: 'no training run in progress', busy: 'a running training run', item: 'run', hint: 'pause or cancel it first' },
      (runId) => this.emit('runs.changed', { runId }),
    );
    // A run still 'running' whose process is gone (closed or killed) is interrupted; one that
    // another live process trains stays running.
    this.runs.markInterrupted();
  }

  async getEngine(): Promise<EngineStatus> {
    return engineStatus(await initEngine({ backend: this.backendSetting() }));
  }

  async listTrainPresets(): Promise<TrainPreset[]> {
    return structuredClone([...TRAIN_PRESETS]);
  }

  /** The progress of the running run, or null. */
  get current(): TrainProgress | null {
    return this.slot.last;
  }

  async startTraining(config: TrainConfig): Promise<RunSummary> {
    this.slot.ensureIdle('startTraining');
    const { images, labels } = this.trainingSet(config.folderIds);
    checkTrainConfig(config, images.length);
    const stepsPerEpoch = Math.floor(images.length / config.batchSize);
    const run = this.runs.create({
      name: `${config.arch}${config.stem === 'small' ? ' small' : ''} ${config.inputSize}px · ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      config,
      backend: 'starting',
      totalSteps: stepsPerEpoch * config.epochs,
      images: images.length,
    });
    this.launch(run.id, config, images, labels, false);
    return this.runs.get(run.id)!;
  }

  async resumeTraining(runId: number): Promise<RunSummary> {
    this.slot.ensureIdle('resumeTraining');
    const run = this.requireRun('resumeTraining', runId);
    const refuse = (r: RunSummary) => {
      if (r.status === 'running') {
        throw new ConflictError(
          `resumeTraining: expected a run no process is training, got run ${runId} running in ${r.owner ? describeOwner(r.owner) : 'this process'}`,
        );
      }
      throw new ConflictError(`resumeTraining: expected a paused, interrupted, failed or cancelled run, got run ${runId} ${r.status}`);
    };
    if (!RESUMABLE.includes(run.status)) refuse(run);
    const { images, labels } = this.trainingSet(run.config.folderIds);
    checkTrainConfig(run.config, images.length);
    // Taken in one write transaction: of two processes resuming one run, one gets it.
    if (!this.runs.claim(runId, RESUMABLE)) refuse(this.requireRun('resumeTraining', runId));
    const ckpt = latestCheckpoint(runDirIn(this.dataDir, runId));
    // Steps after the checkpoint are trained again: their old metric points go.
    this.runs.trimMetricsAfter(runId, ckpt?.state.step ?? 0);
    this.runs.update(runId, { step: ckpt?.state.step ?? 0 });
    this.launch(runId, run.config, images, labels, true);
    return this.runs.get(runId)!;
  }

  async pauseTraining(): Promise<void> {
    await this.slot.stop('pauseTraining', { type: 'pause' });
  }

  async cancelTraining(): Promise<void> {
    await this.slot.stop('cancelTraining', { type: 'cancel' });
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.runs.list();
  }

  async getRunMetrics(runId: number): Promise<MetricPoint[]> {
    this.requireRun('getRunMetrics', runId);
    return this.runs.metrics(runId);
  }

  async listCheckpoints(runId: number): Promise<CheckpointInfo[]> {
    this.requireRun('listCheckpoints', runId);
    return listCheckpoints(runDirIn(this.dataDir, runId), runId);
  }

  async deleteRun(runId: number): Promise<void> {
    const run = this.requireRun('deleteRun', runId);
    if (this.slot.id === runId)
      throw new ConflictError(`deleteRun: expected a run that is not running, got run ${runId} running (pause or cancel it first)`);
    if (run.owner)
      throw new ConflictError(`deleteRun: expected a run that is not running, got run ${runId} running in ${describeOwner(run.owner)}`);
    this.runs.delete(runId);
    await rm(runDirIn(this.dataDir, runId), { recursive: true, force: true });
    this.emit('runs.changed', { runId });
  }

  /** Resolves when the running run (if any) has ended and its row is final. */
  async waitIdle(): Promise<void> {
    await this.slot.waitIdle();
  }

  /** App shutdown: a running run pauses at a checkpoint (resumable on the next start). */
  async close(): Promise<void> {
    await this.slot.close((job) => job.stopWithin({ type: 'pause' }, SHUTDOWN_GRACE_MS));
  }

  private launch(runId: number, config: TrainConfig, images: TrainImage[], labels: [number, string][], resume: boolean): void {
    const req: TrainRequest = {
      runId,
      config,
      images,
      labels,
      cacheDir: join(this.dataDir, 'train-cache'),
      runDir: runDirIn(this.dataDir, runId),
      resume,
      backend: this.backendSetting(),
    };
    this.slot.launch({
      id: runId,
      start: (held) =>
        startTrainJob(req, (m) => {
          if (held.lost) return;
          if (m.type === 'progress' || m.type === 'end') held.last = m.progress;
          this.onMessage(runId, m);
        }),
      heartbeat: () => this.runs.heartbeat(runId),
      onLost: (held) => {
        // Another process judged this one gone and took the run: stop at once, write nothing.
        const error = `training: run ${runId} was taken over by another process; this one stopped`;
        if (held.last) this.emit('train.progress', { ...held.last, phase: 'failed', error });
        void held.job.terminate();
      },
      onEnd: (end, held) => {
        // A worker that died without its final report leaves a failed run; its checkpoints stay.
        if (held.lost || this.runs.get(runId)?.status !== 'running') return;
        this.runs.update(runId, { status: end.status === 'done' ? 'done' : end.status, error: end.error ?? null });
        if (held.last) this.emit('train.progress', { ...held.last, phase: 'failed', error: end.error ?? 'training worker ended' });
      },
    });
  }

  private onMessage(runId: number, m: WorkerMessage): void {
    switch (m.type) {
      case 'started':
        this.runs.update(runId, { backend: `${m.backend} (${m.device})`, totalSteps: m.totalSteps, step: m.step });
        this.emit('runs.changed', { runId });
        return;
      case 'progress':
        if (m.progress.phase === 'training') this.runs.update(runId, { step: m.progress.step, epoch: m.progress.epoch });
        this.emit('train.progress', m.progress);
        return;
      case 'metrics':
        this.runs.addMetrics(runId, m.points);
        return;
      case 'checkpoint':
        this.emit('runs.changed', { runId });
        return;
      case 'end': {
        const p = m.progress;
        this.runs.update(runId, {
          status: m.status,
          step: p.step,
          epoch: p.epoch,
          finalLoss: p.loss,
          finalAccuracy: p.accuracy,
          knnAccuracy: p.knnAccuracy,
          error: m.error ?? null,
        });
        this.emit('train.progress', p);
        return;
      }
    }
  }

  private requireRun(where: string, runId: number): RunSummary {
    const run = this.runs.get(runId);
    if (!run) throw new NotFoundError(`${where}: expected a run id, got ${runId}`);
    return run;
  }

  /** Present images (optionally of some folders) and their folder labels: the directory each sits in. */
  private trainingSet(folderIds: readonly number[]): { images: TrainImage[]; labels: [number, string][] } {
    const sets = new ImageSetsStore(this.db);
    const where = new Map(sets.imagePlaces().map((r) => [r.id, r] as const));
    const unknown = sets.unknownFolders(folderIds);
    if (unknown.length)
      throw new NotFoundError(`startTraining: expected folder ids of the library in folderIds, got ${unknown.join(', ')}`);
    const wanted = folderIds.length ? new Set(folderIds) : null;
    const images = sets.trainingImages().filter((im) => !wanted || wanted.has(where.get(im.id)!.folder_id));
    const labels = images.map((im): [number, string] => {
      const r = where.get(im.id)!;
      return [im.id, `${r.folder_id}:${dirname(r.rel_path.replaceAll('\\', '/'))}`];
    });
    return { images, labels };
  }
}
