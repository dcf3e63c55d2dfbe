// The fields of a training configuration: the choices of each enum, the bounds and words of
// each number. The API's schema, the CLI's train flags and the Train form are generated from
// these tables, so a bound or a label is written here only.
import type { TrainConfig } from '../train-contract';

export const ARCHS = ['resnet18', 'resnet34', 'resnet50'] as const;
export const STEMS = ['imagenet', 'small'] as const;
export const DICTIONARIES = ['queue', 'end-to-end', 'memory-bank'] as const;
export const AUGMENTATIONS = ['v1', 'v2'] as const;
export const SCHEDULES = ['step', 'cosine'] as const;

/** A field as the form shows it and the CLI names it. */
interface FieldWords {
  label: string;
  help: string;
  /** the `moco-studio train` flag */
  flag: string;
}

export interface NumberSpec extends FieldWords {
  integer: boolean;
  /** sanity bounds against hostile or mistyped input; rules between fields are in issues.ts */
  min: number;
  max: number;
  unit?: string;
}

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

const num = (flag: string, label: string, min: number, max: number, help: string, unit?: string): NumberSpec => ({
  flag,
  label,
  integer: false,
  min,
  max,
  help,
  ...(unit ? { unit } : {}),
});
const int = (flag: string, label: string, min: number, max: number, help: string, unit?: string): NumberSpec => ({
  ...num(flag, label, min, max, help, unit),
  integer: true,
});

export const NUMBER_FIELDS: Record<NumberField, NumberSpec> = {
  widthMultiplier: num('width', 'Width multiplier', 0.0625, 4, '1 = torchvision widths; below 1 for CPU runs', '×'),
  inputSize: int('input-size', 'Input size', 16, 1024, 'side of the square training crops', 'px'),
  dim: int('dim', 'Output dim', 2, 4096, 'embedding size (paper: 128), L2-normalised'),
  K: int('K', 'K (queue size)', 1, 1 << 20, 'negative keys; a multiple of the batch size'),
  m: num('m', 'm (key momentum)', 0, 1, 'θk ← m·θk + (1−m)·θq (paper: 0.999)'),
  T: num('T', 'T (temperature)', 1e-4, 10, 'softmax temperature (v1 0.07, v2 0.2)'),
  bnGroups: int('bn-groups', 'BN groups', 0, 1024, 'split-BN groups for shuffling BN; 0 = automatic'),
  batchSize: int('batch-size', 'Batch size', 2, 8192, 'images per step'),
  epochs: int('epochs', 'Epochs', 1, 10_000, 'passes over the training images'),
  lr: num('lr', 'Learning rate', 1e-8, 100, 'initial SGD lr (paper: 0.03 × batch/256)'),
  sgdMomentum: num('sgd-momentum', 'SGD momentum', 0, 0.9999, 'paper: 0.9'),
  weightDecay: num('weight-decay', 'Weight decay', 0, 1, 'paper: 1e-4'),
  seed: int('seed', 'Seed', 0, 2 ** 31 - 1, 'initialisation, augmentation and batch order'),
  knnEvery: int('knn-every', 'kNN monitor every', 0, 10_000, 'needs folder labels; 0 = never', 'epochs'),
  checkpointMinutes: num('checkpoint-minutes', 'Checkpoint every', 0.1, 1440, 'one is always written at the end and on pause', 'min'),
};

export interface Choice<T extends string> {
  value: T;
  label: string;
}

export interface ChoiceSpec<T extends string> extends FieldWords {
  choices: Choice<T>[];
}

/** A choice field: its values (the lists above, in their order) with a label for each. */
const choice = <T extends string>(
  flag: string,
  label: string,
  help: string,
  values: readonly T[],
  labels: Record<T, string>,
): ChoiceSpec<T> => ({
  flag,
  label,
  help,
  choices: values.map((value) => ({ value, label: labels[value] })),
});

export const CHOICE_FIELDS = {
  arch: choice('arch', 'Architecture', 'the ResNet encoder', ARCHS, {
    resnet18: 'ResNet-18',
    resnet34: 'ResNet-34',
    resnet50: 'ResNet-50',
  }),
  stem: choice('stem', 'Stem', 'how the first layers downsample', STEMS, {
    imagenet: 'ImageNet (7×7 stride 2 + max-pool)',
    small: 'Small (3×3 stride 1, up to 64 px)',
  }),
  augmentation: choice('aug', 'Augmentation', 'how the two views of an image are drawn', AUGMENTATIONS, {
    v1: 'v1: crop, jitter 0.4, grayscale, flip',
    v2: 'v2: v1 + blur, jitter p 0.8',
  }),
  dictionary: choice('dictionary', 'Dictionary', 'how negative keys are kept', DICTIONARIES, {
    queue: 'Queue (MoCo)',
    'end-to-end': 'End-to-end (keys of the batch)',
    'memory-bank': 'Memory bank',
  }),
  schedule: choice('schedule', 'LR schedule', 'how the learning rate decays', SCHEDULES, {
    step: 'Step (×0.1 at milestones)',
    cosine: 'Cosine',
  }),
};
export type ChoiceField = keyof typeof CHOICE_FIELDS;

export const BOOLEAN_FIELDS = {
  mlpHead: { flag: 'mlp-head', label: 'MLP head (v2)', help: '2-layer projection before the output' },
  symmetric: { flag: 'symmetric', label: 'Symmetric loss', help: 'both views serve as query' },
} satisfies Record<string, FieldWords>;
export type BooleanField = keyof typeof BOOLEAN_FIELDS;

/** Step-schedule milestones: epochs, at most `count` of them. */
export const LR_STEPS = {
  flag: 'lr-steps',
  label: 'LR milestones',
  help: 'epochs where the lr is multiplied by 0.1, e.g. 120, 160',
  min: 1,
  max: 10_000,
  count: 16,
} as const;

/** A time budget instead of the epochs. */
export const MINUTES = {
  flag: 'minutes',
  label: 'Train for',
  help: 'minutes instead of the epochs: the step count is fitted after a short warm-up, the lr schedule spans it, and the run ends with a checkpoint',
  min: 0.05,
  max: 100_000,
} as const;

/** Folders a run may be restricted to. */
export const FOLDER_IDS_MAX = 10_000;

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

// Compile-time proof that the tables and CONFIG_FIELDS name every field of TrainConfig.
type Tabled = NumberField | ChoiceField | BooleanField | 'lrSteps' | 'minutes' | 'folderIds';
type Untabled = Exclude<keyof TrainConfig, Tabled> | Exclude<keyof TrainConfig, (typeof CONFIG_FIELDS)[number]>;
const _allFields: Untabled extends never ? true : Untabled = true;
void _allFields;

/** "an integer from 1 to 10000" */
export function expectation(spec: Pick<NumberSpec, 'integer' | 'min' | 'max'>): string {
  return `${spec.integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`;
}
