// Reading a command's flags: each one checked, with an error that names the flag and shows what
// was given.
import { UsageError, type OptionValues } from './command';

/** A string flag, or undefined when absent. */
export function str(values: OptionValues, name: string): string | undefined {
  return typeof values[name] === 'string' ? (values[name] as string) : undefined;
}

/** A positive integer flag, or undefined when absent. */
export function intFlag(command: string, values: OptionValues, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new UsageError(`${command}: --${name}: expected an integer from 1 to ${max}, got ${JSON.stringify(raw)}`, command);
  }
  return v;
}

/** A number flag within [min, max], or undefined when absent. */
export function numFlag(command: string, values: OptionValues, name: string, min: number, max: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${command}: --${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`, command);
  }
  return v;
}

/** One of `allowed`, or undefined when absent. */
export function choice<T extends string>(command: string, values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`${command}: --${name}: expected ${allowed.join(' | ')}, got ${JSON.stringify(raw)}`, command);
  }
  return raw as T;
}
