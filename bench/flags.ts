// Flags and figures the benchmarks share: --backend (which engine to measure, checked like
// MOCO_BACKEND), integer flags, the median of timings.
import { BACKEND_NAMES, type BackendName } from '../src-main/core/engine/engine-info';

export function backendFlag(bench: string, value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value))
    throw new Error(`${bench}: expected --backend ${BACKEND_NAMES.join(' | ')}, got ${JSON.stringify(value)}`);
  return value as BackendName;
}

/** The integer flag --`flag` (`fallback` when absent); `bench` names the benchmark in the error. */
export function intFlag(bench: string, flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${bench}: expected an integer >= ${min} for --${flag}, got ${JSON.stringify(value)}`);
  return n;
}

/** The middle value (the upper one of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
