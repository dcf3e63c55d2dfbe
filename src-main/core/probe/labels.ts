// Class labels for evaluation, from the library's folder structure or from the user's tags,
// and the labelled train/test split built on them.
//
// Folder labels: the directory of an image's path at a level (library/folder-label.ts).
//
// Tag labels. Each image's tags are matched (case-insensitively, as the tag table does) against
// the classes: the tags listed in `only` when given (named as spelled there), every tag
// otherwise (named by the first spelling met). An image with exactly one matching tag has it as its class; one with none is
// unlabelled; one with several is ambiguous: it is left out and its id reported, since any pick
// would be arbitrary and counting it twice would make a single-label metric wrong.
//
// Classes with fewer than `minPerClass` images (default 5) are left out and reported; fewer
// than 2 classes remaining is an error.
import { InvalidInputError } from '../../api/errors';
import { folderLabel } from '../library/folder-label';
import { stratifiedSplit, type SplitOptions } from './split';

export const DEFAULT_MIN_PER_CLASS = 5;

export interface LabelImage {
  /** the image's id, used in reports */
  id: number;
  /** path under its library folder, '/' separators (images.rel_path) */
  relPath: string;
  /** the image's tag names (needed for tag labels only) */
  tags?: readonly string[];
}

export type LabelSource = { kind: 'folder'; level: number } | { kind: 'tags'; only?: readonly string[] };

export interface LabelOptions {
  /** classes with fewer images are left out (default 5, at least 2) */
  minPerClass?: number;
}

export interface ClassCount {
  name: string;
  count: number;
}

export interface Labelling {
  /** kept class names in code-unit order; a class is its index here */
  classes: string[];
  /** images per kept class */
  counts: number[];
  /** indices into the images given, of the labelled images of kept classes, ascending */
  rows: Int32Array;
  /** class of each entry of rows */
  labels: Int32Array;
  /** images with no label (no directory at the level, no matching tag) */
  unlabelled: number;
  /** ids of images with several matching tags (tag labels only), left out */
  ambiguous: number[];
  /** classes left out for having fewer than minPerClass images */
  tooSmall: ClassCount[];
}

/** Labels every image by `source`, drops too-small classes, and checks that 2 classes remain. */
export function labelImages(images: readonly LabelImage[], source: LabelSource, opts: LabelOptions = {}): Labelling {
  const where = 'labelImages';
  const minPerClass = opts.minPerClass ?? DEFAULT_MIN_PER_CLASS;
  if (!Number.isInteger(minPerClass) || minPerClass < 2)
    throw new InvalidInputError(`${where}: expected minPerClass to be an integer >= 2, got ${minPerClass}`);
  const raw = new Array<string | null>(images.length);
  const ambiguous: number[] = [];
  if (source.kind === 'folder') {
    if (!Number.isInteger(source.level)) throw new InvalidInputError(`${where}: expected an integer folder level, got ${source.level}`);
    images.forEach((im, i) => (raw[i] = folderLabel(im.relPath, source.level)));
  } else if (source.kind === 'tags') {
    // lower-case tag -> class name: from `only`, or the first spelling met when every tag counts.
    const fixed = source.only !== undefined;
    const nameOf = tagClasses(where, source.only);
    images.forEach((im, i) => {
      const found = new Set<string>();
      for (const t of im.tags ?? []) {
        const key = t.toLowerCase();
        if (!fixed && !nameOf.has(key)) nameOf.set(key, t);
        if (nameOf.has(key)) found.add(key);
      }
      if (found.size > 1) ambiguous.push(im.id);
      raw[i] = found.size === 1 ? nameOf.get([...found][0])! : null;
    });
  } else {
    throw new InvalidInputError(
      `${where}: expected a label source of kind 'folder' or 'tags', got ${String((source as { kind: unknown }).kind)}`,
    );
  }

  const sizes = new Map<string, number>();
  for (const label of raw) {
    if (label === null) continue;
    sizes.set(label, (sizes.get(label) ?? 0) + 1);
  }
  const unlabelled = raw.length - ambiguous.length - [...sizes.values()].reduce((a, b) => a + b, 0);
  const names = [...sizes.keys()].sort(byCodeUnits);
  const classes = names.filter((c) => sizes.get(c)! >= minPerClass);
  const tooSmall = names.filter((c) => sizes.get(c)! < minPerClass).map((name) => ({ name, count: sizes.get(name)! }));
  if (classes.length < 2) {
    const kept = classes.map((c) => `${c} (${sizes.get(c)})`).join(', ') || 'none';
    const small = tooSmall.length
      ? `; left out for fewer than ${minPerClass} images: ${tooSmall.map((c) => `${c.name} (${c.count})`).join(', ')}`
      : '';
    const why = source.kind === 'folder' ? `folder level ${source.level}` : 'tags';
    throw new InvalidInputError(
      `${where}: expected at least 2 classes with ${minPerClass} or more images each from ${why}, got ${classes.length}: ${kept}${small}`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const rows: number[] = [];
  const labels: number[] = [];
  raw.forEach((label, i) => {
    const c = label === null ? undefined : index.get(label);
    if (c === undefined) return;
    rows.push(i);
    labels.push(c);
  });
  return {
    classes,
    counts: classes.map((c) => sizes.get(c)!),
    rows: Int32Array.from(rows),
    labels: Int32Array.from(labels),
    unlabelled,
    ambiguous,
    tooSmall,
  };
}

export interface LabelledSplit extends Labelling {
  /** indices into the images given, ascending */
  trainRows: Int32Array;
  trainLabels: Int32Array;
  testRows: Int32Array;
  testLabels: Int32Array;
  /** per kept class */
  trainCounts: number[];
  testCounts: number[];
}

/** labelImages, then a stratified split of the labelled images. */
export function labelledSplit(images: readonly LabelImage[], source: LabelSource, opts: LabelOptions & SplitOptions = {}): LabelledSplit {
  const labelling = labelImages(images, source, opts);
  const split = stratifiedSplit(labelling.labels, labelling.classes.length, opts);
  const pick = (positions: Int32Array, from: Int32Array) => positions.map((p) => from[p]);
  return {
    ...labelling,
    trainRows: pick(split.train, labelling.rows),
    trainLabels: pick(split.train, labelling.labels),
    testRows: pick(split.test, labelling.rows),
    testLabels: pick(split.test, labelling.labels),
    trainCounts: split.trainCounts,
    testCounts: split.testCounts,
  };
}

/** lower-case tag -> class name for the tags in `only` (empty when every tag is a class). */
function tagClasses(where: string, only: readonly string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of only ?? []) {
    if (typeof t !== 'string' || t.trim() === '') throw new InvalidInputError(`${where}: expected tag names, got '${String(t)}'`);
    const key = t.toLowerCase();
    if (map.has(key)) throw new InvalidInputError(`${where}: expected distinct tags, got '${map.get(key)}' and '${t}'`);
    map.set(key, t);
  }
  return map;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
