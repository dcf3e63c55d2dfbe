// Embedding sets (one per encoder: a run's checkpoint) and their vectors, float32 blobs. The
// embedding worker writes vectors through its own connection; the host reads them here.
import type { EmbeddingSet, EmbeddingStatus, JobOwner } from '../../api/contract';
import type { Db } from './connection';
import { JobRows, jobView, ownerValues, type OwnerColumns, type OwnerIdentity } from './job-owner';

interface SetRow extends OwnerColumns {
  id: number;
  run_id: number;
  checkpoint_step: number;
  name: string;
  status: EmbeddingStatus;
  engine: string;
  feature_dim: number;
  out_dim: number;
  input_size: number;
  created_at: string;
  updated_at: string;
  error: string | null;
  count: number;
  stale: number;
}

export interface NewSet {
  runId: number;
  checkpointStep: number;
  name: string;
  featureDim: number;
  outDim: number;
  inputSize: number;
}

/** An image that needs a vector in a set: none yet, or one computed from other content. */
export interface EmbedTarget {
  id: number;
  path: string;
  hash: string;
}

/** The image behind a current vector: what searches filter on. */
export interface VectorFactsRow {
  id: number;
  folder_id: number;
  excluded: number;
  hash: string;
}

/** Present, not excluded images and whether each has a current vector in the set. */
const CURRENT = `e.hash = i.hash`;
const SET_SELECT = `
  SELECT s.*,
    (SELECT COUNT(*) FROM embeddings e JOIN images i ON i.id = e.image_id WHERE e.set_id = s.id AND i.missing = 0 AND ${CURRENT}) AS count,
    (SELECT COUNT(*) FROM images i WHERE i.missing = 0 AND i.excluded = 0 AND NOT EXISTS
      (SELECT 1 FROM embeddings e WHERE e.set_id = s.id AND e.image_id = i.id AND ${CURRENT})) AS stale
  FROM embedding_sets s`;

function toEmbeddingSet(r: SetRow, me: OwnerIdentity | undefined, gone: ReadonlySet<number>): EmbeddingSet {
  const { status, owner } = jobView(r, me, gone);
  return {
    id: r.id,
    runId: r.run_id,
    name: r.name,
    checkpointStep: r.checkpoint_step,
    status,
    engine: r.engine,
    featureDim: r.feature_dim,
    outDim: r.out_dim,
    inputSize: r.input_size,
    count: r.count,
    stale: r.stale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    error: r.error,
    ...(owner ? { owner } : {}),
  };
}

/** The vectors of a set, as matrices with the image id of each row. */
export interface SetVectors {
  ids: Int32Array;
  /** n x featureDim */
  features: Float32Array;
  /** n x outDim */
  embedding: Float32Array;
}

const NONE: ReadonlySet<number> = new Set();

export class EmbeddingsStore {
  private readonly s;
  private readonly jobs: JobRows<number> | null;

  /** `me`: the process that runs embedding passes (the embedding worker, which only writes vectors, has none). */
  constructor(
    private readonly db: Db,
    private readonly me?: OwnerIdentity,
  ) {
    this.jobs = me ? new JobRows(db, 'embedding_sets', me) : null;
    this.s = {
      list: db.prepare<[], SetRow>(`${SET_SELECT} ORDER BY s.id DESC`),
      get: db.prepare<[number], SetRow>(`${SET_SELECT} WHERE s.id = ?`),
      byEncoder: db.prepare<[number, number], SetRow>(`${SET_SELECT} WHERE s.run_id = ? AND s.checkpoint_step = ?`),
      insert: db.prepare(
        `INSERT INTO embedding_sets (run_id, checkpoint_step, name, status, engine, feature_dim, out_dim, input_size, created_at, updated_at)
         VALUES (@runId, @checkpointStep, @name, 'partial', '', @featureDim, @outDim, @inputSize, @at, @at)`,
      ),
      // Takes a set for this process unless another one computes it.
      claim: db.prepare<[string, ...ReturnType<typeof ownerValues>, number]>(
        `UPDATE embedding_sets SET status = 'running', error = NULL, updated_at = ?,
           owner_id = ?, owner_pid = ?, owner_start = ?, owner_host = ?, owner_kind = ?, heartbeat_at = ?
         WHERE id = ? AND status != 'running'`,
      ),
      setStatus: db.prepare<[EmbeddingStatus, string | null, string, number]>(
        'UPDATE embedding_sets SET status = ?, error = ?, updated_at = ? WHERE id = ?',
      ),
      setEngine: db.prepare<[string, number]>('UPDATE embedding_sets SET engine = ? WHERE id = ?'),
      delete: db.prepare<[number]>('DELETE FROM embedding_sets WHERE id = ?'),
      targets: db.prepare<[number], EmbedTarget>(
        `SELECT i.id, i.path, i.hash FROM images i WHERE i.missing = 0 AND i.excluded = 0 AND NOT EXISTS
           (SELECT 1 FROM embeddings e WHERE e.set_id = ? AND e.image_id = i.id AND e.hash = i.hash) ORDER BY i.id`,
      ),
      upsert: db.prepare<[number, number, string, Buffer, Buffer]>(
        `INSERT INTO embeddings (set_id, image_id, hash, features, embedding) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (set_id, image_id) DO UPDATE SET hash = excluded.hash, features = excluded.features, embedding = excluded.embedding`,
      ),
      vectors: db.prepare<[number], { image_id: number; features: Buffer; embedding: Buffer }>(
        // Current vectors of present images; missing ones keep their rows until purged but are not searched.
        `SELECT e.image_id, e.features, e.embedding FROM embeddings e JOIN images i ON i.id = e.image_id
         WHERE e.set_id = ? AND i.missing = 0 AND e.hash = i.hash ORDER BY e.image_id`,
      ),
      vectorOf: db.prepare<[number, number], { features: Buffer; embedding: Buffer }>(
        `SELECT e.features, e.embedding FROM embeddings e JOIN images i ON i.id = e.image_id
         WHERE e.set_id = ? AND e.image_id = ? AND e.hash = i.hash`,
      ),
      vectorFacts: db.prepare<[number], VectorFactsRow>(
        `SELECT i.id, i.folder_id, i.excluded, i.hash FROM embeddings e JOIN images i ON i.id = e.image_id
         WHERE e.set_id = ? AND i.missing = 0 AND e.hash = i.hash ORDER BY e.image_id`,
      ),
    };
  }

