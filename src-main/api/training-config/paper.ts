// The paper's settings and the values derived from them: MoCo v1 (He et al. 2019) with SGD
// lr 0.03 x batch/256, momentum 0.9, weight decay 1e-4, m 0.999, T 0.07; v2's MLP head, T 0.2
// and cosine schedule; Wu et al.'s memory-bank momentum 0.5.
import type { Dictionary, TrainConfig } from '../train-contract';

/** Momentum of MoCo's key encoder. */
export const KEY_MOMENTUM = 0.999;
/** Momentum of a memory bank's stored features (Wu et al., lemniscate.pytorch's nce-m). */
export const BANK_MOMENTUM = 0.5;
/** SGD momentum of the query encoder. */
export const SGD_MOMENTUM = 0.9;

/** What MoCo v2 pairs with its augmentation. */
export const V2_SETTINGS = { mlpHead: true, T: 0.2, schedule: 'cosine' } as const satisfies Partial<TrainConfig>;

/** The preset a new run starts from: the first GPU preset on a GPU engine, else CPU quick. */
export const DEFAULT_PRESET_IDS = { cpu: 'cpu-quick', gpu: 'gpu-resnet18' } as const;

/** The paper's linear scaling rule: lr 0.03 at batch 256. */
export function scaledLr(batchSize: number): number {
  return (0.03 * batchSize) / 256;
}

/** m's paper value for a dictionary: the key encoder's, or the memory bank's stored features'. */
export function momentumFor(dictionary: Dictionary): number {
  return dictionary === 'memory-bank' ? BANK_MOMENTUM : KEY_MOMENTUM;
}

/** Milestones of a run of `from` epochs moved to one of `to` epochs; those at or past the end go. */
export function scaleLrSteps(steps: readonly number[], from: number, to: number): number[] {
  return steps.map((s) => Math.max(1, Math.round((s / from) * to))).filter((s, i, a) => s < to && a.indexOf(s) === i);
}

/** Keys a queue takes per step: the batch's, or both views' with the symmetric loss. */
export function keysPerStep(config: Pick<TrainConfig, 'batchSize' | 'symmetric'>): number {
  return config.symmetric ? 2 * config.batchSize : config.batchSize;
}

/** The paper's v1 recipe at a given size; presets and the CLI start from it. */
export function defaultConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  const batchSize = over.batchSize ?? 256;
  const v2 = over.augmentation === 'v2';
  return {
    arch: 'resnet50',
    stem: 'imagenet',
    widthMultiplier: 1,
    inputSize: 224,
    batchSize,
    epochs: 200,
    K: 65536,
    m: momentumFor(over.dictionary ?? 'queue'),
    T: v2 ? V2_SETTINGS.T : 0.07,
    dim: 128,
    mlpHead: v2,
    augmentation: 'v1',
    symmetric: false,
    dictionary: 'queue',
    lr: scaledLr(batchSize),
    schedule: v2 ? V2_SETTINGS.schedule : 'step',
    lrSteps: [120, 160],
    sgdMomentum: SGD_MOMENTUM,
    weightDecay: 1e-4,
    bnGroups: 0,
    seed: 0,
    knnEvery: 1,
    checkpointMinutes: 5,
    folderIds: [],
    ...over,
  };
}
