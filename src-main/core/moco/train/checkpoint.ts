// Checkpoints of a run: <runDir>/ckpt-<step>.bin. Layout: 8-byte magic, uint32 LE header
// length, a JSON header, zero padding to 4 bytes, then raw little-endian 4-byte blobs (float32
// or int32) at the offsets the header gives. Written to a temporary file, synced and renamed,
// so a process killed mid-write leaves the previous checkpoints intact and never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointInfo, TrainConfig } from '../../../api/contract';
import { namesIn } from '../../paths';
import type { DictionaryMeta, TensorBlob } from '../dictionary/dictionary';
import type { RngState } from '../rng';

export type { TensorBlob } from '../dictionary/dictionary';

const MAGIC = 'MOCOCKPT';
const FORMAT = 1;
const NAME = /^ckpt-(\d+)\.bin$/;
/** Checkpoints kept per run; older ones are removed after a new one is written. */
export const KEEP_CHECKPOINTS = 3;

export interface CheckpointState {
  runId: number;
  /** optimizer steps done */
  step: number;
  /** where the next step starts: epoch and step within it */
  epoch: number;
  stepInEpoch: number;
  config: TrainConfig;
  rng: { model: RngState; augment: RngState };
  /** the dictionary's small numbers: the queue's { ptr, filled }, the memory bank's { seen } */
  dictionary: DictionaryMeta;
  /** the latest kNN monitor accuracy, carried into progress after a resume */
  knnAccuracy: number | null;
  at: string;
  /** a time-budgeted run (config.minutes): the step count fitted to it (null before the fit) and the training seconds spent */
  budget?: { plannedSteps: number | null; spentSeconds: number };
}

interface Header extends CheckpointState {
  format: number;
  /** before the dictionary mechanisms: the queue's state under this name */
  queue?: DictionaryMeta;
  tensors: { name: string; dtype: 'float32' | 'int32'; shape: number[]; offset: number; length: number }[];
}

export function checkpointPath(runDir: string, step: number): string {
  return join(runDir, `ckpt-${step}.bin`);
}

/** Writes atomically and keeps the newest KEEP_CHECKPOINTS. Returns the file's size. */
export function writeCheckpoint(runDir: string, state: CheckpointState, tensors: readonly TensorBlob[]): number {
  let offset = 0;
  const entries = tensors.map((t) => {
    const e = { name: t.name, dtype: t.dtype, shape: t.shape, offset, length: t.data.length };
    offset += t.data.byteLength;
    return e;
  });
  const header: Header = { format: FORMAT, ...state, tensors: entries };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((12 + json.length) % 4)) % 4;
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(json.length + pad, 8);

  mkdirSync(runDir, { recursive: true });
  const final = checkpointPath(runDir, state.step);
  const tmp = `${final}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, Buffer.concat([json, Buffer.alloc(pad, 0x20)])); // spaces: still valid JSON
    for (const t of tensors) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, final);
  syncDir(runDir);
  for (const old of listCheckpointFiles(runDir).slice(0, -KEEP_CHECKPOINTS)) unlinkSync(old.path);
  return statSync(final).size;
}

/** The run directory's checkpoints, oldest first (temporaries of an interrupted write ignored). */
export function listCheckpointFiles(runDir: string): { step: number; path: string }[] {
  const names = namesIn(runDir);
  return names
    .map((n) => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), path: join(runDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

export function listCheckpoints(runDir: string, runId: number): CheckpointInfo[] {
  return listCheckpointFiles(runDir).map(({ path }) => {
    const h = readHeader(path).header;
    return { runId, step: h.step, epoch: h.epoch, at: h.at, sizeBytes: statSync(path).size };
  });
}

/** The newest checkpoint of a run, or null when it has none. */
export function latestCheckpoint(runDir: string): { state: CheckpointState; tensors: Map<string, TensorBlob> } | null {
  const files = listCheckpointFiles(runDir);
  return files.length ? readCheckpoint(files[files.length - 1].path) : null;
}

export function readCheckpoint(path: string): { state: CheckpointState; tensors: Map<string, TensorBlob> } {
  const { header, dataStart, fd } = readHeader(path, true);
  try {
    const tensors = new Map<string, TensorBlob>();
    for (const e of header.tensors) {
      const bytes = Buffer.alloc(e.length * 4);
      const got = readSync(fd!, bytes, 0, bytes.length, dataStart + e.offset);
      if (got !== bytes.length) throw new Error(`${path}: expected ${bytes.length} bytes of ${e.name}, got ${got}`);
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
      const data = e.dtype === 'int32' ? new Int32Array(ab) : new Float32Array(ab);
      tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
    }
    const { format: _f, tensors: _t, queue, ...state } = header;
    return { state: { ...state, dictionary: state.dictionary ?? queue ?? {} }, tensors };
  } finally {
    closeSync(fd!);
  }
}

function readHeader(path: string, keepOpen = false): { header: Header; dataStart: number; fd: number | null } {
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(12);
    if (readSync(fd, prefix, 0, 12, 0) !== 12 || prefix.toString('ascii', 0, 8) !== MAGIC) {
      throw new Error(`${path}: expected a MoCo Studio checkpoint, got a file without its signature`);
    }
    const len = prefix.readUInt32LE(8);
    const json = Buffer.alloc(len);
    if (readSync(fd, json, 0, len, 12) !== len) throw new Error(`${path}: expected a ${len}-byte header, got a shorter file`);
    const header = JSON.parse(json.toString('utf8')) as Header;
    if (header.format !== FORMAT) throw new Error(`${path}: expected checkpoint format ${FORMAT}, got ${header.format}`);
    if (!keepOpen) closeSync(fd);
    return { header, dataStart: 12 + len, fd: keepOpen ? fd : null };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Makes the rename durable (a directory fsync); not every platform allows opening one. */
function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // Windows: directories cannot be opened; NTFS journals the rename itself
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    closeSync(fd);
  }
}
