// Types of the training part of the API (MoCo pretraining). contract.ts re-exports them.
import type { JobOwner } from './contract';
import type { ARCHS, AUGMENTATIONS, DICTIONARIES, SCHEDULES, STEMS } from './training-config';

// The choices are listed once, in training-config.
export type Arch = (typeof ARCHS)[number];
export type Stem = (typeof STEMS)[number];
/** The paper's three dictionary mechanisms: a queue (MoCo), end-to-end, and a memory bank. */
export type Dictionary = (typeof DICTIONARIES)[number];
export type AugmentationRecipe = (typeof AUGMENTATIONS)[number];
export type LrSchedule = (typeof SCHEDULES)[number];
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Every hyperparameter of a run; names follow the paper (K, m, T). */
export interface TrainConfig {
  arch: Arch;
  stem: Stem;
  /** 1 = torchvision widths; < 1 for CPU presets */
  widthMultiplier: number;
  /** training resolution, px (square crops) */
  inputSize: number;
  batchSize: number;
  epochs: number;
  /** queue size (negative keys) */
  K: number;
  /** key encoder momentum */
  m: number;
  /** softmax temperature */
  T: number;
  /** output (embedding) dimension */
  dim: number;
  /** MoCo v2 MLP head */
  mlpHead: boolean;
  augmentation: AugmentationRecipe;
  /** symmetric loss (both views as query) */
  symmetric: boolean;
  dictionary: Dictionary;
  /** initial learning rate; default 0.03 x batch/256 */
  lr: number;
  schedule: LrSchedule;
  /** epochs at which a step schedule multiplies the lr by 0.1 */
  lrSteps: number[];
  sgdMomentum: number;
  weightDecay: number;
  /** split-BN groups (shuffling BN on one device); 0 = automatic */
  bnGroups: number;
  seed: number;
  /** kNN monitor every N epochs when the library has folder labels; 0 = never */
  knnEvery: number;
  /** minutes between checkpoints (one is always written at the end) */
  checkpointMinutes: number;
  /** restrict training to these folders; empty = whole library */
  folderIds: number[];
  /**
   * Train for this many minutes instead of `epochs` epochs: after a short warm-up the step
   * count is fixed from the measured pace, the lr schedule spans it, and the run ends with a
   * checkpoint at the budget. null or absent = train for `epochs`.
   */
  minutes?: number | null;
}

export interface TrainPreset {
  id: string;
  label: string;
  /** what the preset is for, in words: its numbers are the config's, shown from it (configSummary) */
  description: string;
  /** the engine it is sized for: GPU presets are offered only where a GPU engine is found */
  target: 'cpu' | 'gpu';
  config: TrainConfig;
}

/** The GPU a webgpu engine runs on, as its driver describes it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** computes on the CPU (SwiftShader, llvmpipe, ...): correct, but slower than wasm */
  software: boolean;
}

export interface EngineStatus {
  backend: BackendName;
  /** e.g. 'wasm SIMD, 1 thread', 'CUDA GPU', 'WebGPU: nvidia ampere (...)' */
  device: string;
  /** the adapter, for webgpu */
  adapter: GpuAdapter | null;
  /** the engine computes on a GPU: the GPU presets fit */
  gpu: boolean;
  /** faster backends that were not used, and why */
  skipped: { name: string; reason: string }[];
}

export type TrainPhase = 'preparing' | 'caching' | 'training' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface TrainProgress {
  runId: number;
  phase: TrainPhase;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  lr: number | null;
  /** pretext accuracy: how often the positive key wins */
  accuracy: number | null;
  imagesPerSec: number | null;
  etaSeconds: number | null;
  /** fraction of the queue holding real keys, 0..1 */
  queueFill: number;
  /** latest kNN monitor accuracy, when labels exist */
  knnAccuracy: number | null;
  /** e.g. training-cache progress while phase is 'caching' */
  message: string | null;
  /** set when phase is 'failed' */
  error?: string;
}

/** 'imported': an encoder read from a weights file, not trained here */
export type RunStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'failed' | 'interrupted' | 'imported';

export interface RunSummary {
  id: number;
  name: string;
  status: RunStatus;
  config: TrainConfig;
  backend: string;
  createdAt: string;
  updatedAt: string;
  step: number;
  totalSteps: number;
  epoch: number;
  images: number;
  /** last metrics of the run */
  final: { loss: number | null; accuracy: number | null; knnAccuracy: number | null };
  error: string | null;
  /** set while another process runs it */
  owner?: JobOwner;
}

export interface MetricPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  accuracy: number;
  imagesPerSec: number;
  knnAccuracy: number | null;
}

export interface CheckpointInfo {
  runId: number;
  step: number;
  epoch: number;
  at: string;
  sizeBytes: number;
}
