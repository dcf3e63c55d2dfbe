import { describe, expect, it } from 'vitest';
import { applyStandardization, checkProbeData, fitStandardization, gatherRows } from '../../../src-main/core/probe/dataset';

describe('probe data', () => {
  it('gathers rows in the order asked', () => {
    const m = Float32Array.from([0, 1, 10, 11, 20, 21]);
    expect(Array.from(gatherRows(m, 2, [2, 0, 2]))).toEqual([20, 21, 0, 1, 20, 21]);
    expect(() => gatherRows(m, 2, [3])).toThrow(/gatherRows: expected rows\[0\] to be an integer in \[0, 2\], got 3/);
  });

  it('standardises columns with train statistics, leaves constant columns at 0, and scales', () => {
    const train = Float32Array.from([1, 5, 3, 5, 5, 5]); // column 0: 1, 3, 5; column 1 constant
    const s = fitStandardization(train, 3, 2);
    expect(Array.from(s.mean)).toEqual([3, 5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(s.std[1]).toBe(0);
    const z = applyStandardization(train, 2, s);
    expect(z[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 6);
    expect(z[1]).toBe(0);
    const test = applyStandardization(Float32Array.from([7, 9]), 2, s, 0.5);
    expect(test[0]).toBeCloseTo((0.5 * 4) / Math.sqrt(8 / 3), 6);
    expect(test[1]).toBe(0);
  });

  it('refuses data whose parts do not fit together', () => {
    const ok = {
      d: 2,
      numClasses: 2,
      trainX: new Float32Array(4),
      trainY: Int32Array.from([0, 1]),
      testX: new Float32Array(2),
      testY: Int32Array.from([1]),
    };
    expect(checkProbeData('t', ok)).toEqual({ nTrain: 2, nTest: 1 });
    expect(() => checkProbeData('t', { ...ok, numClasses: 1 })).toThrow(/t: expected numClasses to be an integer >= 2, got 1/);
    expect(() => checkProbeData('t', { ...ok, testY: new Int32Array(0), testX: new Float32Array(0) })).toThrow(
      /expected at least one test row, got 0/,
    );
    expect(() => checkProbeData('t', { ...ok, trainX: Float32Array.from([0, 0, NaN, 0]) })).toThrow(
      /expected finite values in trainX, got NaN at row 1, column 0/,
    );
  });
});
