// What the engine runs on, for the UI, the CLI and run records.
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** tensorflow-gpu: @tensorflow/tfjs-node-gpu (CUDA); tensorflow: @tensorflow/tfjs-node (native CPU). */
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface EngineInfo {
  backend: BackendName;
  /** what the work runs on, in words: 'wasm SIMD, 1 thread', 'CUDA: <gpu name>', 'CPU' */
  device: string;
  simd: boolean;
  threads: number;
  /** why each backend faster than the one in use was not used */
  skipped: { name: BackendName; reason: string }[];
}
