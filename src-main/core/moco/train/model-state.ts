// The tensors of a training state, by name, for checkpoints: the query encoder's parameters and
// buffers, what the dictionary keeps (the key encoder and the queue, or the memory bank), and
// the optimizer's momentum slots (the optimizer keys them by position, the order of the query
// encoder's trainable variables).
import * as tf from '@tensorflow/tfjs';
import {
  blobOf,
  blobTensor,
  restoreEncoder,
  saveEncoder,
  type DictionaryMeta,
  type TakeBlob,
  type TensorBlob,
} from '../dictionary/dictionary';
import type { MocoModel } from '../moco';

const SLOT = 'optimizer.momentum.';

export interface TrainingState {
  tensors: TensorBlob[];
  /** the dictionary's small numbers (queue pointer and fill, ...) for the checkpoint header */
  dictionary: DictionaryMeta;
}

/** The state's arrays; some are views of live buffers (the memory bank): write them before the next step. */
export async function collectState(model: MocoModel, optimizer: tf.MomentumOptimizer): Promise<TrainingState> {
  const dict = await model.dictionary.save();
  const tensors = [...(await saveEncoder('encoder_q.', model.encoderQ)), ...dict.tensors];
  const slots = (optimizer as unknown as { accumulations?: { variable: tf.Variable }[] }).accumulations ?? [];
  tensors.push(...(await Promise.all(slots.map((s, i) => blobOf(`${SLOT}${i}`, s.variable)))));
  return { tensors, dictionary: dict.meta };
}

export async function restoreState(
  model: MocoModel,
  optimizer: tf.MomentumOptimizer,
  tensors: ReadonlyMap<string, TensorBlob>,
  dictionary: DictionaryMeta,
): Promise<void> {
  const take: TakeBlob = (name, shape) => {
    const b = tensors.get(name);
    if (!b) throw new Error(`checkpoint: expected a tensor named ${name}, got none (a checkpoint of another model?)`);
    if (b.shape.join('x') !== shape.join('x')) throw new Error(`checkpoint: expected ${name} of shape [${shape}], got [${b.shape}]`);
    return b;
  };
  restoreEncoder('encoder_q.', model.encoderQ, take);
  model.dictionary.restore(dictionary, take);

  const vars = model.encoderQ.trainableVariables();
  const slots: { name: string; tensor: tf.Tensor }[] = [];
  for (let i = 0; tensors.has(`${SLOT}${i}`); i++) {
    slots.push({ name: `${vars[i].name}/momentum`, tensor: blobTensor(take(`${SLOT}${i}`, vars[i].shape)) });
  }
  if (slots.length) {
    // setWeights expects the iteration count first.
    const iterations = tf.scalar(0);
    await optimizer.setWeights([{ name: 'iter', tensor: iterations }, ...slots]);
    iterations.dispose();
    for (const s of slots) s.tensor.dispose();
  }
}
