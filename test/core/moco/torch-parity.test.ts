// The TF.js ResNets against torchvision on the same weights and inputs (fixtures/torch_parity.py
// computed the reference in float64). Forward only, so the fast wasm backend runs it.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ResNet, type ResNetArch, type ResNetStem } from '../../../src-main/core/moco/resnet';
import { expectAllClose, values } from './helpers';
import { formulaInput, loadFormulaWeights } from './torch-parity';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

interface ParityCase {
  arch: ResNetArch;
  stem: ResNetStem;
  mlpHead: boolean;
  input: number[];
  training: boolean;
  bnGroups: number;
  features: number[]; // the first 64 columns of NxD
  embedding: number[];
  buffers?: Record<string, number[]>; // running stats after the training forward
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-parity.json', import.meta.url), 'utf8')) as {
  cases: ParityCase[];
};

describe('ResNet equals torchvision on the same weights', () => {
  const built = new Map<string, ResNet>();
  afterAll(() => {
    for (const m of built.values()) m.dispose();
  });

  for (const c of fixture.cases) {
    const label = `${c.arch} ${c.stem} stem${c.mlpHead ? ', MLP head' : ''}, ${c.training ? `training, ${c.bnGroups} BN group(s)` : 'eval'}`;
    it(label, () => {
      const key = `${c.arch}/${c.stem}/${c.mlpHead}`;
      let model = built.get(key);
      if (!model) {
        model = new ResNet({ arch: c.arch, stem: c.stem, mlpHead: c.mlpHead }, null);
        built.set(key, model);
        loadFormulaWeights(model, 'all');
      } else {
        loadFormulaWeights(model, 'buffers'); // undo the previous case's running-stat updates
      }
      const x = formulaInput(c.input);
      const { features, embedding } = model.forward(x, { training: c.training, bnGroups: c.bnGroups });
      const firstCols = tf.slice(features, [0, 0], [c.input[0], 64]);
      const scale = Math.max(...c.features.map(Math.abs));
      expectAllClose(values(firstCols), c.features, 1e-3, 1e-4 * scale);
      expectAllClose(values(embedding), c.embedding, 1e-3, 2e-5);
      for (const [name, expected] of Object.entries(c.buffers ?? {})) {
        expectAllClose(values(model.buffers.get(name)!), expected, 1e-3, 1e-5);
      }
      tf.dispose([x, features, embedding, firstCols]);
    });
  }
});
