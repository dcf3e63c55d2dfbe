// The Train view's form: every TrainConfig field as text the user edits, turned back into a
// config with readable messages, plus hints that mirror the trainer's own rules. Hints never
// block a start: the app checks the config again and its answer is what counts.
import type { Arch, AugmentationRecipe, Dictionary, LrSchedule, Stem, TrainConfig } from '../../../src-main/api/contract';

export type NumberField =
  | 'widthMultiplier'
  | 'inputSize'
  | 'batchSize'
  | 'epochs'
  | 'K'
  | 'm'
  | 'T'
  | 'dim'
  | 'lr'
  | 'sgdMomentum'
  | 'weightDecay'
  | 'bnGroups'
  | 'seed'
  | 'knnEvery'
  | 'checkpointMinutes';

export interface NumberSpec {
  label: string;
  integer: boolean;
  /** the app's sanity bounds (src-main/api/validate.ts) */
  min: number;
  max: number;
  unit?: string;
  help: string;
}

// Bounds are those the app refuses outside of; the rules between fields are in configHints.
export const NUMBER_FIELDS: Record<NumberField, NumberSpec> = {
  widthMultiplier: {
    label: 'Width multiplier',
    integer: false,
    min: 0.0625,
    max: 4,
    unit: '×',
    help: '1 = torchvision widths; below 1 for CPU runs',
  },
  inputSize: { label: 'Input size', integer: true, min: 16, max: 1024, unit: 'px', help: 'side of the square training crops' },
  dim: { label: 'Output dim', integer: true, min: 2, max: 4096, help: 'embedding size (paper: 128), L2-normalised' },
  K: { label: 'K (queue size)', integer: true, min: 1, max: 1 << 20, help: 'negative keys; a multiple of the batch size' },
  m: { label: 'm (key momentum)', integer: false, min: 0, max: 1, help: 'θk ← m·θk + (1−m)·θq (paper: 0.999)' },
  T: { label: 'T (temperature)', integer: false, min: 1e-4, max: 10, help: 'softmax temperature (v1 0.07, v2 0.2)' },
  bnGroups: { label: 'BN groups', integer: true, min: 0, max: 1024, help: 'split-BN groups for shuffling BN; 0 = automatic' },
  batchSize: { label: 'Batch size', integer: true, min: 2, max: 8192, help: 'images per step' },
  epochs: { label: 'Epochs', integer: true, min: 1, max: 10_000, help: 'passes over the training images' },
  lr: { label: 'Learning rate', integer: false, min: 1e-8, max: 100, help: 'initial SGD lr (paper: 0.03 × batch/256)' },
  sgdMomentum: { label: 'SGD momentum', integer: false, min: 0, max: 0.9999, help: 'paper: 0.9' },
  weightDecay: { label: 'Weight decay', integer: false, min: 0, max: 1, help: 'paper: 1e-4' },
  seed: { label: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1, help: 'initialisation, augmentation and batch order' },
  knnEvery: { label: 'kNN monitor every', integer: true, min: 0, max: 10_000, unit: 'epochs', help: 'needs folder labels; 0 = never' },
  checkpointMinutes: {
    label: 'Checkpoint every',
    integer: false,
    min: 0.1,
    max: 1440,
    unit: 'min',
    help: 'one is always written at the end and on pause',
  },
};

export interface Choice<T extends string> {
  value: T;
  label: string;
}

export const CHOICES = {
  arch: [
    { value: 'resnet18', label: 'ResNet-18' },
    { value: 'resnet34', label: 'ResNet-34' },
    { value: 'resnet50', label: 'ResNet-50' },
  ] as Choice<Arch>[],
  stem: [
    { value: 'imagenet', label: 'ImageNet (7×7 stride 2 + max-pool)' },
    { value: 'small', label: 'Small (3×3 stride 1, up to 64 px)' },
  ] as Choice<Stem>[],
  augmentation: [
    { value: 'v1', label: 'v1: crop, jitter 0.4, grayscale, flip' },
    { value: 'v2', label: 'v2: v1 + blur, jitter p 0.8' },
  ] as Choice<AugmentationRecipe>[],
  dictionary: [
    { value: 'queue', label: 'Queue (MoCo)' },
    { value: 'end-to-end', label: 'End-to-end (keys of the batch)' },
    { value: 'memory-bank', label: 'Memory bank' },
  ] as Choice<Dictionary>[],
  schedule: [
    { value: 'step', label: 'Step (×0.1 at milestones)' },
    { value: 'cosine', label: 'Cosine' },
  ] as Choice<LrSchedule>[],
};

