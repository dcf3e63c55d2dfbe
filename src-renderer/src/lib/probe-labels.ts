// Where evaluation labels come from, in words a person can choose between: each folder level
// with a few of the class names it gives (read from a sample of the library's paths, with the
// app's own rule: level 0 is the first folder under the library folder, -1 the image's own
// folder), or the user's tags; and the class preview's numbers.
import type { LabelPreview, LabelSource, TagCount } from '$contract';
import { formatCount } from './format';

/** The folder an image's relative path names at `level`, or null (the app's rule, core/probe/labels.ts). */
export function folderAt(relPath: string, level: number): string | null {
  const dirs = relPath
    .split('/')
    .slice(0, -1)
    .filter((s) => s !== '' && s !== '.');
  const i = level >= 0 ? level : dirs.length + level;
  return i >= 0 && i < dirs.length ? dirs[i] : null;
}

export interface LabelOption {
  /** the <select> value (probe-form.ts labelSourceKey) */
  key: string;
  source: LabelSource;
  title: string;
  /** a few class names, most images first */
  examples: string[];
  /** distinct names seen in the sample (a lower bound for the whole library) */
  classes: number;
  /** share of the sampled images that get a label this way, 0..1 */
  coverage: number;
}

const EXAMPLES = 4;

function levelTitle(level: number): string {
  if (level === -1) return 'Folder each image is in';
  if (level < -1) return `${-level - 1} folder${level === -2 ? '' : 's'} above each image`;
  return level === 0 ? 'First folder level' : `Folder level ${level}`;
}

function byCount(counts: Map<string, number>): string[] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([name]) => name);
}

/**
 * Folder levels 0.. the deepest seen, then -1 when it differs from every level (mixed depths),
 * then tags when any exist. A level that labels nothing in the sample is left out, but level 0
 * always stays so there is something to choose.
 */
export function labelOptions(relPaths: readonly string[], tags: readonly TagCount[]): LabelOption[] {
  const depth = relPaths.reduce((m, p) => Math.max(m, p.split('/').length - 1), 0);
  const levels = [...Array.from({ length: Math.max(1, depth) }, (_, i) => i), -1];
  const out: LabelOption[] = [];
  const signatures = new Set<string>();
  for (const level of levels) {
    const counts = new Map<string, number>();
    const labels: (string | null)[] = relPaths.map((p) => folderAt(p, level));
    for (const l of labels) if (l !== null) counts.set(l, (counts.get(l) ?? 0) + 1);
    const labelled = labels.filter((l) => l !== null).length;
    // -1 is worth offering only where it labels differently from every level counted from the top.
    const signature = labels.join('\u0000');
    if (level !== 0 && labelled === 0) continue;
    if (level < 0 && signatures.has(signature)) continue;
    signatures.add(signature);
    out.push({
      key: `folder:${level}`,
      source: { kind: 'folder', level },
      title: levelTitle(level),
      examples: byCount(counts).slice(0, EXAMPLES),
      classes: counts.size,
      coverage: relPaths.length ? labelled / relPaths.length : 0,
    });
  }
  if (tags.length) {
    const sorted = [...tags].sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
    out.push({
      key: 'tag',
      source: { kind: 'tag' },
      title: 'Tags (one per image)',
      examples: sorted.slice(0, EXAMPLES).map((t) => t.name),
      classes: tags.length,
      coverage: NaN,
    });
  }
  return out;
}

/** "cats, dogs, birds, … (7)" */
export function examplesText(o: Pick<LabelOption, 'examples' | 'classes'>): string {
  if (!o.examples.length) return 'no labels in the sample';
  const more = o.classes > o.examples.length;
  return `${o.examples.join(', ')}${more ? ', …' : ''} (${o.classes}${more ? '+' : ''})`;
}

/** "folder level 0", "own folder", "tags": how a probe's labels were made, for its history row. */
export function labelSourceText(s: LabelSource): string {
  if (s.kind === 'tag') return 'tags';
  return s.level === -1 ? 'own folder' : s.level < 0 ? `folder ${s.level}` : `folder level ${s.level}`;
}

export interface PreviewSummary {
  classes: number;
  train: number;
  test: number;
  /** images of classes left out for being too small */
  leftOutImages: number;
  /** the largest class's total, for the bars */
  maxClass: number;
  line: string;
}

/** "3 classes · 29 train / 7 test · 2 small classes left out (5 images) · 4 unlabelled" */
export function previewSummary(p: LabelPreview): PreviewSummary {
  const train = p.classes.reduce((s, c) => s + c.train, 0);
  const test = p.classes.reduce((s, c) => s + c.test, 0);
  const leftOutImages = p.leftOut.reduce((s, c) => s + c.count, 0);
  const maxClass = p.classes.reduce((m, c) => Math.max(m, c.train + c.test), 0);
  const parts = [
    `${formatCount(p.classes.length)} class${p.classes.length === 1 ? '' : 'es'}`,
    `${formatCount(train)} train / ${formatCount(test)} test`,
  ];
  if (p.leftOut.length) {
    parts.push(
      `${p.leftOut.length} small class${p.leftOut.length === 1 ? '' : 'es'} left out (${formatCount(leftOutImages)} image${leftOutImages === 1 ? '' : 's'})`,
    );
  }
  if (p.unlabelled) parts.push(`${formatCount(p.unlabelled)} unlabelled`);
  return { classes: p.classes.length, train, test, leftOutImages, maxClass, line: parts.join(' · ') };
}

/** Offsets of `pages` pages of `pageSize` spread over `total` items, for a sample of a sorted list. */
export function sampleOffsets(total: number, pageSize: number, pages: number): number[] {
  if (total <= pageSize * pages) return Array.from({ length: Math.ceil(total / pageSize) }, (_, i) => i * pageSize);
  const stride = (total - pageSize) / (pages - 1);
  return Array.from({ length: pages }, (_, i) => Math.round(i * stride));
}
