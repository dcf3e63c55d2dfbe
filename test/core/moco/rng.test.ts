import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-main/core/moco/rng';

describe('Rng', () => {
  it('repeats under a seed and resumes exactly from a saved state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(Array.from({ length: 5 }, () => b.nextUint32()));
    expect(new Rng(43).nextUint32()).not.toBe(new Rng(42).nextUint32());
    const saved = a.state();
    const ahead = Array.from(a.normal(7));
    const resumed = new Rng(saved);
    expect(Array.from(resumed.normal(7))).toEqual(ahead);
    b.setState(saved);
    expect(b.next()).toBe(new Rng(saved).next());
  });

  it('draws the distributions it names', () => {
    const rng = new Rng(1);
    const n = rng.normal(20001, 2, 3);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(mean).toBeCloseTo(2, 1);
    expect(std).toBeCloseTo(3, 1);
    const u = rng.uniform(10000, -1, 1);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
    const ints = new Set(Array.from({ length: 1000 }, () => rng.int(5)));
    expect([...ints].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a bad seed or state', () => {
    expect(() => new Rng(1.5)).toThrow(/expected an integer seed, got 1.5/);
    expect(() => new Rng([0, 0, 0, 0])).toThrow(/not all zero/);
    expect(() => new Rng([1, 2, 3, -1])).toThrow(/unsigned 32-bit words/);
  });
});
