// The app's top-level views, in tab order. Each has a test id `nav-<id>` on its tab.
import type { ViewInfo } from './route';

export const VIEWS: readonly ViewInfo[] = [
  { id: 'library', label: 'Library' },
  { id: 'problems', label: 'Problems' },
  { id: 'duplicates', label: 'Duplicates' },
  { id: 'train', label: 'Train' },
  { id: 'search', label: 'Search' },
  { id: 'evaluate', label: 'Evaluate' },
];

export const DEFAULT_VIEW = 'library';
