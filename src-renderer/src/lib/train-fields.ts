// The Train form's text fields read back into numbers, with the app's bounds and readable
// messages; the bounds, labels and words are training-config's, shared with the API and CLI.
import { LR_STEPS, MINUTES, NUMBER_FIELDS, type NumberField } from '../../../src-main/api/training-config';
import { parseBounded, parseNumberList, type Parsed } from './form-numbers';

/** The bounds of a time budget. */
export const MINUTES_RANGE = { min: MINUTES.min, max: MINUTES.max } as const;
export const MAX_LR_STEPS = LR_STEPS.count;

/** "30" -> 30 minutes; empty text is no budget (train for the epochs). */
export function parseMinutes(raw: string): { value: number | null } | { error: string } {
  const text = raw.trim();
  if (text === '') return { value: null };
  const v = Number(text);
  if (!Number.isFinite(v) || v < MINUTES.min || v > MINUTES.max) {
    return {
      error: `${MINUTES.label}: expected minutes from ${MINUTES.min} to ${MINUTES.max}, or nothing to train for the epochs, got ${JSON.stringify(text)}`,
    };
  }
  return { value: v };
}

/** The number typed for `field`, or a message saying what was expected. */
export function parseNumberField(field: NumberField, raw: string): Parsed<number> {
  return parseBounded(NUMBER_FIELDS[field], raw);
}

/** "120, 160" (commas or spaces) -> [120, 160]; empty text is no milestones. */
export function parseLrSteps(raw: string): Parsed<number[]> {
  return parseNumberList(raw, LR_STEPS.label, LR_STEPS.count, (v, text) =>
    !Number.isInteger(v) || v < LR_STEPS.min || v > LR_STEPS.max
      ? `${LR_STEPS.label}: expected epochs as integers from ${LR_STEPS.min} to ${LR_STEPS.max}, separated by commas, got ${JSON.stringify(text)}`
      : null,
  );
}
