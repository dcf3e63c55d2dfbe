// Run-time check of API arguments as they arrive from a host (IPC, HTTP, WebSocket, CLI).
// Anything that does not match the contract is refused before it reaches the core.
import { z } from 'zod';
import { API_METHODS, type ApiArgs, type ApiMethod } from './contract';
import { InvalidInputError } from './errors';

const id = z.number().int().positive();
const offset = z.number().int().min(0).optional();
const limit = z.number().int().min(1).max(10_000).optional();

const settingsPatch = z
  .object({
    skipHidden: z.boolean(),
    watch: z.boolean(),
    thumbnailSize: z.number().int().min(64).max(1024),
    maxPixels: z.number().int().min(1_000_000).max(2_000_000_000),
  })
  .partial()
  .strict();

const num = (min: number, max: number) => z.number().finite().min(min).max(max);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

// Ranges are sanity bounds against hostile or mistyped input; whether a config fits the
// library and the device (K >= batch, enough images, ...) is checked by the trainer.
const trainConfig = z
  .object({
    arch: z.enum(['resnet18', 'resnet34', 'resnet50']),
    stem: z.enum(['imagenet', 'small']),
    widthMultiplier: num(0.0625, 4),
    inputSize: int(16, 1024),
    batchSize: int(2, 8192),
    epochs: int(1, 10_000),
    K: int(1, 1 << 20),
    m: num(0, 1),
    T: num(1e-4, 10),
    dim: int(2, 4096),
    mlpHead: z.boolean(),
    augmentation: z.enum(['v1', 'v2']),
    symmetric: z.boolean(),
    dictionary: z.enum(['queue', 'end-to-end', 'memory-bank']),
    lr: num(1e-8, 100),
    schedule: z.enum(['step', 'cosine']),
    lrSteps: z.array(int(1, 10_000)).max(16),
    sgdMomentum: num(0, 0.9999),
    weightDecay: num(0, 1),
    bnGroups: int(0, 1024),
    seed: int(0, 2 ** 31 - 1),
    knnEvery: int(0, 10_000),
    checkpointMinutes: num(0.1, 1440),
    folderIds: z.array(id).max(10_000),
  })
  .strict();

const schemas: { [M in ApiMethod]: z.ZodType<ApiArgs<M>> } = {
  getStatus: z.tuple([]),
  listFolders: z.tuple([]),
  addFolder: z.tuple([z.string().min(1).max(4096)]),
  removeFolder: z.tuple([id]),
  rescan: z.union([z.tuple([]), z.tuple([id.optional()])]) as z.ZodType<ApiArgs<'rescan'>>,
  cancelScan: z.tuple([]),
  listImages: z.tuple([
    z
      .object({
        offset,
        limit,
        folderId: id.optional(),
        includeMissing: z.boolean().optional(),
        sort: z.enum(['path', 'taken', 'size', 'indexed']).optional(),
      })
      .strict(),
  ]),
  getImage: z.tuple([id]),
  listProblems: z.tuple([z.object({ offset, limit }).strict()]),
  listDuplicateGroups: z.tuple([]),
  purgeMissing: z.tuple([]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([settingsPatch]) as z.ZodType<ApiArgs<'updateSettings'>>,
  pickFolder: z.tuple([]),
  getEngine: z.tuple([]),
  listTrainPresets: z.tuple([]),
  startTraining: z.tuple([trainConfig]),
  pauseTraining: z.tuple([]),
  resumeTraining: z.tuple([id]),
  cancelTraining: z.tuple([]),
  listRuns: z.tuple([]),
  getRunMetrics: z.tuple([id]),
  listCheckpoints: z.tuple([id]),
  deleteRun: z.tuple([id]),
};

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/** Returns the arguments typed for `method`, or throws InvalidInputError saying what was wrong. */
export function validateArgs<M extends ApiMethod>(method: M, args: unknown): ApiArgs<M> {
  if (!isApiMethod(method)) {
    throw new InvalidInputError(`api: expected one of ${API_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  if (!Array.isArray(args)) {
    throw new InvalidInputError(`${method}: expected an array of arguments, got ${typeof args}`);
  }
  const result = schemas[method].safeParse(args);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? `${method} argument ${issue.path.join('.')}` : method;
    throw new InvalidInputError(`${where}: ${issue.message}`);
  }
  return result.data;
}
