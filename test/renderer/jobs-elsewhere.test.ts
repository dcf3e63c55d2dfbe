import { describe, expect, it } from 'vitest';
import { runSummary, scanProgress } from './fixtures';
import type { ForeignJob, RunSummary } from '../../src-main/api/contract';
import { elsewhereLines } from '../../src-renderer/src/lib/scan-text';
import { runActions, runPanel } from '../../src-renderer/src/lib/train-run';

const owner = { pid: 4242, kind: 'cli' as const, hostname: 'here' };

const run: RunSummary = runSummary({ id: 3, owner });

describe('jobs of other processes in the views', () => {
  it('lists them, the scan first with its counts', () => {
    const jobs: ForeignJob[] = [
      { job: 'training', id: 3, owner, progress: null },
      {
        job: 'scan',
        id: 'a-b-c',
        owner: { pid: 7, kind: 'web', hostname: 'here' },
        progress: scanProgress({ jobId: 'a-b-c', rate: 10, etaSeconds: 28, elapsedMs: 12_000 }),
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
