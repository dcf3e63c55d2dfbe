// The tensors of a training state, by name, for checkpoints: both encoders' parameters and
// buffers, the queue, and the optimizer's momentum slots (the optimizer keys them by position,
// the order of the query encoder's trainable variables).
import * as tf from '@tensorflow/tfjs';
import type { MocoModel } from '../moco';
import type { TensorBlob } from './checkpoint';

const SLOT = 'optimizer.momentum.';

function blob(name: string, t: tf.Tensor): TensorBlob {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  if (t.dtype !== 'int32' && t.dtype !== 'float32') throw new Error(`checkpoint: expected float32 or int32 tensors, got ${t.dtype} for ${name}`);
  return { name, dtype, shape: [...t.shape], data: t.dataSync() as Float32Array | Int32Array };
}

export function collectState(model: MocoModel, optimizer: tf.MomentumOptimizer): TensorBlob[] {
  const out: TensorBlob[] = [];
  for (const [prefix, enc] of [['encoder_q.', model.encoderQ], ['encoder_k.', model.encoderK]] as const) {
    for (const [name, v] of enc.params) out.push(blob(prefix + name, v));
    for (const [name, v] of enc.buffers) out.push(blob(prefix + name, v));
  }
  out.push(blob('queue', model.queue.keys));
  // getWeights is async in its signature but only reads variables already in memory.
  const slots = (optimizer as unknown as { accumulations?: { variable: tf.Variable }[] }).accumulations ?? [];
  slots.forEach((s, i) => out.push(blob(`${SLOT}${i}`, s.variable)));
  return out;
}

export async function restoreState(
  model: MocoModel,
  optimizer: tf.MomentumOptimizer,
  tensors: ReadonlyMap<string, TensorBlob>,
  queue: { ptr: number; filled: number },
): Promise<void> {
  const take = (name: string, like: tf.Tensor): tf.Tensor => {
    const b = tensors.get(name);
    if (!b) throw new Error(`checkpoint: expected a tensor named ${name}, got none (a checkpoint of another model?)`);
    if (b.shape.join('x') !== like.shape.join('x')) {
      throw new Error(`checkpoint: expected ${name} of shape [${like.shape}], got [${b.shape}]`);
    }
    return tf.tensor(b.data, b.shape, b.dtype);
  };
  for (const [prefix, enc] of [['encoder_q.', model.encoderQ], ['encoder_k.', model.encoderK]] as const) {
    for (const map of [enc.params, enc.buffers]) {
      for (const [name, v] of map) {
        const t = take(prefix + name, v);
        v.assign(t);
        t.dispose();
      }
    }
  }
  const keys = take('queue', model.queue.keys) as tf.Tensor2D;
  model.queue.restore(keys, queue.ptr, queue.filled);
  keys.dispose();

  const vars = model.encoderQ.trainableVariables();
  const slots: { name: string; tensor: tf.Tensor }[] = [];
  for (let i = 0; tensors.has(`${SLOT}${i}`); i++) {
    slots.push({ name: `${vars[i].name}/momentum`, tensor: take(`${SLOT}${i}`, vars[i]) });
  }
  if (slots.length) {
    // setWeights expects the iteration count first.
    const iterations = tf.scalar(0);
    await optimizer.setWeights([{ name: 'iter', tensor: iterations }, ...slots]);
    iterations.dispose();
    for (const s of slots) s.tensor.dispose();
  }
}
