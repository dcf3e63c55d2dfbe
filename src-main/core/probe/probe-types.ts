// What the host and the probe worker say to each other.
import type { ProbeConfig, ProbeMethod, ProbeModel, ProbeProgress, ProbeResult, TrainConfig } from '../../api/contract';

export interface ProbeImages {
  ids: number[];
  paths: string[];
  labels: number[];
}

export interface ProbeRequest {
  probeId: number;
  config: ProbeConfig;
  /** the encoder's run: its config and checkpoint folder */
  runConfig: TrainConfig;
  runDir: string;
  /** class names, by index */
  classes: string[];
  train: ProbeImages;
  test: ProbeImages;
}

export type ProbeHostMessage = { type: 'cancel' };

export type ProbeEndStatus = 'done' | 'cancelled' | 'failed';

export type ProbeWorkerMessage =
  | { type: 'progress'; progress: ProbeProgress }
  | {
      type: 'result';
      result: ProbeResult;
      model: ProbeModel;
      method: ProbeMethod;
      imageIds: number[];
      trueClass: number[];
      predicted: number[];
    }
  | { type: 'end'; status: ProbeEndStatus; progress: ProbeProgress; error?: string };
