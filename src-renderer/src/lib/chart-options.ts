// The three training charts as uPlot options and data: loss (with the loss of a uniform guess
// over the K+1 logits), learning rate, and accuracy (pretext and kNN monitor). Colours come
// from the page's CSS variables, read when a chart is built, so charts follow the theme.
import type uPlot from 'uplot';
import type { MetricSeries } from './chart-series';
import { formatLr } from './train-text';

export type ChartKind = 'loss' | 'lr' | 'accuracy';

export interface ChartColors {
  text: string;
  grid: string;
  loss: string;
  lr: string;
  accuracy: string;
  knn: string;
  chance: string;
}

/** CSS variables each colour is read from, and what to use where one is missing. */
export const COLOR_VARS: Record<keyof ChartColors, [string, string]> = {
  text: ['--text-2', '#59626e'],
  grid: ['--border', '#dde1e7'],
  loss: ['--accent', '#3b6fe0'],
  lr: ['--warning', '#a86200'],
  accuracy: ['--ok', '#1f8a4c'],
  knn: ['--chart-knn', '#8e5cf0'],
  chance: ['--text-3', '#8a939f'],
};

export function readChartColors(read: (cssVar: string) => string): ChartColors {
  const out = {} as ChartColors;
  for (const [key, [cssVar, fallback]] of Object.entries(COLOR_VARS) as [keyof ChartColors, [string, string]][]) {
    out[key] = read(cssVar).trim() || fallback;
  }
  return out;
}

export const CHART_TITLES: Record<ChartKind, string> = {
  loss: 'InfoNCE loss',
  lr: 'Learning rate',
  accuracy: 'Accuracy',
};

/** ln(K+1): the loss while the query cannot tell the positive from K negatives. */
export function chanceLoss(K: number): number {
  return Math.log(K + 1);
}

const pct: Fmt = (v) => (v == null ? '—' : `${(100 * v).toFixed(1)}%`);
const fixed: Fmt = (v) => (v == null ? '—' : v.toFixed(3));
const lrText: Fmt = (v) => formatLr(v);

/** Columns for uPlot: steps, then the kind's lines. */
export function chartData(kind: ChartKind, s: MetricSeries, K: number): uPlot.AlignedData {
  switch (kind) {
    case 'loss':
      return [s.step, s.loss, s.step.map(() => chanceLoss(K))];
    case 'lr':
      return [s.step, s.lr];
    case 'accuracy':
      return [s.step, s.accuracy, s.knn];
  }
}

/** Tick spacings of the step axis: 1, 2, 5, 10, 20, 50, ... */
export const STEP_INCRS = Array.from({ length: 24 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

export interface ChartSize {
  width: number;
  height: number;
}

/** The last value of a column that is not null (a sparse kNN column ends in nulls). */
export function lastDefined(column: readonly (number | null | undefined)[] | undefined): number | null {
  if (!column) return null;
  for (let i = column.length - 1; i >= 0; i--) {
    const v = column[i];
    if (v != null) return v;
  }
  return null;
}

type Fmt = (v: number | null | undefined) => string;

/** Legend value: at the cursor, or the latest value while the cursor is elsewhere. */
function legendValue(fmt: Fmt): uPlot.Series['value'] {
  return (u, v, sidx, idx) => fmt(idx == null ? lastDefined(u.data[sidx] as (number | null)[]) : v);
}

function line(label: string, stroke: string, fmt: Fmt, extra: Partial<uPlot.Series> = {}): uPlot.Series {
  return { label, stroke, width: 1.75, points: { show: false }, value: legendValue(fmt), ...extra };
}

export function chartOptions(kind: ChartKind, colors: ChartColors, size: ChartSize): uPlot.Options {
  const axis = (values: (v: number) => string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
    stroke: colors.text,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
    font: '11px system-ui, sans-serif',
    values: (_u, splits) => splits.map(values),
    ...extra,
  });
  const series: uPlot.Series[] = [{ label: 'step', value: legendValue((v) => (v == null ? '—' : String(v))) }];
  let yValues: (v: number) => string;
  let yRange: uPlot.Scale['range'] | undefined;
  switch (kind) {
    case 'loss':
      series.push(line('loss', colors.loss, fixed), line('chance ln(K+1)', colors.chance, fixed, { dash: [4, 4], width: 1 }));
      yValues = (v) => String(Number(v.toFixed(2)));
      break;
    case 'lr':
      series.push(line('lr', colors.lr, lrText));
      yValues = (v) => formatLr(v);
      // A constant lr still gets a visible band around it.
      yRange = (_u, min, max) => (min === max ? [0, max * 1.25 || 1] : [Math.min(0, min), max * 1.08]);
      break;
    case 'accuracy':
      series.push(
        line('pretext', colors.accuracy, pct),
        line('kNN', colors.knn, pct, { spanGaps: true, width: 2, points: { show: true, size: 6, fill: colors.knn } }),
      );
      yValues = (v) => `${Math.round(100 * v)}%`;
      yRange = (_u, _min, max) => [0, Math.max(0.1, Math.min(1, max * 1.1))];
      break;
  }
  return {
    width: Math.max(120, Math.floor(size.width)),
    height: Math.max(80, Math.floor(size.height)),
    series,
    scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
    // Steps are whole numbers: no ticks between them.
    axes: [axis((v) => String(v), { incrs: STEP_INCRS }), axis(yValues, { size: 52 })],
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false } },
  };
}
