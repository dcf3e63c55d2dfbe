// Wording and number formats of the Train view: phases, metrics, the engine, configs.
import type { BackendName, EngineStatus, RunStatus, TrainConfig, TrainPhase, TrainProgress } from '$contract';
import { jobTone, wording, type Tone } from './status-text';
import { CHOICES, NUMBER_FIELDS } from './train-form';

export const phaseLabel = wording<TrainPhase>({
  preparing: 'Preparing',
  caching: 'Caching images',
  training: 'Training',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Stopped',
  failed: 'Failed',
});

export const runStatusLabel = wording<RunStatus>({
  running: 'Running',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Stopped',
  failed: 'Failed',
  interrupted: 'Interrupted',
  imported: 'Imported',
});

/** Badge tone of a run status (a class in global.css, or none). */
export const statusTone: (status: RunStatus | TrainPhase) => Tone = jobTone;

const DASH = '—';

function known(x: number | null | undefined): x is number {
  return x != null && Number.isFinite(x);
}

/** InfoNCE loss with three decimals: "4.159". */
export function formatLoss(x: number | null | undefined): string {
  return known(x) ? x.toFixed(3) : DASH;
}

/** 0.87 -> "87.0%". */
export function formatPercent(x: number | null | undefined, digits = 1): string {
  return known(x) ? `${(100 * x).toFixed(digits)}%` : DASH;
}

/** Learning rates as people write them: "0.03", "0.0075", "1.9e-4", "0". */
export function formatLr(x: number | null | undefined): string {
  if (!known(x)) return DASH;
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e-3) return String(Number(x.toPrecision(4)));
  const [mant, exp] = x.toExponential(2).split('e');
  return `${String(Number(mant))}e${Number(exp)}`;
}

/** "epoch 2/10" with the epoch counted from 1, as people say it. */
export function epochText(epoch: number, epochs: number): string {
  return `${Math.min(epoch + 1, epochs)}/${epochs}`;
}

export function stepText(step: number, totalSteps: number): string {
  return totalSteps > 0 ? `${step}/${totalSteps}` : String(step);
}

const BACKENDS: Record<BackendName, string> = {
  'tensorflow-gpu': 'TensorFlow, CUDA GPU',
  webgpu: 'WebGPU',
  tensorflow: 'TensorFlow native, CPU',
  wasm: 'WebAssembly',
  cpu: 'Plain JavaScript (reference only, very slow)',
};

export function backendLabel(name: string): string {
  return BACKENDS[name as BackendName] ?? name;
}

/** "WebAssembly · wasm SIMD, 1 thread". */
export function engineLine(e: EngineStatus): string {
  return `${backendLabel(e.backend)} · ${e.device}`;
}

const ARCH_LABEL = Object.fromEntries(CHOICES.arch.map((c) => [c.value, c.label]));

/** One line for a config: "ResNet-18 small ×0.25 · 32 px · batch 64 · K 4096 · …". */
export function configSummary(c: TrainConfig): string {
  const parts = [
    `${ARCH_LABEL[c.arch] ?? c.arch}${c.stem === 'small' ? ' small' : ''}${c.widthMultiplier !== 1 ? ` ×${c.widthMultiplier}` : ''}`,
    `${c.inputSize} px`,
    `batch ${c.batchSize}`,
    c.minutes ? `${c.minutes} min` : `${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`,
    c.dictionary === 'queue' ? `K ${c.K}` : `${c.dictionary} K ${c.K}`,
    `m ${c.m}`,
    `T ${c.T}`,
    `MoCo ${c.augmentation}${c.mlpHead ? ' + MLP' : ''}${c.symmetric ? ' sym' : ''}`,
    `lr ${formatLr(c.lr)} ${c.schedule === 'cosine' ? 'cosine' : c.lrSteps.length ? `step @${c.lrSteps.join(',')}` : 'constant'}`,
  ];
  return parts.join(' · ');
}

/** Every field of a config as [label, value] rows, for a run's details. */
export function configRows(c: TrainConfig, folderName: (id: number) => string = (id) => `folder ${id}`): [string, string][] {
  const choice = <T extends string>(list: { value: T; label: string }[], v: T) => list.find((o) => o.value === v)?.label ?? v;
  const n = (k: keyof typeof NUMBER_FIELDS) => {
    const spec = NUMBER_FIELDS[k];
    const v = k === 'lr' ? formatLr(c.lr) : String(c[k]);
    return [spec.label, spec.unit && spec.unit !== '×' ? `${v} ${spec.unit}` : v] as [string, string];
  };
  return [
    ['Architecture', choice(CHOICES.arch, c.arch)],
    ['Stem', choice(CHOICES.stem, c.stem)],
    n('widthMultiplier'),
    n('inputSize'),
    n('dim'),
    ['MLP head', c.mlpHead ? 'yes' : 'no'],
    ['Dictionary', choice(CHOICES.dictionary, c.dictionary)],
    n('K'),
    n('m'),
    n('T'),
    ['Symmetric loss', c.symmetric ? 'yes' : 'no'],
    [NUMBER_FIELDS.bnGroups.label, c.bnGroups === 0 ? 'automatic' : String(c.bnGroups)],
    ['Augmentation', choice(CHOICES.augmentation, c.augmentation)],
    n('batchSize'),
    n('epochs'),
    ['Time budget', c.minutes ? `${c.minutes} min (the step count is fitted to it; epochs not used)` : 'none (train for the epochs)'],
    n('lr'),
    ['LR schedule', choice(CHOICES.schedule, c.schedule)],
    ['LR milestones', c.lrSteps.length ? c.lrSteps.join(', ') : 'none'],
    n('sgdMomentum'),
    n('weightDecay'),
    n('seed'),
    [NUMBER_FIELDS.knnEvery.label, c.knnEvery === 0 ? 'never' : `${c.knnEvery} epoch${c.knnEvery === 1 ? '' : 's'}`],
    n('checkpointMinutes'),
    ['Folders', c.folderIds.length ? c.folderIds.map(folderName).join(', ') : 'whole library'],
  ];
}

/**
 * How full the dictionary is: "12 / 64 (19%)" while a queue fills, "full" after; for a memory
 * bank the share of images seen (its fill counts images, not K); end-to-end has none to fill.
 */
export function queueFillText(p: Pick<TrainProgress, 'queueFill'>, c: Pick<TrainConfig, 'K' | 'dictionary'>, images: number): string {
  if (c.dictionary === 'end-to-end') return 'the batch (no queue)';
  if (c.dictionary === 'memory-bank') {
    return p.queueFill < 1
      ? `${Math.round(p.queueFill * images)} / ${images} images seen (${formatPercent(p.queueFill, 0)})`
      : `all ${images} images seen`;
  }
  if (!(p.queueFill < 1)) return `full (${c.K})`;
  return `${Math.round(p.queueFill * c.K)} / ${c.K} (${formatPercent(p.queueFill, 0)})`;
}
