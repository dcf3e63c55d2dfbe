// Training runs and their metric history. The host writes here; the training worker only
// reports (messages), so one connection owns the rows of a run.
import type { MetricPoint, RunStatus, RunSummary, TrainConfig } from '../../api/contract';
import type { Db } from './connection';

interface RunRow {
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
  private readonly interruptStmt;
  private readonly metricStmt;
  private readonly metricsStmt;
  private readonly trimStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare<[string, string, string, string, string, number, number]>(
      `INSERT INTO runs (name, status, config, backend, created_at, updated_at, total_steps, images)
       VALUES (?, 'running', ?, ?, ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?');
    this.listStmt = db.prepare<[], RunRow>('SELECT * FROM runs ORDER BY id DESC');
    this.deleteStmt = db.prepare<[number]>('DELETE FROM runs WHERE id = ?');
    this.interruptStmt = db.prepare<[string]>(
      `UPDATE runs SET status = 'interrupted', updated_at = ? WHERE status = 'running'`,
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
    const info = this.insertStmt.run(run.name, JSON.stringify(run.config), run.backend, now, now, run.totalSteps, run.images);
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): RunSummary | null {
    const row = this.getStmt.get(id);
    return row ? toSummary(row) : null;
  }

  list(): RunSummary[] {
    return this.listStmt.all().map(toSummary);
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

  /** Runs left 'running' by a process that ended without saying so (closed, killed). */
  markInterrupted(): number {
    return this.interruptStmt.run(new Date().toISOString()).changes;
  }

  addMetrics(runId: number, points: readonly MetricPoint[]): void {
    if (!points.length) return;
    this.db.transaction(() => {
      for (const p of points) {
        this.metricStmt.run(runId, p.step, p.epoch, p.loss, p.lr, p.accuracy, p.imagesPerSec, p.knnAccuracy);
      }
    }).immediate();
  }

  metrics(runId: number): MetricPoint[] {
    return this.metricsStmt.all(runId);
  }

  /** Forgets metrics after a step (a run resumed from a checkpoint at that step redoes them). */
  trimMetricsAfter(runId: number, step: number): void {
    this.trimStmt.run(runId, step);
  }
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
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
  };
}
