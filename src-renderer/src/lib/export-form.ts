// The export and import dialogs' logic: the weight formats on offer, checks of what was typed
// (a destination folder, a weights file, an input size), the written files as a table, and the
// command lines inside an export's notes that deserve their own Copy button.
import type { ExportResult, ExportSubsetRequest, ImportWeightsOptions, LabelSource, WeightsFormat } from '$contract';
import { formatBytes } from './format';

export interface FormatChoice {
  value: WeightsFormat;
  label: string;
  detail: string;
}

export const WEIGHT_FORMATS: readonly FormatChoice[] = [
  {
    value: 'safetensors',
    label: 'safetensors + JSON config',
    detail: 'torchvision parameter names (conv1.weight, layer1.0.bn1.running_mean, …): load into torchvision’s ResNet in PyTorch',
  },
  {
    value: 'tfjs',
    label: 'TensorFlow.js model',
    detail: 'model.json with binary weight shards, for tf.loadGraphModel / tf.loadLayersModel',
  },
  { value: 'onnx', label: 'ONNX', detail: 'the encoder as an ONNX graph (BatchNorm folded), for onnxruntime and other runtimes' },
];

/** Absolute on this machine: "/…", "C:\…", "\\server\share" (the app's folder is not the page's). */
export function isAbsolutePath(p: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p);
}

/** Why the destination cannot be used as typed, or null when it can be sent to the app. */
export function folderError(raw: string): string | null {
  const p = raw.trim();
  if (!p) return 'Destination: expected a folder path, got nothing';
  if (!isAbsolutePath(p)) return `Destination: expected an absolute folder path (e.g. /home/me/exports), got ${JSON.stringify(p)}`;
  return null;
}

/** Why the weights file cannot be imported as typed, or null; what the file holds is for the app to judge. */
export function importPathError(raw: string): string | null {
  const p = raw.trim();
  if (!p) return 'Weights file: expected a path to a .pth.tar, .pth or .safetensors file, got nothing';
  if (!isAbsolutePath(p)) return `Weights file: expected an absolute path, got ${JSON.stringify(p)}`;
  return null;
}

export interface ImportForm {
  path: string;
  /** empty = the app's default for the stem */
  inputSize: string;
  name: string;
}

/** The importWeights call the form asks for, or the first message saying what to fix. */
export function importRequest(form: ImportForm): { path: string; options: ImportWeightsOptions } | { error: string } {
  const pathError = importPathError(form.path);
  if (pathError) return { error: pathError };
  const options: ImportWeightsOptions = {};
  const size = form.inputSize.trim();
  if (size) {
    const v = Number(size);
    if (!Number.isInteger(v) || v < 16 || v > 1024)
      return { error: `Input size: expected an integer from 16 to 1024 px, or nothing for the default, got ${JSON.stringify(size)}` };
    options.inputSize = v;
  }
  const name = form.name.trim();
  if (name) {
    if (name.length > 200) return { error: `Name: expected at most 200 characters, got ${name.length}` };
    options.name = name;
  }
  return { path: form.path.trim(), options };
}

export interface SubsetForm {
  labels: LabelSource;
  layout: 'tree' | 'list';
  mode: 'copy' | 'symlink';
  dir: string;
  folderIds: number[];
}

export function subsetRequest(form: SubsetForm): ExportSubsetRequest | { error: string } {
  const err = folderError(form.dir);
  if (err) return { error: err };
  // Links are a choice of the tree layout only; a list names the files where they are.
  return {
    labels: { ...form.labels },
    layout: form.layout,
    mode: form.layout === 'tree' ? form.mode : 'copy',
    dir: form.dir.trim(),
    folderIds: [...form.folderIds].sort((a, b) => a - b),
  };
}

export interface FileRow {
  /** the path below the export folder */
  name: string;
  bytes: number;
  size: string;
}

/** `path` below `dir` when it lies there ('/' or '\' separators), else the whole path. */
export function relativeTo(dir: string, path: string): string {
  const d = dir.replace(/[\\/]+$/, '');
  if (path.startsWith(d) && /^[\\/]/.test(path.slice(d.length))) return path.slice(d.length + 1);
  return path;
}

export function fileRows(result: ExportResult): { rows: FileRow[]; total: string; count: number } {
  const rows = result.files.map((f) => ({ name: relativeTo(result.dir, f.path), bytes: f.bytes, size: formatBytes(f.bytes) }));
  return { rows, total: formatBytes(result.files.reduce((s, f) => s + f.bytes, 0)), count: rows.length };
}

export interface Command {
  /** the comment line just above it ("# one machine, all its GPUs"), without the '#', or '' */
  label: string;
  text: string;
}

/**
 * Shell commands in an export's notes that start with one of `programs` (e.g. "torchrun",
 * "python main_moco.py"), with their backslash-continued lines and the comment above them:
 * each is a block a person copies into a terminal as is.
 */
export function commandsIn(notes: string, programs: readonly string[]): Command[] {
  const lines = notes.split(/\r?\n/);
  const out: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].replace(/^\s*(\$\s+)?/, '');
    if (!programs.some((p) => first === p || first.startsWith(`${p} `))) continue;
    const above = i > 0 ? lines[i - 1].trim() : '';
    const block = [first];
    while (/\\\s*$/.test(block[block.length - 1]) && i + 1 < lines.length) block.push(lines[++i]);
    out.push({ label: above.startsWith('#') ? above.replace(/^#+\s*/, '').replace(/:\s*$/, '') : '', text: block.join('\n') });
  }
  return out;
}

/** What starts the official MoCo training script, as the notes may write it. */
export const MOCO_COMMANDS = ['torchrun', 'python main_moco.py', 'python3 main_moco.py'] as const;

/** The last part of a path, for titles: "/a/b/run-3-safetensors" -> "run-3-safetensors". */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** The app refused because the destination does not exist: the dialog offers to create it. */
export function isFolderMissing(error: { name: string } | null): boolean {
  return error?.name === 'FolderMissing';
}
