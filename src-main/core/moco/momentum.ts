// The key encoder as a momentum copy of the query encoder: θk ← m·θk + (1−m)·θq over the
// parameters only; the key encoder's BN running statistics stay its own (as the official code).
import * as tf from '@tensorflow/tfjs';

type Params = ReadonlyMap<string, tf.Variable>;

/** θk ← m·θk + (1−m)·θq for every parameter; m = 0 copies, m = 1 leaves θk as it is. */
export function momentumUpdate(paramsK: Params, paramsQ: Params, m: number): void {
  if (!(m >= 0 && m <= 1)) throw new RangeError(`momentumUpdate: expected m in [0, 1], got ${m}`);
  checkSameParams(paramsK, paramsQ);
  tf.tidy(() => {
    const mK = tf.scalar(m);
    const mQ = tf.scalar(1 - m);
    for (const [name, k] of paramsK) {
      k.assign(tf.add(tf.mul(k, mK), tf.mul(paramsQ.get(name)!, mQ)));
    }
  });
}

/** θk ← θq exactly (the key encoder's start). */
export function copyParams(paramsK: Params, paramsQ: Params): void {
  checkSameParams(paramsK, paramsQ);
  tf.tidy(() => {
    for (const [name, k] of paramsK) k.assign(tf.clone(paramsQ.get(name)!));
  });
}

function checkSameParams(a: Params, b: Params): void {
  if (a.size !== b.size) throw new Error(`momentum: expected encoders with the same parameters, got ${a.size} and ${b.size}`);
  for (const [name, v] of a) {
    const w = b.get(name);
    if (!w || w.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`momentum: expected ${name} of shape [${v.shape}] in both encoders, got ${w ? `[${w.shape}]` : 'none'}`);
    }
  }
}
