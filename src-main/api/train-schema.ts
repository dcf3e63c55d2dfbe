// The run-time schema of a TrainConfig, generated from the field tables of training-config:
// bounds are sanity limits against hostile or mistyped input; whether a config fits the library
// and the device (K a multiple of the batch, enough images, ...) is trainingConfigIssues' part.
import { z } from 'zod';
import type { TrainConfig } from './train-contract';
import { BOOLEAN_FIELDS, CHOICE_FIELDS, FOLDER_IDS_MAX, LR_STEPS, MINUTES, NUMBER_FIELDS, type NumberSpec } from './training-config';

function numberSchema(spec: Pick<NumberSpec, 'integer' | 'min' | 'max'>): z.ZodNumber {
  return (spec.integer ? z.number().int() : z.number().finite()).min(spec.min).max(spec.max);
}

const mapValues = <T, R>(table: Record<string, T>, f: (v: T) => R): Record<string, R> =>
  Object.fromEntries(Object.entries(table).map(([k, v]) => [k, f(v)]));

export const trainConfigSchema = z
  .object({
    ...mapValues(NUMBER_FIELDS, numberSchema),
    ...mapValues(CHOICE_FIELDS, (spec) => z.enum(spec.choices.map((c) => c.value) as [string, ...string[]])),
    ...mapValues(BOOLEAN_FIELDS, () => z.boolean()),
    lrSteps: z.array(numberSchema({ integer: true, min: LR_STEPS.min, max: LR_STEPS.max })).max(LR_STEPS.count),
    folderIds: z.array(z.number().int().positive()).max(FOLDER_IDS_MAX),
    minutes: numberSchema({ integer: false, min: MINUTES.min, max: MINUTES.max }).nullable().optional(),
  })
  .strict() as unknown as z.ZodType<TrainConfig>;
