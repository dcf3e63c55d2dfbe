import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeTensorToFloat32 } from '../../../src-main/core/weights/safetensors';
import {
  importTorchCheckpoint,
  readTorchFile,
  readWeightsFile,
  TorchTensor,
  type TorchDtype,
} from '../../../src-main/core/weights/torch-file';
import { detectResNetOptions, importResNet } from '../../../src-main/core/weights/torch-import';
import { toTorchStateDict } from '../../../src-main/core/weights/torch-names';
import { exportSafetensors } from '../../../src-main/core/export/weights-export';
import { torchShape } from '../../../src-main/core/moco/params';
import { ResNet } from '../../../src-main/core/moco/resnet';
import { useCpuBackend } from '../moco/helpers';
import { modelWithBnStats, randomImages } from './helpers';

beforeAll(useCpuBackend);

const fixtureFile = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
interface TensorInfo {
  name: string;
  dtype: TorchDtype;
  shape: number[];
  formula?: true;
  values?: number[];
}
const fixture = JSON.parse(fixtureFile('torch-fixtures.json').toString('utf8')) as {
  moco: { file: string; epoch: number; arch: string; tensors: TensorInfo[]; lr: number; paramGroupKeys: string[] };
  deflated: string;
  plain: { file: string; tensors: TensorInfo[] };
  legacy: string;
};

/** make_torch_fixtures.py's values, exact in float32. */
function formula(name: string, shape: number[]): Float32Array {
  let k = 0;
  for (let j = 0; j < name.length; j++) k += name.charCodeAt(j) * (j + 1);
  k %= 1009;
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => (((i * 7919 + k) % 2001) - 1000) / 1024);
}

function expectTensors(sd: Map<string, TorchTensor>, infos: TensorInfo[]): void {
  expect([...sd.keys()]).toEqual(infos.map((t) => t.name));
  for (const info of infos) {
    const t = sd.get(info.name)!;
    expect(t.dtype, info.name).toBe(info.dtype);
    expect(t.shape, info.name).toEqual(info.shape);
    const expected = info.formula ? formula(info.name, info.shape) : Float32Array.from(info.values!);
    expect(Buffer.from(t.data.buffer).equals(Buffer.from(expected.buffer)), info.name).toBe(true);
  }
}

/** A zip of stored entries, as torch writes them (for hand-made archives). */
function storedZip(entries: [string, Uint8Array][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, Buffer.from(data));
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(dir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, eocd]);
}

const pickle = (s: string) => Buffer.from(s, 'latin1');

