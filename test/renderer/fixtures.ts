// Records as the API returns them, for the renderer's pure helpers: a training run and a scan's
// progress, each with plausible values that a test overrides where it matters.
import type { RunSummary, ScanProgress } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';

/** A run three steps into twelve, trained in this process. */
export function runSummary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 1,
    name: 'resnet18 small 32px',
    status: 'running',
    config: TRAIN_PRESETS[0].config,
    backend: 'wasm',
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:05:00.000Z',
    step: 3,
    totalSteps: 12,
    epoch: 1,
    images: 49,
    final: { loss: null, accuracy: null, knnAccuracy: null },
    error: null,
    ...over,
  };
}

/** Run `id`, finished, created on day `id` of 2024. */
export function finishedRun(id: number, over: Partial<RunSummary> = {}): RunSummary {
  const day = `2024-01-0${id}T00:00:00Z`;
  return runSummary({ id, name: `run-${id}`, status: 'done', createdAt: day, updatedAt: day, ...over });
}

/** A scan 120 files into 400, three of them failed. */
export function scanProgress(over: Partial<ScanProgress> = {}): ScanProgress {
  return {
    jobId: 'j1',
    folderIds: [1],
    phase: 'processing',
    found: 400,
    processed: 120,
    skipped: 0,
    failed: 3,
    missing: 0,
    rate: 42.26,
    etaSeconds: 65,
    elapsedMs: 2840,
    ...over,
  };
}
