// The images a training run sees: every library image whose file was present at the last scan
// and that the user has not excluded.
import type { Db } from '../../db/connection';

export interface TrainImage {
  id: number;
  path: string;
  /** sha256 of the file's bytes at the last scan */
  hash: string;
  /** size and mtime at the last scan: a file that differs now changed since (as the scanner judges) */
  size: number;
  mtimeMs: number;
}

/** Present images in id order, so a library that only grows keeps its earlier rows in place. */
export function listTrainingImages(db: Db): TrainImage[] {
  return db
    .prepare<[], TrainImage>('SELECT id, path, hash, size, mtime_ms AS mtimeMs FROM images WHERE missing = 0 AND excluded = 0 ORDER BY id')
    .all();
}
