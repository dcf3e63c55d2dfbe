import { describe, expect, it } from 'vitest';
import { scanProgress } from './fixtures';
import type { ProblemReason } from '../../src-main/api/contract';
import { reasonLabel, reasonTone } from '../../src-renderer/src/lib/reasons';
import { isScanActive, phaseLabel, scanCounts, scanTiming } from '../../src-renderer/src/lib/scan-text';
import { watchText } from '../../src-renderer/src/lib/watch-text';
import { errorText } from '../../src-renderer/src/lib/error-text';

describe('reasonLabel', () => {
  it('gives every reason of the contract its own readable label', () => {
    const reasons: ProblemReason[] = ['empty', 'corrupt', 'not-image', 'unsupported', 'unreadable', 'too-large'];
    const labels = reasons.map(reasonLabel);
    expect(labels).toEqual([
      'Empty file',
      'Truncated or corrupt',
      'Not an image',
      'Unsupported format',
      'Unreadable (permissions or I/O)',
      'Too large (over the pixel limit)',
    ]);
    expect(new Set(labels).size).toBe(reasons.length);
  });
  it('turns a reason it does not know into words', () => {
    expect(reasonLabel('symlink-loop')).toBe('Symlink loop');
    expect(reasonLabel('')).toBe('Unknown problem');
  });
  it('marks fixable reasons as warnings', () => {
    expect(reasonTone('unreadable')).toBe('warning');
    expect(reasonTone('corrupt')).toBe('error');
  });
});

const progress = scanProgress;

describe('scan text', () => {
  it('describes a running scan with counts, rate and ETA', () => {
    const p = progress({});
    expect(isScanActive(p)).toBe(true);
    expect(phaseLabel(p.phase)).toBe('Indexing…');
    expect(scanCounts(p)).toBe('120 / 400 files · 3 failed');
    expect(scanTiming(p)).toBe('42.3 img/s · ETA 1 min 05 s');
  });
  it('adds unchanged and missing counts only when there are some', () => {
    expect(scanCounts(progress({ skipped: 90, missing: 2 }))).toBe('120 / 400 files · 3 failed · 90 unchanged · 2 missing');
  });
  it('describes a finished scan by its duration', () => {
    const p = progress({ phase: 'done', processed: 400, etaSeconds: 0 });
    expect(isScanActive(p)).toBe(false);
    expect(isScanActive(null)).toBe(false);
    expect(phaseLabel('done')).toBe('Scan finished');
    expect(scanTiming(p)).toBe('in 3 s');
    expect(scanTiming({ ...p, elapsedMs: 420 })).toBe('in under a second');
  });
});

describe('watchText', () => {
  it('says how changes are followed and why', () => {
    expect(watchText({ mode: 'events', message: null }, true)).toBe('Watching for changes');
    expect(watchText({ mode: 'polling', message: 'inotify limit reached' }, true)).toBe(
      'Watching by periodic rescan — inotify limit reached',
    );
    expect(watchText({ mode: 'off', message: null }, false)).toBe('Not watching for changes');
    expect(watchText({ mode: 'off', message: 'folder gone' }, true)).toBe('Watching is on but not running — folder gone');
    expect(watchText(null, false)).toBe('Not watching for changes');
  });
});

describe('errorText', () => {
  it('titles an error by its kind and keeps its message', () => {
    const e = new Error('addFolder: expected an existing folder, got "/nope"');
    e.name = 'NotFound';
    expect(errorText(e, 'Adding a folder')).toEqual({
      name: 'NotFound',
      title: 'Adding a folder: not found',
      message: 'addFolder: expected an existing folder, got "/nope"',
    });
  });
  it('reads plain objects, strings and odd values', () => {
    expect(errorText({ name: 'Conflict', message: 'a scan is running' }).title).toBe('Not possible right now');
    expect(errorText('boom').message).toBe('boom');
    expect(errorText(42).message).toBe('unexpected error value: 42');
    expect(errorText(new TypeError('x')).title).toBe('Something went wrong');
  });
});
