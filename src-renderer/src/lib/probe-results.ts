// A probe's results as tables: one row per (model, method) with top-1 and top-5, the pretrained
// encoder next to its baselines (a random-init encoder of the same architecture, raw pixels) so
// the gain from pretraining reads at a glance; and per-class precision, recall, F1, support.
import type { ClassMetrics, ProbeMethod, ProbeModel, ProbeResult } from '$contract';

export const MODELS: readonly ProbeModel[] = ['pretrained', 'random-init', 'raw-pixels'];
export const METHODS: readonly ProbeMethod[] = ['linear', 'knn'];

export const MODEL_LABEL: Record<ProbeModel, string> = {
  pretrained: 'Pretrained (MoCo)',
  'random-init': 'Random-init encoder',
  'raw-pixels': 'Raw pixels',
};

export const METHOD_LABEL: Record<ProbeMethod, string> = {
  linear: 'Linear probe',
  knn: 'Weighted kNN',
};

export interface ResultKey {
  model: ProbeModel;
  method: ProbeMethod;
}

export function resultKey(k: ResultKey): string {
  return `${k.model}/${k.method}`;
}

export function findResult(results: readonly ProbeResult[], k: ResultKey | null): ProbeResult | null {
  return (k && results.find((r) => r.model === k.model && r.method === k.method)) || null;
}

export interface ResultRow extends ResultKey {
  key: string;
  top1: number;
  top5: number;
  /** the best top-1 of its method */
  best: boolean;
  /** top-1 minus this method's random-init top-1 (pretrained rows only), in 0..1 units */
  overRandom: number | null;
  /** top-1 minus this method's raw-pixel top-1 (pretrained rows only) */
  overPixels: number | null;
  /** the linear probe's loss ended above chance: its accuracy says little */
  diverged: boolean;
}

/** Rows by method (linear, then kNN), each with the pretrained encoder first, then its baselines. */
export function resultRows(results: readonly ProbeResult[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const method of METHODS) {
    const own = MODELS.map((model) => findResult(results, { model, method })).filter((r): r is ProbeResult => r !== null);
    if (!own.length) continue;
    const bestTop1 = Math.max(...own.map((r) => r.metrics.top1));
    const top1Of = (model: ProbeModel) => own.find((r) => r.model === model)?.metrics.top1 ?? null;
    for (const r of own) {
      const pre = r.model === 'pretrained';
      const rnd = top1Of('random-init');
      const px = top1Of('raw-pixels');
      rows.push({
        key: resultKey(r),
        model: r.model,
        method,
        top1: r.metrics.top1,
        top5: r.metrics.top5,
        best: r.metrics.top1 === bestTop1,
        overRandom: pre && rnd !== null ? r.metrics.top1 - rnd : null,
        overPixels: pre && px !== null ? r.metrics.top1 - px : null,
        diverged: r.diverged === true,
      });
    }
  }
  return rows;
}

/** The result shown first: the pretrained linear probe when there is one. */
export function defaultResultKey(results: readonly ProbeResult[]): ResultKey | null {
  const pick = findResult(results, { model: 'pretrained', method: 'linear' }) ?? results[0];
  return pick ? { model: pick.model, method: pick.method } : null;
}

/** 0.8734 -> "87.3%" */
export function formatAccuracy(x: number | null | undefined): string {
  return x != null && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—';
}

/** A difference of accuracies in percentage points: "+31.2 pts", "−4.0 pts", "±0 pts". */
export function formatPoints(delta: number | null | undefined): string {
  if (delta == null || !Number.isFinite(delta)) return '—';
  const pts = Math.round(delta * 1000) / 10;
  if (pts === 0) return '±0 pts';
  return `${pts > 0 ? '+' : '−'}${Math.abs(pts).toFixed(1)} pts`;
}

/** "Pretraining adds +31.2 pts of top-1 over a random-init encoder and +12.0 pts over raw pixels (linear probe)." */
export function gainSentence(rows: readonly ResultRow[]): string | null {
  const pre = rows.find((r) => r.model === 'pretrained' && r.method === 'linear') ?? rows.find((r) => r.model === 'pretrained');
  if (!pre || (pre.overRandom === null && pre.overPixels === null)) return null;
  const parts: string[] = [];
  if (pre.overRandom !== null) parts.push(`${formatPoints(pre.overRandom)} over a random-init encoder`);
  if (pre.overPixels !== null) parts.push(`${formatPoints(pre.overPixels)} over raw pixels`);
  return `Pretraining: ${parts.join(' and ')} in top-1 (${METHOD_LABEL[pre.method].toLowerCase()}).`;
}

/** Accuracy of guessing the most common class of the test split. */
export function majorityBaseline(classes: readonly { test: number }[]): number | null {
  const total = classes.reduce((s, c) => s + c.test, 0);
  return total > 0 ? Math.max(...classes.map((c) => c.test)) / total : null;
}

/** Top-k means nothing when k reaches the class count: with 5 or fewer classes top-5 is always 100%. */
export function top5Meaningful(classCount: number): boolean {
  return classCount > 5;
}

export type ClassSortKey = 'name' | 'precision' | 'recall' | 'f1' | 'support';

export interface ClassRow extends ClassMetrics {
  /** index in the probe's classes (the confusion matrix's row) */
  index: number;
}

export function classRows(perClass: readonly ClassMetrics[]): ClassRow[] {
  return perClass.map((c, index) => ({ ...c, index }));
}

/** Sorted by `key` (numbers descending first, names ascending first); ties keep class order. */
export function sortClassRows(rows: readonly ClassRow[], key: ClassSortKey, descending: boolean): ClassRow[] {
  const cmp = (a: ClassRow, b: ClassRow) => {
    const d = key === 'name' ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a[key] - b[key];
    return (descending ? -d : d) || a.index - b.index;
  };
  return [...rows].sort(cmp);
}

/** Macro averages over classes (what a per-class table's footer shows). */
export function macroAverages(rows: readonly ClassMetrics[]): { precision: number; recall: number; f1: number; support: number } | null {
  if (!rows.length) return null;
  const mean = (f: (c: ClassMetrics) => number) => rows.reduce((s, c) => s + f(c), 0) / rows.length;
  return {
    precision: mean((c) => c.precision),
    recall: mean((c) => c.recall),
    f1: mean((c) => c.f1),
    support: rows.reduce((s, c) => s + c.support, 0),
  };
}

/** 0.912 -> "0.912"; metrics between 0 and 1 with three decimals, as classification reports print them. */
export function formatMetric(x: number | null | undefined): string {
  return x != null && Number.isFinite(x) ? x.toFixed(3) : '—';
}
