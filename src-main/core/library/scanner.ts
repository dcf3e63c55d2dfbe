// One incremental scan over some library folders: walk them all, mark what is gone, then
// read the new and changed files in parallel and commit the results in batches. Runs inside
// the scan worker (see scan-worker.ts) with its own database connection; also callable
// in-process.
import { join, sep } from 'node:path';
import type { ScanProgress } from '../../api/contract';
import { openDatabase } from '../db/connection';
import { NearHashStore } from '../db/near-hash-store';
import { ScanStore, type FileOutcome, type ProblemWrite } from '../db/scan-store';
import { inspectFile, type InspectOptions } from './inspect';
import { fillNearHashes } from './near-hash-fill';
import { ProgressCounter, throttle } from './progress';
import type { ScanRequest } from './scan-types';
import { removeStaleTemps } from './thumbs';
import { walkFolder, type WalkedFile } from './walk';

export interface ScanHooks {
  isCancelled: () => boolean;
  onProgress: (p: ScanProgress) => void;
  onCommitted: (rows: number) => void;
}

interface Task {
  folderId: number;
  file: WalkedFile;
}

interface Ctx {
  store: ScanStore;
  req: ScanRequest;
  hooks: ScanHooks;
  counter: ProgressCounter;
  report: (force?: boolean) => void;
}

const BATCH_ROWS = 200;
const BATCH_MS = 1000;
const PROGRESS_MS = 100;
// Reasons that come from the bytes alone: an unchanged file would fail the same way again.
// Unreadable and too-large are retried, since permissions and the pixel limit can change.
const STABLE_REASONS = new Set(['empty', 'corrupt', 'not-image', 'unsupported']);

export async function runScan(req: ScanRequest, hooks: ScanHooks): Promise<ScanProgress> {
  const db = openDatabase(req.dbPath);
  try {
    const counter = new ProgressCounter(req.jobId, req.folderIds);
    const report = throttle(PROGRESS_MS, () => hooks.onProgress(counter.snapshot()));
    const ctx: Ctx = { store: new ScanStore(db), req, hooks, counter, report };
    report(true);
    await removeStaleTemps(req.dataDir);

    // Every folder is walked (and what is gone marked missing) before any file is read, so a
    // file moved from one folder to another finds its old row missing and takes it over.
    const tasks: Task[] = [];
    const scanned: { folderId: number; dirCount: number }[] = [];
    for (const folderId of req.folderIds) {
      if (hooks.isCancelled()) break;
      const walked = await walkAndReconcile(ctx, folderId);
      if (!walked) continue;
      tasks.push(...walked.tasks);
      scanned.push({ folderId, dirCount: walked.dirCount });
    }
    await processTasks(ctx, tasks);

    counter.phase = 'finalizing';
    report(true);
    // Images indexed before the perceptual hashes existed get them now, so a rescan brings an
    // old library up to date without reading its files again.
    if (!hooks.isCancelled()) {
      await fillNearHashes(new NearHashStore(db), {
        dataDir: req.dataDir,
        thumbnailSize: req.settings.thumbnailSize,
        maxPixels: req.settings.maxPixels,
        isCancelled: hooks.isCancelled,
      });
    }
    if (hooks.isCancelled()) {
      counter.phase = 'cancelled';
    } else {
      // A folder counts as scanned only when the whole scan got through it.
      for (const f of scanned) ctx.store.finishFolder(f.folderId, f.dirCount);
      counter.phase = 'done';
    }
    return counter.snapshot();
  } finally {
    db.close();
  }
}

