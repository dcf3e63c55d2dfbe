// The --backend flag of the benchmarks: which engine to measure, checked like MOCO_BACKEND.
import { BACKEND_NAMES, type BackendName } from '../src-main/core/engine/engine-info';

export function backendFlag(bench: string, value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(value))
    throw new Error(`${bench}: expected --backend ${BACKEND_NAMES.join(' | ')}, got ${JSON.stringify(value)}`);
  return value as BackendName;
}