  /** Sets as they stand: one whose owner is gone reads (and, where it can write, becomes) interrupted. */
  list(): EmbeddingSet[] {
    const gone = this.reconcile();
    return this.s.list.all().map((r) => toEmbeddingSet(r, this.me, gone));
  }

  get(id: number): EmbeddingSet | undefined {
    const gone = this.reconcile();
    const r = this.s.get.get(id);
    return r && toEmbeddingSet(r, this.me, gone);
  }

  forEncoder(runId: number, checkpointStep: number): EmbeddingSet | undefined {
    const gone = this.reconcile();
    const r = this.s.byEncoder.get(runId, checkpointStep);
    return r && toEmbeddingSet(r, this.me, gone);
  }

  /** A new set, not yet computed ('partial' until a pass claims it). */
  create(set: NewSet): number {
    return Number(this.s.insert.run({ ...set, at: new Date().toISOString() }).lastInsertRowid);
  }

  /** Makes the set this process's running pass; false when another process computes it. */
  claim(id: number): boolean {
    if (!this.me) throw new Error('embeddings: expected a store that knows its process, got one without');
    const me = this.me;
    return this.db
      .transaction(() => {
        this.reconcile();
        return this.s.claim.run(new Date().toISOString(), ...ownerValues(me), id).changes > 0;
      })
      .immediate();
  }

  /** Sets that other live processes compute now. */
  foreignJobs(): { id: number; owner: JobOwner }[] {
    return this.jobs?.foreign() ?? [];
  }

  heartbeat(id: number): boolean {
    return this.jobs?.heartbeat(id) ?? false;
  }

  setStatus(id: number, status: EmbeddingStatus, error: string | null = null): void {
    this.s.setStatus.run(status, error, new Date().toISOString(), id);
  }

  setEngine(id: number, engine: string): void {
    this.s.setEngine.run(engine, id);
  }

  /** Sets left 'running' by a process that is gone become interrupted; returns their ids. */
  reconcile(): ReadonlySet<number> {
    return this.jobs?.reconcile() ?? NONE;
  }

  delete(id: number): void {
    this.s.delete.run(id);
  }

  targets(setId: number): EmbedTarget[] {
    return this.s.targets.all(setId);
  }

  /** Writes one batch of vectors in one transaction. */
  write(setId: number, rows: readonly { imageId: number; hash: string; features: Float32Array; embedding: Float32Array }[]): void {
    this.db
      .transaction(() => {
        for (const r of rows) this.s.upsert.run(setId, r.imageId, r.hash, f32Blob(r.features), f32Blob(r.embedding));
      })
      .immediate();
  }

  vectors(setId: number, featureDim: number, outDim: number): SetVectors {
    const rows = this.s.vectors.all(setId);
    const ids = new Int32Array(rows.length);
    const features = new Float32Array(rows.length * featureDim);
    const embedding = new Float32Array(rows.length * outDim);
    rows.forEach((r, i) => {
      ids[i] = r.image_id;
      features.set(blobF32(r.features, featureDim), i * featureDim);
      embedding.set(blobF32(r.embedding, outDim), i * outDim);
    });
    return { ids, features, embedding };
  }

  /** What searches filter on, for each row of vectors(setId), in the same order. */
  vectorFacts(setId: number): VectorFactsRow[] {
    return this.s.vectorFacts.all(setId);
  }

  vectorOf(setId: number, imageId: number, featureDim: number, outDim: number): { features: Float32Array; embedding: Float32Array } | null {
    const r = this.s.vectorOf.get(setId, imageId);
    return r ? { features: blobF32(r.features, featureDim), embedding: blobF32(r.embedding, outDim) } : null;
  }
}

/** float32 little-endian bytes (all supported platforms are little-endian). */
function f32Blob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function blobF32(b: Buffer, dim: number): Float32Array {
  if (b.byteLength !== dim * 4) throw new Error(`embeddings: expected a ${dim}-d float32 vector, got ${b.byteLength} bytes`);
  // Copy: a Buffer from SQLite may not be 4-byte aligned.
  const out = new Float32Array(dim);
  new Uint8Array(out.buffer).set(b);
  return out;
}
