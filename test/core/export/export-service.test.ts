// Exports and imports through the Studio API: a tiny trained run's encoder as safetensors, TF.js
// and ONNX; its embeddings as .npy + CSV; the curated library as an ImageFolder tree, links or a
// list; and the exported weights imported back as a run that embeds every image identically.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../src-main/core/weights/safetensors';
import { exportSafetensors } from '../../../src-main/core/export/weights-export';
import { modelWithBnStats } from './helpers';
import { makePatternLibrary, trainedStudioSuite, embedToEnd } from '../moco/train/fixtures';

// 18 images in 3 folders, and a folder for the exports
const suite = trainedStudioSuite('export', async (photos, dir) => {
  await makePatternLibrary(photos, 6, 32);
  mkdirSync(join(dir, 'out'));
});
const out = () => join(suite.dir, 'out');

describe('export', () => {
  it('writes the encoder as safetensors with torchvision names, a config and a README', async () => {
    const r = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'safetensors', dir: out() });
    expect(r.dir.startsWith(out())).toBe(true);
    expect(r.files.map((f) => f.path.slice(r.dir.length + 1))).toEqual(['encoder.safetensors', 'config.json', 'README.md']);
    const { tensors } = readSafetensors(readFileSync(join(r.dir, 'encoder.safetensors')));
    expect(tensors.get('conv1.weight')!.shape).toEqual([8, 3, 3, 3]); // OIHW, width 1/8, small stem
    expect(tensors.get('bn1.num_batches_tracked')!.dtype).toBe('I64');
    const config = JSON.parse(readFileSync(join(r.dir, 'config.json'), 'utf8')) as {
      architecture: string;
      stem: string;
      input: { size: number };
    };
    expect(config).toMatchObject({ architecture: 'resnet18', stem: 'small', input: { size: 16 } });
    expect(r.notes).toContain('torchvision');
    // A second export never overwrites the first.
    const again = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'safetensors', dir: out() });
    expect(again.dir).not.toBe(r.dir);
  });

  it('writes TF.js and ONNX models', async () => {
    const tfjs = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'tfjs', dir: out() });
    expect(tfjs.files.map((f) => f.path)).toContainEqual(join(tfjs.dir, 'model.json'));
    const onnx = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'onnx', dir: out() });
    expect(readFileSync(join(onnx.dir, 'encoder.onnx')).length).toBeGreaterThan(1000);
  });

  it('refuses a destination that is not an existing folder, and an unknown run', async () => {
    // A missing folder is named in words a person reads, with a kind the UI offers to create it from.
    const missing = await suite.studio.api
      .exportWeights({ runId: suite.runId, format: 'onnx', dir: join(out(), 'nope') })
      .catch((e: Error) => e);
    expect(missing).toMatchObject({
      name: 'FolderMissing',
      message: `Destination: expected an existing folder, got ${join(out(), 'nope')}, which does not exist`,
    });
    expect(existsSync(join(out(), 'nope'))).toBe(false);
    await expect(suite.studio.api.exportWeights({ runId: 999, format: 'onnx', dir: out() })).rejects.toThrow(
      'exportWeights: expected a run id, got 999',
    );
  });

  it('creates a missing destination (with its parents) when asked, for weights, embeddings and subsets', async () => {
    const deep = join(out(), 'new', 'weights');
    const r = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'safetensors', dir: deep, createFolder: true });
    expect(r.dir.startsWith(deep)).toBe(true);
    expect(existsSync(join(r.dir, 'encoder.safetensors'))).toBe(true);
    const set = (await suite.studio.api.listEmbeddings())[0];
    if (set) {
      const e = await suite.studio.api.exportEmbeddings({
        setId: set.id,
        space: 'embedding',
        dir: join(out(), 'new', 'vectors'),
        createFolder: true,
      });
      expect(e.dir.startsWith(join(out(), 'new', 'vectors'))).toBe(true);
    }
    const s = await suite.studio.api.exportSubset({
      labels: { kind: 'folder', level: -1 },
      layout: 'list',
      mode: 'copy',
      dir: join(out(), 'new', 'subset'),
      folderIds: [],
      createFolder: true,
    });
    expect(s.dir.startsWith(join(out(), 'new', 'subset'))).toBe(true);
    // A file where the folder should be is still refused.
    writeFileSync(join(out(), 'a-file'), 'x');
    await expect(
      suite.studio.api.exportWeights({ runId: suite.runId, format: 'onnx', dir: join(out(), 'a-file'), createFolder: true }),
    ).rejects.toThrow(/which is a file/);
  });

  it('writes embeddings as .npy with an ids CSV, leaving excluded images out', async () => {
    const set = await embedToEnd(suite.studio, suite.runId);
    const first = (await suite.studio.api.listImages({ limit: 1 })).items[0];
    await suite.studio.api.setExcluded([first.id], true);
    const r = await suite.studio.api.exportEmbeddings({ setId: set.id, space: 'embedding', dir: out() });
    const npy = readFileSync(join(r.dir, 'embeddings.npy'));
    const header = npy.subarray(10, 10 + npy.readUInt16LE(8)).toString('latin1');
    expect(header).toContain("'shape': (17, 128)");
    const csv = readFileSync(join(r.dir, 'ids.csv'), 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('row,image_id,path');
    expect(csv).toHaveLength(18);
    expect(csv.some((l) => l.split(',')[1] === String(first.id))).toBe(false);
    await suite.studio.api.setExcluded([first.id], false);
  });

  it('writes the curated subset as an ImageFolder tree (copies or links) or a labelled list', async () => {
    const tree = await suite.studio.api.exportSubset({
      labels: { kind: 'folder', level: -1 },
      layout: 'tree',
      mode: 'copy',
      dir: out(),
      folderIds: [],
    });
    expect(readdirSync(join(tree.dir, 'train')).sort()).toEqual(['across', 'checker', 'down']);
    expect(readdirSync(join(tree.dir, 'train', 'down'))).toHaveLength(6);
    expect(tree.notes).toContain('main_moco.py');
    expect(tree.notes).toContain('--world-size N --rank <i>');
    const links = await suite.studio.api.exportSubset({
      labels: { kind: 'folder', level: 0 },
      layout: 'tree',
      mode: 'symlink',
      dir: out(),
      folderIds: [],
    });
    const link = join(links.dir, 'train', 'across', readdirSync(join(links.dir, 'train', 'across'))[0]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const list = await suite.studio.api.exportSubset({
      labels: { kind: 'folder', level: -1 },
      layout: 'list',
      mode: 'copy',
      dir: out(),
      folderIds: [],
    });
    const rows = readFileSync(join(list.dir, 'files.csv'), 'utf8').trim().split(/\r?\n/);
    expect(rows[0]).toBe('path,label');
    expect(rows).toHaveLength(19);
    await expect(
      suite.studio.api.exportSubset({ labels: { kind: 'tag' }, layout: 'list', mode: 'copy', dir: out(), folderIds: [] }),
    ).rejects.toThrow(/exportSubset: expected labelled images, got none for tags/);
  });
});

