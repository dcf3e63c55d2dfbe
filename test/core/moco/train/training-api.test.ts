// Training through the Studio API, in its worker: clear errors before any work, a short run
// that stores its metrics and a checkpoint, pause then resume, one run at a time, delete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig, TrainProgress } from '../../../../src-main/api/contract';
import type { Studio } from '../../../../src-main/core/studio-types';
import { makePatternLibrary, runEnded, studioWith, tempDir, tinyConfig } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let photos: string;
let studio: Studio;

beforeAll(async () => {
  process.env.MOCO_BACKEND = 'wasm';
  tmp = tempDir('api');
  photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8); // 24 images in 3 labelled folders
  studio = await studioWith(join(tmp.dir, 'data'), photos);
});

afterAll(async () => {
  await studio?.close();
  tmp?.cleanup();
});

async function trainToEnd(config: TrainConfig): Promise<{ runId: number; status: string; progress: TrainProgress[] }> {
  let runId: number | null = null;
  const progress: TrainProgress[] = [];
  const off = studio.on('train.progress', (p) => progress.push(p));
  const ended = runEnded(studio, () => runId);
  runId = (await studio.api.startTraining(config)).id;
  const status = await ended;
  off();
  return { runId, status, progress };
}

describe('training API: checks before any work', () => {
  it('refuses an empty library', async () => {
    const empty = await studioWith(join(tmp.dir, 'empty-data'), null);
    try {
      await expect(empty.api.startTraining(tinyConfig())).rejects.toThrow(
        'startTraining: expected a library with images to train on, got an empty library (add a folder first)',
      );
      expect(await empty.api.listRuns()).toEqual([]);
    } finally {
      await empty.close();
    }
  });

  it('refuses fewer images than the batch, K < batch, K not a multiple, bnGroups not dividing, an unknown arch', async () => {
    await expect(studio.api.startTraining(tinyConfig({ batchSize: 32, K: 64 }))).rejects.toThrow(
      'startTraining: expected at least batch size 32 images present on disk, got 24',
    );
    await expect(studio.api.startTraining(tinyConfig({ K: 4 }))).rejects.toThrow(
      'startTraining: expected queue size K >= batch size 8, got K = 4',
    );
    await expect(studio.api.startTraining(tinyConfig({ K: 20 }))).rejects.toThrow(
      'startTraining: expected queue size K a multiple of the batch size 8, got K = 20 (try 24)',
    );
    await expect(studio.api.startTraining(tinyConfig({ bnGroups: 3 }))).rejects.toThrow('expected bnGroups dividing the batch size 8');
    await expect(studio.api.startTraining({ ...tinyConfig(), arch: 'vgg16' as never })).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(studio.api.startTraining(tinyConfig({ folderIds: [999] }))).rejects.toMatchObject({ name: 'NotFound' });
    expect(await studio.api.listRuns()).toEqual([]);
  });
});

