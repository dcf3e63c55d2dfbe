// The encoder as a TF.js LayersModel built from stock layers only, so that a plain
// tf.loadLayersModel (browser or Node, no custom classes) runs it: ZeroPadding2D + Conv2D
// (torch's symmetric padding, no bias), BatchNormalization with the running statistics
// (eps 1e-5), ReLU, Add, MaxPooling2D, GlobalAveragePooling2D and Dense layers, all named after
// the torch modules. Two outputs, as in the ONNX export: `features` (pooled backbone, NxD) and
// `embedding` (the L2-normalised head output, NxoutDim). Input: NHWC float32, RGB normalised.
//
// TF.js has no serialisable L2-normalisation layer; the stock layers give it exactly: the last
// head Dense writes every output z_i twice, as (z_i, -z_i). Their mean is 0 and their variance
// ||z||²/outDim, so LayerNormalization with gamma 1/sqrt(outDim) yields (z_i, -z_i) / ||z||
// (with eps 1e-12 on the variance, as F.normalize clamps ||z|| at 1e-12); a Reshape to
// outDim x 2 and a Dense(1) with kernel [1, 0] keep the first of each pair.
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../api/errors';
import { BN_EPS, BN_MOMENTUM } from '../moco/batchnorm';
import type { ResNet, ResNetConvSpec } from '../moco/resnet';

export const TFJS_MODEL_FILE = 'model.json';
/** TF.js's own shard size for weight files. */
const SHARD_BYTES = 4 * 1024 * 1024;
const L2_EPS = 1e-12;

type Sym = tf.SymbolicTensor;

/** A LayersModel with the weights and running statistics `model` has now; the caller disposes it. */
export function buildLayersModel(model: ResNet, inputSize: number): tf.LayersModel {
  if (!(Number.isInteger(inputSize) && inputSize >= 1))
    throw new InvalidInputError(`buildLayersModel: expected a positive integer inputSize, got ${inputSize}`);
  const d = model.describe();
  const param = (name: string) => {
    const v = model.params.get(name) ?? model.buffers.get(name);
    if (!v) throw new Error(`buildLayersModel: expected a parameter or buffer named ${name}, got none`);
    return v;
  };
  // Weights are set after the model is built (a layer has variables only once it has been applied).
  const pending: { layer: tf.layers.Layer; weights: () => tf.Tensor[] }[] = [];
  const apply = (layer: tf.layers.Layer, x: Sym | Sym[], weights?: () => tf.Tensor[]): Sym => {
    if (weights) pending.push({ layer, weights });
    return layer.apply(x) as Sym;
  };
  const relu = (name: string, x: Sym) => apply(tf.layers.reLU({ name }), x);

  const convBn = (c: ResNetConvSpec, x: Sym): Sym => {
    // torch's padding: 'same' equals it at stride 1; otherwise pad explicitly, then 'valid'.
    const same = c.stride === 1 && 2 * c.pad === c.k - 1;
    const input = c.pad > 0 && !same ? apply(tf.layers.zeroPadding2d({ padding: c.pad, name: `${c.name}.pad` }), x) : x;
    const conv = tf.layers.conv2d({
      filters: c.co,
      kernelSize: c.k,
      strides: c.stride,
      padding: same ? 'same' : 'valid',
      useBias: false,
      name: c.name,
    });
    const h = apply(conv, input, () => [param(`${c.name}.weight`)]); // NxHxWxCo, kernel [KH,KW,Ci,Co] as stored
    const bn = tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPS, momentum: 1 - BN_MOMENTUM, name: c.bnName });
    return apply(bn, h, () => ['weight', 'bias', 'running_mean', 'running_var'].map((k) => param(`${c.bnName}.${k}`)));
  };

  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = relu('relu', convBn(d.stem.conv, input));
  if (d.stem.maxPool) {
    // MaxPool2d(3, 2, padding 1) after a ReLU: zero padding equals torch's -inf padding there.
    x = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }), x);
    x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }), x);
  }
  for (const block of d.blocks) {
    let h = x;
    for (const [i, c] of block.convs.entries()) {
      h = convBn(c, h);
      if (i < block.convs.length - 1) h = relu(`${block.prefix}.relu${i + 1}`, h);
    }
    const identity = block.downsample ? convBn(block.downsample, x) : x;
    x = relu(`${block.prefix}.relu`, apply(tf.layers.add({ name: `${block.prefix}.add` }), [h, identity]));
  }
  const features = apply(tf.layers.globalAveragePooling2d({ name: 'features' }), x); // NxD

  let y = features;
  const linears = d.head.linears;
  for (const [i, name] of linears.entries()) {
    const w = param(`${name}.weight`); // [in, out]
    const b = param(`${name}.bias`);
    if (i > 0) y = relu(`${linears[i - 1]}.relu`, y);
    if (i < linears.length - 1) {
      y = apply(tf.layers.dense({ units: w.shape[1] as number, name }), y, () => [w, b]);
      continue;
    }
    // The last linear writes each output twice, (z, -z): Nx(2·outDim).
    const twice = (t: tf.Tensor) =>
      tf.reshape(tf.stack([t, tf.neg(t)], -1), [...t.shape.slice(0, -1), 2 * (t.shape[t.rank - 1] as number)]);
    y = apply(tf.layers.dense({ units: 2 * d.outDim, name }), y, () => [twice(w), twice(b)]);
  }
  const D = d.outDim;
  y = apply(tf.layers.layerNormalization({ axis: -1, epsilon: L2_EPS, center: false, name: 'l2norm' }), y, () => [
    tf.fill([2 * D], 1 / Math.sqrt(D)),
  ]);
  y = apply(tf.layers.reshape({ targetShape: [D, 2], name: 'l2norm.pairs' }), y); // NxDx2
  y = apply(tf.layers.dense({ units: 1, useBias: false, name: 'l2norm.first' }), y, () => [tf.tensor2d([1, 0], [2, 1])]); // NxDx1
  const embedding = apply(tf.layers.flatten({ name: 'embedding' }), y); // NxD

  const o = model.options;
  const lm = tf.model({ inputs: input, outputs: [features, embedding], name: `${o.arch}_${o.stem}` });
  try {
    for (const { layer, weights } of pending) tf.tidy(() => layer.setWeights(weights()));
  } catch (err) {
    lm.dispose();
    throw err;
  }
  return lm;
}

