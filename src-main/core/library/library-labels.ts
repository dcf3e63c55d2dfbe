// The images that evaluation and export see (present, not excluded, optionally of some folders)
// with what labels them: their path under the library folder and their tags.
import type { LabelSource } from '../../api/contract';
import type { Db } from '../db/connection';
import { ImageSetsStore } from '../db/image-sets-store';
import { folderLabel } from './folder-label';

export interface LibraryImage {
  id: number;
  folderId: number;
  /** absolute */
  path: string;
  /** under its library folder, '/' separators */
  relPath: string;
  tags: string[];
}

export function libraryImages(db: Db, folderIds: readonly number[]): LibraryImage[] {
  const rows = new ImageSetsStore(db).labelledImages();
  const wanted = folderIds.length ? new Set(folderIds) : null;
  return rows
    .filter((r) => !wanted || wanted.has(r.folder_id))
    .map((r) => ({
      id: r.id,
      folderId: r.folder_id,
      path: r.path,
      relPath: r.rel_path.replaceAll('\\', '/'),
      tags: JSON.parse(r.tags ?? '[]') as string[],
    }));
}

/** The label of each image: its folder at a level, or its one tag (none or several: no label). */
export function labelsOf(images: readonly LibraryImage[], source: LabelSource): { image: LibraryImage; label: string | null }[] {
  return images.map((image) => ({
    image,
    label: source.kind === 'folder' ? folderLabel(image.relPath, source.level) : image.tags.length === 1 ? image.tags[0] : null,
  }));
}