/** Walks one folder, records what is gone and what the walk could not read; returns the files to read. */
async function walkAndReconcile(ctx: Ctx, folderId: number): Promise<{ tasks: Task[]; dirCount: number } | null> {
  const { store, req, hooks, counter, report } = ctx;
  const folder = store.folder(folderId);
  if (!folder) return null;
  const base = counter.found;
  const walk = await walkFolder(folder.path, {
    skipHidden: req.settings.skipHidden,
    followOutsideLinks: req.settings.followOutsideLinks,
    isCancelled: hooks.isCancelled,
    onProgress: (found) => {
      counter.found = base + found;
      report();
    },
  });
  if (hooks.isCancelled()) return null;
  if (!walk.rootAvailable) {
    // An unplugged drive is not a deletion: its images stay as they were, the folder shows unavailable.
    store.folderUnavailable(folderId);
    counter.failed++;
    return null;
  }
  const brokenFiles = walk.problems.filter((p) => p.isFile).length;
  counter.found = base + walk.files.length + brokenFiles;
  counter.processed += brokenFiles;
  counter.failed += walk.problems.length;

  // A folder that cannot be listed is no evidence that what was in it is gone.
  const unreadable = walk.unreadableDirs.map((d) => join(folder.path, d) + sep);
  const hidden = (path: string) => unreadable.some((prefix) => path.startsWith(prefix));
  const seen = new Set(walk.files.map((f) => f.path));
  const walkProblemPaths = new Set(walk.problems.map((p) => p.path));
  const known = new Map(store.imagesOf(folderId).map((r) => [r.path, r]));
  const knownProblems = new Map(store.problemsOf(folderId).map((p) => [p.path, p]));

  const missingIds = [...known.values()].filter((r) => r.missing === 0 && !seen.has(r.path) && !hidden(r.path)).map((r) => r.id);
  const goneProblems = [...knownProblems.keys()].filter((p) => !seen.has(p) && !walkProblemPaths.has(p) && !hidden(p));
  const walkProblems: ProblemWrite[] = walk.problems.map((p) => ({ folderId, ...p, size: null, mtimeMs: null }));
  store.applyWalk(missingIds, goneProblems, walkProblems);
  counter.missing += missingIds.length;
  if (missingIds.length || goneProblems.length || walkProblems.length) hooks.onCommitted(missingIds.length);

  const tasks: Task[] = [];
  for (const file of walk.files) {
    const row = known.get(file.path);
    const prob = knownProblems.get(file.path);
    const same = (size: number | null, mtime: number | null) => size === file.size && mtime === file.mtimeMs;
    const unchangedImage = row && row.missing === 0 && same(row.size, row.mtime_ms);
    const unchangedProblem = !unchangedImage && prob && STABLE_REASONS.has(prob.reason) && same(prob.size, prob.mtime_ms);
    if (unchangedImage) {
      counter.skipped++;
      counter.processed++;
    } else if (unchangedProblem) {
      // Not read again, and still a problem: it counts as failed, so a rescan's "failed" is
      // the number of problems listed, not only the ones found anew.
      counter.failed++;
      counter.processed++;
    } else {
      tasks.push({ folderId, file });
    }
  }
  return { tasks, dirCount: walk.dirCount };
}

/** Reads the files, several in flight (sharp decodes on libuv's threads), committing in batches. */
async function processTasks(ctx: Ctx, tasks: readonly Task[]): Promise<void> {
  const { store, req, hooks, counter, report } = ctx;
  counter.startProcessing();
  report(true);
  const opts: InspectOptions = {
    dataDir: req.dataDir,
    thumbnailSize: req.settings.thumbnailSize,
    maxPixels: req.settings.maxPixels,
  };
  let batch: FileOutcome[] = [];
  let batchStarted = Date.now();
  const flush = () => {
    if (!batch.length) return;
    store.writeBatch(batch);
    hooks.onCommitted(batch.length);
    batch = [];
    batchStarted = Date.now();
  };
  let next = 0;
  let fatal: unknown = null;
  const lane = async () => {
    while (next < tasks.length && !hooks.isCancelled() && fatal === null) {
      const { folderId, file } = tasks[next++];
      let outcome: FileOutcome;
      try {
        outcome = await outcomeOf(folderId, file, opts);
      } catch (err) {
        fatal ??= err; // the app's own data folder failed (disk full): stop, keep what is done
        return;
      }
      // `batch` is read only now: another lane may have flushed it during the await.
      batch.push(outcome);
      if (outcome.kind === 'problem') counter.failed++;
      counter.processed++;
      if (batch.length >= BATCH_ROWS || Date.now() - batchStarted >= BATCH_MS) flush();
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, lane));
  flush();
  if (fatal !== null) throw fatal;
}

async function outcomeOf(folderId: number, file: WalkedFile, opts: InspectOptions): Promise<FileOutcome> {
  const result = await inspectFile(file.path, file.size, opts);
  const base = { folderId, path: file.path };
  if (result.kind === 'image') return { kind: 'image', ...base, relPath: file.relPath, mtimeMs: file.mtimeMs, facts: result.facts };
  if (result.kind === 'problem')
    return { kind: 'problem', ...base, reason: result.reason, message: result.message, size: file.size, mtimeMs: file.mtimeMs };
  return { kind: 'vanished', path: file.path };
}
