// What the host and the training worker say to each other.
import type { BackendName, CheckpointInfo, MetricPoint, TrainConfig, TrainProgress } from '../../../api/contract';
import type { TrainImage } from '../data/training-images';

export interface TrainRequest {
  runId: number;
  config: TrainConfig;
  images: TrainImage[];
  /** folder label per image id (as [id, label] pairs), for the kNN monitor */
  labels: [number, string][];
  /** where the training cache lives */
  cacheDir: string;
  /** <dataDir>/runs/<runId> */
  runDir: string;
  /** continue from the newest checkpoint in runDir (from step 0 when there is none) */
  resume: boolean;
  /** the engine the app's setting asks for; undefined picks the fastest (or MOCO_BACKEND) */
  backend?: BackendName;
}

export type HostMessage = { type: 'pause' } | { type: 'cancel' };

export type EndStatus = 'done' | 'paused' | 'cancelled' | 'failed';

export type WorkerMessage =
  | { type: 'started'; backend: string; device: string; totalSteps: number; images: number; step: number }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'metrics'; points: MetricPoint[] }
  | { type: 'checkpoint'; info: CheckpointInfo }
  | { type: 'end'; status: EndStatus; progress: TrainProgress; error?: string };
