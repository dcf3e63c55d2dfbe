// The Evaluate view's form: every ProbeConfig field as text the user edits, turned back into a
// config with readable messages. Defaults are the linear classification protocol of the MoCo
// code (frozen features, SGD lr 30, momentum 0.9, no weight decay, lr ×0.1 at 60% and 80% of
// the epochs) and the weighted kNN of the instance-discrimination papers (k 200, T 0.1).
import type { LabelSource, ProbeConfig } from '$contract';
import { parseBounded, parseNumberList, parseNumbers, type Parsed } from './form-numbers';
import type { NumberSpec } from './train-form';

export type ProbeNumberField =
  'testFraction' | 'minPerClass' | 'seed' | 'inputSize' | 'epochs' | 'lr' | 'momentum' | 'weightDecay' | 'batchSize' | 'k' | 'T';

// Bounds are those the app refuses outside of (src-main/api/validate.ts); a class needs two
// images to sit in both splits.
export const PROBE_FIELDS: Record<ProbeNumberField, NumberSpec> = {
  testFraction: { label: 'Test fraction', integer: false, min: 0.05, max: 0.95, help: 'share of each class held out for testing' },
  minPerClass: { label: 'Min images per class', integer: true, min: 2, max: 100_000, help: 'smaller classes are left out' },
  seed: { label: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1, help: 'fixes the split and the probe' },
  inputSize: { label: 'Input size', integer: true, min: 16, max: 1024, unit: 'px', help: 'empty = the run’s training size' },
  epochs: { label: 'Epochs', integer: true, min: 1, max: 10_000, help: 'protocol: 100' },
  lr: { label: 'Learning rate', integer: false, min: 1e-8, max: 1000, help: 'protocol: 30 (features are not normalised)' },
  momentum: { label: 'Momentum', integer: false, min: 0, max: 0.9999, help: 'protocol: 0.9' },
  weightDecay: { label: 'Weight decay', integer: false, min: 0, max: 1, help: 'protocol: 0' },
  batchSize: { label: 'Batch size', integer: true, min: 1, max: 65_536, help: 'protocol: 256' },
  k: { label: 'k (neighbours)', integer: true, min: 1, max: 10_000, help: 'weighted vote of the k nearest (200)' },
  T: { label: 'T (temperature)', integer: false, min: 1e-4, max: 10, help: 'vote weight exp(sim / T) (0.1)' },
};

export interface ProbeForm extends Record<ProbeNumberField, string> {
  runId: number | null;
  labels: LabelSource;
  /** fractions of the epochs at which the lr is multiplied by 0.1, as typed: "0.6, 0.8" */
  lrSteps: string;
  standardize: boolean;
  randomInit: boolean;
  rawPixels: boolean;
  folderIds: number[];
}

export type ProbeFormField = keyof ProbeForm;

export const DEFAULT_PROBE: Omit<ProbeConfig, 'runId'> = {
  labels: { kind: 'folder', level: 0 },
  testFraction: 0.2,
  minPerClass: 5,
  seed: 0,
  inputSize: null,
  linear: { epochs: 100, lr: 30, momentum: 0.9, weightDecay: 0, batchSize: 256, lrSteps: [0.6, 0.8], standardize: true },
  knn: { k: 200, T: 0.1 },
  baselines: { randomInit: true, rawPixels: true },
  folderIds: [],
};

export const MAX_PROBE_LR_STEPS = 16;

export function defaultProbeForm(runId: number | null = null): ProbeForm {
  return configToProbeForm({ ...DEFAULT_PROBE, runId: runId ?? 0 }, runId);
}

/** A past probe's settings as a form (to run it again, changed or not). */
export function configToProbeForm(c: ProbeConfig, runId: number | null = c.runId): ProbeForm {
  return {
    runId,
    labels: { ...c.labels },
    testFraction: String(c.testFraction),
    minPerClass: String(c.minPerClass),
    seed: String(c.seed),
    inputSize: c.inputSize === null ? '' : String(c.inputSize),
    epochs: String(c.linear.epochs),
    lr: String(c.linear.lr),
    momentum: String(c.linear.momentum),
    weightDecay: String(c.linear.weightDecay),
    batchSize: String(c.linear.batchSize),
    lrSteps: c.linear.lrSteps.join(', '),
    standardize: c.linear.standardize,
    k: String(c.knn.k),
    T: String(c.knn.T),
    randomInit: c.baselines.randomInit,
    rawPixels: c.baselines.rawPixels,
    folderIds: [...c.folderIds],
  };
}

/** The number typed for `field`, or a message saying what was expected. */
export function parseProbeNumber(field: ProbeNumberField, raw: string): Parsed<number> {
  return parseBounded(PROBE_FIELDS[field], raw, true);
}

