// Peak memory of this process. On Linux the kernel's high-water mark (VmHWM) covers every
// thread, worker threads included, and can be reset so earlier phases do not count; elsewhere
// a sampler of process.memoryUsage().rss is the fallback (it can miss short spikes).
import { readFileSync, writeFileSync } from 'node:fs';

const STATUS = '/proc/self/status';

/** VmHWM of this process in bytes, or null where /proc is not there. */
export function kernelPeakRss(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(STATUS, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Resets VmHWM to the current RSS (Linux: "5" to clear_refs); false where that is not possible. */
export function resetKernelPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EINVAL') return false;
    throw err;
  }
}

export interface PeakRss {
  /** bytes */
  peak: number;
  /** where the number comes from */
  source: 'VmHWM' | 'sampled rss';
}

/** Starts measuring; the returned function stops and gives the peak since the start. */
export function measurePeakRss(sampleMs = 20): () => PeakRss {
  const kernel = resetKernelPeakRss();
  let sampled = process.memoryUsage().rss;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, sampleMs);
  return () => {
    clearInterval(timer);
    sampled = Math.max(sampled, process.memoryUsage().rss);
    const hwm = kernel ? kernelPeakRss() : null;
    return hwm !== null ? { peak: Math.max(hwm, sampled), source: 'VmHWM' } : { peak: sampled, source: 'sampled rss' };
  };
}
