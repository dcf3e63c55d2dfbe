// Which encoders can be evaluated and exported: runs with weights to read (finished, paused, or
// imported from a file), described by what matters for that: architecture, width, resolution.
import type { RunSummary, TrainConfig } from '$contract';
import { formatCount } from './format';
import { CHOICES } from './train-form';

const USABLE = new Set<string>(['done', 'paused', 'imported']);

/** A run whose encoder can be probed: it finished, paused with a checkpoint, or was imported. */
export function isProbeable(run: Pick<RunSummary, 'status' | 'step'>): boolean {
  return run.status === 'imported' || (USABLE.has(run.status) && run.step > 0);
}

/** A run with weights to export: any that trained a step, or an imported one. */
export function hasWeights(run: Pick<RunSummary, 'status' | 'step'>): boolean {
  return run.status === 'imported' || run.step > 0;
}

/** Probeable runs, newest first. */
export function probeableRuns(runs: readonly RunSummary[]): RunSummary[] {
  return runs.filter(isProbeable).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id);
}

const ARCH = Object.fromEntries(CHOICES.arch.map((c) => [c.value, c.label]));

/** "ResNet-18 small ×0.125 · 16 px · 128-d" */
export function encoderSummary(c: Pick<TrainConfig, 'arch' | 'stem' | 'widthMultiplier' | 'inputSize' | 'dim' | 'mlpHead'>): string {
  const arch = `${ARCH[c.arch] ?? c.arch}${c.stem === 'small' ? ' small stem' : ''}${c.widthMultiplier !== 1 ? ` ×${c.widthMultiplier}` : ''}`;
  return [arch, `${c.inputSize} px`, `${c.dim}-d${c.mlpHead ? ' MLP' : ''}`].join(' · ');
}

/** "Run 3 · moco-quick · ResNet-18 small stem ×0.125 · 16 px · 128-d · imported" */
export function runChoiceLabel(run: RunSummary): string {
  const parts = [`Run ${run.id} · ${run.name}`, encoderSummary(run.config)];
  if (run.status === 'imported') parts.push('imported');
  else {
    if (run.status === 'paused') parts.push('paused');
    parts.push(`step ${formatCount(run.step)}`);
  }
  return parts.join(' · ');
}

/** The run to preselect: the one asked for when it can be probed, else the newest probeable one. */
export function pickRun(runs: readonly RunSummary[], wanted: number | null): number | null {
  const list = probeableRuns(runs);
  return (list.find((r) => r.id === wanted) ?? list[0])?.id ?? null;
}