describe('import', () => {
  it('imports exported safetensors as a run whose embeddings equal the original encoder’s', async () => {
    const exported = await suite.studio.api.exportWeights({ runId: suite.runId, format: 'safetensors', dir: out() });
    // The input size comes from the config.json the export wrote next to the weights.
    const { run, report } = await suite.studio.api.importWeights(join(exported.dir, 'encoder.safetensors'), { name: 'round trip' });
    expect(run).toMatchObject({ status: 'imported', name: 'round trip' });
    expect(run.config).toMatchObject({ arch: 'resnet18', stem: 'small', widthMultiplier: 0.125, inputSize: 16 });
    expect(report).toMatch(/loaded/i);
    // Success reads as success: no "expected …, got 0 missing" sentence.
    expect(report).toMatch(/^Read a resnet18 \(small stem, width x0.125, linear head of 128\): \d+ tensors loaded\.$/m);
    expect(report).not.toMatch(/expected|missing|shape-mismatched/);
    expect(report).toContain('recorded as MoCo v1 (linear head): T 0.07, augmentation v1');
    expect(run.config).toMatchObject({ T: 0.07, augmentation: 'v1', mlpHead: false });
    const original = (await suite.studio.api.listEmbeddings()).find((s) => s.runId === suite.runId)!;
    const copy = await embedToEnd(suite.studio, run.id);
    expect(copy.error).toBeNull();
    expect(copy.count).toBe(original.count);
    const q = (await suite.studio.api.listImages({ limit: 1 })).items[0].id;
    const a = await suite.studio.api.searchSimilar({ setId: original.id, query: { imageId: q }, k: 5 });
    const b = await suite.studio.api.searchSimilar({ setId: copy.id, query: { imageId: q }, k: 5 });
    expect(b.hits.map((h) => h.image.id)).toEqual(a.hits.map((h) => h.image.id));
    b.hits.forEach((h, i) => expect(h.score).toBeCloseTo(a.hits[i].score, 5));
  });

  it('records an MLP-head encoder as MoCo v2 (T 0.2, augmentation v2), not with v1 settings', async () => {
    const model = modelWithBnStats({ arch: 'resnet18', stem: 'small', widthMultiplier: 0.125, mlpHead: true, outDim: 32 }, 4);
    const file = join(suite.dir, 'mlp.safetensors');
    try {
      writeFileSync(file, (await exportSafetensors(model, { inputSize: 16 })).safetensors);
    } finally {
      model.dispose();
    }
    const { run, report } = await suite.studio.api.importWeights(file, { inputSize: 16 });
    expect(run.config).toMatchObject({ mlpHead: true, T: 0.2, augmentation: 'v2', dim: 32 });
    expect(report).toMatch(/^Read a resnet18 \(small stem, width x0.125, MLP head of 32\): \d+ tensors loaded\./);
    expect(report).toContain('recorded as MoCo v2 (MLP head): T 0.2, augmentation v2');
    expect(report).not.toMatch(/expected/);
  });

  it('lists what did not match in a partial official checkpoint, and refuses a missing file', async () => {
    const partial = resolve('test/core/export/fixtures/moco_v1_r18.pth.tar');
    expect(existsSync(partial)).toBe(true);
    await expect(suite.studio.api.importWeights(partial)).rejects.toThrow(
      /importResNet: expected the keys of a ResNet-18, -34 or -50 to tell the architecture/,
    );
    await expect(suite.studio.api.importWeights(join(suite.dir, 'none.pth.tar'))).rejects.toThrow(
      /importWeights: expected a weights file, got .*none\.pth\.tar \(no such file\)/,
    );
  });
});
