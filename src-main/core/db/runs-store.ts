// Training runs and their metric history. The host writes here; the training worker only
// reports (messages), so one connection owns the rows of a run.
import type { JobOwner, MetricPoint, RunStatus, RunSummary, TrainConfig } from '../../api/contract';
import { ConflictError, NotFoundError } from '../../api/errors';
import type { Db } from './connection';
import { describeOwner, JobRows, jobView, OWNER_COLUMNS, ownerValues, type OwnerColumns, type OwnerIdentity } from './job-owner';

interface RunRow extends OwnerColumns {
  id: number;
  name: string;
  status: RunStatus;
  config: string;
  backend: string;
  created_at: string;
  updated_at: string;
  step: number;
  total_steps: number;
  epoch: number;
  images: number;
  final_loss: number | null;
  final_accuracy: number | null;
  knn_accuracy: number | null;
  error: string | null;
}

export interface NewRun {
  name: string;
  config: TrainConfig;
  backend: string;
  totalSteps: number;
  images: number;
}

export interface RunPatch {
  status?: RunStatus;
  step?: number;
  epoch?: number;
  totalSteps?: number;
  backend?: string;
  finalLoss?: number | null;
  finalAccuracy?: number | null;
  knnAccuracy?: number | null;
  error?: string | null;
}

const PATCH_COLUMNS: Record<keyof RunPatch, string> = {
  status: 'status',
  step: 'step',
  epoch: 'epoch',
  totalSteps: 'total_steps',
  backend: 'backend',
  finalLoss: 'final_loss',
  finalAccuracy: 'final_accuracy',
  knnAccuracy: 'knn_accuracy',
  error: 'error',
};

export class RunsStore {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly claimStmt;
  private readonly jobs: JobRows<number>;
  private readonly metricStmt;
  private readonly metricsStmt;
  private readonly trimStmt;

  constructor(
    private readonly db: Db,
    readonly me: OwnerIdentity,
  ) {
    this.jobs = new JobRows(db, 'runs', me);
    this.insertStmt = db.prepare<[string, string, string, string, string, number, number, ...ReturnType<typeof ownerValues>]>(
      `INSERT INTO runs (name, status, config, backend, created_at, updated_at, total_steps, images, ${OWNER_COLUMNS})
       VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?');
    this.listStmt = db.prepare<[], RunRow>('SELECT * FROM runs ORDER BY id DESC');
    this.deleteStmt = db.prepare<[number]>('DELETE FROM runs WHERE id = ?');
    // Takes a run for this process, only from a status it may be continued from.
    this.claimStmt = db.prepare<[string, ...ReturnType<typeof ownerValues>, number, string]>(
      `UPDATE runs SET status = 'running', error = NULL, updated_at = ?,
         owner_id = ?, owner_pid = ?, owner_start = ?, owner_host = ?, owner_kind = ?, heartbeat_at = ?
       WHERE id = ? AND status IN (SELECT value FROM json_each(?))`,
    );
    this.metricStmt = db.prepare<[number, number, number, number, number, number, number, number | null]>(
      `INSERT OR REPLACE INTO run_metrics (run_id, step, epoch, loss, lr, accuracy, images_per_sec, knn_accuracy)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.metricsStmt = db.prepare<[number], MetricPoint>(
      `SELECT step, epoch, loss, lr, accuracy, images_per_sec AS imagesPerSec, knn_accuracy AS knnAccuracy
       FROM run_metrics WHERE run_id = ? ORDER BY step`,
    );
    this.trimStmt = db.prepare<[number, number]>('DELETE FROM run_metrics WHERE run_id = ? AND step > ?');
  }

  create(run: NewRun): RunSummary {
    const now = new Date().toISOString();
    const info = this.insertStmt.run(
      run.name,
      JSON.stringify(run.config),
      run.backend,
      now,
      now,
      run.totalSteps,
      run.images,
      ...ownerValues(this.me),
    );
    return this.get(Number(info.lastInsertRowid))!;
  }

  /** A run as it stands: one whose owner is gone reads (and, where it can write, becomes) interrupted. */
  get(id: number): RunSummary | null {
    const gone = this.jobs.reconcile();
    const row = this.getStmt.get(id);
    return row ? toSummary(row, this.me, gone) : null;
  }
  /** Run `id` for a job that reads its checkpoints: it must exist and not be training (`pauseHint` says what to do then). */
  getIdle(where: string, id: number, pauseHint: string): RunSummary {
    const run = this.get(id);
    if (!run) throw new NotFoundError(`${where}: expected a run id, got ${id}`);
    if (run.status === 'running') {
      throw new ConflictError(
        `${where}: expected a run that is not training, got run ${id} running${run.owner ? ` in ${describeOwner(run.owner)}` : ''} (${pauseHint})`,
      );
    }
    return run;
  }

  list(): RunSummary[] {
    const gone = this.jobs.reconcile();
    return this.listStmt.all().map((r) => toSummary(r, this.me, gone));
  }

  /** Makes the run this process's running run, if its status is one of `from`; false when another got there first. */
  claim(id: number, from: readonly RunStatus[]): boolean {
    return this.db
      .transaction(() => {
        this.jobs.reconcile();
        return this.claimStmt.run(new Date().toISOString(), ...ownerValues(this.me), id, JSON.stringify(from)).changes > 0;
      })
      .immediate();
  }

  /** Refreshes this process's heartbeat on its running run; false once the run is not its own. */
  /** Jobs of this table that other live processes run. */
  foreignJobs(): { id: number; owner: JobOwner }[] {
    return this.jobs.foreign();
  }

  heartbeat(id: number): boolean {
    return this.jobs.heartbeat(id);
  }

  update(id: number, patch: RunPatch): void {
    const keys = (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined);
    const sets = keys.map((k) => `${PATCH_COLUMNS[k]} = ?`);
    const values = keys.map((k) => patch[k] as string | number | null);
    // Column names come from PATCH_COLUMNS only, never from input.
    this.db.prepare(`UPDATE runs SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ?`).run(...values, new Date().toISOString(), id);
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  /** Runs left 'running' by a process that is gone (closed without saying so, killed). */
  markInterrupted(): number {
    return this.jobs.reconcile().size;
  }

  addMetrics(runId: number, points: readonly MetricPoint[]): void {
    if (!points.length) return;
    this.db
      .transaction(() => {
        for (const p of points) {
          this.metricStmt.run(runId, p.step, p.epoch, p.loss, p.lr, p.accuracy, p.imagesPerSec, p.knnAccuracy);
        }
      })
      .immediate();
  }

  metrics(runId: number): MetricPoint[] {
    return this.metricsStmt.all(runId);
  }

  /** Forgets metrics after a step (a run resumed from a checkpoint at that step redoes them). */
  trimMetricsAfter(runId: number, step: number): void {
    this.trimStmt.run(runId, step);
  }
}

function toSummary(r: RunRow, me: OwnerIdentity, gone: ReadonlySet<number>): RunSummary {
  const { status, owner } = jobView(r, me, gone);
  return {
    id: r.id,
    name: r.name,
    status,
    config: JSON.parse(r.config) as TrainConfig,
    backend: r.backend,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    step: r.step,
    totalSteps: r.total_steps,
    epoch: r.epoch,
    images: r.images,
    final: { loss: r.final_loss, accuracy: r.final_accuracy, knnAccuracy: r.knn_accuracy },
    error: r.error,
    ...(owner ? { owner } : {}),
  };
}
