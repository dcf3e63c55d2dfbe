import { describe, expect, it } from 'vitest';
import type { ForeignJob, RunSummary } from '../../src-main/api/contract';
import { TRAIN_PRESETS } from '../../src-main/api/train-presets';
import { elsewhereLines } from '../../src-renderer/src/lib/scan-text';
import { runActions, runPanel } from '../../src-renderer/src/lib/train-run';

const owner = { pid: 4242, kind: 'cli' as const, hostname: 'here' };

const run: RunSummary = {
  id: 3,
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
  owner,
};

describe('jobs of other processes in the views', () => {
  it('lists them, the scan first with its counts', () => {
    const jobs: ForeignJob[] = [
      { job: 'training', id: 3, owner, progress: null },
      {
        job: 'scan',
        id: 'a-b-c',
        owner: { pid: 7, kind: 'web', hostname: 'here' },
        progress: {
          jobId: 'a-b-c',
          folderIds: [1],
          phase: 'processing',
          found: 400,
          processed: 120,
          skipped: 0,
          failed: 3,
          missing: 0,
          rate: 10,
          etaSeconds: 28,
          elapsedMs: 12_000,
        },
      },
    ];
    expect(elsewhereLines(jobs)).toEqual([
      'Scan running in another process (pid 7, web host): 120 / 400 files · 3 failed',
      'Training run 3 running in another process (pid 4242, command line)',
    ]);
    expect(elsewhereLines(undefined)).toEqual([]);
  });

  it('a run trained by another process cannot be paused or stopped from here, and says where it runs', () => {
    expect(runActions(run, null, true, null)).toEqual({ pause: false, stop: false, resume: false });
    expect(runPanel(run, null).message).toBe('Running in another process (pid 4242, command line): pause or stop it there.');
  });
});
