// Named parameters and buffers of a model, keyed by torchvision's state_dict names.
//
// Layout: weights are stored the way TF.js computes with them, not the way torch stores them.
//   conv   ours [KH, KW, Ci, Co]  <->  torch [Co, Ci, KH, KW]   (transpose 3,2,0,1 / 2,3,1,0)
//   linear ours [in, out]         <->  torch [out, in]          (transpose)
//   1-D tensors (BN weight/bias/running stats, linear bias) and scalars are identical.
// toTorchLayout/fromTorchLayout do the conversion for export and import.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';

export class ParamStore {
  /** Trainable parameters, in torch's registration order. */
  readonly params = new Map<string, tf.Variable>();
  /** Non-trainable buffers (BN running_mean, running_var, num_batches_tracked). */
  readonly buffers = new Map<string, tf.Variable>();

  addParam(name: string, value: tf.Tensor): tf.Variable {
    return this.add(this.params, name, value, true);
  }

  addBuffer(name: string, value: tf.Tensor): tf.Variable {
    return this.add(this.buffers, name, value, false);
  }

  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`ParamStore.param: expected a parameter named ${name}, got none`);
    return v;
  }

  buffer(name: string): tf.Variable {
    const v = this.buffers.get(name);
    if (!v) throw new Error(`ParamStore.buffer: expected a buffer named ${name}, got none`);
    return v;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }

  private add(map: Map<string, tf.Variable>, name: string, value: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name)) {
      value.dispose();
      throw new Error(`ParamStore: expected a new name, got ${name} twice`);
    }
    // No engine-level name: two models with the same torch names must coexist.
    const v = tf.variable(value, trainable);
    value.dispose();
    map.set(name, v);
    return v;
  }
}

/** torchvision's conv init: kaiming normal, mode fan_out, relu gain. Shape [KH, KW, Ci, Co]. */
export function convWeight(rng: Rng, kh: number, kw: number, ci: number, co: number): tf.Tensor4D {
  const std = Math.sqrt(2 / (co * kh * kw));
  return tf.tensor4d(rng.normal(kh * kw * ci * co, 0, std), [kh, kw, ci, co]);
}

/** torch.nn.Linear's default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias. Weight [in, out]. */
export function linearParams(rng: Rng, inDim: number, outDim: number): { weight: tf.Tensor2D; bias: tf.Tensor1D } {
  const bound = 1 / Math.sqrt(inDim);
  // torch draws the [out, in] weight row by row; draw in that order, then store as [in, out].
  const torchOrder = rng.uniform(outDim * inDim, -bound, bound);
  const weight = tf.tidy(() => tf.tensor2d(torchOrder, [outDim, inDim]).transpose() as tf.Tensor2D);
  return { weight, bias: tf.tensor1d(rng.uniform(outDim, -bound, bound)) };
}

/** Shape of a stored tensor in torch's layout. */
export function torchShape(shape: readonly number[]): number[] {
  if (shape.length === 4) return [shape[3], shape[2], shape[0], shape[1]];
  if (shape.length === 2) return [shape[1], shape[0]];
  return [...shape];
}

/** A stored tensor in torch's layout (see the table at the top). */
export function toTorchLayout(t: tf.Tensor): tf.Tensor {
  if (t.rank === 4) return tf.transpose(t, [3, 2, 0, 1]);
  if (t.rank === 2) return tf.transpose(t);
  return t.clone();
}

/** A torch-layout tensor in the stored layout (the inverse of toTorchLayout). */
export function fromTorchLayout(t: tf.Tensor): tf.Tensor {
  if (t.rank === 4) return tf.transpose(t, [2, 3, 1, 0]);
  if (t.rank === 2) return tf.transpose(t);
  return t.clone();
}