export type TrainForm = Record<NumberField, string> & {
  arch: Arch;
  stem: Stem;
  augmentation: AugmentationRecipe;
  dictionary: Dictionary;
  schedule: LrSchedule;
  mlpHead: boolean;
  symmetric: boolean;
  /** milestones as typed, e.g. "120, 160" */
  lrSteps: string;
  folderIds: number[];
  /** time budget in minutes as typed; empty = train for the epochs */
  minutes: string;
};

export type FormField = keyof TrainForm;

export const MAX_LR_STEPS = 16;

/** Every TrainConfig field, in the order the form shows them. */
export const CONFIG_FIELDS = [
  'arch',
  'stem',
  'widthMultiplier',
  'inputSize',
  'dim',
  'mlpHead',
  'dictionary',
  'K',
  'm',
  'T',
  'symmetric',
  'bnGroups',
  'augmentation',
  'batchSize',
  'epochs',
  'lr',
  'schedule',
  'lrSteps',
  'sgdMomentum',
  'weightDecay',
  'seed',
  'knnEvery',
  'checkpointMinutes',
  'folderIds',
  'minutes',
] as const satisfies readonly (keyof TrainConfig)[];

// Compile-time proof that CONFIG_FIELDS names every field of TrainConfig.
type Unlisted = Exclude<keyof TrainConfig, (typeof CONFIG_FIELDS)[number]>;
const _allFields: Unlisted extends never ? true : Unlisted = true;
void _allFields;

export function configToForm(c: TrainConfig): TrainForm {
  const num = Object.fromEntries((Object.keys(NUMBER_FIELDS) as NumberField[]).map((k) => [k, String(c[k])])) as Record<
    NumberField,
    string
  >;
  return {
    ...num,
    arch: c.arch,
    stem: c.stem,
    augmentation: c.augmentation,
    dictionary: c.dictionary,
    schedule: c.schedule,
    mlpHead: c.mlpHead,
    symmetric: c.symmetric,
    lrSteps: c.lrSteps.join(', '),
    folderIds: [...c.folderIds],
    minutes: c.minutes ? String(c.minutes) : '',
  };
}

/** The bounds of a time budget (src-main/api/validate.ts). */
export const MINUTES_RANGE = { min: 0.05, max: 100_000 } as const;

/** "30" -> 30 minutes; empty text is no budget (train for the epochs). */
export function parseMinutes(raw: string): { value: number | null } | { error: string } {
  const text = raw.trim();
  if (text === '') return { value: null };
  const v = Number(text);
  if (!Number.isFinite(v) || v < MINUTES_RANGE.min || v > MINUTES_RANGE.max) {
    return {
      error: `Train for: expected minutes from ${MINUTES_RANGE.min} to ${MINUTES_RANGE.max}, or nothing to train for the epochs, got ${JSON.stringify(text)}`,
    };
  }
  return { value: v };
}

function expectation(spec: NumberSpec): string {
  return `${spec.integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`;
}

/** The number typed for `field`, or a message saying what was expected. */
export function parseNumberField(field: NumberField, raw: string): { value: number } | { error: string } {
  const spec = NUMBER_FIELDS[field];
  const text = raw.trim();
  const v = Number(text);
  const got = text === '' ? 'nothing' : JSON.stringify(text);
  if (text === '' || !Number.isFinite(v)) return { error: `${spec.label}: expected ${expectation(spec)}, got ${got}` };
  if (spec.integer && !Number.isInteger(v)) return { error: `${spec.label}: expected ${expectation(spec)}, got ${text}` };
  if (v < spec.min || v > spec.max) return { error: `${spec.label}: expected ${expectation(spec)}, got ${text}` };
  return { value: v };
}

