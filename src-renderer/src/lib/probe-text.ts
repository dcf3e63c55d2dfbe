// Wording of the Evaluate view: probe phases and statuses, the live progress line, a probe's
// settings in one line, and the history rows.
import type { ProbeConfig, ProbePhase, ProbeProgress, ProbeRun, ProbeStatus } from '$contract';
import { formatCount } from './format';
import { changedFromProtocol } from './probe-form';
import { labelSourceText } from './probe-labels';
import { findResult, formatAccuracy, MODEL_LABEL } from './probe-results';
import { jobTone, wording, type Tone } from './status-text';

export const probePhaseLabel = wording<ProbePhase>({
  preparing: 'Preparing',
  features: 'Computing features',
  linear: 'Training the linear probe',
  knn: 'kNN classification',
  done: 'Done',
  cancelled: 'Cancelled',
  failed: 'Failed',
});

export const probeStatusLabel = wording<ProbeStatus>({
  running: 'Running',
  done: 'Done',
  cancelled: 'Cancelled',
  failed: 'Failed',
  interrupted: 'Interrupted',
});

export const probeStatusTone: (status: ProbeStatus | ProbePhase) => Tone = jobTone;

export function isProbeActive(p: Pick<ProbeProgress, 'phase'> | null | undefined): boolean {
  return !!p && (p.phase === 'preparing' || p.phase === 'features' || p.phase === 'linear' || p.phase === 'knn');
}

/** "Raw pixels · 120 / 300 images", "Pretrained (MoCo) · epoch 12 / 20 · loss 0.532" */
export function probeProgressLine(p: ProbeProgress): string {
  // Once it ended, the counts of its last stage say nothing about the probe.
  if (!isProbeActive(p)) return '';
  const parts: string[] = [];
  if (p.model) parts.push(MODEL_LABEL[p.model]);
  if (p.total > 0) {
    if (p.phase === 'linear') parts.push(`epoch ${formatCount(p.done)} / ${formatCount(p.total)}`);
    else if (p.phase === 'features') parts.push(`${formatCount(p.done)} / ${formatCount(p.total)} images`);
    // kNN classifies the test split in one go: its count says nothing.
    else if (p.phase !== 'knn') parts.push(`${formatCount(p.done)} / ${formatCount(p.total)}`);
  }
  if (p.loss != null && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toFixed(3)}`);
  return parts.join(' · ');
}

/** Fraction of the current stage, 0..1. */
export function probeFraction(p: ProbeProgress): number {
  if (p.phase === 'done') return 1;
  return p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 0;
}

/** "folder level 0 · 20% test · min 5 · seed 0 · 2 folders" */
export function splitSummary(c: ProbeConfig): string {
  const parts = [labelSourceText(c.labels), `${Math.round(c.testFraction * 100)}% test`, `min ${c.minPerClass}`, `seed ${c.seed}`];
  parts.push(c.folderIds.length ? `${c.folderIds.length} folder${c.folderIds.length === 1 ? '' : 's'}` : 'whole library');
  return parts.join(' · ');
}

/** "linear 100 epochs, lr 30 · kNN k 200, T 0.1 · + random-init, raw pixels" */
export function methodSummary(c: ProbeConfig): string {
  const l = c.linear;
  const base = [c.baselines.randomInit && 'random-init', c.baselines.rawPixels && 'raw pixels'].filter(Boolean);
  const parts = [
    `linear ${l.epochs} epoch${l.epochs === 1 ? '' : 's'}, lr ${l.lr}${l.standardize ? ', standardised' : ''}`,
    `kNN k ${c.knn.k}, T ${c.knn.T}`,
  ];
  parts.push(base.length ? `baselines: ${base.join(', ')}` : 'no baselines');
  const changed = changedFromProtocol(c);
  if (changed.length === 0) parts.push('protocol defaults');
  return parts.join(' · ');
}

export interface HistoryRow {
  id: number;
  title: string;
  status: string;
  tone: ReturnType<typeof probeStatusTone>;
  split: string;
  methods: string;
  /** "3 classes · 36 test images" */
  classes: string;
  /** pretrained linear top-1 (or the first result's), when there are results */
  headline: string | null;
  error: string | null;
}

export function historyRow(p: ProbeRun): HistoryRow {
  const test = p.classes.reduce((s, c) => s + c.test, 0);
  const head = findResult(p.results, { model: 'pretrained', method: 'linear' }) ?? p.results[0] ?? null;
  return {
    id: p.id,
    title: `Probe ${p.id} · run ${p.runId} ${p.runName}`,
    status: probeStatusLabel(p.status),
    tone: probeStatusTone(p.status),
    split: splitSummary(p.config),
    methods: methodSummary(p.config),
    classes: p.classes.length ? `${p.classes.length} classes · ${formatCount(test)} test images` : '',
    headline: head
      ? `${head.model === 'pretrained' && head.method === 'linear' ? 'linear' : `${MODEL_LABEL[head.model]} ${head.method}`} top-1 ${formatAccuracy(head.metrics.top1)}`
      : null,
    error: p.error,
  };
}

/** The probe to show when the user picked none: the running one, else the newest finished one, else the newest. */
export function defaultProbeId(probes: readonly ProbeRun[]): number | null {
  return (probes.find((p) => p.status === 'running') ?? probes.find((p) => p.results.length > 0) ?? probes[0])?.id ?? null;
}