describe('reading torch checkpoints', () => {
  it("reads an official MoCo checkpoint: torch.save's zip, the state_dict under 'state_dict', every tensor's values", () => {
    const sd = importTorchCheckpoint(fixtureFile(fixture.moco.file));
    expectTensors(sd, fixture.moco.tensors);
    expect(sd.get('module.encoder_q.bn1.num_batches_tracked')!.data[0]).toBe(200180);
  });

  it('reads the whole pickled object: numbers, strings, lists, dicts with int keys, and views with strides and offsets', () => {
    const root = readTorchFile(fixtureFile(fixture.moco.file)) as Map<string, unknown>;
    expect(root.get('epoch')).toBe(fixture.moco.epoch);
    expect(root.get('arch')).toBe(fixture.moco.arch);
    const optimizer = root.get('optimizer') as Map<string, unknown>;
    const [group] = optimizer.get('param_groups') as Map<string, unknown>[];
    expect([...group.keys()].sort()).toEqual(fixture.moco.paramGroupKeys);
    expect(group.get('lr')).toBe(fixture.moco.lr);
    expect(group.get('nesterov')).toBe(false);
    expect(group.get('foreach')).toBe(null);
    expect(group.get('params')).toEqual([0, 1]);
    const state = optimizer.get('state') as Map<number, Map<string, TorchTensor>>;
    // fc.weight.t(): the [16, 512] storage read with strides (1, 512).
    const fcName = 'module.encoder_q.fc.weight';
    const fc = formula(fcName, [16, 512]);
    const t = state.get(0)!.get('momentum_buffer')!;
    expect(t.shape).toEqual([512, 16]);
    for (const [r, c] of [
      [0, 0],
      [0, 15],
      [511, 3],
      [200, 9],
    ])
      expect(t.data[r * 16 + c]).toBe(fc[c * 512 + r]);
    // conv1.weight[1]: 147 values from offset 147.
    const conv1 = formula('module.encoder_q.conv1.weight', [64, 3, 7, 7]);
    const v = state.get(1)!.get('momentum_buffer')!;
    expect(v.shape).toEqual([3, 7, 7]);
    expect(Array.from(v.data)).toEqual(Array.from(conv1.subarray(147, 294)));
  });

  it('reads a deflated archive like the stored one', () => {
    expectTensors(importTorchCheckpoint(fixtureFile(fixture.deflated)), fixture.moco.tensors);
  });

  it("reads a plain torchvision state_dict (an OrderedDict with _metadata, torch's BUILD)", () => {
    const sd = readWeightsFile(fixtureFile(fixture.plain.file));
    expectTensors(sd, fixture.plain.tensors);
  });

  it('refuses the legacy (pre-1.6) format by name', () => {
    expect(() => readWeightsFile(fixtureFile(fixture.legacy))).toThrow(
      /got the legacy format .* not supported; in Python: torch.save\(torch.load\(old_path\), new_path\)/,
    );
  });

  it('refuses corrupt archives clearly', () => {
    const bytes = Buffer.from(fixtureFile(fixture.moco.file));
    const flipped = Buffer.from(bytes);
    flipped[2000] ^= 0xff; // inside the first storage
    expect(() => importTorchCheckpoint(flipped)).toThrow(
      /expected CRC-32 0x[0-9a-f]{8} of moco_v1_r18.pth\/data\/\d+, got 0x[0-9a-f]{8} \(a corrupt file\)/,
    );
    expect(() => importTorchCheckpoint(bytes.subarray(0, bytes.length - 100))).toThrow(
      /expected a zip archive with an end of central directory record, got none/,
    );
    expect(() => readWeightsFile(Buffer.from('hello world, not weights'))).toThrow(
      /expected a torch checkpoint \(zip\) or a safetensors file, got a file starting with bytes 68 65 6c/,
    );
  });

  it('refuses pickled Python objects, unknown opcodes, TorchScript archives and dicts without tensors', () => {
    // os.system('ls'): GLOBAL, a tuple, REDUCE.
    const evil = storedZip([['archive/data.pkl', pickle('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.')]]);
    expect(() => readTorchFile(evil)).toThrow(
      /expected only tensors, dicts, lists, strings and numbers .*, got a pickled os.system; save the weights alone/,
    );
    const textInt = storedZip([['archive/data.pkl', pickle('\x80\x02I1\n.')]]);
    expect(() => readTorchFile(textInt)).toThrow(/expected a pickle opcode torch.save writes, got opcode 0x49 \('I'\) at byte 2/);
    const truncated = storedZip([['archive/data.pkl', pickle('\x80\x02X\x10\x00\x00\x00abc')]]);
    expect(() => readTorchFile(truncated)).toThrow(/got the end of the data \(a truncated pickle\)/);
    const script = storedZip([
      ['archive/data.pkl', pickle('\x80\x02}.')],
      ['archive/constants.pkl', pickle('\x80\x02).')],
    ]);
    expect(() => readTorchFile(script)).toThrow(/got a TorchScript archive \(torch.jit.save\)/);
    const noTensors = storedZip([['archive/data.pkl', pickle('\x80\x02}q\x00X\x05\x00\x00\x00epochq\x01K\x03s.')]]);
    expect(readTorchFile(noTensors)).toEqual(new Map([['epoch', 3]]));
    expect(() => importTorchCheckpoint(noTensors)).toThrow(/expected a state_dict of tensors .*, got a dict with keys epoch/);
  });
});

/** A state_dict of `model` as the file readers give it, under `prefix`. */
async function asTorchTensors(model: ResNet, prefix = ''): Promise<Map<string, TorchTensor>> {
  const out = new Map<string, TorchTensor>();
  for (const [name, t] of await toTorchStateDict(model)) {
    out.set(prefix + name, new TorchTensor(t.dtype === 'I64' ? 'int64' : 'float32', t.shape, safeTensorToFloat32(t)));
  }
  return out;
}

