// Loads the closed-formula weights of fixtures/torch_parity.py into a ResNet, so its outputs
// can be compared with what torchvision computed for the same weights and inputs.
import * as tf from '@tensorflow/tfjs';
import { fromTorchLayout, torchShape } from '../../../src-main/core/moco/params';
import type { ResNet } from '../../../src-main/core/moco/resnet';

function offset(name: string): number {
  let s = 0;
  for (let j = 0; j < name.length; j++) s += name.charCodeAt(j) * (j + 1);
  return s % 100003;
}

/** n values in [-1, 1): the integer hash of the Python script, bit for bit. */
export function wave(n: number, name: string): Float64Array {
  const out = new Float64Array(n);
  const base = (offset(name) * 0x9e3779b9) % 2 ** 32;
  for (let i = 0; i < n; i++) {
    let x = (base + i) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b) >>> 0;
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35) >>> 0;
    x ^= x >>> 16;
    out[i] = (x >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** The formula value of one state_dict entry, in torch's layout. */
function formula(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = wave(n, name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (name.endsWith('running_var')) out[i] = 0.75 + 0.25 * s[i];
    else if (name.endsWith('running_mean') || name.endsWith('bias')) out[i] = 0.1 * s[i];
    else if (shape.length === 1) out[i] = 1 + 0.2 * s[i];
    else out[i] = Math.sqrt(6 / (n / shape[0])) * s[i];
  }
  return out;
}

/** Sets the parameters and running stats ('all') or the running stats only ('buffers'). */
export function loadFormulaWeights(model: ResNet, which: 'all' | 'buffers'): void {
  for (const map of which === 'all' ? [model.params, model.buffers] : [model.buffers]) {
    for (const [name, v] of map) {
      if (name.endsWith('num_batches_tracked')) continue;
      const shape = torchShape(v.shape);
      tf.tidy(() => v.assign(fromTorchLayout(tf.tensor(formula(name, shape), shape))));
    }
  }
}

/** The fixture's input, NCHW in the formula, as an NHWC batch. */
export function formulaInput([n, h, w, c]: number[]): tf.Tensor4D {
  const x = Float32Array.from(wave(n * c * h * w, 'input'));
  return tf.tidy(() => tf.transpose(tf.tensor4d(x, [n, c, h, w]), [0, 2, 3, 1]));
}
