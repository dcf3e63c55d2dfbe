// What is wrong with a training configuration, and what probably is not meant: one function
// that the app's check before a run (errors, thrown as "where: message"), the kernel's queue
// assert and the Train form's hints (errors and hints, with a fix) all read. Errors are what
// the app refuses; hints are warnings and suggestions that never block a start.
import type { TrainConfig } from '../train-contract';
import { DICTIONARIES } from './fields';
import { BANK_MOMENTUM, KEY_MOMENTUM, keysPerStep, scaledLr, scaleLrSteps, V2_SETTINGS } from './paper';

export interface ConfigIssue {
  field: keyof TrainConfig;
  /** error: the app refuses it; warning: it runs, but probably not as meant; info: a suggestion */
  level: 'error' | 'warning' | 'info';
  message: string;
  fix?: { label: string; patch: Partial<TrainConfig> };
}

export interface IssueContext {
  /** images the run would train on, when known */
  images?: number | null;
  /** the preset the config started from: its milestones are scaled to new epochs */
  preset?: TrainConfig | null;
}

export interface ConfigIssues {
  errors: ConfigIssue[];
  hints: ConfigIssue[];
}

type Issues = ConfigIssue[];

/** Errors first (in the order the app checks them), then warnings and suggestions. */
export function trainingConfigIssues(c: TrainConfig, ctx: IssueContext = {}): ConfigIssues {
  const all = [
    ...imageIssues(c, ctx.images ?? null),
    ...dictionaryIssues(c, ctx.images ?? null),
    ...bnGroupIssues(c),
    ...stemIssues(c),
    ...lrStepIssues(c, ctx.preset ?? null),
    ...lrIssues(c),
  ];
  return { errors: all.filter((i) => i.level === 'error'), hints: all.filter((i) => i.level !== 'error') };
}

/**
 * The queue must tile by the keys of a step (N, or 2N with the symmetric loss): the one wording
 * of that rule, for the app's check and the queue's own assert. null when K fits.
 */
export function queueSizeError(K: number, batchSize: number, symmetric: boolean): string | null {
  const keys = keysPerStep({ batchSize, symmetric });
  const what = symmetric ? `2 x batch size = ${keys} (the symmetric loss enqueues the keys of both views)` : `batch size ${batchSize}`;
  if (K < keys) return `expected queue size K >= ${what}, got K = ${K}`;
  if (K % keys !== 0) {
    return `expected queue size K a multiple of ${symmetric ? what : `the batch size ${batchSize}`}, got K = ${K} (try ${nextMultiple(K, keys)})`;
  }
  return null;
}

/** The memory bank's positive is a stored entry: there is no key view for the symmetric loss. */
export const BANK_NOT_SYMMETRIC =
  'expected symmetric false with the memory bank (its positive is the stored entry, there is no key view to swap), got true';

function nextMultiple(k: number, n: number): number {
  return Math.max(n, Math.ceil(k / n) * n);
}

