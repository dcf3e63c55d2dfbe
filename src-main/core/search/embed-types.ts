// What the host and the embedding worker say to each other.
import type { EmbedEngine, EmbedProgress, TrainConfig } from '../../api/contract';

export interface EmbedRequest {
  setId: number;
  dbPath: string;
  /** the run whose newest checkpoint is the encoder */
  runDir: string;
  /** the checkpoint the set's encoder comes from */
  checkpointStep: number;
  config: TrainConfig;
  engine: EmbedEngine;
  batchSize: number;
}

export type EmbedHostMessage = { type: 'cancel' };

export type EmbedEndStatus = 'done' | 'cancelled' | 'failed';

export type EmbedWorkerMessage =
  | { type: 'started'; engine: string; total: number }
  | { type: 'progress'; progress: EmbedProgress }
  | { type: 'written' }
  | { type: 'end'; status: EmbedEndStatus; progress: EmbedProgress; error?: string };
