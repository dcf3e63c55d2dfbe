// Augmented batches per second on the active TF.js backend (wasm unless MOCO_BACKEND says
// otherwise): `npx tsx test/core/moco/data/augment-bench.ts`. Two views per batch, as training.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Augmenter } from '../../../../src-main/core/moco/data/augment';
import { cacheSideFor } from '../../../../src-main/core/moco/data/decode';

async function bench(recipe: 'v1' | 'v2', batch: number, R: number): Promise<number> {
  const S = cacheSideFor(R);
  const data = new Uint8Array(batch * S * S * 3).map((_, i) => (i * 2654435761) >>> 24);
  const aug = new Augmenter({ recipe, resolution: R, seed: 1 });
  const run = () => {
    const { q, k } = aug.twoViews({ data, n: batch, size: S });
    q.dataSync(); // waits for the work, as the training step would
    tf.dispose([q, k]);
  };
  for (let i = 0; i < 3; i++) run();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 3000) {
    run();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

tf.env().set('IS_TEST', true);
await tf.setBackend(process.env.MOCO_BACKEND ?? 'wasm');
console.log(`backend ${tf.getBackend()}`);
for (const recipe of ['v1', 'v2'] as const) {
  for (const [batch, R] of [
    [64, 64],
    [128, 32],
  ]) {
    const perSecond = await bench(recipe, batch, R);
    console.log(
      `${recipe} batch ${batch} R ${R}: ${perSecond.toFixed(1)} batches/s (${(perSecond * batch).toFixed(0)} images/s, two views each)`,
    );
  }
}