/** A file of an export: its name in the export folder and its bytes. */
export interface ExportedFile {
  name: string;
  data: Buffer;
}

/** model.json (topology + weights manifest) and group1-shardXofN.bin files, as tf.io's file handlers write them. */
export async function saveLayersModel(lm: tf.LayersModel, userDefinedMetadata?: Record<string, unknown>): Promise<ExportedFile[]> {
  if (userDefinedMetadata) lm.setUserDefinedMetadata(userDefinedMetadata);
  let artifacts: tf.io.ModelArtifacts | null = null;
  await lm.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightSpecs || a.weightData === undefined)
    throw new Error('saveLayersModel: expected model artifacts with weights, got none');
  const topology = a.modelTopology;
  if (!topology || topology instanceof ArrayBuffer) throw new Error('saveLayersModel: expected a JSON model topology, got none');
  const data = Buffer.from(tf.io.concatenateArrayBuffers(a.weightData));
  const count = Math.max(1, Math.ceil(data.length / SHARD_BYTES));
  const shards = Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    data: data.subarray(i * SHARD_BYTES, Math.min(data.length, (i + 1) * SHARD_BYTES)),
  }));
  const json: tf.io.ModelJSON = {
    modelTopology: topology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    weightsManifest: [{ paths: shards.map((s) => s.name), weights: a.weightSpecs }],
    ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
  };
  return [{ name: TFJS_MODEL_FILE, data: Buffer.from(JSON.stringify(json), 'utf8') }, ...shards];
}

/**
 * An IOHandler that loads a model.json and the weight files it lists from `files` (name -> bytes),
 * e.g. read from an export folder: tf.loadLayersModel(tfjsFilesHandler(files)).
 */
export function tfjsFilesHandler(files: ReadonlyMap<string, Uint8Array>): tf.io.IOHandler {
  return {
    load: async () => {
      const where = 'tfjsFilesHandler';
      const json = files.get(TFJS_MODEL_FILE);
      if (!json)
        throw new InvalidInputError(`${where}: expected a ${TFJS_MODEL_FILE}, got files ${[...files.keys()].join(', ') || 'none'}`);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(Buffer.from(json).toString('utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new InvalidInputError(`${where}: expected JSON in ${TFJS_MODEL_FILE}, got invalid JSON (${(err as Error).message})`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const path of group.paths) {
            const bytes = files.get(path);
            if (!bytes) throw new InvalidInputError(`${where}: expected the weight file ${path} that ${TFJS_MODEL_FILE} lists, got none`);
            parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [manifest.flatMap((g) => g.weights), tf.io.concatenateArrayBuffers(parts)];
      });
    },
  };
}
