// Run-time check of API arguments as they arrive from a host (IPC, HTTP, WebSocket, CLI).
// Anything that does not match the contract is refused before it reaches the core.
import { z } from 'zod';
import { API_METHODS, type ApiArgs, type ApiMethod } from './contract';
import { InvalidInputError } from './errors';
import { MAX_QUERY_FILE_BASE64, MAX_QUERY_FILE_BYTES } from './search-contract';
import { trainConfigSchema } from './train-schema';

const id = z.number().int().positive();
const offset = z.number().int().min(0).optional();
const limit = z.number().int().min(1).max(10_000).optional();

const settingsPatch = z
  .object({
    skipHidden: z.boolean(),
    watch: z.boolean(),
    thumbnailSize: z.number().int().min(64).max(1024),
    maxPixels: z.number().int().min(1_000_000).max(2_000_000_000),
    approximateSearch: z.boolean(),
    computeBackend: z.enum(['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']),
    followOutsideLinks: z.boolean(),
  })
  .partial()
  .strict();

const num = (min: number, max: number) => z.number().finite().min(min).max(max);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const trainConfig = trainConfigSchema;

const imageIds = z.array(id).min(1).max(100_000);
const tagName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f/\\]+$/, 'expected a tag without control characters or slashes');
const space = z.enum(['features', 'embedding']).optional();
const searchQuery = z.union([
  z.object({ imageId: id }).strict(),
  z
    .object({
      fileName: z.string().min(1).max(1024),
      dataBase64: z
        .string()
        .min(1, 'expected an image file, got an empty file')
        .max(MAX_QUERY_FILE_BASE64, `expected an image of at most ${MAX_QUERY_FILE_BYTES / 1024 / 1024} MiB`)
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64 data'),
    })
    .strict(),
]);

const labelSource = z.union([
  z.object({ kind: z.literal('folder'), level: int(-16, 16) }).strict(),
  z.object({ kind: z.literal('tag') }).strict(),
]);
const splitOptions = z
  .object({ folderIds: z.array(id).max(10_000), minPerClass: int(2, 100_000), testFraction: num(0.05, 0.95), seed: int(0, 2 ** 31 - 1) })
  .strict();
const probeConfig = z
  .object({
    runId: id,
    labels: labelSource,
    testFraction: num(0.05, 0.95),
    minPerClass: int(2, 100_000),
    seed: int(0, 2 ** 31 - 1),
    inputSize: int(16, 1024).nullable(),
    linear: z
      .object({
        epochs: int(1, 10_000),
        lr: num(1e-8, 1000),
        momentum: num(0, 0.9999),
        weightDecay: num(0, 1),
        batchSize: int(1, 65_536),
        lrSteps: z.array(num(0, 1)).max(16),
        standardize: z.boolean(),
      })
      .strict(),
    knn: z.object({ k: int(1, 10_000), T: num(1e-4, 10) }).strict(),
    baselines: z.object({ randomInit: z.boolean(), rawPixels: z.boolean() }).strict(),
    folderIds: z.array(id).max(10_000),
  })
  .strict();
const model = z.enum(['pretrained', 'random-init', 'raw-pixels']);
const folderPath = z.string().min(1).max(4096);

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
        tag: tagName.optional(),
        excluded: z.boolean().optional(),
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
  listEmbeddings: z.tuple([]),
  startEmbedding: z.union([
    z.tuple([id]),
    z.tuple([
      id,
      z
        .object({ engine: z.enum(['auto', 'onnxruntime', 'tfjs']).optional(), batchSize: int(1, 1024).optional() })
        .strict()
        .optional(),
    ]),
  ]) as z.ZodType<ApiArgs<'startEmbedding'>>,
  cancelEmbedding: z.tuple([]),
  deleteEmbeddings: z.tuple([id]),
  searchSimilar: z.tuple([
    z
      .object({
        setId: id.optional(),
        query: searchQuery,
        k: int(1, 1000).optional(),
        space,
        hideDuplicates: z.boolean().optional(),
        folderIds: z.array(id).max(10_000).optional(),
        includeExcluded: z.boolean().optional(),
      })
      .strict(),
  ]),
  findNearDuplicates: z.tuple([
    z.object({ setId: id.optional(), threshold: num(0.5, 1), space, includeExcluded: z.boolean().optional() }).strict(),
  ]),
  setExcluded: z.tuple([imageIds, z.boolean()]),
  listTags: z.tuple([]),
  tagImages: z.tuple([imageIds, tagName]),
  untagImages: z.tuple([imageIds, tagName]),
  trashImages: z.tuple([imageIds]),
  previewLabels: z.tuple([labelSource, splitOptions]),
  startProbe: z.tuple([probeConfig]),
  cancelProbe: z.tuple([]),
  listProbes: z.tuple([]),
  deleteProbe: z.tuple([id]),
  probeCellImages: z.tuple([
    z
      .object({ probeId: id, model, method: z.enum(['linear', 'knn']), trueClass: int(0, 100_000), predictedClass: int(0, 100_000) })
      .strict(),
  ]),
  exportWeights: z.tuple([
    z
      .object({ runId: id, format: z.enum(['safetensors', 'tfjs', 'onnx']), dir: folderPath, createFolder: z.boolean().optional() })
      .strict(),
  ]),
  exportEmbeddings: z.tuple([
    z.object({ setId: id, space: z.enum(['features', 'embedding']), dir: folderPath, createFolder: z.boolean().optional() }).strict(),
  ]),
  exportSubset: z.tuple([
    z
      .object({
        labels: labelSource,
        layout: z.enum(['tree', 'list']),
        mode: z.enum(['copy', 'symlink']),
        dir: folderPath,
        folderIds: z.array(id).max(10_000),
        createFolder: z.boolean().optional(),
      })
      .strict(),
  ]),
  importWeights: z.union([
    z.tuple([folderPath]),
    z.tuple([
      folderPath,
      z
        .object({ inputSize: int(16, 1024).optional(), name: z.string().trim().min(1).max(200).optional() })
        .strict()
        .optional(),
    ]),
  ]) as z.ZodType<ApiArgs<'importWeights'>>,
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
