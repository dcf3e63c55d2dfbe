// The evaluation part of the API: labels and their split (previewed, then frozen into a probe),
// one probe at a time in a worker, and probes with their per-image predictions in SQLite.
import type {
  ApiEvents,
  ImageSummary,
  LabelPreview,
  LabelSource,
  ProbeCellQuery,
  ProbeConfig,
  ProbeProgress,
  ProbeRun,
} from '../../api/contract';
import { ConflictError, InvalidInputError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import { ImageSetsStore } from '../db/image-sets-store';
import { describeOwner, type OwnerIdentity } from '../db/job-owner';
import { ProbesStore } from '../db/probes-store';
import { RunsStore } from '../db/runs-store';
import { libraryImages, type LibraryImage } from '../library/library-labels';
import { latestCheckpointStep } from '../moco/train/encoder-loader';
import { runDirIn } from '../moco/train/trainer';
import { JobSlot } from '../jobs/job-slot';
import { WorkerJob, type JobEnd } from '../jobs/worker-job';
import { labelledSplit, type LabelledSplit } from './labels';
import type { ProbeEndStatus, ProbeHostMessage, ProbeRequest, ProbeWorkerMessage } from './probe-types';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

const SOURCE = 'probe-worker.ts';

type ProbeJob = WorkerJob<ProbeRequest, ProbeHostMessage, ProbeWorkerMessage, ProbeEndStatus>;

interface SplitRequest {
  folderIds: readonly number[];
  minPerClass: number;
  testFraction: number;
  seed: number;
}

export class ProbeService {
  private readonly probes: ProbesStore;
  private readonly runs: RunsStore;
  private readonly slot: JobSlot<ProbeJob, ProbeProgress, JobEnd<ProbeEndStatus>>;

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly emit: Emit,
    me: OwnerIdentity,
  ) {
    this.probes = new ProbesStore(db, me);
    this.runs = new RunsStore(db, me);
    this.slot = new JobSlot(
      { idle: 'no probe in progress', busy: 'a probe in progress', item: 'probe', hint: 'cancel it first' },
      (probeId) => this.emit('probes.changed', { probeId }),
    );
    // Probes of processes that are gone are interrupted; those of live ones keep running.
    this.probes.markInterrupted();
  }

  async previewLabels(source: LabelSource, opts: SplitRequest): Promise<LabelPreview> {
    const { split, unlabelled } = this.split('previewLabels', source, opts);
    return { classes: classCounts(split), leftOut: split.tooSmall, unlabelled: unlabelled + split.ambiguous.length };
  }

  async startProbe(config: ProbeConfig): Promise<ProbeRun> {
    const where = 'startProbe';
    this.slot.ensureIdle(where);
    const run = this.runs.getIdle(where, config.runId, 'pause it first');
    const runDir = runDirIn(this.dataDir, run.id);
    if (latestCheckpointStep(runDir) === null)
      throw new InvalidInputError(`${where}: expected a run with a checkpoint, got run ${run.id} without one (train it first)`);
    const inputSize = config.inputSize ?? run.config.inputSize;
    if (run.config.stem === 'small' && inputSize > 64)
      throw new InvalidInputError(`${where}: expected an input size <= 64 px for the small stem, got ${inputSize}`);
    const { split, images } = this.split(where, config.labels, config);
    const probeId = this.probes.create(run.id, config);
    this.probes.setSplit(probeId, classCounts(split), split.tooSmall);
    const pick = (rows: Int32Array, labels: Int32Array) => ({
      ids: Array.from(rows, (r) => images[r].id),
      paths: Array.from(rows, (r) => images[r].path),
      labels: Array.from(labels),
    });
    this.launch({
      probeId,
      config,
      runConfig: run.config,
      runDir,
      classes: split.classes,
      train: pick(split.trainRows, split.trainLabels),
      test: pick(split.testRows, split.testLabels),
    });
    return this.probes.get(probeId)!;
  }

  async cancelProbe(): Promise<void> {
    await this.slot.stop('cancelProbe', { type: 'cancel' });
  }

  async listProbes(): Promise<ProbeRun[]> {
    return this.probes.list();
  }

  async deleteProbe(probeId: number): Promise<void> {
    const probe = this.requireProbe('deleteProbe', probeId);
    if (this.slot.id === probeId)
      throw new ConflictError(`deleteProbe: expected a probe not running, got probe ${probeId} running (cancel it first)`);
    if (probe.owner)
      throw new ConflictError(`deleteProbe: expected a probe not running, got probe ${probeId} running in ${describeOwner(probe.owner)}`);
    this.probes.delete(probeId);
    this.emit('probes.changed', { probeId });
  }

  async probeCellImages(q: ProbeCellQuery): Promise<ImageSummary[]> {
    const probe = this.requireProbe('probeCellImages', q.probeId);
    const C = probe.classes.length;
    if (q.trueClass >= C || q.predictedClass >= C) {
      throw new InvalidInputError(`probeCellImages: expected class indices below ${C}, got ${q.trueClass} and ${q.predictedClass}`);
    }
    return this.probes.cellImages(q.probeId, q.model, q.method, q.trueClass, q.predictedClass);
  }

  async waitIdle(): Promise<void> {
    await this.slot.waitIdle();
  }

  async close(): Promise<void> {
    await this.slot.close((job) => job.send({ type: 'cancel' }));
  }

  private split(
    where: string,
    source: LabelSource,
    opts: SplitRequest,
  ): { split: LabelledSplit; images: LibraryImage[]; unlabelled: number } {
    const unknown = new ImageSetsStore(this.db).unknownFolders(opts.folderIds);
    if (unknown.length) throw new NotFoundError(`${where}: expected folder ids of the library, got ${unknown.join(', ')}`);
    const images = libraryImages(this.db, opts.folderIds);
    if (images.length === 0)
      throw new InvalidInputError(`${where}: expected images to evaluate on, got none (add a folder, or include excluded images again)`);
    try {
      const split = labelledSplit(images, source.kind === 'tag' ? { kind: 'tags' } : source, {
        minPerClass: opts.minPerClass,
        testFraction: opts.testFraction,
        seed: opts.seed,
      });
      return { split, images, unlabelled: split.unlabelled };
    } catch (err) {
      // The labelling's own words, told from this call.
      if (err instanceof InvalidInputError)
        throw new InvalidInputError(err.message.replace(/^labelImages:|^stratifiedSplit:/, `${where}:`));
      throw err;
    }
  }

  private launch(req: ProbeRequest): void {
    const { probeId } = req;
    this.slot.launch({
      id: probeId,
      start: (held) =>
        new WorkerJob('probe-worker', new URL(`./${SOURCE}`, import.meta.url), req, (m: ProbeWorkerMessage) => {
          if (m.type === 'progress' || m.type === 'end') {
            held.last = m.progress;
            this.emit('probe.progress', m.progress);
            return;
          }
          const { model, method, imageIds, trueClass, predicted } = m;
          this.probes.addResult(probeId, m.result, { model, method, imageIds, trueClass, predicted });
          this.emit('probes.changed', { probeId });
        }),
      heartbeat: () => this.probes.heartbeat(probeId),
      // Another process judged this one gone: stop, and leave the probe's row to it.
      onLost: (held) => held.job.send({ type: 'cancel' }),
      onEnd: (end, held) => {
        if (!held.lost) this.probes.setStatus(probeId, end.status, end.error ?? null);
        if (end.status === 'failed' && held.last?.phase !== 'failed') {
          const p: ProbeProgress = held.last ?? { probeId, phase: 'failed', model: null, done: 0, total: 0, loss: null, message: null };
          this.emit('probe.progress', { ...p, phase: 'failed', error: end.error ?? 'probe worker ended' });
        }
      },
    });
  }

  private requireProbe(where: string, probeId: number): ProbeRun {
    const probe = this.probes.get(probeId);
    if (!probe) throw new NotFoundError(`${where}: expected a probe id, got ${probeId}`);
    return probe;
  }
}

function classCounts(split: LabelledSplit): { name: string; train: number; test: number }[] {
  return split.classes.map((name, c) => ({ name, train: split.trainCounts[c], test: split.testCounts[c] }));
}