/** "120, 160" (commas or spaces) -> [120, 160]; empty text is no milestones. */
export function parseLrSteps(raw: string): { value: number[] } | { error: string } {
  const parts = raw.split(/[\s,;]+/).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 1 || v > 10_000) {
      return { error: `LR milestones: expected epochs as integers from 1 to 10000, separated by commas, got ${JSON.stringify(p)}` };
    }
    out.push(v);
  }
  if (out.length > MAX_LR_STEPS) return { error: `LR milestones: expected at most ${MAX_LR_STEPS}, got ${out.length}` };
  return { value: out };
}

export interface FormResult {
  /** null while some field does not parse */
  config: TrainConfig | null;
  errors: Partial<Record<FormField, string>>;
}

export function formToConfig(form: TrainForm): FormResult {
  const errors: Partial<Record<FormField, string>> = {};
  const nums = {} as Record<NumberField, number>;
  for (const field of Object.keys(NUMBER_FIELDS) as NumberField[]) {
    const r = parseNumberField(field, form[field]);
    if ('error' in r) errors[field] = r.error;
    else nums[field] = r.value;
  }
  const steps = parseLrSteps(form.lrSteps);
  if ('error' in steps) errors.lrSteps = steps.error;
  const minutes = parseMinutes(form.minutes ?? '');
  if ('error' in minutes) errors.minutes = minutes.error;
  if (Object.keys(errors).length || 'error' in steps || 'error' in minutes) return { config: null, errors };
  return {
    config: {
      arch: form.arch,
      stem: form.stem,
      widthMultiplier: nums.widthMultiplier,
      inputSize: nums.inputSize,
      batchSize: nums.batchSize,
      epochs: nums.epochs,
      K: nums.K,
      m: nums.m,
      T: nums.T,
      dim: nums.dim,
      mlpHead: form.mlpHead,
      augmentation: form.augmentation,
      symmetric: form.symmetric,
      dictionary: form.dictionary,
      lr: nums.lr,
      schedule: form.schedule,
      lrSteps: steps.value,
      sgdMomentum: nums.sgdMomentum,
      weightDecay: nums.weightDecay,
      bnGroups: nums.bnGroups,
      seed: nums.seed,
      knnEvery: nums.knnEvery,
      checkpointMinutes: nums.checkpointMinutes,
      folderIds: [...form.folderIds].sort((a, b) => a - b),
      ...(minutes.value !== null ? { minutes: minutes.value } : {}),
    },
    errors,
  };
}

/** The paper's linear scaling rule: lr 0.03 at batch 256. */
export function scaledLr(batchSize: number): number {
  return (0.03 * batchSize) / 256;
}

/** Milestones of a run of `from` epochs moved to one of `to` epochs (as the CLI does). */
export function scaleLrSteps(steps: readonly number[], from: number, to: number): number[] {
  return steps.map((s) => Math.max(1, Math.round((s / from) * to))).filter((s, i, a) => s < to && a.indexOf(s) === i);
}

