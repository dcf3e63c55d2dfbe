import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatEta,
  formatRate,
  progressFraction,
} from '../../src-renderer/src/lib/format';

describe('formatBytes', () => {
  it('uses powers of 1024 with one decimal below ten units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatBytes(3.25 * 1024 ** 3)).toBe('3.3 GB');
    expect(formatBytes(5 * 1024 ** 5)).toBe('5120 TB');
  });
  it('shows a dash for unknown or nonsense sizes', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatCount', () => {
  it('groups thousands regardless of locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(100000)).toBe('100,000');
    expect(formatCount(-1234567)).toBe('-1,234,567');
  });
});

describe('formatRate', () => {
  it('keeps about three significant digits', () => {
    expect(formatRate(187.4)).toBe('187 img/s');
    expect(formatRate(42.26)).toBe('42.3 img/s');
    expect(formatRate(3.5)).toBe('3.5 img/s');
    expect(formatRate(0.254)).toBe('0.25 img/s');
  });
  it('has no rate before the first image', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('formatDuration and formatEta', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(7620)).toBe('2 h 07 min');
  });
  it('says when the ETA is unknown or nearly reached', () => {
    expect(formatEta(null)).toBe('ETA —');
    expect(formatEta(0.3)).toBe('ETA < 1 s');
    expect(formatEta(65)).toBe('ETA 1 min 05 s');
    expect(formatEta(-3)).toBe('ETA —');
  });
});

describe('formatDateTime', () => {
  it('prints local date and time, and a dash for missing or bad input', () => {
    const d = new Date(2024, 4, 1, 14, 3, 59);
    expect(formatDateTime(d.toISOString())).toBe('2024-05-01 14:03');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
  });
});

describe('progressFraction', () => {
  it('is processed over found, clamped to [0, 1]', () => {
    expect(progressFraction(0, 0)).toBe(0);
    expect(progressFraction(25, 100)).toBe(0.25);
    expect(progressFraction(120, 100)).toBe(1);
  });
});