/** "0.6, 0.8" -> [0.6, 0.8]: ascending fractions of the epochs, each in (0, 1). */
export function parseProbeLrSteps(raw: string): Parsed<number[]> {
  return parseNumberList(raw, 'LR steps', MAX_PROBE_LR_STEPS, (v, text, prev) => {
    if (!(Number.isFinite(v) && v > 0 && v < 1))
      return `LR steps: expected fractions of the epochs between 0 and 1 (e.g. 0.6, 0.8), got ${JSON.stringify(text)}`;
    return prev !== undefined && v <= prev ? `LR steps: expected ascending fractions, got ${text} after ${prev}` : null;
  });
}

export interface ProbeFormResult {
  /** null while some field does not parse or no encoder is chosen */
  config: ProbeConfig | null;
  errors: Partial<Record<ProbeFormField, string>>;
}

export function formToProbeConfig(form: ProbeForm): ProbeFormResult {
  const fields = Object.keys(PROBE_FIELDS) as ProbeNumberField[];
  const { values: n, errors: numberErrors } = parseNumbers(fields, (field) =>
    field === 'inputSize' && form.inputSize.trim() === '' ? null : parseProbeNumber(field, form[field]),
  );
  const errors: Partial<Record<ProbeFormField, string>> = { ...numberErrors };
  const steps = parseProbeLrSteps(form.lrSteps);
  if ('error' in steps) errors.lrSteps = steps.error;
  if (form.runId === null) errors.runId = 'Encoder: expected a run to evaluate, got none';
  if (Object.keys(errors).length || 'error' in steps || form.runId === null) return { config: null, errors };
  return {
    config: {
      runId: form.runId,
      labels: { ...form.labels },
      testFraction: n.testFraction,
      minPerClass: n.minPerClass,
      seed: n.seed,
      inputSize: n.inputSize ?? null,
      linear: {
        epochs: n.epochs,
        lr: n.lr,
        momentum: n.momentum,
        weightDecay: n.weightDecay,
        batchSize: n.batchSize,
        lrSteps: steps.value,
        standardize: form.standardize,
      },
      knn: { k: n.k, T: n.T },
      baselines: { randomInit: form.randomInit, rawPixels: form.rawPixels },
      folderIds: [...form.folderIds].sort((a, b) => a - b),
    },
    errors,
  };
}

export interface PreviewRequest {
  labels: LabelSource;
  options: { folderIds: number[]; minPerClass: number; testFraction: number; seed: number };
  /** identifies the request, so an unchanged form does not ask again */
  key: string;
}

/** What previewLabels needs from the form, or null while the split fields do not parse. */
export function previewRequest(form: ProbeForm): PreviewRequest | null {
  const parsed = (['minPerClass', 'testFraction', 'seed'] as const).map((f) => parseProbeNumber(f, form[f]));
  if (parsed.some((r) => 'error' in r)) return null;
  const [minPerClass, testFraction, seed] = parsed.map((r) => (r as { value: number }).value);
  const options = { folderIds: [...form.folderIds].sort((a, b) => a - b), minPerClass, testFraction, seed };
  return { labels: { ...form.labels }, options, key: JSON.stringify([form.labels, options]) };
}

/** A label source as the value of a <select>: "folder:0", "folder:-1", "tag". */
export function labelSourceKey(s: LabelSource): string {
  return s.kind === 'tag' ? 'tag' : `folder:${s.level}`;
}

export function parseLabelSourceKey(key: string): LabelSource | null {
  if (key === 'tag') return { kind: 'tag' };
  const m = /^folder:(-?\d+)$/.exec(key);
  return m ? { kind: 'folder', level: Number(m[1]) } : null;
}

/** Settings of the linear probe and kNN that differ from the protocol's, e.g. ["epochs 20", "k 50"]. */
export function changedFromProtocol(c: Pick<ProbeConfig, 'linear' | 'knn' | 'inputSize'>): string[] {
  const out: string[] = [];
  const d = DEFAULT_PROBE;
  const l = c.linear;
  if (l.epochs !== d.linear.epochs) out.push(`epochs ${l.epochs}`);
  if (l.lr !== d.linear.lr) out.push(`lr ${l.lr}`);
  if (l.momentum !== d.linear.momentum) out.push(`momentum ${l.momentum}`);
  if (l.weightDecay !== d.linear.weightDecay) out.push(`weight decay ${l.weightDecay}`);
  if (l.batchSize !== d.linear.batchSize) out.push(`batch ${l.batchSize}`);
  if (l.lrSteps.join() !== d.linear.lrSteps.join()) out.push(l.lrSteps.length ? `lr steps ${l.lrSteps.join(', ')}` : 'constant lr');
  if (l.standardize !== d.linear.standardize) out.push(l.standardize ? 'standardised' : 'not standardised');
  if (c.knn.k !== d.knn.k) out.push(`k ${c.knn.k}`);
  if (c.knn.T !== d.knn.T) out.push(`T ${c.knn.T}`);
  if (c.inputSize !== null) out.push(`${c.inputSize} px`);
  return out;
}
