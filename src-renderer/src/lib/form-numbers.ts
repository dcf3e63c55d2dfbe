// Numbers typed into a form's text fields, read back with the bounds of their field and a message
// that says what was expected: the Train and the Evaluate forms read theirs so.
import { expectation, type NumberSpec } from '../../../src-main/api/training-config';

export type Parsed<T> = { value: T } | { error: string };

/** The bounds and the label of a number field. */
export type Bounds = Pick<NumberSpec, 'label' | 'integer' | 'min' | 'max'>;

/**
 * The number typed for a field, or a message saying what was expected. A number out of bounds
 * shows bare in the message (`got 16.5`) unless `quote` (`got "16.5"`).
 */
export function parseBounded(spec: Bounds, raw: string, quote = false): Parsed<number> {
  const text = raw.trim();
  const v = Number(text);
  const fail = (got: string) => ({ error: `${spec.label}: expected ${expectation(spec)}, got ${got}` });
  if (text === '') return fail('nothing');
  if (!Number.isFinite(v)) return fail(JSON.stringify(text));
  if ((spec.integer && !Number.isInteger(v)) || v < spec.min || v > spec.max) return fail(quote ? JSON.stringify(text) : text);
  return { value: v };
}

/**
 * "0.6, 0.8" (commas, spaces or semicolons) -> [0.6, 0.8]; `check` says what is wrong with one
 * number (given the one before it), or null; at most `max` numbers.
 */
export function parseNumberList(
  raw: string,
  label: string,
  max: number,
  check: (v: number, text: string, prev: number | undefined) => string | null,
): Parsed<number[]> {
  const out: number[] = [];
  for (const p of raw.split(/[\s,;]+/).filter(Boolean)) {
    const v = Number(p);
    const error = check(v, p, out.at(-1));
    if (error) return { error };
    out.push(v);
  }
  if (out.length > max) return { error: `${label}: expected at most ${max}, got ${out.length}` };
  return { value: out };
}

/** Each field's number, read by `read` (null: left out), and the messages of those that do not parse. */
export function parseNumbers<F extends string>(
  fields: readonly F[],
  read: (field: F) => Parsed<number> | null,
): { values: Record<F, number>; errors: Partial<Record<F, string>> } {
  const values = {} as Record<F, number>;
  const errors: Partial<Record<F, string>> = {};
  for (const field of fields) {
    const r = read(field);
    if (r === null) continue;
    if ('error' in r) errors[field] = r.error;
    else values[field] = r.value;
  }
  return { values, errors };
}
