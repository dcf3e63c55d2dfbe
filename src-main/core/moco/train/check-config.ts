// Checks a run's config against the library before any work, so that a bad combination is
// a clear error at once rather than a failure minutes into caching.
import type { TrainConfig } from '../../../api/contract';
import { InvalidInputError } from '../../../api/errors';

export function checkTrainConfig(config: TrainConfig, usableImages: number): void {
  const where = 'startTraining';
  const { batchSize: N, K } = config;
  if (usableImages === 0) {
    throw new InvalidInputError(`${where}: expected a library with images to train on, got an empty library (add a folder first)`);
  }
  if (usableImages < N) {
    throw new InvalidInputError(
      `${where}: expected at least batch size ${N} images present on disk, got ${usableImages} (lower the batch size or add images)`,
    );
  }
  if (config.dictionary !== 'queue') {
    throw new InvalidInputError(`${where}: expected dictionary 'queue' (the trainer implements MoCo's queue), got '${config.dictionary}'`);
  }
  if (config.symmetric) {
    throw new InvalidInputError(`${where}: expected symmetric false (the symmetric loss is not implemented by the trainer), got true`);
  }
  if (K < N) throw new InvalidInputError(`${where}: expected queue size K >= batch size ${N}, got K = ${K}`);
  if (K % N !== 0) {
    throw new InvalidInputError(`${where}: expected queue size K a multiple of the batch size ${N}, got K = ${K} (try ${Math.ceil(K / N) * N})`);
  }
  if (config.bnGroups > 0 && (N % config.bnGroups !== 0 || N / config.bnGroups < 2)) {
    throw new InvalidInputError(
      `${where}: expected bnGroups dividing the batch size ${N} into groups of 2 or more images, got ${config.bnGroups}`,
    );
  }
  if (config.stem === 'small' && config.inputSize > 64) {
    throw new InvalidInputError(`${where}: expected input size <= 64 px with the small stem, got ${config.inputSize} (use stem 'imagenet')`);
  }
  if (config.lrSteps.some((s, i) => i > 0 && s <= config.lrSteps[i - 1])) {
    throw new InvalidInputError(`${where}: expected lrSteps in increasing order, got [${config.lrSteps.join(', ')}]`);
  }
}
