// Checks a run's config against the library before any work, so that a bad combination is
// a clear error at once rather than a failure minutes into caching.
import type { TrainConfig } from '../../../api/contract';
import { InvalidInputError } from '../../../api/errors';

export function checkTrainConfig(config: TrainConfig, usableImages: number): void {
  const where = 'startTraining';
  const { batchSize: N } = config;
  if (usableImages === 0) {
    throw new InvalidInputError(`${where}: expected a library with images to train on, got an empty library (add a folder first)`);
  }
  if (usableImages < N) {
    throw new InvalidInputError(
      `${where}: expected at least batch size ${N} images present on disk, got ${usableImages} (lower the batch size or add images)`,
    );
  }
  checkDictionary(config, usableImages, where);
  if (config.bnGroups > 0 && (N % config.bnGroups !== 0 || N / config.bnGroups < 2)) {
    throw new InvalidInputError(
      `${where}: expected bnGroups dividing the batch size ${N} into groups of 2 or more images, got ${config.bnGroups}`,
    );
  }
  if (config.stem === 'small' && config.inputSize > 64) {
    throw new InvalidInputError(
      `${where}: expected input size <= 64 px with the small stem, got ${config.inputSize} (use stem 'imagenet')`,
    );
  }
  if (config.lrSteps.some((s, i) => i > 0 && s <= config.lrSteps[i - 1])) {
    throw new InvalidInputError(`${where}: expected lrSteps in increasing order, got [${config.lrSteps.join(', ')}]`);
  }
}

/**
 * The dictionary mechanism against the batch and the training set: the queue must tile by the
 * keys of a step (N, or 2N with the symmetric loss); end-to-end ignores K and m (its dictionary
 * is the batch); the memory bank draws its K negatives from the other images, so K <= images - N,
 * its m is the momentum of the stored features (< 1), and it has no key view for the symmetric
 * loss. The trainer checks again with the images actually read into the training cache.
 */
export function checkDictionary(config: TrainConfig, trainingImages: number, where: string): void {
  const { batchSize: N, K } = config;
  switch (config.dictionary) {
    case 'queue': {
      const keys = config.symmetric ? 2 * N : N;
      const what = config.symmetric ? `2 x batch size = ${keys} (the symmetric loss enqueues the keys of both views)` : `batch size ${N}`;
      if (K < keys) throw new InvalidInputError(`${where}: expected queue size K >= ${what}, got K = ${K}`);
      if (K % keys !== 0) {
        throw new InvalidInputError(
          `${where}: expected queue size K a multiple of ${config.symmetric ? what : `the batch size ${N}`}, got K = ${K} (try ${Math.ceil(K / keys) * keys})`,
        );
      }
      return;
    }
    case 'end-to-end':
      if (N < 2)
        throw new InvalidInputError(
          `${where}: expected batch size >= 2 end-to-end (the other keys of the batch are the negatives), got ${N}`,
        );
      return;
    case 'memory-bank':
      if (config.symmetric) {
        throw new InvalidInputError(
          `${where}: expected symmetric false with the memory bank (its positive is the stored entry, there is no key view to swap), got true`,
        );
      }
      if (K > trainingImages - N) {
        throw new InvalidInputError(
          `${where}: expected K <= images - batch size = ${trainingImages - N} with the memory bank (its negatives are K other images' entries), got K = ${K}`,
        );
      }
      if (!(config.m < 1)) {
        throw new InvalidInputError(
          `${where}: expected m < 1 with the memory bank (the momentum of the stored features; 1 never updates them), got ${config.m}`,
        );
      }
      return;
    default:
      throw new InvalidInputError(`${where}: expected dictionary queue | end-to-end | memory-bank, got '${String(config.dictionary)}'`);
  }
}
