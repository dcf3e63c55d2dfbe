// The images a training run sees: every library image whose file was present at the last scan
// and that the user has not excluded.
import type { Db } from '../../db/connection';
import { ImageSetsStore, type TrainingImageRow } from '../../db/image-sets-store';

export type TrainImage = TrainingImageRow;

/** Present images in id order, so a library that only grows keeps its earlier rows in place. */
export function listTrainingImages(db: Db): TrainImage[] {
  return new ImageSetsStore(db).trainingImages();
}
