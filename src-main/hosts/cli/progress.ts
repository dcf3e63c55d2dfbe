// Scan progress on stderr: a redrawn bar on a terminal, a plain line every few seconds in a
// log, JSON lines for machines, or nothing.
import type { ScanProgress } from '../../api/contract';
import { formatCount, formatDuration, formatRate } from './format';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const INTERVAL_MS: Record<ProgressMode, number> = { bar: 100, lines: 2000, json: 500, none: Infinity };
const FINAL = new Set(['done', 'cancelled', 'failed']);

export function progressModeFor(stream: ProgressStream, json: boolean): ProgressMode {
  if (json) return 'json';
  return stream.isTTY ? 'bar' : 'lines';
}

/** One line describing where a scan is, e.g. '120/400 30% · 2 failed · 41.2/s · ETA 0:07'. */
export function describeProgress(p: ScanProgress): string {
  if (p.phase === 'walking') return `looking for images: ${formatCount(p.found)} found`;
  const parts = [`${formatCount(p.processed)}/${formatCount(p.found)}`];
  if (p.found > 0) parts[0] += ` ${Math.floor((100 * p.processed) / p.found)}%`;
  if (p.skipped) parts.push(`${formatCount(p.skipped)} unchanged`);
  if (p.failed) parts.push(`${formatCount(p.failed)} failed`);
  if (p.rate > 0) parts.push(formatRate(p.rate));
  if (p.phase === 'processing' && p.etaSeconds !== null) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  if (p.phase === 'finalizing') parts.push('finishing');
  if (p.phase === 'cancelled' || p.phase === 'failed') parts.push(p.phase);
  return parts.join(' · ');
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export class ProgressReporter {
  private last = 0;
  private lastPhase: string | null = null;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly mode: ProgressMode,
    private readonly label = 'Scanning',
    private readonly now: () => number = Date.now,
  ) {}

  update(p: ScanProgress): void {
    if (this.mode === 'none') return;
    const t = this.now();
    const phaseChanged = p.phase !== this.lastPhase;
    if (!phaseChanged && !FINAL.has(p.phase) && t - this.last < INTERVAL_MS[this.mode]) return;
    this.last = t;
    this.lastPhase = p.phase;
    if (this.mode === 'json') {
      this.stream.write(`${JSON.stringify({ event: 'scan.progress', label: this.label, ...p })}\n`);
    } else if (this.mode === 'lines') {
      this.stream.write(`${this.label}: ${describeProgress(p)}\n`);
    } else {
      const cols = Math.max(40, this.stream.columns || 80);
      const text = describeProgress(p);
      const barWidth = Math.max(10, Math.min(30, cols - text.length - this.label.length - 5));
      const fraction = p.phase === 'walking' || p.found === 0 ? 0 : p.processed / p.found;
      const line = `${this.label} ${bar(fraction, barWidth)} ${text}`.slice(0, cols - 1);
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
    }
  }

  /** Leaves the terminal on a fresh line. */
  end(): void {
    if (this.mode === 'bar' && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
