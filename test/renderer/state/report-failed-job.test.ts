import { afterEach, describe, expect, it, vi } from 'vitest';
import { errors, reportFailedJob } from '../../../src-renderer/src/state/errors.svelte';

describe('reportFailedJob', () => {
  afterEach(() => {
    errors.clear();
    vi.restoreAllMocks();
  });

  it('shows a failed job under its context, with its own message or a fallback naming it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    reportFailedJob({ phase: 'failed', error: 'out of memory' }, 'Training', 'training');
    reportFailedJob({ phase: 'failed' }, 'Scan', 'the scan');
    expect(errors.items.map((t) => [t.title, t.message])).toEqual([
      [expect.stringContaining('Training'), 'out of memory'],
      [expect.stringContaining('Scan'), 'the scan stopped without saying why'],
    ]);
  });

  it('says nothing about a job that did not fail', () => {
    reportFailedJob({ phase: 'done' }, 'Probe', 'the probe');
    reportFailedJob({ phase: 'cancelled' }, 'Probe', 'the probe');
    expect(errors.items).toEqual([]);
  });
});
