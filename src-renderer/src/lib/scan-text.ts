// Wording of the scan progress line.
import type { ForeignJob, JobOwner, ScanPhase, ScanProgress } from '$contract';
import { formatCount, formatDuration, formatEta, formatRate } from './format';

const PHASE: Record<ScanPhase, string> = {
  walking: 'Looking for images…',
  processing: 'Indexing…',
  finalizing: 'Finishing…',
  done: 'Scan finished',
  cancelled: 'Scan cancelled',
  failed: 'Scan failed',
};

export function isScanActive(p: ScanProgress | null | undefined): boolean {
  return !!p && (p.phase === 'walking' || p.phase === 'processing' || p.phase === 'finalizing');
}

export function phaseLabel(phase: ScanPhase): string {
  return PHASE[phase] ?? String(phase);
}

/** "120 / 400 files · 3 failed · 90 unchanged · 2 missing" (zero counts beyond failed left out). */
export function scanCounts(p: ScanProgress): string {
  const parts = [`${formatCount(p.processed)} / ${formatCount(p.found)} files`, `${formatCount(p.failed)} failed`];
  if (p.skipped > 0) parts.push(`${formatCount(p.skipped)} unchanged`);
  if (p.missing > 0) parts.push(`${formatCount(p.missing)} missing`);
  return parts.join(' · ');
}

/** "42 img/s · ETA 1 min 05 s" while running; "in 12 s" once over. */
export function scanTiming(p: ScanProgress): string {
  if (isScanActive(p)) return `${formatRate(p.rate)} · ${formatEta(p.etaSeconds)}`;
  if (p.elapsedMs < 1000) return 'in under a second';
  return `in ${formatDuration(p.elapsedMs / 1000)}`;
}

const HOST: Record<string, string> = { cli: 'command line', web: 'web host', electron: 'desktop app' };

/** "another process (pid 1234, command line)" */
export function otherProcessText(owner: JobOwner): string {
  return `another process (pid ${owner.pid}${owner.kind ? `, ${HOST[owner.kind] ?? owner.kind}` : ''})`;
}

/** One line per job that another process runs on this library, scans first. */
export function elsewhereLines(jobs: readonly ForeignJob[] | undefined): string[] {
  const what: Record<ForeignJob['job'], (id: ForeignJob['id']) => string> = {
    scan: () => 'Scan',
    training: (id) => `Training run ${id}`,
    embedding: (id) => `Embedding set ${id}`,
    probe: (id) => `Probe ${id}`,
  };
  return [...(jobs ?? [])]
    .sort((a, b) => Number(b.job === 'scan') - Number(a.job === 'scan'))
    .map((j) => `${what[j.job](j.id)} running in ${otherProcessText(j.owner)}${j.progress ? `: ${scanCounts(j.progress)}` : ''}`);
}
