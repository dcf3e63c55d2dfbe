// Checks a run's config against the library before any work, so that a bad combination is
// a clear error at once rather than a failure minutes into caching. The rules themselves are
// trainingConfigIssues' (api/training-config), which the CLI and the Train form read too.
import type { TrainConfig } from '../../../api/contract';
import { InvalidInputError } from '../../../api/errors';
import { trainingConfigIssues } from '../../../api/training-config';

/** Throws the first error of `config` on `images` training images, as "where: expected ..., got ...". */
export function checkDictionary(config: TrainConfig, images: number, where: string): void {
  const [first] = trainingConfigIssues(config, { images }).errors;
  if (first) throw new InvalidInputError(`${where}: ${first.message}`);
}

/** The check of startTraining and resumeTraining, on the images present on disk. */
export function checkTrainConfig(config: TrainConfig, usableImages: number): void {
  checkDictionary(config, usableImages, 'startTraining');
}
