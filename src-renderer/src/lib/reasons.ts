// Readable labels for why a file could not be indexed.
import type { ProblemReason } from '$contract';

const LABELS: Record<ProblemReason, string> = {
  empty: 'Empty file',
  corrupt: 'Truncated or corrupt',
  'not-image': 'Not an image',
  unsupported: 'Unsupported format',
  unreadable: 'Unreadable (permissions or I/O)',
  'too-large': 'Too large (over the pixel limit)',
  'outside-link': 'Link outside the folder',
};

/** A reason a newer core may add still reads sensibly: "some-reason" -> "Some reason". */
export function reasonLabel(reason: string): string {
  if (reason in LABELS) return LABELS[reason as ProblemReason];
  const words = reason.replace(/[-_]+/g, ' ').trim();
  if (!words) return 'Unknown problem';
  return words[0].toUpperCase() + words.slice(1);
}

/** A CSS-safe severity class: files that may be fixable by the user read as warnings. */
export function reasonTone(reason: string): 'warning' | 'error' {
  return reason === 'unreadable' || reason === 'too-large' || reason === 'unsupported' || reason === 'outside-link' ? 'warning' : 'error';
}
