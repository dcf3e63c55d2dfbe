// The trainer in this process on the exact cpu backend: a run paused at a checkpoint and
// resumed gives bit-for-bit the losses of the same run uninterrupted, and the number of live
// tensors stays flat from step to step.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../../../src-main/api/contract';
import { listTrainingImages } from '../../../../src-main/core/moco/data/training-images';
import { openDatabase } from '../../../../src-main/core/db/connection';
import { listCheckpointFiles, readCheckpoint } from '../../../../src-main/core/moco/train/checkpoint';
import { runTraining } from '../../../../src-main/core/moco/train/trainer';
import type { TrainRequest, WorkerMessage } from '../../../../src-main/core/moco/train/train-types';
import { makePatternLibrary, studioWith, tempDir, tinyConfig } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let base: Omit<TrainRequest, 'runId' | 'runDir' | 'resume'>;

beforeAll(async () => {
  process.env.MOCO_BACKEND = 'cpu';
  tf.env().set('IS_TEST', true);
  tmp = tempDir('resume');
  const photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8); // 24 images: 3 steps of 8 per epoch
  const studio = await studioWith(join(tmp.dir, 'data'), photos);
  await studio.close();
  const db = openDatabase(join(tmp.dir, 'data', 'library.db'));
  const images = listTrainingImages(db);
  db.close();
  base = { config: tinyConfig({ epochs: 2, lrSteps: [1] }), images, labels: [], cacheDir: join(tmp.dir, 'cache') };
});

afterAll(() => tmp?.cleanup());

/** Runs the trainer, collecting per-step metrics; `stopAt` pauses after that step. */
async function train(runId: number, resume: boolean, stopAt: number | null, perStep?: (step: number) => void) {
  const metrics: MetricPoint[] = [];
  const ends: WorkerMessage[] = [];
  let steps = 0;
  let started = false;
  const status = await runTraining(
    { ...base, runId, runDir: join(tmp.dir, 'runs', String(runId)), resume },
    (m) => {
      if (m.type === 'started') started = true;
      if (m.type === 'metrics') metrics.push(...m.points);
      if (m.type === 'end') ends.push(m);
    },
    {
      // Asked once after the cache is built, then once after every step.
      requested: () => {
        if (!started) return null;
        steps++;
        perStep?.(steps);
        return stopAt !== null && steps === stopAt ? 'pause' : null;
      },
    },
  );
  return { status, metrics, ends };
}

describe('trainer checkpoints (cpu backend)', () => {
  it('resumes from a pause bit-for-bit: the same losses as an uninterrupted run', async () => {
    const whole = await train(1, false, null);
    expect(whole.status).toBe('done');
    expect(whole.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);

    // Paused at step 2, mid-epoch 0: the checkpoint records epoch 0, step 2 within it.
    const first = await train(2, false, 2);
    expect(first.status).toBe('paused');
    const files = listCheckpointFiles(join(tmp.dir, 'runs', '2'));
    expect(files.map((f) => f.step)).toEqual([2]);
    const saved = readCheckpoint(files[0].path).state;
    expect([saved.step, saved.epoch, saved.stepInEpoch]).toEqual([2, 0, 2]);

    const rest = await train(2, true, null);
    expect(rest.status).toBe('done');
    const resumed = [...first.metrics, ...rest.metrics];
    expect(resumed.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Exact equality of float32 losses and accuracies, after the resume included.
    expect(resumed.map((p) => [p.loss, p.accuracy, p.lr])).toEqual(whole.metrics.map((p) => [p.loss, p.accuracy, p.lr]));
    // The lr schedule stepped at epoch 1 in both.
    expect(whole.metrics[3].lr).toBeCloseTo(whole.metrics[0].lr * 0.1, 12);
  });

  it('keeps the number of live tensors flat across steps', async () => {
    const counts: number[] = [];
    const r = await train(3, false, null, () => counts.push(tf.memory().numTensors));
    expect(r.status).toBe('done');
    expect(counts).toHaveLength(6);
    expect(new Set(counts).size).toBe(1);
  });
});
