// The sets of library images the long jobs read: what training sees, what evaluation and export
// label, and which folders a request may name. Statements are prepared once per connection.
import type { Db } from './connection';

/** A present, not excluded image as training reads it. */
export interface TrainingImageRow {
  id: number;
  path: string;
  /** sha256 of the file's bytes at the last scan */
  hash: string;
  /** size and mtime at the last scan: a file that differs now changed since (as the scanner judges) */
  size: number;
  mtimeMs: number;
}

/** Where a present image sits: its folder and its path under it. */
export interface ImagePlaceRow {
  id: number;
  folder_id: number;
  rel_path: string;
}

/** A present, not excluded image with its tags as a JSON array. */
export interface LabelledImageRow extends ImagePlaceRow {
  path: string;
  tags: string | null;
}

export class ImageSetsStore {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      training: db.prepare<[], TrainingImageRow>(
        'SELECT id, path, hash, size, mtime_ms AS mtimeMs FROM images WHERE missing = 0 AND excluded = 0 ORDER BY id',
      ),
      places: db.prepare<[], ImagePlaceRow>('SELECT id, folder_id, rel_path FROM images WHERE missing = 0'),
      labelled: db.prepare<[], LabelledImageRow>(
        `SELECT i.id, i.folder_id, i.path, i.rel_path,
           (SELECT json_group_array(t.name) FROM image_tags it JOIN tags t ON t.id = it.tag_id WHERE it.image_id = i.id) AS tags
         FROM images i WHERE i.missing = 0 AND i.excluded = 0 ORDER BY i.id`,
      ),
      folderIds: db.prepare<[], { id: number }>('SELECT id FROM folders'),
    };
  }

  /** Present, not excluded images in id order, so a library that only grows keeps its earlier rows in place. */
  trainingImages(): TrainingImageRow[] {
    return this.s.training.all();
  }

  /** The folder and relative path of every present image. */
  imagePlaces(): ImagePlaceRow[] {
    return this.s.places.all();
  }

  /** Present, not excluded images with their tags, in id order. */
  labelledImages(): LabelledImageRow[] {
    return this.s.labelled.all();
  }

  /** The ids of `folderIds` that are not folders of the library. */
  unknownFolders(folderIds: readonly number[]): number[] {
    const known = new Set(this.s.folderIds.all().map((f) => f.id));
    return folderIds.filter((id) => !known.has(id));
  }
}
