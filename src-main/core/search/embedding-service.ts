// The embeddings part of the API: one embedding pass at a time in a worker, the sets and their
// vectors in SQLite (written by the worker), and search over them from in-memory matrices that
// are rebuilt when the vectors or the library change.
import type { ApiEvents, EmbeddingSet, EmbedProgress, RunSummary, StartEmbeddingOptions } from '../../api/contract';
import { ConflictError, InvalidInputError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import { EmbeddingsStore } from '../db/embeddings-store';
import { describeOwner, type OwnerIdentity } from '../db/job-owner';
import { JobSlot } from '../jobs/job-slot';
import type { JobEnd } from '../jobs/worker-job';
import { RunsStore } from '../db/runs-store';
import { runDirIn } from '../moco/train/trainer';
import { startEmbedJob, type EmbedJob } from './embed-job';
import type { EmbedEndStatus } from './embed-types';
import { latestCheckpointStep } from '../moco/train/encoder-loader';
import { QueryEncoders } from './query-encoders';
import { VectorCache } from './vector-cache';

type Emit = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

const DEFAULT_BATCH = 64;
/** Statuses a set's vectors can be searched in (a partial set searches what it has). */
const SEARCHABLE = new Set(['done', 'partial', 'cancelled', 'interrupted']);

export class EmbeddingService {
  readonly store: EmbeddingsStore;
  readonly vectors: VectorCache;
  readonly queryEncoders: QueryEncoders;
  private readonly runs: RunsStore;
  private readonly slot: JobSlot<EmbedJob, EmbedProgress, JobEnd<EmbedEndStatus>>;

  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly dataDir: string,
    private readonly emit: Emit,
    me: OwnerIdentity,
  ) {
    this.store = new EmbeddingsStore(db, me);
    this.runs = new RunsStore(db, me);
    this.slot = new JobSlot(
      { idle: 'no embedding pass in progress', busy: 'an embedding pass in progress', item: 'set', hint: 'cancel it first' },
      (setId) => this.emit('embeddings.changed', { setId }),
    );
    // Sets being computed by processes that are gone are interrupted; live ones keep running.
    this.store.reconcile();
    this.vectors = new VectorCache(this.store);
    this.queryEncoders = new QueryEncoders(dataDir);
  }

  get current(): EmbedProgress | null {
    return this.slot.last;
  }

  async listEmbeddings(): Promise<EmbeddingSet[]> {
    return this.store.list();
  }

  async startEmbedding(runId: number, options: StartEmbeddingOptions = {}): Promise<EmbeddingSet> {
    const where = 'startEmbedding';
    this.slot.ensureIdle(where);
    const run = this.runs.getIdle(where, runId, 'pause it to embed with its last checkpoint');
    const step = latestCheckpointStep(runDirIn(this.dataDir, runId));
    if (step === null)
      throw new InvalidInputError(`${where}: expected a run with a checkpoint, got run ${runId} without one (train it first)`);
    const set = this.store.forEncoder(runId, step) ?? this.createSet(run, step);
    const busy = (s: EmbeddingSet) =>
      new ConflictError(
        `${where}: expected a set no process is computing, got set ${s.id} running in ${s.owner ? describeOwner(s.owner) : 'this process'}`,
      );
    if (set.status === 'running') throw busy(set);
    if (set.stale === 0 && set.count > 0) {
      this.store.setStatus(set.id, 'done');
      return this.store.get(set.id)!;
    }
    if (set.stale === 0) throw new InvalidInputError(`${where}: expected images to embed, got an empty library (add a folder first)`);
    // Taken in one write transaction: of two processes embedding with one encoder, one computes.
    if (!this.store.claim(set.id)) throw busy(this.store.get(set.id) ?? set);
    this.launch(set, run, options);
    return this.store.get(set.id)!;
  }

  async cancelEmbedding(): Promise<void> {
    await this.slot.stop('cancelEmbedding', { type: 'cancel' });
  }

  async deleteEmbeddings(setId: number): Promise<void> {
    const set = this.requireSet('deleteEmbeddings', setId);
    if (this.slot.id === setId)
      throw new ConflictError(`deleteEmbeddings: expected a set not being computed, got set ${setId} running (cancel it first)`);
    if (set.owner)
      throw new ConflictError(
        `deleteEmbeddings: expected a set not being computed, got set ${setId} running in ${describeOwner(set.owner)}`,
      );
    this.store.delete(setId);
    this.vectors.forget(setId);
    await this.queryEncoders.forget(setId);
    this.emit('embeddings.changed', { setId });
  }

  /** The set a search uses: the one asked for, else the newest with vectors. */
  searchableSet(where: string, setId?: number): EmbeddingSet {
    if (setId !== undefined) {
      const set = this.requireSet(where, setId);
      if (set.count === 0)
        throw new InvalidInputError(`${where}: expected a set with embeddings, got set ${setId} with none (compute embeddings first)`);
      return set;
    }
    const set = this.store.list().find((s) => s.count > 0 && (SEARCHABLE.has(s.status) || s.id === this.slot.id));
    if (!set)
      throw new InvalidInputError(
        `${where}: expected computed embeddings, got none (train a model, then compute embeddings for the library)`,
      );
    return set;
  }

  requireSet(where: string, setId: number): EmbeddingSet {
    const set = this.store.get(setId);
    if (!set) throw new NotFoundError(`${where}: expected an embedding set id, got ${setId}`);
    return set;
  }

  /** The library changed (scan, purge, removed folder): vectors and image facts are re-read on next use. */
  libraryChanged(): void {
    this.vectors.invalidateAll();
  }

  async waitIdle(): Promise<void> {
    await this.slot.waitIdle();
  }

  async close(): Promise<void> {
    await this.slot.close((job) => job.send({ type: 'cancel' }));
    await this.queryEncoders.closeAll();
  }

  private createSet(run: RunSummary, step: number): EmbeddingSet {
    const c = run.config;
    const expansion = c.arch === 'resnet50' ? 4 : 1;
    let id: number;
    try {
      id = this.store.create({
        runId: run.id,
        checkpointStep: step,
        name: `${run.name} · step ${step}`,
        featureDim: Math.max(1, Math.round(512 * c.widthMultiplier)) * expansion,
        outDim: c.dim,
        inputSize: c.inputSize,
      });
    } catch (err) {
      // Another process made the set for this encoder a moment ago: use that one.
      const made = (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? this.store.forEncoder(run.id, step) : undefined;
      if (!made) throw err;
      return made;
    }
    return this.store.get(id)!;
  }

  private launch(set: EmbeddingSet, run: RunSummary, options: StartEmbeddingOptions): void {
    const setId = set.id;
    const req = {
      setId,
      checkpointStep: set.checkpointStep,
      dbPath: this.dbPath,
      runDir: runDirIn(this.dataDir, run.id),
      config: run.config,
      engine: options.engine ?? 'auto',
      batchSize: options.batchSize ?? DEFAULT_BATCH,
    };
    this.slot.launch({
      id: setId,
      start: (held) =>
        startEmbedJob(req, (m) => {
          switch (m.type) {
            case 'started':
              this.store.setEngine(setId, m.engine);
              this.emit('embeddings.changed', { setId });
              return;
            case 'progress':
            case 'end':
              held.last = m.progress;
              this.emit('embed.progress', m.progress);
              return;
            case 'written':
              this.vectors.forget(setId);
              return;
          }
        }),
      heartbeat: () => this.store.heartbeat(setId),
      // Another process judged this one gone: stop, and leave the set's row to it.
      onLost: (held) => held.job.send({ type: 'cancel' }),
      onEnd: (end, held) => this.ended(setId, end, held.last, held.lost),
    });
  }

  private ended(setId: number, end: JobEnd<EmbedEndStatus>, last: EmbedProgress | null, lost: boolean): void {
    const set = this.store.get(setId);
    const status = end.status === 'done' ? (set && set.stale > 0 ? 'partial' : 'done') : end.status;
    if (!lost) this.store.setStatus(setId, status, end.error ?? null);
    if (end.status === 'failed' && last?.phase !== 'failed') {
      const p: EmbedProgress = last ?? {
        setId,
        phase: 'failed',
        done: 0,
        total: 0,
        imagesPerSec: null,
        etaSeconds: null,
        engine: null,
        message: null,
      };
      this.emit('embed.progress', { ...p, phase: 'failed', error: end.error ?? 'embedding worker ended' });
    }
    this.vectors.forget(setId);
  }
}
