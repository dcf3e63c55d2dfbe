// Types of the weights and data in/out part of the API (export, PyTorch import). contract.ts
// re-exports them.
import type { EmbeddingSpace } from './search-contract';
import type { RunSummary } from './train-contract';
import type { LabelSource } from './probe-contract';

export type WeightsFormat = 'safetensors' | 'tfjs' | 'onnx';

export interface ExportWeightsRequest {
  runId: number;
  format: WeightsFormat;
  /** an existing folder on this machine; files are written into a new subfolder */
  dir: string;
  /** make `dir` (and its parents) when it does not exist, after the person agreed */
  createFolder?: boolean;
}

export interface ExportEmbeddingsRequest {
  setId: number;
  space: EmbeddingSpace;
  dir: string;
  createFolder?: boolean;
}

export interface ExportSubsetRequest {
  labels: LabelSource;
  /** 'tree': a folder per label (ImageFolder); 'list': a CSV of path,label */
  layout: 'tree' | 'list';
  /** with 'tree': copy files or make symbolic links */
  mode: 'copy' | 'symlink';
  dir: string;
  folderIds: number[];
  createFolder?: boolean;
}

export interface ExportResult {
  /** the folder written */
  dir: string;
  files: { path: string; bytes: number }[];
  /** how to use it, e.g. the PyTorch loading snippet or the torchrun command line */
  notes: string;
}

export interface ImportWeightsOptions {
  /** resolution the encoder expects (default: 224 for the ImageNet stem, 32 for the small stem) */
  inputSize?: number;
  name?: string;
}

export interface ImportWeightsResult {
  /** the imported encoder, as a run (status 'imported') that can be embedded, probed and exported */
  run: RunSummary;
  /** what the file held and how it was read */
  report: string;
}
