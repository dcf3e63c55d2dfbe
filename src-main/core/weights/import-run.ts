// A weights file (a PyTorch checkpoint or a safetensors file) read back as an imported run: the
// encoder becomes the run's step-0 checkpoint, and the head tells the recipe recorded with it.
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ImportWeightsOptions, ImportWeightsResult, TrainConfig } from '../../api/contract';
import { InvalidInputError, NotFoundError } from '../../api/errors';
import type { RunsStore } from '../db/runs-store';
import { initEngine } from '../engine/backend';
import { saveEncoder } from '../moco/dictionary/dictionary';
import type { ResNet } from '../moco/resnet';
import { Rng } from '../moco/rng';
import { writeCheckpoint } from '../moco/train/checkpoint';
import { defaultConfig } from '../../api/training-config';
import { runDirIn } from '../moco/train/trainer';
import { readWeightsFile } from './torch-file';
import { importResNet, summarizeImport } from './torch-import';

/** Weights files read at most (a ResNet-50 checkpoint with optimizer state is ~0.5 GB). */
const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

export interface ImportDeps {
  runs: RunsStore;
  dataDir: string;
  onRunsChanged: (runId: number) => void;
}

/** Reads the file at `path` into a new run; `savedInputSize` is asked when options give no input size. */
export async function importWeightsAsRun(
  deps: ImportDeps,
  path: string,
  options: ImportWeightsOptions,
  savedInputSize: () => Promise<number | null>,
): Promise<ImportWeightsResult> {
  const where = 'importWeights';
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new NotFoundError(`${where}: expected a weights file, got ${path} (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
  });
  if (!st.isFile()) throw new InvalidInputError(`${where}: expected a weights file, got ${path}, which is not a file`);
  if (st.size > MAX_IMPORT_BYTES) throw new InvalidInputError(`${where}: expected a file of at most 2 GB, got ${path} of ${st.size} bytes`);
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
    const inputSize = options.inputSize ?? (await savedInputSize()) ?? (o.stem === 'small' ? 32 : 224);
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
    const created = deps.runs.create({
      name: options.name ?? `${basename(path, extname(path))} (imported)`,
      config,
      backend: 'imported',
      totalSteps: 0,
      images: 0,
    });
    await writeImportedCheckpoint(deps.dataDir, created.id, config, model);
    deps.runs.update(created.id, { status: 'imported' });
    deps.onRunsChanged(created.id);
    const recipe = o.mlpHead ? 'MoCo v2 (MLP head): T 0.2, augmentation v2' : 'MoCo v1 (linear head): T 0.07, augmentation v1';
    report += `\nThe file stores no training settings; recorded as ${recipe}.`;
    return { run: deps.runs.get(created.id)!, report };
  } finally {
    model.dispose();
  }
}

/** The encoder as a run's step-0 checkpoint (query and key encoders alike), so embedding, probes and export read it like any run. */
async function writeImportedCheckpoint(dataDir: string, runId: number, config: TrainConfig, model: ResNet): Promise<void> {
  const tensors = [...(await saveEncoder('encoder_q.', model)), ...(await saveEncoder('encoder_k.', model))];
  const rng = new Rng(0).state();
  writeCheckpoint(
    runDirIn(dataDir, runId),
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
