// The Train view's form: every TrainConfig field as text the user edits, turned back into a
// config with readable messages, plus hints. Fields, bounds, labels and the rules behind the
// hints are training-config's, which the app checks with too; hints never block a start: the
// app's answer is what counts.
import type { Arch, AugmentationRecipe, Dictionary, LrSchedule, Stem, TrainConfig } from '../../../src-main/api/contract';
import {
  CHOICE_FIELDS,
  CONFIG_FIELDS,
  NUMBER_FIELDS,
  trainingConfigIssues,
  type ConfigIssue,
  type IssueContext,
  type NumberField,
  type NumberSpec as FieldSpec,
} from '../../../src-main/api/training-config';
import { parseNumbers } from './form-numbers';
import { parseLrSteps, parseMinutes, parseNumberField } from './train-fields';

export {
  BOOLEAN_FIELDS,
  CHOICE_FIELDS,
  CONFIG_FIELDS,
  LR_STEPS,
  MINUTES,
  NUMBER_FIELDS,
  scaledLr,
  scaleLrSteps,
  type BooleanField,
  type Choice,
  type ChoiceField,
  type NumberField,
} from '../../../src-main/api/training-config';
export { MAX_LR_STEPS, MINUTES_RANGE, parseLrSteps, parseMinutes, parseNumberField } from './train-fields';

/** A number field's bounds and words (the probe form describes its own fields so too). */
export type NumberSpec = Omit<FieldSpec, 'flag'>;

/** The options of each choice field, in the order the form lists them. */
export const CHOICES = {
  arch: CHOICE_FIELDS.arch.choices,
  stem: CHOICE_FIELDS.stem.choices,
  augmentation: CHOICE_FIELDS.augmentation.choices,
  dictionary: CHOICE_FIELDS.dictionary.choices,
  schedule: CHOICE_FIELDS.schedule.choices,
};

export type TrainForm = Record<NumberField, string> & {
  arch: Arch;
  stem: Stem;
  augmentation: AugmentationRecipe;
  dictionary: Dictionary;
  schedule: LrSchedule;
  mlpHead: boolean;
  symmetric: boolean;
  /** milestones as typed, e.g. "120, 160" */
  lrSteps: string;
  folderIds: number[];
  /** time budget in minutes as typed; empty = train for the epochs */
  minutes: string;
};

export type FormField = keyof TrainForm;

const NUMBER_KEYS = Object.keys(NUMBER_FIELDS) as NumberField[];

export function configToForm(c: TrainConfig): TrainForm {
  const num = Object.fromEntries(NUMBER_KEYS.map((k) => [k, String(c[k])])) as Record<NumberField, string>;
  return {
    ...num,
    arch: c.arch,
    stem: c.stem,
    augmentation: c.augmentation,
    dictionary: c.dictionary,
    schedule: c.schedule,
    mlpHead: c.mlpHead,
    symmetric: c.symmetric,
    lrSteps: c.lrSteps.join(', '),
    folderIds: [...c.folderIds],
    minutes: c.minutes ? String(c.minutes) : '',
  };
}

export interface FormResult {
  /** null while some field does not parse */
  config: TrainConfig | null;
  errors: Partial<Record<FormField, string>>;
}

export function formToConfig(form: TrainForm): FormResult {
  const { values: nums, errors: numberErrors } = parseNumbers(NUMBER_KEYS, (field) => parseNumberField(field, form[field]));
  const errors: Partial<Record<FormField, string>> = { ...numberErrors };
  const steps = parseLrSteps(form.lrSteps);
  if ('error' in steps) errors.lrSteps = steps.error;
  const minutes = parseMinutes(form.minutes ?? '');
  if ('error' in minutes) errors.minutes = minutes.error;
  if (Object.keys(errors).length || 'error' in steps || 'error' in minutes) return { config: null, errors };
  return {
    config: {
      ...nums,
      arch: form.arch,
      stem: form.stem,
      mlpHead: form.mlpHead,
      augmentation: form.augmentation,
      symmetric: form.symmetric,
      dictionary: form.dictionary,
      schedule: form.schedule,
      lrSteps: steps.value,
      folderIds: [...form.folderIds].sort((a, b) => a - b),
      ...(minutes.value !== null ? { minutes: minutes.value } : {}),
    },
    errors,
  };
}

/** The form with some config fields replaced (a hint's fix, or a preset). */
export function patchForm(form: TrainForm, patch: Partial<TrainConfig>): TrainForm {
  const next = { ...form };
  for (const [key, value] of Object.entries(patch) as [keyof TrainConfig, TrainConfig[keyof TrainConfig]][]) {
    if (key in NUMBER_FIELDS) next[key as NumberField] = String(value);
    else if (key === 'lrSteps') next.lrSteps = (value as number[]).join(', ');
    else if (key === 'folderIds') next.folderIds = [...(value as number[])];
    else if (key === 'minutes') next.minutes = value ? String(value) : '';
    else (next as Record<string, unknown>)[key] = value;
  }
  return next;
}

/** Config fields (folders aside) whose value differs from `base`. */
export function changedFields(config: TrainConfig, base: TrainConfig): (keyof TrainConfig)[] {
  return CONFIG_FIELDS.filter((k) => k !== 'folderIds' && JSON.stringify(config[k] ?? null) !== JSON.stringify(base[k] ?? null));
}

export type Hint = ConfigIssue;
export type HintContext = IssueContext;

/** What the app will refuse, in its own words, then what it runs but probably not as meant. */
export function configHints(c: TrainConfig, ctx: HintContext = {}): Hint[] {
  const { errors, hints } = trainingConfigIssues(c, ctx);
  return [...errors, ...hints];
}

/** The config field a message from the app's argument check names ("startTraining argument 0.K: ..."). */
export function fieldOfServerError(message: string): keyof TrainConfig | null {
  const m = /argument 0\.(\w+)/.exec(message);
  return m && (CONFIG_FIELDS as readonly string[]).includes(m[1]) ? (m[1] as keyof TrainConfig) : null;
}
