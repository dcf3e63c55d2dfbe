// The flags of `moco-studio train`, generated from the field tables of training-config, and the
// config of a new run read from them: a preset, then the paper's derived values of the flags
// given (the lr of a new batch size, ...), then the flags themselves, which always win.
import type { TrainConfig } from '../../api/contract';
import { defaultPresetId, findPreset, TRAIN_PRESETS } from '../../api/train-presets';
import {
  BOOLEAN_FIELDS,
  CHOICE_FIELDS,
  LR_STEPS,
  MINUTES,
  momentumFor,
  NUMBER_FIELDS,
  scaledLr,
  scaleLrSteps,
  V2_SETTINGS,
  type BooleanField,
  type Choice,
  type ChoiceField,
  type NumberField,
} from '../../api/training-config';
import { UsageError, type OptionSpec, type OptionValues } from './command';

export const DEFAULT_PRESET = defaultPresetId(false);

/** What a flag does on the command line beyond setting its field. */
const CLI_NOTES: Partial<Record<keyof TrainConfig, string>> = {
  epochs: "; the preset's milestones scale with it",
  batchSize: '; the lr follows 0.03 x batch/256 unless --lr is given',
  dictionary: `; memory-bank sets m ${momentumFor('memory-bank')} unless --m is given`,
  augmentation: `; v2 also sets T ${V2_SETTINGS.T} and the ${V2_SETTINGS.schedule} schedule unless given`,
};

const table = <T, R>(fields: Record<string, T>, f: (field: string, spec: T) => [string, R]): Record<string, R> =>
  Object.fromEntries(Object.entries(fields).map(([field, spec]) => f(field, spec)));

const note = (field: string) => CLI_NOTES[field as keyof TrainConfig] ?? '';

/** "imagenet: ImageNet (7×7 ...)", or just "resnet18" where the label only spells the value. */
function choiceText(c: Choice<string>): string {
  const bare = (t: string) => t.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (bare(c.label) === bare(c.value)) return c.value;
  return c.label.startsWith(`${c.value}:`) ? c.label : `${c.value}: ${c.label}`;
}

/** --<flag> for every field of the tables, in their order, with the form's words. */
export const CONFIG_OPTIONS: Record<string, OptionSpec> = {
  ...table(CHOICE_FIELDS, (field, s) => [
    s.flag,
    { type: 'string', value: '<name>', help: `${s.label} - ${s.help}: ${s.choices.map(choiceText).join(' | ')}${note(field)}` },
  ]),
  ...table(NUMBER_FIELDS, (field, s) => [
    s.flag,
    { type: 'string', value: s.integer ? '<n>' : '<x>', help: `${s.label} - ${s.help}${s.unit ? ` (${s.unit})` : ''}${note(field)}` },
  ]),
  ...table(BOOLEAN_FIELDS, (_field, s) => [s.flag, { type: 'boolean', help: `${s.label} - ${s.help}` }]),
  [LR_STEPS.flag]: { type: 'string', value: '<n,n>', help: `${LR_STEPS.label} - ${LR_STEPS.help}` },
  [MINUTES.flag]: { type: 'string', value: '<x>', help: `train for x ${MINUTES.help}` },
};

function parseNumber(name: string, raw: string, integer: boolean): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new UsageError(`train: --${name}: expected ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`, 'train');
  }
  return v;
}

/** A run id, or another integer a train flag takes. */
export function parseInteger(name: string, raw: string): number {
  return parseNumber(name, raw, true);
}

/** The fields the flags set, as given (no preset, no derived values). */
function givenFields(values: OptionValues): Partial<TrainConfig> {
  const str = (flag: string) => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const given: Record<string, unknown> = {};
  for (const [field, s] of Object.entries(CHOICE_FIELDS)) {
    const raw = str(s.flag);
    if (raw === undefined) continue;
    const allowed = s.choices.map((c) => c.value as string);
    if (!allowed.includes(raw))
      throw new UsageError(`train: --${s.flag}: expected ${allowed.join(' | ')}, got ${JSON.stringify(raw)}`, 'train');
    given[field as ChoiceField] = raw;
  }
  for (const [field, s] of Object.entries(NUMBER_FIELDS)) {
    const raw = str(s.flag);
    if (raw !== undefined) given[field as NumberField] = parseNumber(s.flag, raw, s.integer);
  }
  for (const [field, s] of Object.entries(BOOLEAN_FIELDS)) if (values[s.flag] === true) given[field as BooleanField] = true;
  const steps = str(LR_STEPS.flag);
  if (steps !== undefined)
    given.lrSteps = steps
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((p) => parseNumber(LR_STEPS.flag, p, true));
  const minutes = str(MINUTES.flag);
  if (minutes !== undefined) {
    const v = parseNumber(MINUTES.flag, minutes, false);
    if (!(v >= MINUTES.min && v <= MINUTES.max)) {
      throw new UsageError(`train: --${MINUTES.flag}: expected minutes from ${MINUTES.min} to ${MINUTES.max}, got ${v}`, 'train');
    }
    given.minutes = v;
  }
  return given as Partial<TrainConfig>;
}

/** The paper's values that follow from the flags given. */
function derivedFields(preset: TrainConfig, given: Partial<TrainConfig>): Partial<TrainConfig> {
  const derived: Partial<TrainConfig> = {};
  if (given.augmentation === 'v2') Object.assign(derived, { T: V2_SETTINGS.T, schedule: V2_SETTINGS.schedule });
  if (given.dictionary === 'memory-bank') derived.m = momentumFor('memory-bank');
  // Milestones beyond the run never apply; the preset's are scaled to the new length.
  if (given.epochs !== undefined) derived.lrSteps = scaleLrSteps(preset.lrSteps, preset.epochs, given.epochs);
  if (given.batchSize !== undefined) derived.lr = scaledLr(given.batchSize);
  return derived;
}

/** The config of a new run: a preset, then the flags given. */
export function configFromFlags(values: OptionValues, defaultPreset = DEFAULT_PRESET): TrainConfig {
  const presetId = typeof values.preset === 'string' ? values.preset : defaultPreset;
  const preset = findPreset(presetId);
  if (!preset) {
    const ids = TRAIN_PRESETS.map((p) => p.id).join(' | ');
    throw new UsageError(`train: --preset: expected ${ids}, got ${JSON.stringify(presetId)}`, 'train');
  }
  const given = givenFields(values);
  return { ...structuredClone(preset.config), ...derivedFields(preset.config, given), ...given };
}
