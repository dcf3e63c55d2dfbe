// The curation calls of the API: excluding images, tags, and (where the host has one) moving
// files to the OS trash. Nothing here deletes a file by itself: the trash is the host's.
import type { CoreApi } from '../studio-types';
import { ConflictError, NotFoundError } from '../../api/errors';
import type { Db } from '../db/connection';
import { CurationStore } from '../db/curation-store';
import type { LibraryStore } from '../db/library-store';

type CurationApi = Pick<CoreApi, 'setExcluded' | 'listTags' | 'tagImages' | 'untagImages' | 'trashImages'>;

export interface CurationDeps {
  db: Db;
  library: LibraryStore;
  hostName: string;
  /** moves a file to the OS trash; absent where the host has none */
  trash?: (path: string) => Promise<void>;
  /** after images were excluded, included, tagged or untagged */
  onCurated: (imageIds: number[]) => void;
  /** after trashed images were forgotten */
  onForgotten: () => void;
}

export function createCurationApi(deps: CurationDeps): CurationApi {
  const store = new CurationStore(deps.db);
  const requireImages = (where: string, ids: number[]) => {
    const unknown = store.unknownIds(ids);
    if (unknown.length) throw new NotFoundError(`${where}: expected image ids in the library, got ${unknown.slice(0, 10).join(', ')}`);
  };
  const curated = (ids: number[], changed: number) => {
    if (changed) deps.onCurated(ids);
    return { changed };
  };
  return {
    async setExcluded(ids, excluded) {
      requireImages('setExcluded', ids);
      return curated(ids, store.setExcluded(ids, excluded));
    },
    async listTags() {
      return store.listTags();
    },
    async tagImages(ids, tag) {
      requireImages('tagImages', ids);
      return curated(ids, store.tagImages(ids, tag.trim()));
    },
    async untagImages(ids, tag) {
      requireImages('untagImages', ids);
      return curated(ids, store.untagImages(ids, tag.trim()));
    },
    async trashImages(ids) {
      const trash = deps.trash;
      if (!trash) {
        throw new ConflictError(
          `trashImages: expected the desktop app (only it can move files to the system trash), got the ${deps.hostName}; ` +
            'exclude the images instead, or delete the files yourself',
        );
      }
      requireImages('trashImages', ids);
      let trashed = 0;
      const failures: string[] = [];
      for (const id of ids) {
        const row = deps.library.imageRow(id)!;
        try {
          await trash(row.path);
          deps.library.forgetImage(id);
          trashed++;
        } catch (err) {
          failures.push(`${row.path} (${err instanceof Error ? err.message : String(err)})`);
        }
      }
      if (trashed) deps.onForgotten();
      if (failures.length) {
        throw new ConflictError(
          `trashImages: expected every file moved to the trash, got ${failures.length} that could not be: ${failures.slice(0, 5).join('; ')}${trashed ? `; ${trashed} others were moved` : ''}`,
        );
      }
      return { trashed };
    },
  };
}