describe('training API: runs', () => {
  it('trains a short run to the end, with metrics, kNN monitor and a checkpoint stored', async () => {
    const { runId, status, progress } = await trainToEnd(tinyConfig({ epochs: 2, knnEvery: 1 }));
    expect(status).toBe('done');
    const phases = new Set(progress.map((p) => p.phase));
    for (const phase of ['preparing', 'caching', 'training', 'done']) expect(phases).toContain(phase);

    const run = (await studio.api.listRuns()).find((r) => r.id === runId)!;
    expect(run).toMatchObject({ status: 'done', step: 6, totalSteps: 6, images: 24, error: null });
    expect(run.backend).toMatch(/^wasm/);
    expect(run.final.loss).toBeGreaterThan(0);
    expect(run.final.knnAccuracy).toBeGreaterThanOrEqual(0);

    const metrics = await studio.api.getRunMetrics(runId);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // The monitor ran after each epoch and is stored with that epoch's last step.
    expect(metrics.filter((m) => m.knnAccuracy !== null).map((m) => m.step)).toEqual([3, 6]);
    expect(run.final.knnAccuracy).toBe(metrics[5].knnAccuracy);
    for (const m of metrics) expect(Number.isFinite(m.loss) && m.lr > 0 && m.accuracy >= 0 && m.accuracy <= 1).toBe(true);

    const ckpts = await studio.api.listCheckpoints(runId);
    expect(ckpts).toHaveLength(1);
    expect(ckpts[0]).toMatchObject({ runId, step: 6, epoch: 2 });
    expect(ckpts[0].sizeBytes).toBeGreaterThan(10_000);
    await expect(studio.api.resumeTraining(runId)).rejects.toMatchObject({ name: 'Conflict' });
  });

  it('pauses at a checkpoint, refuses a second run meanwhile, and resumes to the end', async () => {
    let runId: number | null = null;
    const stepReached = new Promise<void>((resolve) => {
      const off = studio.on('train.progress', (p) => {
        if (p.runId === runId && p.phase === 'training' && p.step >= 2) {
          off();
          resolve();
        }
      });
    });
    const config = tinyConfig({ epochs: 20 });
    runId = (await studio.api.startTraining(config)).id;
    await expect(studio.api.startTraining(config)).rejects.toMatchObject({ name: 'Conflict' });
    await expect(studio.api.deleteRun(runId)).rejects.toMatchObject({ name: 'Conflict' });
    await stepReached;
    await studio.api.pauseTraining();

    const paused = (await studio.api.listRuns()).find((r) => r.id === runId)!;
    expect(paused.status).toBe('paused');
    expect(paused.step).toBeGreaterThanOrEqual(2);
    expect(paused.step).toBeLessThan(60);
    const ckpts = await studio.api.listCheckpoints(runId);
    expect(ckpts.map((c) => c.step)).toEqual([paused.step]);
    await expect(studio.api.pauseTraining()).rejects.toMatchObject({ name: 'Conflict' });

    const ended = runEnded(studio, () => runId);
    const resumed = await studio.api.resumeTraining(runId);
    expect(resumed.status).toBe('running');
    expect(await ended).toBe('done');
    const run = (await studio.api.listRuns()).find((r) => r.id === runId)!;
    expect(run.step).toBe(60);
    // Every step once: the resumed part continued where the pause left off.
    expect((await studio.api.getRunMetrics(runId)).map((m) => m.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // At most three checkpoints are kept.
    expect((await studio.api.listCheckpoints(runId)).length).toBeLessThanOrEqual(3);

    await studio.api.deleteRun(runId);
    expect((await studio.api.listRuns()).some((r) => r.id === runId)).toBe(false);
    expect(existsSync(join(tmp.dir, 'data', 'runs', String(runId)))).toBe(false);
    await expect(studio.api.getRunMetrics(runId)).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('lists presets and the engine', async () => {
    const presets = await studio.api.listTrainPresets();
    expect(presets.map((p) => p.id)).toEqual(expect.arrayContaining(['cpu-quick', 'cpu-standard', 'gpu-resnet50']));
    const gpu = presets.find((p) => p.id === 'gpu-resnet50')!.config;
    expect(gpu).toMatchObject({
      arch: 'resnet50',
      inputSize: 224,
      batchSize: 256,
      K: 65536,
      m: 0.999,
      T: 0.07,
      sgdMomentum: 0.9,
      weightDecay: 1e-4,
    });
    expect(gpu.lr).toBeCloseTo(0.03, 12);
    // The paper's CPU-scale queue, but for the tuned quick preset's shorter one (README).
    for (const p of presets.filter((x) => x.id.startsWith('cpu'))) expect(p.config.K).toBe(p.id === 'cpu-quick' ? 512 : 4096);
    const engine = await studio.api.getEngine();
    expect(engine.backend).toBe('wasm');
    expect(engine.device).toMatch(/wasm/);
  });
});