function expectSameWeights(a: ResNet, b: ResNet): void {
  for (const [mapA, mapB] of [
    [a.params, b.params],
    [a.buffers, b.buffers],
  ]) {
    expect([...mapB.keys()]).toEqual([...mapA.keys()]);
    for (const [name, v] of mapA) expect(Array.from(mapB.get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
  }
}

describe('mapping a torch state_dict onto the ResNet', () => {
  const options = { arch: 'resnet18', stem: 'small', widthMultiplier: 1 / 8, outDim: 32, mlpHead: true } as const;
  let source: ResNet;
  beforeAll(() => {
    source = modelWithBnStats(options, 5);
    tf.tidy(() => source.buffers.get('layer1.0.bn1.num_batches_tracked')!.assign(tf.scalar(321, 'int32')));
  });
  afterAll(() => source.dispose());

  it('strips module.encoder_q., ignores the key encoder and queue, detects the options and loads every tensor', async () => {
    const sd = await asTorchTensors(source, 'module.encoder_q.');
    for (const [k, t] of await asTorchTensors(source, 'module.encoder_k.')) sd.set(k, t);
    sd.set('module.queue', new TorchTensor('float32', [32, 64], new Float32Array(32 * 64)));
    sd.set('module.queue_ptr', new TorchTensor('int64', [1], new Float32Array(1)));
    const { model, report } = importResNet(sd);
    try {
      expect(report.prefix).toBe('module.encoder_q.');
      expect(report.detected).toMatchObject(options);
      expect(report.options).toEqual(source.options);
      expect(report.ignored).toHaveLength(source.params.size + source.buffers.size + 2);
      expect(report.ignored).toContain('module.queue_ptr');
      expect([report.unknown, report.missing, report.mismatched]).toEqual([[], [], []]);
      expect(report.loaded).toBe(source.params.size + source.buffers.size);
      expectSameWeights(source, model);
      const x = tf.tensor4d(randomImages(2, 16, 3), [2, 16, 16, 3]);
      const [a, b] = [source, model].map((m) => tf.tidy(() => m.forward(x, { training: false }).embedding.dataSync()));
      x.dispose();
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      model.dispose();
    }
  });

  it('loads its own safetensors export back exactly (torchvision names, no prefix)', async () => {
    const { safetensors } = await exportSafetensors(source, { inputSize: 32 });
    const { model, report } = importResNet(readWeightsFile(safetensors));
    try {
      expect(report.prefix).toBe('');
      expect(report.options).toEqual(source.options);
      expectSameWeights(source, model);
    } finally {
      model.dispose();
    }
  });

  it('lists missing, unknown and shape-mismatched keys; strict refuses the first two, mismatches are always refused', async () => {
    const sd = await asTorchTensors(source);
    sd.delete('layer2.0.downsample.0.weight');
    sd.delete('layer3.1.bn2.num_batches_tracked'); // optional: older files have none
    sd.set('extra.weight', new TorchTensor('float32', [2], new Float32Array(2)));
    expect(() => importResNet(sd)).toThrow(
      /expected a state_dict of a resnet18 \(small stem, width x0.125, MLP head of 32\), got 1 missing, 1 unknown and 0 shape-mismatched keys .*\nmissing: layer2.0.downsample.0.weight\nunknown: extra.weight$/s,
    );
    const { model, report } = importResNet(sd, { strict: false });
    expect([report.missing, report.unknown]).toEqual([['layer2.0.downsample.0.weight'], ['extra.weight']]);
    expect(model.buffers.get('layer3.1.bn2.num_batches_tracked')!.dataSync()[0]).toBe(0);
    model.dispose();

    const bad = await asTorchTensors(source);
    bad.set('fc.2.bias', new TorchTensor('float32', [31], new Float32Array(31)));
    bad.set('layer1.0.conv1.weight', new TorchTensor('float32', [8, 8, 1, 1], new Float32Array(64)));
    expect(() => importResNet(bad, { strict: false })).toThrow(
      /\nmismatched: layer1.0.conv1.weight expected \[8, 8, 3, 3\], got \[8, 8, 1, 1\], fc.2.bias expected \[32\], got \[31\]$/,
    );
    const before = tf.memory().numTensors;
    expect(() => importResNet(bad, { strict: false })).toThrow();
    expect(tf.memory().numTensors).toBe(before); // the refused model is disposed
  });

  it('detects ResNet-50 (bottleneck blocks) and refuses other depths clearly', () => {
    const r50 = new ResNet({ arch: 'resnet50', stem: 'imagenet', widthMultiplier: 1 / 16, outDim: 8 }, null);
    const shapes = new Map([...r50.params].map(([k, v]) => [k, torchShape(v.shape)]));
    r50.dispose();
    expect(detectResNetOptions(shapes)).toMatchObject({
      arch: 'resnet50',
      stem: 'imagenet',
      widthMultiplier: 4 / 64,
      mlpHead: false,
      outDim: 8,
    });
    shapes.set('layer3.22.conv1.weight', [16, 64, 1, 1]);
    const sd = new Map([...shapes].map(([k, s]) => [k, new TorchTensor('float32', s, new Float32Array(s.reduce((a, b) => a * b, 1)))]));
    expect(() => importResNet(sd)).toThrow(/got bottleneck blocks \[3, 4, 23, 3\] in layer1..layer4 \(ResNet-18: basic \[2, 2, 2, 2\]/);
  });

  it('maps the MoCo fixture: a partial file needs the architecture, and lists what it lacks', () => {
    const sd = importTorchCheckpoint(fixtureFile(fixture.moco.file));
    expect(() => importResNet(sd)).toThrow(
      /expected the keys of a ResNet-18, -34 or -50 to tell the architecture, got basic blocks \[1, 0, 0, 0\]/,
    );
    expect(() => importResNet(sd, { expected: { arch: 'resnet18' } })).toThrow(
      /under module.encoder_q., got \d+ missing, 0 unknown and 0 shape-mismatched keys \(9 loaded\)\nmissing: layer1.0.conv1.weight, /,
    );
    const { model, report } = importResNet(sd, { expected: { arch: 'resnet18' }, strict: false });
    try {
      expect(report.prefix).toBe('module.encoder_q.');
      expect(report.detected).toEqual({
        stem: 'imagenet',
        widthMultiplier: 1,
        mlpHead: false,
        outDim: 16,
        blocks: [1, 0, 0, 0],
        bottleneck: false,
      });
      expect(report.ignored).toEqual(['module.encoder_k.bn1.weight', 'module.queue', 'module.queue_ptr']);
      expect(report.loaded).toBe(9);
      expect(report.missing).not.toContain('bn1.weight');
      // conv1 [64,3,7,7] OIHW -> HWIO; fc [16,512] -> [512,16].
      const conv1 = formula('module.encoder_q.conv1.weight', [64, 3, 7, 7]);
      const w = model.params.get('conv1.weight')!;
      expect(w.shape).toEqual([7, 7, 3, 64]);
      const hwio = w.dataSync();
      for (const [o, i, y, x] of [
        [0, 0, 0, 0],
        [63, 2, 6, 6],
        [10, 1, 3, 5],
      ])
        expect(hwio[((y * 7 + x) * 3 + i) * 64 + o]).toBe(conv1[((o * 3 + i) * 7 + y) * 7 + x]);
      const fc = formula('module.encoder_q.fc.weight', [16, 512]);
      expect(model.params.get('fc.weight')!.dataSync()[5 * 16 + 3]).toBe(fc[3 * 512 + 5]);
      expect(model.buffers.get('bn1.num_batches_tracked')!.dataSync()[0]).toBe(200180);
    } finally {
      model.dispose();
    }
  });

  it('maps the plain torchvision fixture: no prefix, small stem, a 10-class fc', () => {
    const { model, report } = importResNet(readWeightsFile(fixtureFile(fixture.plain.file)), {
      expected: { arch: 'resnet18' },
      strict: false,
    });
    model.dispose();
    expect(report.prefix).toBe('');
    expect(report.detected).toMatchObject({ stem: 'small', widthMultiplier: 1, mlpHead: false, outDim: 10 });
    expect(report.ignored).toEqual([]);
    expect(report.loaded).toBe(fixture.plain.tensors.length);
  });
});
