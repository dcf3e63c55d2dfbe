// Exports and imports of the API: a run's encoder as safetensors (torchvision names), TF.js or
// ONNX; a set's embeddings as .npy with an ids/paths CSV; the curated library (excluded images
// left out) as an ImageFolder tree or a labelled file list for the official PyTorch MoCo
// training; and encoder weights read back from a PyTorch checkpoint or a safetensors file as an
// imported run. Files go into a new folder inside the one the user names; nothing is
// overwritten.
import { copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type {
  ExportEmbeddingsRequest,
  ExportResult,
  ExportSubsetRequest,
  ExportWeightsRequest,
  ImportWeightsOptions,
  ImportWeightsResult,
  RunSummary,
  TrainConfig,
} from '../../api/contract';
import { ConflictError, FolderMissingError, InvalidInputError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import type { EmbeddingsStore } from '../db/embeddings-store';
import { RunsStore } from '../db/runs-store';
import { initEngine } from '../engine/backend';
import { saveEncoder } from '../moco/dictionary/dictionary';
import type { ResNet } from '../moco/resnet';
import { Rng } from '../moco/rng';
import { writeCheckpoint } from '../moco/train/checkpoint';
import { defaultConfig } from '../moco/train/presets';
import { runDirIn } from '../moco/train/trainer';
import { loadRunEncoder } from '../moco/train/encoder-loader';
import { labelsOf, type LibraryImage, libraryImages } from '../library/library-labels';
import { exportResNetOnnx } from './onnx';
import { importResNet, readWeightsFile, summarizeImport } from './torch-import';
import {
  ENCODER_CONFIG_FORMAT,
  encoderReadme,
  exportEmbeddingIdsCsv,
  exportEmbeddingsNpy,
  exportSafetensors,
  exportTfjs,
  SAFETENSORS_FILE,
} from './weights-export';
import { toCsv } from './csv';
import type { OwnerIdentity } from '../db/job-owner';

/** Weights files read at most (a ResNet-50 checkpoint with optimizer state is ~0.5 GB). */
const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

export interface ExportDeps {
  db: Db;
  dataDir: string;
  embeddings: EmbeddingsStore;
  onRunsChanged: (runId: number) => void;
  me: OwnerIdentity;
}

export class ExportService {
  private readonly runs: RunsStore;

  constructor(private readonly deps: ExportDeps) {
    this.runs = new RunsStore(deps.db, deps.me);
  }

  async exportWeights(req: ExportWeightsRequest): Promise<ExportResult> {
    const where = 'exportWeights';
    const run = this.requireRun(where, req.runId);
    const out = await newFolderIn(where, req.dir, `${slug(run.name)}-${req.format}`, req.createFolder);
    await initEngine();
    const { model, step } = loadRunEncoder(where, runDirIn(this.deps.dataDir, run.id), run.config);
    try {
      const { safetensors, configJson } = await exportSafetensors(model, run.config, { runId: run.id, step });
      const readme = encoderReadme(configJson);
      const files: { name: string; data: Buffer | string }[] = [];
      if (req.format === 'safetensors') {
        files.push({ name: SAFETENSORS_FILE, data: safetensors });
      } else if (req.format === 'tfjs') {
        for (const f of await exportTfjs(model, run.config.inputSize)) files.push(f);
      } else {
        files.push({ name: 'encoder.onnx', data: Buffer.from(await exportResNetOnnx(model)) });
      }
      files.push({ name: 'config.json', data: `${JSON.stringify({ ...configJson, weights: files[0].name }, null, 2)}\n` });
      files.push({ name: 'README.md', data: readme });
      return await writeAll(out, files, notesFor(req.format, readme, out));
    } finally {
      model.dispose();
    }
  }

  async exportEmbeddings(req: ExportEmbeddingsRequest): Promise<ExportResult> {
    const where = 'exportEmbeddings';
    const set = this.deps.embeddings.get(req.setId);
    if (!set) throw new NotFoundError(`${where}: expected an embedding set id, got ${req.setId}`);
    if (set.count === 0)
      throw new InvalidInputError(`${where}: expected a set with embeddings, got set ${set.id} with none (compute them first)`);
    const v = this.deps.embeddings.vectors(set.id, set.featureDim, set.outDim);
    const dim = req.space === 'features' ? set.featureDim : set.outDim;
    const all = req.space === 'features' ? v.features : v.embedding;
    // Excluded images leave the export; paths come from the library as it is now.
    const facts = new Map(libraryImages(this.deps.db, []).map((im) => [im.id, im]));
    const keep: number[] = [];
    v.ids.forEach((id, i) => facts.has(id) && keep.push(i));
    const matrix = new Float32Array(keep.length * dim);
    keep.forEach((i, r) => matrix.set(all.subarray(i * dim, (i + 1) * dim), r * dim));
    const out = await newFolderIn(where, req.dir, `${slug(set.name)}-${req.space}`, req.createFolder);
    const rows = keep.map((i) => ({ imageId: v.ids[i], path: facts.get(v.ids[i])!.path }));
    const notes = [
      `${keep.length} × ${dim} float32 ${req.space === 'features' ? 'pooled backbone features' : 'L2-normalised head embeddings'}; row i is ids.csv line i + 2.`,
      '',
      'import numpy as np, csv',
      `x = np.load("${join(out, 'embeddings.npy')}")`,
      `ids = list(csv.DictReader(open("${join(out, 'ids.csv')}", newline="")))`,
    ].join('\n');
    return writeAll(
      out,
      [
        { name: 'embeddings.npy', data: exportEmbeddingsNpy(matrix, keep.length, dim) },
        { name: 'ids.csv', data: exportEmbeddingIdsCsv(rows) },
      ],
      notes,
    );
  }

  async exportSubset(req: ExportSubsetRequest): Promise<ExportResult> {
    const where = 'exportSubset';
    const images = libraryImages(this.deps.db, req.folderIds);
    const labelled = labelsOf(images, req.labels).filter((x): x is { image: LibraryImage; label: string } => x.label !== null);
    if (labelled.length === 0) {
      throw new InvalidInputError(
        `${where}: expected labelled images, got none for ${req.labels.kind === 'folder' ? `folder level ${req.labels.level}` : 'tags'} (excluded images are left out)`,
      );
    }
    const out = await newFolderIn(where, req.dir, 'curated-subset', req.createFolder);
    const files: ExportResult['files'] = [];
    if (req.layout === 'list') {
      const csv = toCsv(
        ['path', 'label'],
        labelled.map(({ image, label }) => [image.path, label]),
      );
      await writeFile(join(out, 'files.csv'), csv);
      files.push({ path: join(out, 'files.csv'), bytes: Buffer.byteLength(csv) });
    } else {
      const used = new Set<string>();
      for (const { image, label } of labelled) {
        const dir = join(out, 'train', safeSegment(label));
        await mkdir(dir, { recursive: true });
        // Two files of one name in one class (from different folders) both keep theirs.
        let name = safeSegment(basename(image.path));
        if (used.has(join(dir, name))) name = `${image.id}-${name}`;
        used.add(join(dir, name));
        const target = join(dir, name);
        if (req.mode === 'symlink') await symlink(image.path, target);
        else await copyFile(image.path, target);
        // A link's size is the photo it points to.
        files.push({ path: target, bytes: (await stat(target)).size });
      }
    }
    const classes = new Set(labelled.map((x) => x.label)).size;
    return { dir: out, files, notes: scaleOutNotes(out, req.layout, labelled.length, classes) };
  }

  async importWeights(path: string, options: ImportWeightsOptions = {}): Promise<ImportWeightsResult> {
    const where = 'importWeights';
    const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new NotFoundError(`${where}: expected a weights file, got ${path} (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
    });
    if (!st.isFile()) throw new InvalidInputError(`${where}: expected a weights file, got ${path}, which is not a file`);
    if (st.size > MAX_IMPORT_BYTES)
      throw new InvalidInputError(`${where}: expected a file of at most 2 GB, got ${path} of ${st.size} bytes`);
    const bytes = new Uint8Array(await readFile(path));
    await initEngine();
    let model: ResNet;
    let report: string;
    try {
      const imported = importResNet(readWeightsFile(bytes, where));
      model = imported.model;
      report = summarizeImport(imported.report);
    } catch (err) {
      throw new InvalidInputError(err instanceof Error ? err.message : String(err));
    }
    try {
      const o = model.options;
      const inputSize = options.inputSize ?? (await exportedInputSize(path)) ?? (o.stem === 'small' ? 32 : 224);
      if (o.stem === 'small' && inputSize > 64)
        throw new InvalidInputError(`${where}: expected an input size <= 64 px for the small stem, got ${inputSize}`);
      // A weights file holds no training settings. The head tells the recipe: an MLP head is MoCo
      // v2 (T 0.2, v2 augmentation, cosine schedule), a linear one v1 (T 0.07, v1 augmentation).
      const config: TrainConfig = defaultConfig({
        augmentation: o.mlpHead ? 'v2' : 'v1',
        arch: o.arch,
        stem: o.stem,
        widthMultiplier: o.widthMultiplier,
        dim: o.outDim,
        mlpHead: o.mlpHead,
        inputSize,
        epochs: 1,
      });
      const created = this.runs.create({
        name: options.name ?? `${basename(path, extname(path))} (imported)`,
        config,
        backend: 'imported',
        totalSteps: 0,
        images: 0,
      });
      await this.writeImportedCheckpoint(created.id, config, model);
      this.runs.update(created.id, { status: 'imported' });
      this.deps.onRunsChanged(created.id);
      const recipe = o.mlpHead ? 'MoCo v2 (MLP head): T 0.2, augmentation v2' : 'MoCo v1 (linear head): T 0.07, augmentation v1';
      report += `\nThe file stores no training settings; recorded as ${recipe}.`;
      return { run: this.runs.get(created.id)!, report };
    } finally {
      model.dispose();
    }
  }

  /** The encoder as a run's step-0 checkpoint (query and key encoders alike), so embedding, probes and export read it like any run. */
  private async writeImportedCheckpoint(runId: number, config: TrainConfig, model: ResNet): Promise<void> {
    const tensors = [...(await saveEncoder('encoder_q.', model)), ...(await saveEncoder('encoder_k.', model))];
    const rng = new Rng(0).state();
    writeCheckpoint(
      runDirIn(this.deps.dataDir, runId),
      {
        runId,
        step: 0,
        epoch: 0,
        stepInEpoch: 0,
        config,
        rng: { model: rng, augment: rng },
        dictionary: {},
        knnAccuracy: null,
        at: new Date().toISOString(),
      },
      tensors,
    );
  }

  private requireRun(where: string, runId: number): RunSummary {
    const run = this.runs.get(runId);
    if (!run) throw new NotFoundError(`${where}: expected a run id, got ${runId}`);
    if (run.status === 'running')
      throw new ConflictError(`${where}: expected a run that is not training, got run ${runId} running (pause it first)`);
    return run;
  }
}

/** The input size in the config.json an export of this app wrote next to the weights, if any. */
async function exportedInputSize(weightsPath: string): Promise<number | null> {
  try {
    const c = JSON.parse(await readFile(join(dirname(weightsPath), 'config.json'), 'utf8')) as {
      format?: string;
      input?: { size?: unknown };
    };
    return c.format === ENCODER_CONFIG_FORMAT && Number.isInteger(c.input?.size) ? (c.input!.size as number) : null;
  } catch {
    return null; // no config next to it, or not ours: the defaults apply
  }
}

/**
 * A new folder `name` (or name-2, name-3, ...) inside the folder `dir`. A destination that does not
 * exist is made only when asked (`create`, after the person confirmed); otherwise the error says
 * so in words a person reads, with a kind (FolderMissing) the UI can offer to create it from.
 */
async function newFolderIn(where: string, dir: string, name: string, create = false): Promise<string> {
  const st = await stat(dir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && create) {
      await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
        throw new InvalidInputError(
          `Destination: expected a folder the app can create, got ${dir} (${e.code === 'EACCES' ? 'permission denied' : e.message})`,
        );
      });
      return stat(dir);
    }
    if (err.code === 'ENOENT') throw new FolderMissingError(`Destination: expected an existing folder, got ${dir}, which does not exist`);
    throw new NotFoundError(`${where}: expected a folder to write into, got ${dir} (${err.message})`);
  });
  if (!st.isDirectory()) throw new InvalidInputError(`${where}: expected a folder to write into, got ${dir}, which is a file`);
  for (let i = 1; ; i++) {
    const path = join(dir, i === 1 ? name : `${name}-${i}`);
    try {
      await mkdir(path);
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

async function writeAll(dir: string, files: readonly { name: string; data: Buffer | string }[], notes: string): Promise<ExportResult> {
  const written: ExportResult['files'] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    await writeFile(path, f.data);
    written.push({ path, bytes: typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length });
  }
  return { dir, files: written, notes };
}

function notesFor(format: ExportWeightsRequest['format'], readme: string, dir: string): string {
  if (format === 'tfjs') {
    return [
      'A TF.js LayersModel with two outputs, features and embedding (input NHWC, ImageNet-normalised):',
      '',
      `const model = await tf.loadLayersModel('file://${join(dir, 'model.json')}');`,
      '',
      readme,
    ].join('\n');
  }
  if (format === 'onnx') {
    return [
      'An ONNX graph (opset 17, BatchNorm folded) with outputs features and embedding; input NCHW float32, ImageNet-normalised:',
      '',
      'import onnxruntime as ort',
      `session = ort.InferenceSession("${join(dir, 'encoder.onnx')}")`,
      '',
      readme,
    ].join('\n');
  }
  return readme;
}

/** How to train with the official PyTorch MoCo code on this subset, on one machine or many. */
function scaleOutNotes(out: string, layout: 'tree' | 'list', images: number, classes: number): string {
  const data = layout === 'tree' ? out : '<an ImageFolder tree made from files.csv>';
  return [
    `${images} images in ${classes} classes${layout === 'tree' ? ` under ${join(out, 'train')}` : ` listed in ${join(out, 'files.csv')}`}.`,
    '',
    'Train with the official MoCo code (github.com/facebookresearch/moco), which reads <data>/train as an ImageFolder:',
    '',
    '# one machine, all its GPUs (MoCo v2 settings):',
    'python main_moco.py -a resnet50 --lr 0.03 --batch-size 256 --mlp --moco-t 0.2 --aug-plus --cos \\',
    `  --dist-url 'tcp://localhost:10001' --multiprocessing-distributed --world-size 1 --rank 0 ${data}`,
    '',
    '# N machines: run on each, with --rank 0 on the first and 1..N-1 on the others:',
    'python main_moco.py -a resnet50 --lr 0.03 --batch-size 256 --mlp --moco-t 0.2 --aug-plus --cos \\',
    `  --dist-url 'tcp://<first machine>:10001' --multiprocessing-distributed --world-size N --rank <i> ${data}`,
    '',
    "Then bring the encoder back: 'Import weights' with the checkpoint (e.g. checkpoint_0199.pth.tar), or",
    'moco-studio import checkpoint_0199.pth.tar',
  ].join('\n');
}

function slug(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'export'
  );
}

/** A file or folder name that stays inside its parent on every platform. */
function safeSegment(name: string): string {
  const s = name.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').trim();
  return s === '' || s === '.' || s === '..' ? '_' : s;
}
