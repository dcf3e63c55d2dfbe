// The trainer in this process on the exact cpu backend: a run paused at a checkpoint and
// resumed gives bit-for-bit the losses of the same run uninterrupted (MoCo's queue, and the
// memory bank, whose stored features the checkpoint carries), and the number of live tensors
// stays flat from step to step.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint, TrainConfig } from '../../../../src-main/api/contract';
import { listCheckpointFiles, readCheckpoint } from '../../../../src-main/core/moco/train/checkpoint';
import { runTraining } from '../../../../src-main/core/moco/train/trainer';
import type { TrainRequest, WorkerMessage } from '../../../../src-main/core/moco/train/train-types';
import { makePatternLibrary, tempDir, tinyConfig, trainImagesIn } from './pattern-library';

let tmp: ReturnType<typeof tempDir>;
let base: Omit<TrainRequest, 'runId' | 'runDir' | 'resume' | 'config'>;

beforeAll(async () => {
  process.env.MOCO_BACKEND = 'cpu';
  tf.env().set('IS_TEST', true);
  tmp = tempDir('resume');
  const photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8); // 24 images: 3 steps of 8 per epoch
  base = { images: trainImagesIn(photos), labels: [], cacheDir: join(tmp.dir, 'cache') };
});

afterAll(() => tmp?.cleanup());

const runDir = (runId: number) => join(tmp.dir, 'runs', String(runId));

/** Runs the trainer, collecting per-step metrics; `stopAt` pauses after that step. */
async function train(config: TrainConfig, runId: number, resume: boolean, stopAt: number | null, perStep?: (step: number) => void) {
  const metrics: MetricPoint[] = [];
  const ends: WorkerMessage[] = [];
  let steps = 0;
  let started = false;
  const status = await runTraining(
    { ...base, config, runId, runDir: runDir(runId), resume },
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

/** The whole run, then the same run paused after `pauseAt` and resumed: the same numbers. */
async function expectExactResume(config: TrainConfig, ids: [number, number], pauseAt: number, savedAt: [number, number, number]) {
  const whole = await train(config, ids[0], false, null);
  expect(whole.status).toBe('done');
  expect(whole.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);

  const first = await train(config, ids[1], false, pauseAt);
  expect(first.status).toBe('paused');
  const files = listCheckpointFiles(runDir(ids[1]));
  expect(files.map((f) => f.step)).toEqual([pauseAt]);
  const saved = readCheckpoint(files[0].path);
  expect([saved.state.step, saved.state.epoch, saved.state.stepInEpoch]).toEqual(savedAt);

  const rest = await train(config, ids[1], true, null);
  expect(rest.status).toBe('done');
  const resumed = [...first.metrics, ...rest.metrics];
  expect(resumed.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
  // Exact equality of float32 losses and accuracies, after the resume included.
  expect(resumed.map((p) => [p.loss, p.accuracy, p.lr])).toEqual(whole.metrics.map((p) => [p.loss, p.accuracy, p.lr]));
  return { whole, saved };
}

describe('trainer checkpoints (cpu backend)', () => {
  it('resumes from a pause bit-for-bit: the same losses as an uninterrupted run', async () => {
    // Paused at step 2, mid-epoch 0: the checkpoint records epoch 0, step 2 within it.
    const { whole, saved } = await expectExactResume(tinyConfig({ epochs: 2, lrSteps: [1] }), [1, 2], 2, [2, 0, 2]);
    expect(saved.state.dictionary).toEqual({ ptr: 16, filled: 16, owners: 1 });
    // The lr schedule stepped at epoch 1 in both.
    expect(whole.metrics[3].lr).toBeCloseTo(whole.metrics[0].lr * 0.1, 12);
  });

  it('resumes a memory-bank run bit-for-bit, the bank and which entries were seen carried by the checkpoint', async () => {
    // Paused at step 4 (epoch 1): every image has been seen once, and epoch 1's positives are
    // the entries written in epoch 0, so a bank restored wrongly changes the losses.
    const config = tinyConfig({ epochs: 2, dictionary: 'memory-bank', K: 16, m: 0.5 });
    const { saved } = await expectExactResume(config, [4, 5], 4, [4, 1, 1]);
    const bank = saved.tensors.get('memory_bank')!;
    expect(bank.shape).toEqual([24, config.dim]);
    expect(Array.from(saved.tensors.get('memory_bank.seen')!.data)).toEqual(new Array(24).fill(1));
    expect(saved.state.dictionary).toEqual({ seen: 24 });
    expect(saved.tensors.has('queue')).toBe(false);
    expect([...saved.tensors.keys()].some((n) => n.startsWith('encoder_k.'))).toBe(false);
  });

  it('keeps the number of live tensors flat across steps', async () => {
    const counts: number[] = [];
    const r = await train(tinyConfig({ epochs: 2, lrSteps: [1] }), 3, false, null, () => counts.push(tf.memory().numTensors));
    expect(r.status).toBe('done');
    expect(counts).toHaveLength(6);
    expect(new Set(counts).size).toBe(1);
  });
});
