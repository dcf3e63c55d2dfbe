// What the current-run panel shows and allows: facts from the live progress when there is
// some for the run, else from its stored summary; which of Pause / Resume / Stop apply.
import type { RunSummary, TrainPhase, TrainProgress } from '$contract';
import { formatDateTime, formatEta, formatRate } from './format';
import { otherProcessText } from './scan-text';
import {
  epochText,
  formatLoss,
  formatLr,
  formatPercent,
  phaseLabel,
  queueFillText,
  runStatusLabel,
  statusTone,
  stepText,
} from './train-text';

/** Statuses the app can continue a run from (its newest checkpoint). */
const RESUMABLE = new Set<string>(['paused', 'interrupted', 'failed', 'cancelled']);
const ACTIVE = new Set<TrainPhase>(['preparing', 'caching', 'training']);

export function isActivePhase(phase: TrainPhase | null | undefined): boolean {
  return !!phase && ACTIVE.has(phase);
}

export function isResumable(run: Pick<RunSummary, 'status'>): boolean {
  return RESUMABLE.has(run.status);
}

export type PendingAction = 'start' | 'pause' | 'stop' | 'resume' | 'delete';

export interface ActionState {
  pause: boolean;
  stop: boolean;
  resume: boolean;
}

/** Enabled buttons for `run`: pause/stop while it trains, resume once it can and nothing else runs. */
export function runActions(
  run: RunSummary | null,
  live: TrainProgress | null,
  anyRunning: boolean,
  pending: PendingAction | null,
): ActionState {
  if (!run || pending) return { pause: false, stop: false, resume: false };
  const liveHere = live?.runId === run.id ? live : null;
  // A run another process trains is paused or stopped there, not from here.
  const active = run.status === 'running' && !run.owner && (liveHere === null || isActivePhase(liveHere.phase));
  return { pause: active, stop: active, resume: !anyRunning && isResumable(run) };
}

export interface Fact {
  id: string;
  label: string;
  value: string;
}

export interface RunPanel {
  phase: string;
  tone: ReturnType<typeof statusTone>;
  facts: Fact[];
  message: string | null;
  error: string | null;
  /** 0..1 through the run's steps */
  fraction: number;
}

/** The current-run panel's content. */
export function runPanel(run: RunSummary, live: TrainProgress | null): RunPanel {
  const p = live?.runId === run.id ? live : null;
  const fraction = (step: number, total: number) => (total > 0 ? Math.min(1, step / total) : 0);
  if (p) {
    return {
      phase: phaseLabel(p.phase),
      tone: statusTone(p.phase),
      facts: [
        { id: 'epoch', label: 'Epoch', value: epochText(p.epoch, p.epochs) },
        { id: 'step', label: 'Step', value: stepText(p.step, p.totalSteps || run.totalSteps) },
        { id: 'loss', label: 'Loss', value: formatLoss(p.loss) },
        { id: 'lr', label: 'LR', value: formatLr(p.lr) },
        { id: 'accuracy', label: 'Pretext acc.', value: formatPercent(p.accuracy) },
        { id: 'knn', label: 'kNN acc.', value: formatPercent(p.knnAccuracy) },
        { id: 'rate', label: 'Speed', value: formatRate(p.imagesPerSec) },
        { id: 'eta', label: 'ETA', value: isActivePhase(p.phase) ? formatEta(p.etaSeconds).replace(/^ETA /, '') : '—' },
        { id: 'queue', label: run.config.dictionary === 'memory-bank' ? 'Bank' : 'Queue', value: queueFillText(p, run.config, run.images) },
      ],
      message: p.message,
      error: p.phase === 'failed' ? (p.error ?? run.error ?? 'training stopped without saying why') : null,
      fraction: fraction(p.step, p.totalSteps || run.totalSteps),
    };
  }
  const f = run.final;
  return {
    phase: runStatusLabel(run.status),
    tone: statusTone(run.status),
    facts: [
      { id: 'epoch', label: 'Epoch', value: epochText(run.epoch, run.config.epochs) },
      { id: 'step', label: 'Step', value: stepText(run.step, run.totalSteps) },
      { id: 'loss', label: 'Loss', value: formatLoss(f.loss) },
      { id: 'accuracy', label: 'Pretext acc.', value: formatPercent(f.accuracy) },
      { id: 'knn', label: 'kNN acc.', value: formatPercent(f.knnAccuracy) },
      { id: 'images', label: 'Images', value: String(run.images) },
      { id: 'backend', label: 'Backend', value: run.backend },
      { id: 'updated', label: 'Updated', value: formatDateTime(run.updatedAt) },
    ],
    message: run.owner ? `Running in ${otherProcessText(run.owner)}: pause or stop it there.` : null,
    error: run.error,
    fraction: fraction(run.step, run.totalSteps),
  };
}

/** The run to show when the user has not picked one: the running one, else the newest. */
export function defaultRunId(runs: readonly RunSummary[]): number | null {
  return (runs.find((r) => r.status === 'running') ?? runs[0])?.id ?? null;
}

/** The Train tab's note while a run trains: "37%", or the phase before the first step. */
export function tabProgress(run: RunSummary, live: TrainProgress | null): string {
  const p = live?.runId === run.id ? live : null;
  if (p && p.phase !== 'training') return phaseLabel(p.phase).toLowerCase();
  const step = p?.step ?? run.step;
  const total = p?.totalSteps || run.totalSteps;
  return total > 0 ? `${Math.floor((100 * step) / total)}%` : 'starting';
}

export interface RunNumbers {
  step: number;
  totalSteps: number;
  loss: number | null;
  accuracy: number | null;
  knnAccuracy: number | null;
}

/** A run's latest numbers: the live ones while it trains, else those stored with it. */
export function runNumbers(run: RunSummary, live: TrainProgress | null): RunNumbers {
  const p = live?.runId === run.id && run.status === 'running' && live.phase === 'training' ? live : null;
  if (p)
    return { step: p.step, totalSteps: p.totalSteps || run.totalSteps, loss: p.loss, accuracy: p.accuracy, knnAccuracy: p.knnAccuracy };
  return { step: run.step, totalSteps: run.totalSteps, ...run.final };
}
