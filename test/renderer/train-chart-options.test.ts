import { describe, expect, it } from 'vitest';
import type uPlot from 'uplot';
import { fromMetrics } from '../../src-renderer/src/lib/chart-series';
import {
  chanceLoss,
  chartData,
  chartOptions,
  COLOR_VARS,
  lastDefined,
  readChartColors,
  STEP_INCRS,
  type ChartColors,
} from '../../src-renderer/src/lib/chart-options';

const colors: ChartColors = { text: '#111', grid: '#222', loss: '#a00', lr: '#0a0', accuracy: '#00a', knn: '#a0a', chance: '#999' };
const s = fromMetrics([
  { step: 1, epoch: 0, loss: 0.01, lr: 0.03, accuracy: 1, imagesPerSec: 10, knnAccuracy: null },
  { step: 2, epoch: 0, loss: 2.9, lr: 0.03, accuracy: 0.2, imagesPerSec: 12, knnAccuracy: 0.5 },
  { step: 3, epoch: 1, loss: 3.5, lr: 0.003, accuracy: 0.1, imagesPerSec: 12, knnAccuracy: null },
]);

/** What uPlot hands a legend formatter: the chart's data, the series, the cursor's index. */
function legend(opts: uPlot.Options, data: uPlot.AlignedData, sidx: number, idx: number | null): string {
  const fake = { data } as unknown as uPlot;
  const v = idx == null ? null : (data[sidx][idx] ?? null);
  return (opts.series[sidx].value as (u: uPlot, v: number | null, s: number, i: number | null) => string)(fake, v, sidx, idx);
}

describe('chart colours', () => {
  it('come from the page’s variables, with fallbacks for missing ones', () => {
    const vars: Record<string, string> = { '--accent': ' #6d95f0 ', '--ok': '#5cc98a' };
    const c = readChartColors((name) => vars[name] ?? '');
    expect(c.loss).toBe('#6d95f0');
    expect(c.accuracy).toBe('#5cc98a');
    expect(c.knn).toBe(COLOR_VARS.knn[1]);
    expect(Object.keys(c).sort()).toEqual(Object.keys(COLOR_VARS).sort());
  });
});

describe('chart data', () => {
  it('aligns every line with the steps; the loss chart adds ln(K+1)', () => {
    const loss = chartData('loss', s, 64);
    expect(loss).toEqual([
      [1, 2, 3],
      [0.01, 2.9, 3.5],
      [Math.log(65), Math.log(65), Math.log(65)],
    ]);
    expect(chartData('lr', s, 64)).toEqual([
      [1, 2, 3],
      [0.03, 0.03, 0.003],
    ]);
    expect(chartData('accuracy', s, 64)).toEqual([
      [1, 2, 3],
      [1, 0.2, 0.1],
      [null, 0.5, null],
    ]);
    expect(chanceLoss(65536)).toBeCloseTo(11.09, 2);
  });
});

describe('chartOptions', () => {
  it('draws each chart’s lines in the theme’s colours at the given size', () => {
    const loss = chartOptions('loss', colors, { width: 333.7, height: 170 });
    expect(loss.width).toBe(333);
    expect(loss.height).toBe(170);
    expect(loss.series.map((x) => x.label)).toEqual(['step', 'loss', 'chance ln(K+1)']);
    expect(loss.series[1].stroke).toBe('#a00');
    expect(loss.series[2].dash).toEqual([4, 4]);
    expect(loss.axes?.[0].stroke).toBe('#111');
    expect((loss.axes?.[1].grid as { stroke: string }).stroke).toBe('#222');
    const acc = chartOptions('accuracy', colors, { width: 50, height: 10 });
    expect(acc.width).toBe(120);
    expect(acc.series.map((x) => [x.label, x.stroke])).toEqual([
      ['step', undefined],
      ['pretext', '#00a'],
      ['kNN', '#a0a'],
    ]);
    // kNN is measured every few epochs: drawn as points joined across the gaps.
    expect(acc.series[2].spanGaps).toBe(true);
    expect((acc.series[2].points as { show: boolean }).show).toBe(true);
  });

  it('shows the value at the cursor in the legend, else the latest one', () => {
    const acc = chartOptions('accuracy', colors, { width: 300, height: 170 });
    const data = chartData('accuracy', s, 64);
    expect(legend(acc, data, 1, 0)).toBe('100.0%');
    expect(legend(acc, data, 1, null)).toBe('10.0%');
    expect(legend(acc, data, 2, null)).toBe('50.0%');
    expect(legend(acc, data, 0, null)).toBe('3');
    const lr = chartOptions('lr', colors, { width: 300, height: 170 });
    expect(legend(lr, chartData('lr', s, 64), 1, null)).toBe('0.003');
  });

  it('formats the axes and ranges the scales for reading', () => {
    const u = {} as uPlot;
    const lr = chartOptions('lr', colors, { width: 300, height: 170 });
    const yValues = lr.axes![1].values as (u: uPlot, splits: number[]) => string[];
    expect(yValues(u, [0, 0.001, 0.002])).toEqual(['0', '0.001', '0.002']);
    const range = lr.scales!.y.range as (u: uPlot, min: number, max: number) => [number, number];
    expect(range(u, 0.002, 0.002)).toEqual([0, 0.0025]);
    expect(range(u, 0.0002, 0.002)[0]).toBe(0);
    const acc = chartOptions('accuracy', colors, { width: 300, height: 170 });
    expect((acc.scales!.y.range as (u: uPlot, min: number, max: number) => [number, number])(u, 0, 0.95)).toEqual([0, 1]);
    expect(lr.axes![0].incrs).toBe(STEP_INCRS);
    expect(STEP_INCRS.slice(0, 7)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(STEP_INCRS.every(Number.isInteger)).toBe(true);
  });

  it('finds the last defined value of a sparse column', () => {
    expect(lastDefined([1, null, 3, null, undefined])).toBe(3);
    expect(lastDefined([null])).toBeNull();
    expect(lastDefined(undefined)).toBeNull();
  });
});