/** The form with some config fields replaced (a hint's fix, or a preset). */
export function patchForm(form: TrainForm, patch: Partial<TrainConfig>): TrainForm {
  const next = { ...form };
  for (const [key, value] of Object.entries(patch) as [keyof TrainConfig, TrainConfig[keyof TrainConfig]][]) {
    if (key in NUMBER_FIELDS) next[key as NumberField] = String(value);
    else if (key === 'lrSteps') next.lrSteps = (value as number[]).join(', ');
    else if (key === 'folderIds') next.folderIds = [...(value as number[])];
    else if (key === 'minutes') next.minutes = value ? String(value) : '';
    else (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

/** Config fields (folders aside) whose value differs from `base`. */
export function changedFields(config: TrainConfig, base: TrainConfig): (keyof TrainConfig)[] {
  return CONFIG_FIELDS.filter((k) => k !== 'folderIds' && JSON.stringify(config[k] ?? null) !== JSON.stringify(base[k] ?? null));
}

export interface Hint {
  field: keyof TrainConfig;
  /** error: the app will refuse it; warning: it runs, but probably not as meant; info: a suggestion */
  level: 'error' | 'warning' | 'info';
  message: string;
  fix?: { label: string; patch: Partial<TrainConfig> };
}

export interface HintContext {
  /** images the run would train on, when known */
  images?: number | null;
  /** the preset the form started from */
  preset?: TrainConfig | null;
}

/** A short number for a hint: 0.001875 -> "0.001875", 7.5e-5 -> "0.000075". */
function short(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function nextMultiple(k: number, n: number): number {
  return Math.max(n, Math.ceil(k / n) * n);
}

/** What the trainer will refuse, and what it will run but probably not as meant. */
export function configHints(c: TrainConfig, ctx: HintContext = {}): Hint[] {
  const hints: Hint[] = [];
  const N = c.batchSize;
  if (ctx.images != null && ctx.images < N) {
    hints.push({ field: 'batchSize', level: 'error', message: `The training set has ${ctx.images} images, fewer than one batch of ${N}.` });
  }
  hints.push(...dictionaryHints(c, ctx));
  if (c.bnGroups > 0 && (N % c.bnGroups !== 0 || N / c.bnGroups < 2)) {
    hints.push({
      field: 'bnGroups',
      level: 'error',
      message: `${c.bnGroups} BN groups do not split a batch of ${N} into equal groups of 2 or more images.`,
      fix: { label: 'Automatic', patch: { bnGroups: 0 } },
    });
  }
  if (c.stem === 'small' && c.inputSize > 64) {
    hints.push({
      field: 'stem',
      level: 'error',
      message: `The small stem takes inputs up to 64 px, got ${c.inputSize} px.`,
      fix: { label: 'Use the ImageNet stem', patch: { stem: 'imagenet' } },
    });
  } else if (c.stem === 'imagenet' && c.inputSize < 96) {
    hints.push({
      field: 'stem',
      level: 'warning',
      message: `The ImageNet stem downsamples 32×: at ${c.inputSize} px the last stage is ${Math.max(1, Math.ceil(c.inputSize / 32))}×${Math.max(1, Math.ceil(c.inputSize / 32))}.`,
      fix: { label: 'Use the small stem', patch: { stem: 'small' } },
    });
  }
  const increasing = c.lrSteps.every((s, i) => i === 0 || s > c.lrSteps[i - 1]);
  if (!increasing) {
    const sorted = [...new Set(c.lrSteps)].sort((a, b) => a - b);
    hints.push({
      field: 'lrSteps',
      level: 'error',
      message: 'LR milestones must increase.',
      fix: { label: `Use ${sorted.join(', ')}`, patch: { lrSteps: sorted } },
    });
  } else if (c.schedule === 'step' && c.lrSteps.some((s) => s >= c.epochs)) {
    const p = ctx.preset;
    const scaled =
      p && p.epochs !== c.epochs && JSON.stringify(p.lrSteps) === JSON.stringify(c.lrSteps)
        ? scaleLrSteps(c.lrSteps, p.epochs, c.epochs)
        : c.lrSteps.filter((s) => s < c.epochs);
    hints.push({
      field: 'lrSteps',
      level: 'warning',
      message: `Milestones at or after epoch ${c.epochs} never apply in a run of ${c.epochs} epochs.`,
      fix: { label: scaled.length ? `Use ${scaled.join(', ')}` : 'Remove them', patch: { lrSteps: scaled } },
    });
  }
  const lr = scaledLr(N);
  if (Math.abs(c.lr - lr) > lr * 0.005) {
    hints.push({
      field: 'lr',
      level: 'info',
      message: `The paper's rule for batch ${N} gives lr 0.03 × ${N}/256 = ${short(lr)}.`,
      fix: { label: `Use ${short(lr)}`, patch: { lr } },
    });
  }
  if (c.augmentation === 'v2' && (c.T === 0.07 || !c.mlpHead || c.schedule !== 'cosine')) {
    hints.push({
      field: 'augmentation',
      level: 'info',
      message: 'MoCo v2 pairs this augmentation with an MLP head, T 0.2 and a cosine schedule.',
      fix: { label: 'Use the v2 settings', patch: { mlpHead: true, T: 0.2, schedule: 'cosine' } },
    });
  }
  return hints;
}

/** Paper values of m: the key encoder's momentum, and a memory bank's feature momentum (Wu et al.). */
export const KEY_MOMENTUM = 0.999;
export const BANK_MOMENTUM = 0.5;

/** K and m read differently for each dictionary mechanism; the trainer's rules for each. */
function dictionaryHints(c: TrainConfig, ctx: HintContext): Hint[] {
  const N = c.batchSize;
  const images = ctx.images ?? null;
  const hints: Hint[] = [];
  switch (c.dictionary) {
    case 'queue': {
      // Each step enqueues the keys of the batch, of both views with the symmetric loss.
      const keys = c.symmetric ? 2 * N : N;
      if (c.K < keys || c.K % keys !== 0) {
        const k = nextMultiple(c.K, keys);
        const what = c.symmetric ? `2 × batch size = ${keys} (the symmetric loss enqueues the keys of both views)` : `the batch size ${N}`;
        hints.push({
          field: 'K',
          level: 'error',
          message: `K = ${c.K} is not a multiple of ${what}: each step replaces one batch of keys in the queue.`,
          fix: { label: `Use K = ${k}`, patch: { K: k } },
        });
      } else if (images !== null && images > 0 && c.K >= images) {
        hints.push({
          field: 'K',
          level: 'warning',
          message: `K = ${c.K} ≥ ${images} training images: the queue holds older keys of the same images as negatives.`,
        });
      }
      if (c.m < 0.9) {
        hints.push({
          field: 'm',
          level: 'warning',
          message: `m = ${c.m}: the paper found a slowly moving key encoder (0.99–0.9999) essential; 0.9 and below train poorly.`,
          fix: { label: `Use ${KEY_MOMENTUM}`, patch: { m: KEY_MOMENTUM } },
        });
      }
      break;
    }
    case 'end-to-end':
      hints.push({
        field: 'dictionary',
        level: 'info',
        message:
          'End-to-end: the negatives are the other keys of the batch, so the batch size is the dictionary size; K and m are not used.',
      });
      break;
    case 'memory-bank':
      hints.push({
        field: 'dictionary',
        level: 'info',
        message:
          'Memory bank: one stored feature per image, refreshed with momentum m when the image is seen; K negatives are drawn from it.',
      });
      if (images !== null && c.K > images - N) {
        const k = images - N;
        hints.push({
          field: 'K',
          level: 'error',
          message: `K = ${c.K} negatives cannot be drawn from the other ${Math.max(0, k)} images of the bank (images − batch size).`,
          ...(k >= 1 ? { fix: { label: `Use K = ${k}`, patch: { K: k } } } : {}),
        });
      }
      if (!(c.m < 1)) {
        hints.push({
          field: 'm',
          level: 'error',
          message: `m = ${c.m} never updates the stored features.`,
          fix: { label: `Use ${BANK_MOMENTUM}`, patch: { m: BANK_MOMENTUM } },
        });
      } else if (c.m === KEY_MOMENTUM) {
        hints.push({
          field: 'm',
          level: 'info',
          message: `With a memory bank m is the momentum of the stored features (Wu et al.: ${BANK_MOMENTUM}), not the key encoder's.`,
          fix: { label: `Use ${BANK_MOMENTUM}`, patch: { m: BANK_MOMENTUM } },
        });
      }
      if (c.symmetric) {
        hints.push({
          field: 'symmetric',
          level: 'error',
          message: 'The memory bank has no key view to swap in the symmetric loss (its positive is the stored entry).',
          fix: { label: 'Turn off', patch: { symmetric: false } },
        });
      }
      break;
  }
  return hints;
}

/** The config field a message from the app's argument check names ("startTraining argument 0.K: ..."). */
export function fieldOfServerError(message: string): keyof TrainConfig | null {
  const m = /argument 0\.(\w+)/.exec(message);
  return m && (CONFIG_FIELDS as readonly string[]).includes(m[1]) ? (m[1] as keyof TrainConfig) : null;
}
