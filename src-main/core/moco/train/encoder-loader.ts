// The encoder a set of embeddings comes from: the query encoder of a run's newest checkpoint,
// rebuilt from the run's config with its parameters and BN statistics.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../../api/contract';
import { NotFoundError } from '../../../api/errors';
import type { TensorBlob } from './checkpoint';
import { existsSync } from 'node:fs';
import { checkpointPath, latestCheckpoint, listCheckpointFiles, readCheckpoint } from './checkpoint';
import { ResNet } from '../resnet';

const PREFIX = 'encoder_q.';

export interface LoadedEncoder {
  model: ResNet;
  /** training step of the checkpoint */
  step: number;
}

/** The ResNet a config describes, with every parameter and buffer from `tensors` under `prefix`. */
export function encoderFromTensors(config: TrainConfig, tensors: ReadonlyMap<string, TensorBlob>, prefix = PREFIX): ResNet {
  const model = new ResNet(
    { arch: config.arch, stem: config.stem, widthMultiplier: config.widthMultiplier, outDim: config.dim, mlpHead: config.mlpHead },
    null,
  );
  try {
    for (const map of [model.params, model.buffers]) {
      for (const [name, v] of map) {
        const b = tensors.get(prefix + name);
        if (!b) throw new Error(`encoder: expected a tensor named ${prefix + name}, got none`);
        if (b.shape.join('x') !== v.shape.join('x'))
          throw new Error(`encoder: expected ${prefix + name} of shape [${v.shape}], got [${b.shape}]`);
        tf.tidy(() => v.assign(tf.tensor(b.data, b.shape, b.dtype)));
      }
    }
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The query encoder of a run's checkpoint at `step`, or of its newest one. */
export function loadRunEncoder(where: string, runDir: string, config: TrainConfig, step?: number): LoadedEncoder {
  if (step !== undefined) {
    const path = checkpointPath(runDir, step);
    if (!existsSync(path)) {
      throw new NotFoundError(
        `${where}: expected the checkpoint at step ${step} these embeddings were computed with, got none (the run trained on and ` +
          `replaced it); compute embeddings again with the run's newest checkpoint`,
      );
    }
    return { model: encoderFromTensors(config, readCheckpoint(path).tensors), step };
  }
  const ckpt = latestCheckpoint(runDir);
  if (!ckpt) throw new NotFoundError(`${where}: expected a run with a checkpoint, got none in ${runDir} (train or resume it first)`);
  return { model: encoderFromTensors(config, ckpt.tensors), step: ckpt.state.step };
}

/** The step of a run's newest checkpoint, or null without one (from the file names alone). */
export function latestCheckpointStep(runDir: string): number | null {
  const files = listCheckpointFiles(runDir);
  return files.length ? files[files.length - 1].step : null;
}
