// Words and badge tones shared by training runs and probes: both are jobs that work through
// phases, then end done, failed, stopped or interrupted.

/** Badge tone (a class in global.css, or none). */
export type Tone = 'ok' | 'warning' | 'error' | 'active' | '';

const ENDED: Partial<Record<string, Tone>> = {
  done: 'ok',
  failed: 'error',
  paused: 'warning',
  cancelled: 'warning',
  interrupted: 'warning',
  imported: '',
};

/** The tone of a job's status or phase: an ending has its own, every phase of work is 'active'. */
export function jobTone(status: string): Tone {
  return ENDED[status] ?? 'active';
}

/** A lookup of words by key; a key it does not know (from a newer app) shows as it is. */
export function wording<K extends string>(words: Record<K, string>): (key: K) => string {
  return (key) => words[key] ?? String(key);
}
