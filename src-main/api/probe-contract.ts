// Types of the evaluation (linear probe, kNN) part of the API. contract.ts re-exports them.
import type { JobOwner } from './contract';

/** Labels from the folder an image sits in (level 0 = the first folder under the library folder, -1 = its own folder), or from its tags. */
export type LabelSource = { kind: 'folder'; level: number } | { kind: 'tag' };

export interface LabelPreview {
  classes: { name: string; train: number; test: number }[];
  /** classes with fewer images than minPerClass, left out */
  leftOut: { name: string; count: number }[];
  /** images without a label (or with several tags), left out */
  unlabelled: number;
}

export interface LinearProbeSettings {
  epochs: number;
  /** official protocol: 30 */
  lr: number;
  momentum: number;
  /** official protocol: 0 */
  weightDecay: number;
  batchSize: number;
  /** epochs (fractions of `epochs`, 0..1) at which the lr is multiplied by 0.1; official 60 and 80 of 100 */
  lrSteps: number[];
  /** standardise features per dimension (fit on the training split) */
  standardize: boolean;
}

export interface KnnSettings {
  k: number;
  T: number;
}

export interface ProbeConfig {
  /** the encoder: a run's newest checkpoint */
  runId: number;
  labels: LabelSource;
  testFraction: number;
  minPerClass: number;
  seed: number;
  /** input resolution for the features (default: the run's training resolution) */
  inputSize: number | null;
  linear: LinearProbeSettings;
  knn: KnnSettings;
  /** the same evaluations on a randomly initialised encoder of the same architecture, and on raw pixels */
  baselines: { randomInit: boolean; rawPixels: boolean };
  /** restrict to these folders; empty = the whole library */
  folderIds: number[];
}

export type ProbeModel = 'pretrained' | 'random-init' | 'raw-pixels';
export type ProbeMethod = 'linear' | 'knn';

export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ProbeMetrics {
  top1: number;
  top5: number;
  perClass: ClassMetrics[];
  /** rows = true class, columns = predicted class, in the order of ProbeRun.classes */
  confusion: number[][];
}

export interface ProbeResult {
  model: ProbeModel;
  method: ProbeMethod;
  metrics: ProbeMetrics;
  /** linear probe only: the last epoch's loss stayed above chance (lower the lr or standardise the features) */
  diverged?: boolean;
}

export type ProbeStatus = 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';

export interface ProbeRun {
  id: number;
  runId: number;
  runName: string;
  status: ProbeStatus;
  config: ProbeConfig;
  createdAt: string;
  updatedAt: string;
  /** class names in index order, with their split counts */
  classes: { name: string; train: number; test: number }[];
  leftOut: { name: string; count: number }[];
  results: ProbeResult[];
  error: string | null;
  /** set while another process runs it */
  owner?: JobOwner;
}

export type ProbePhase = 'preparing' | 'features' | 'linear' | 'knn' | 'done' | 'cancelled' | 'failed';

export interface ProbeProgress {
  probeId: number;
  phase: ProbePhase;
  model: ProbeModel | null;
  /** images featurised, or epochs of the linear probe */
  done: number;
  total: number;
  loss: number | null;
  message: string | null;
  error?: string;
}

export interface ProbeCellQuery {
  probeId: number;
  model: ProbeModel;
  method: ProbeMethod;
  trueClass: number;
  predictedClass: number;
}
