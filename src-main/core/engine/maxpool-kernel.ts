// Max pooling whose gradient is one pass in JavaScript on the CPU engines. The wasm backend's
// MaxPoolGrad looks, for every input position, at every window that holds it and finds each
// window's maximum again: 150 ms for the ImageNet stem's pool at 64 px, batch 64 (a tenth of a
// training step), where one pass over the windows that sends each window's gradient to its
// first maximum (torch's choice) takes a few milliseconds. GPU backends keep TF.js's own.
import * as tf from '@tensorflow/tfjs';
import { registerCustomKernel } from './custom-kernel';

const KERNEL = 'MocoMaxPool';

interface PoolAttrs {
  filterSize: number;
  strides: number;
  pad: 'valid';
  dimRoundingMode?: undefined;
}

/** 'valid' max pooling of x (NxHxWxC) with a square window and stride. */
export function maxPool(x: tf.Tensor4D, size: number, stride: number): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return tf.maxPool(x, size, stride, 'valid');
  register(backend);
  const attrs: PoolAttrs = { filterSize: size, strides: stride, pad: 'valid' };
  return tf.engine().runKernel(KERNEL, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dL/dx: each window's gradient to the first position (row-major) that holds its maximum. */
export function maxPoolGradFirstMax(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, size: number, stride: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = y.shape;
  const xv = x.dataSync() as Float32Array;
  const yv = y.dataSync() as Float32Array;
  const gv = dy.dataSync() as Float32Array;
  const dx = new Float32Array(x.size);
  const taken = new Uint8Array(c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const o = ((b * oh + i) * ow + j) * c;
        taken.fill(0);
        for (let r = 0; r < size; r++) {
          for (let s = 0; s < size; s++) {
            const p = ((b * h + i * stride + r) * w + j * stride + s) * c;
            for (let k = 0; k < c; k++) {
              if (taken[k] === 0 && xv[p + k] === yv[o + k]) {
                dx[p + k] += gv[o + k];
                taken[k] = 1;
              }
            }
          }
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

function register(backendName: string): void {
  registerCustomKernel(
    {
      kernelName: KERNEL,
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { filterSize, strides } = attrs as unknown as PoolAttrs;
        return { x: () => maxPoolGradFirstMax(x, y, dy as tf.Tensor4D, filterSize, strides) };
      },
    },
    backendName,
    () => {
      const pool = tf.getKernel('MaxPool', backendName);
      if (!pool) throw new Error(`maxPool: expected backend '${backendName}' to have a MaxPool kernel, got none`);
      return pool.kernelFunc;
    },
  );
}