/** A short number for a message: 0.001875 -> "0.001875", 7.5e-5 -> "0.000075". */
function short(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function imageIssues(c: TrainConfig, images: number | null): Issues {
  if (images === null) return [];
  if (images === 0) {
    return [
      {
        field: 'batchSize',
        level: 'error',
        message: 'expected a library with images to train on, got an empty library (add a folder first)',
      },
    ];
  }
  if (images >= c.batchSize) return [];
  const message = `expected at least batch size ${c.batchSize} images present on disk, got ${images} (lower the batch size or add images)`;
  return [{ field: 'batchSize', level: 'error', message }];
}

/** K and m read differently for each dictionary mechanism of the paper. */
function dictionaryIssues(c: TrainConfig, images: number | null): Issues {
  switch (c.dictionary) {
    case 'queue':
      return queueIssues(c, images);
    case 'end-to-end':
      return endToEndIssues(c);
    case 'memory-bank':
      return memoryBankIssues(c, images);
    default:
      return [
        { field: 'dictionary', level: 'error', message: `expected dictionary ${DICTIONARIES.join(' | ')}, got '${String(c.dictionary)}'` },
      ];
  }
}

function queueIssues(c: TrainConfig, images: number | null): Issues {
  const out: Issues = [];
  const error = queueSizeError(c.K, c.batchSize, c.symmetric);
  if (error) {
    const k = nextMultiple(c.K, keysPerStep(c));
    out.push({ field: 'K', level: 'error', message: error, fix: { label: `Use K = ${k}`, patch: { K: k } } });
  } else if (images !== null && images > 0 && c.K >= images) {
    out.push({
      field: 'K',
      level: 'warning',
      message: `K = ${c.K} ≥ ${images} training images: the queue holds older keys of the same images as negatives.`,
    });
  }
  if (c.m < 0.9) {
    out.push({
      field: 'm',
      level: 'warning',
      message: `m = ${c.m}: the paper found a slowly moving key encoder (0.99–0.9999) essential; 0.9 and below train poorly.`,
      fix: { label: `Use ${KEY_MOMENTUM}`, patch: { m: KEY_MOMENTUM } },
    });
  }
  return out;
}

function endToEndIssues(c: TrainConfig): Issues {
  const out: Issues = [];
  if (c.batchSize < 2) {
    const message = `expected batch size >= 2 end-to-end (the other keys of the batch are the negatives), got ${c.batchSize}`;
    out.push({ field: 'batchSize', level: 'error', message });
  }
  out.push({
    field: 'dictionary',
    level: 'info',
    message: 'End-to-end: the negatives are the other keys of the batch, so the batch size is the dictionary size; K and m are not used.',
  });
  return out;
}

function memoryBankIssues(c: TrainConfig, images: number | null): Issues {
  const out: Issues = [];
  if (c.symmetric) {
    out.push({
      field: 'symmetric',
      level: 'error',
      message: BANK_NOT_SYMMETRIC,
      fix: { label: 'Turn off', patch: { symmetric: false } },
    });
  }
  if (images !== null && c.K > images - c.batchSize) {
    const k = images - c.batchSize;
    out.push({
      field: 'K',
      level: 'error',
      message: `expected K <= images - batch size = ${k} with the memory bank (its negatives are K other images' entries), got K = ${c.K}`,
      ...(k >= 1 ? { fix: { label: `Use K = ${k}`, patch: { K: k } } } : {}),
    });
  }
  const useBank = { label: `Use ${BANK_MOMENTUM}`, patch: { m: BANK_MOMENTUM } };
  if (!(c.m < 1)) {
    const message = `expected m < 1 with the memory bank (the momentum of the stored features; 1 never updates them), got ${c.m}`;
    out.push({ field: 'm', level: 'error', message, fix: useBank });
  } else if (c.m === KEY_MOMENTUM) {
    const message = `With a memory bank m is the momentum of the stored features (Wu et al.: ${BANK_MOMENTUM}), not the key encoder's.`;
    out.push({ field: 'm', level: 'info', message, fix: useBank });
  }
  out.push({
    field: 'dictionary',
    level: 'info',
    message: 'Memory bank: one stored feature per image, refreshed with momentum m when the image is seen; K negatives are drawn from it.',
  });
  return out;
}

function bnGroupIssues(c: TrainConfig): Issues {
  const { batchSize } = c;
  if (!(c.bnGroups > 0 && (batchSize % c.bnGroups !== 0 || batchSize / c.bnGroups < 2))) return [];
  return [
    {
      field: 'bnGroups',
      level: 'error',
      message: `expected bnGroups dividing the batch size ${batchSize} into groups of 2 or more images, got ${c.bnGroups}`,
      fix: { label: 'Automatic', patch: { bnGroups: 0 } },
    },
  ];
}

function stemIssues(c: TrainConfig): Issues {
  if (c.stem === 'small' && c.inputSize > 64) {
    return [
      {
        field: 'stem',
        level: 'error',
        message: `expected input size <= 64 px with the small stem, got ${c.inputSize} (use stem 'imagenet')`,
        fix: { label: 'Use the ImageNet stem', patch: { stem: 'imagenet' } },
      },
    ];
  }
  if (c.stem === 'imagenet' && c.inputSize < 96) {
    const side = Math.max(1, Math.ceil(c.inputSize / 32));
    return [
      {
        field: 'stem',
        level: 'warning',
        message: `The ImageNet stem downsamples 32×: at ${c.inputSize} px the last stage is ${side}×${side}.`,
        fix: { label: 'Use the small stem', patch: { stem: 'small' } },
      },
    ];
  }
  return [];
}

function lrStepIssues(c: TrainConfig, preset: TrainConfig | null): Issues {
  if (c.lrSteps.some((s, i) => i > 0 && s <= c.lrSteps[i - 1])) {
    const sorted = [...new Set(c.lrSteps)].sort((a, b) => a - b);
    return [
      {
        field: 'lrSteps',
        level: 'error',
        message: `expected lrSteps in increasing order, got [${c.lrSteps.join(', ')}]`,
        fix: { label: `Use ${sorted.join(', ')}`, patch: { lrSteps: sorted } },
      },
    ];
  }
  if (c.schedule !== 'step' || !c.lrSteps.some((s) => s >= c.epochs)) return [];
  const scaled =
    preset && preset.epochs !== c.epochs && JSON.stringify(preset.lrSteps) === JSON.stringify(c.lrSteps)
      ? scaleLrSteps(c.lrSteps, preset.epochs, c.epochs)
      : c.lrSteps.filter((s) => s < c.epochs);
  return [
    {
      field: 'lrSteps',
      level: 'warning',
      message: `Milestones at or after epoch ${c.epochs} never apply in a run of ${c.epochs} epochs.`,
      fix: { label: scaled.length ? `Use ${scaled.join(', ')}` : 'Remove them', patch: { lrSteps: scaled } },
    },
  ];
}

function lrIssues(c: TrainConfig): Issues {
  const out: Issues = [];
  const { batchSize } = c;
  const lr = scaledLr(batchSize);
  if (Math.abs(c.lr - lr) > lr * 0.005) {
    out.push({
      field: 'lr',
      level: 'info',
      message: `The paper's rule for batch ${batchSize} gives lr 0.03 × ${batchSize}/256 = ${short(lr)}.`,
      fix: { label: `Use ${short(lr)}`, patch: { lr } },
    });
  }
  if (c.augmentation === 'v2' && (c.T === 0.07 || !c.mlpHead || c.schedule !== 'cosine')) {
    out.push({
      field: 'augmentation',
      level: 'info',
      message: 'MoCo v2 pairs this augmentation with an MLP head, T 0.2 and a cosine schedule.',
      fix: { label: 'Use the v2 settings', patch: { ...V2_SETTINGS } },
    });
  }
  return out;
}
