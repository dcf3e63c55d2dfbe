// Exports and imports of the API: a run's encoder as safetensors (torchvision names), TF.js or
// ONNX; a set's embeddings as .npy with an ids/paths CSV; the curated library (excluded images
// left out) as an ImageFolder tree or a labelled file list for the official PyTorch MoCo
// training. Files go into a new folder inside the one the user names (out-folder.ts); nothing
// is overwritten. Encoder weights read back from a PyTorch checkpoint or a safetensors file as
// an imported run are weights/import-run.ts's.
import { copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type {
  ExportEmbeddingsRequest,
  ExportResult,
  ExportSubsetRequest,
  ExportWeightsRequest,
  ImportWeightsOptions,
  ImportWeightsResult,
  RunSummary,
} from '../../api/contract';
import { ConflictError, InvalidInputError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import type { EmbeddingsStore } from '../db/embeddings-store';
import type { OwnerIdentity } from '../db/job-owner';
import { RunsStore } from '../db/runs-store';
import { initEngine } from '../engine/backend';
import { labelsOf, type LibraryImage, libraryImages } from '../library/library-labels';
import { loadRunEncoder } from '../moco/train/encoder-loader';
import { runDirIn } from '../moco/train/trainer';
import { importWeightsAsRun } from '../weights/import-run';
import { toCsv } from './csv';
import { notesFor, scaleOutNotes } from './export-notes';
import { exportResNetOnnx } from './onnx';
import { newFolderIn, safeSegment, slug, writeAll } from './out-folder';
import {
  ENCODER_CONFIG_FORMAT,
  encoderReadme,
  exportEmbeddingIdsCsv,
  exportEmbeddingsNpy,
  exportSafetensors,
  exportTfjs,
  SAFETENSORS_FILE,
} from './weights-export';

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

  /** A weights file as an imported run; the input size an export of this app wrote beside it is used when none is given. */
  importWeights(path: string, options: ImportWeightsOptions = {}): Promise<ImportWeightsResult> {
    const deps = { runs: this.runs, dataDir: this.deps.dataDir, onRunsChanged: this.deps.onRunsChanged };
    return importWeightsAsRun(deps, path, options, () => exportedInputSize(path));
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
