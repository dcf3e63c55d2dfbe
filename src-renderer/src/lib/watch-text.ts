// One line on whether the app follows changes on disk.
import type { WatchStatus } from '$contract';

export function watchText(watch: WatchStatus | null, enabled: boolean | undefined): string {
  if (!watch) return enabled ? 'Watch status unknown' : 'Not watching for changes';
  const why = watch.message ? ` — ${watch.message}` : '';
  switch (watch.mode) {
    case 'events':
      return `Watching for changes${why}`;
    case 'polling':
      return `Watching by periodic rescan${why}`;
    case 'off':
      return enabled ? `Watching is on but not running${why}` : `Not watching for changes${why}`;
    default:
      return `Watch mode ${String(watch.mode)}${why}`;
  }
}
