// Studio helpers for the trainer tests, and the generated libraries of pattern-library.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir, tinyConfig } from './pattern-library';
import { createStudio } from '../../../../src-main/core/studio';
import type { EmbeddingSet } from '../../../../src-main/api/contract';
import type { Studio } from '../../../../src-main/core/studio-types';

export { makePatternLibrary, PATTERNS, patternPixels, tempDir, tinyConfig, trainImagesIn } from './pattern-library';

/** A studio on a fresh data folder with `root` added and scanned. */
export async function studioWith(dataDir: string, root: string | null): Promise<Studio> {
  const studio = await createStudio({ dataDir, host: 'cli', demoFolder: null });
  if (root) {
    await studio.api.addFolder(root);
    await studio.waitForScan();
  }
  return studio;
}

/** Resolves when run `runId` is no longer running, with its final status. */
export function runEnded(studio: Studio, runId: () => number | null): Promise<string> {
  return new Promise((resolve) => {
    const check = async () => {
      const id = runId();
      if (id === null) return;
      const run = (await studio.api.listRuns()).find((r) => r.id === id);
      if (run && run.status !== 'running') {
        off();
        resolve(run.status);
      }
    };
    const off = studio.on('runs.changed', () => void check());
  });
}

/** A studio on `root` with one tiny run trained for an epoch to the end: what the export, probe
 *  and search tests start from. */
export async function studioWithTrainedRun(dataDir: string, root: string): Promise<{ studio: Studio; runId: number }> {
  const studio = await studioWith(dataDir, root);
  let runId: number | null = null;
  const ended = runEnded(studio, () => runId);
  runId = (await studio.api.startTraining(tinyConfig({ epochs: 1 }))).id;
  const status = await ended;
  if (status !== 'done') throw new Error(`studioWithTrainedRun: expected the run to finish, got ${status}`);
  return { studio, runId };
}

export interface TrainedSuite {
  studio: Studio;
  runId: number;
  /** the suite's temporary folder, holding photos/ and data/ */
  dir: string;
  photos: string;
}

/** A test file's shared studio: photos made by `makePhotos` in a temporary folder, added, scanned
 *  and trained on once for the whole file, closed and removed after it. Fields are set in beforeAll. */
export function trainedStudioSuite(name: string, makePhotos: (photos: string, dir: string) => Promise<void>): TrainedSuite {
  const suite = {} as TrainedSuite;
  let tmp: ReturnType<typeof tempDir> | undefined;
  beforeAll(async () => {
    process.env.MOCO_BACKEND = 'wasm';
    tmp = tempDir(name);
    suite.dir = tmp.dir;
    suite.photos = join(tmp.dir, 'photos');
    mkdirSync(suite.photos, { recursive: true });
    await makePhotos(suite.photos, tmp.dir);
    Object.assign(suite, await studioWithTrainedRun(join(tmp.dir, 'data'), suite.photos));
  }, 180_000);
  afterAll(async () => {
    await suite.studio?.close();
    tmp?.cleanup();
  });
  return suite;
}

/** Computes the embeddings of run `runId` and waits for the set to finish. */
export async function embedToEnd(studio: Studio, runId: number): Promise<EmbeddingSet> {
  const started = await studio.api.startEmbedding(runId);
  await studio.waitForEmbedding();
  return (await studio.api.listEmbeddings()).find((s) => s.id === started.id)!;
}
