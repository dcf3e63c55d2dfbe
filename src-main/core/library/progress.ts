// Scan counters, with rate and ETA derived from them.
import type { ScanPhase, ScanProgress } from '../../api/contract';

export class ProgressCounter {
  phase: ScanPhase = 'walking';
  found = 0;
  processed = 0;
  skipped = 0;
  failed = 0;
  missing = 0;
  error: string | undefined;
  private readonly started = Date.now();
  private processingStarted: number | null = null;
  private processedAtStart = 0;

  constructor(
    readonly jobId: string,
    readonly folderIds: number[],
  ) {}

  startProcessing(): void {
    this.phase = 'processing';
    this.processingStarted = Date.now();
    this.processedAtStart = this.processed;
  }

  snapshot(): ScanProgress {
    const now = Date.now();
    const elapsedMs = now - this.started;
    // Rate over the processing phase: the walk and skipped files would flatter it at first.
    const span = this.processingStarted === null ? 0 : (now - this.processingStarted) / 1000;
    const done = this.processed - this.processedAtStart;
    const rate = span > 0 ? done / span : 0;
    const left = this.found - this.processed;
    const etaSeconds = this.phase === 'processing' && rate > 0 ? Math.round(left / rate) : this.phase === 'done' ? 0 : null;
    const p: ScanProgress = {
      jobId: this.jobId,
      folderIds: this.folderIds,
      phase: this.phase,
      found: this.found,
      processed: this.processed,
      skipped: this.skipped,
      failed: this.failed,
      missing: this.missing,
      rate: Math.round(rate * 10) / 10,
      etaSeconds,
      elapsedMs,
    };
    if (this.error !== undefined) p.error = this.error;
    return p;
  }
}

/** Calls `fn` at most every `ms`, except when forced. */
export function throttle(ms: number, fn: () => void): (force?: boolean) => void {
  let last = 0;
  return (force = false) => {
    const now = Date.now();
    if (!force && now - last < ms) return;
    last = now;
    fn();
  };
}

/** Progress of a scan that has counted nothing (yet); only a finished one knows its ETA (0). */
export function emptyProgress(jobId: string, folderIds: number[], phase: ScanPhase): ScanProgress {
  return {
    jobId,
    folderIds,
    phase,
    found: 0,
    processed: 0,
    skipped: 0,
    failed: 0,
    missing: 0,
    rate: 0,
    etaSeconds: phase === 'done' ? 0 : null,
    elapsedMs: 0,
  };
}
