import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce } from '../../src-renderer/src/lib/debounce';

describe('debounce', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once after a burst goes quiet', () => {
    let calls = 0;
    const d = debounce(() => calls++, 100);
    for (let i = 0; i < 10; i++) {
      d();
      vi.advanceTimersByTime(50);
    }
    expect(calls).toBe(1); // the ceiling (4 × 100 ms) fired once during the burst
    vi.advanceTimersByTime(100);
    expect(calls).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(calls).toBe(2);
  });

  it('still runs every maxWait under a steady stream', () => {
    let calls = 0;
    const d = debounce(() => calls++, 100, 300);
    for (let i = 0; i < 30; i++) {
      d();
      vi.advanceTimersByTime(40); // never quiet for 100 ms
    }
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('can be cancelled and flushed', () => {
    let calls = 0;
    const d = debounce(() => calls++, 100);
    d();
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(calls).toBe(0);
    d();
    d.flush();
    expect(calls).toBe(1);
    d.flush(); // nothing pending
    expect(calls).toBe(1);
  });
});
