// Probes (evaluations of an encoder) and their per-image test predictions. The host writes
// here from the probe worker's reports.
import type { ImageSummary, JobOwner, ProbeConfig, ProbeMethod, ProbeModel, ProbeResult, ProbeRun, ProbeStatus } from '../../api/contract';
import type { Db } from './connection';
import { JobRows, jobView, OWNER_COLUMNS, ownerValues, type OwnerColumns, type OwnerIdentity } from './job-owner';
import { toImageSummary, type ImageRow } from './rows';

interface ProbeRow extends OwnerColumns {
  id: number;
  run_id: number;
  run_name: string;
  status: ProbeStatus;
  config: string;
  classes: string;
  left_out: string;
  results: string;
  created_at: string;
  updated_at: string;
  error: string | null;
}

function toProbeRun(r: ProbeRow, me: OwnerIdentity, gone: ReadonlySet<number>): ProbeRun {
  const { status, owner } = jobView(r, me, gone);
  return {
    id: r.id,
    runId: r.run_id,
    runName: r.run_name,
    status,
    config: JSON.parse(r.config) as ProbeConfig,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    classes: JSON.parse(r.classes) as ProbeRun['classes'],
    leftOut: JSON.parse(r.left_out) as ProbeRun['leftOut'],
    results: JSON.parse(r.results) as ProbeResult[],
    error: r.error,
    ...(owner ? { owner } : {}),
  };
}

export interface Predictions {
  model: ProbeModel;
  method: ProbeMethod;
  imageIds: ArrayLike<number>;
  trueClass: ArrayLike<number>;
  predicted: ArrayLike<number>;
}

const SELECT = 'SELECT p.*, r.name AS run_name FROM probes p JOIN runs r ON r.id = p.run_id';

export class ProbesStore {
  private readonly s;
  private readonly jobs: JobRows<number>;

  constructor(
    private readonly db: Db,
    private readonly me: OwnerIdentity,
  ) {
    this.jobs = new JobRows(db, 'probes', me);
    this.s = {
      list: db.prepare<[], ProbeRow>(`${SELECT} ORDER BY p.id DESC`),
      get: db.prepare<[number], ProbeRow>(`${SELECT} WHERE p.id = ?`),
      insert: db.prepare<[number, string, string, string, ...ReturnType<typeof ownerValues>]>(
        `INSERT INTO probes (run_id, status, config, created_at, updated_at, ${OWNER_COLUMNS}) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setSplit: db.prepare<[string, string, string, number]>('UPDATE probes SET classes = ?, left_out = ?, updated_at = ? WHERE id = ?'),
      setResults: db.prepare<[string, string, number]>('UPDATE probes SET results = ?, updated_at = ? WHERE id = ?'),
      setStatus: db.prepare<[ProbeStatus, string | null, string, number]>(
        'UPDATE probes SET status = ?, error = ?, updated_at = ? WHERE id = ?',
      ),
      delete: db.prepare<[number]>('DELETE FROM probes WHERE id = ?'),
      insertPrediction: db.prepare<[number, string, string, number, number, number]>(
        'INSERT OR REPLACE INTO probe_predictions (probe_id, model, method, image_id, true_class, predicted_class) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      cell: db.prepare<[number, string, string, number, number], ImageRow>(
        `SELECT i.* FROM probe_predictions p JOIN images i ON i.id = p.image_id
         WHERE p.probe_id = ? AND p.model = ? AND p.method = ? AND p.true_class = ? AND p.predicted_class = ? ORDER BY i.path`,
      ),
    };
  }

  /** Probes as they stand: one whose owner is gone reads (and, where it can write, becomes) interrupted. */
  list(): ProbeRun[] {
    const gone = this.jobs.reconcile();
    return this.s.list.all().map((r) => toProbeRun(r, this.me, gone));
  }

  get(id: number): ProbeRun | undefined {
    const gone = this.jobs.reconcile();
    const r = this.s.get.get(id);
    return r && toProbeRun(r, this.me, gone);
  }

  /** A new probe, running in this process. */
  create(runId: number, config: ProbeConfig): number {
    const at = new Date().toISOString();
    return Number(this.s.insert.run(runId, JSON.stringify(config), at, at, ...ownerValues(this.me)).lastInsertRowid);
  }

  /** Jobs of this table that other live processes run. */
  foreignJobs(): { id: number; owner: JobOwner }[] {
    return this.jobs.foreign();
  }

  heartbeat(id: number): boolean {
    return this.jobs.heartbeat(id);
  }

  setSplit(id: number, classes: ProbeRun['classes'], leftOut: ProbeRun['leftOut']): void {
    this.s.setSplit.run(JSON.stringify(classes), JSON.stringify(leftOut), new Date().toISOString(), id);
  }

  /** Appends one evaluation's result and its predictions, in one transaction. */
  addResult(id: number, result: ProbeResult, predictions: Predictions): void {
    this.db
      .transaction(() => {
        const probe = this.get(id);
        if (!probe) return;
        this.s.setResults.run(JSON.stringify([...probe.results, result]), new Date().toISOString(), id);
        for (let i = 0; i < predictions.imageIds.length; i++) {
          this.s.insertPrediction.run(
            id,
            predictions.model,
            predictions.method,
            predictions.imageIds[i],
            predictions.trueClass[i],
            predictions.predicted[i],
          );
        }
      })
      .immediate();
  }

  setStatus(id: number, status: ProbeStatus, error: string | null = null): void {
    this.s.setStatus.run(status, error, new Date().toISOString(), id);
  }

  /** Probes left 'running' by a process that is gone become interrupted. */
  markInterrupted(): void {
    this.jobs.reconcile();
  }

  delete(id: number): void {
    this.s.delete.run(id);
  }

  cellImages(id: number, model: ProbeModel, method: ProbeMethod, trueClass: number, predicted: number): ImageSummary[] {
    return this.s.cell.all(id, model, method, trueClass, predicted).map(toImageSummary);
  }
}
