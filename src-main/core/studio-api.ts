// The API the studio answers: each service's calls joined into one table, every call checked
// against the contract and against the library's state (open, writable) before it runs.
import { API_METHODS, type ApiMethod } from '../api/contract';
import { ConflictError, InvalidInputError } from '../api/errors';
import { validateArgs } from '../api/validate';
import type { createCurationApi } from './library/curation';
import { libraryApi, type LibraryService } from './library/library-service';
import type { ExportService } from './export/export-service';
import type { ProbeService } from './probe/probe-service';
import type { TrainingService } from './moco/train/training-service';
import type { EmbeddingService } from './search/embedding-service';
import { findNearDuplicates } from './search/near-duplicate-review';
import { searchSimilar, type SimilarDeps } from './search/similar';
import type { CoreApi } from './studio-types';

/** What a library opened read-only answers; every other call would write. */
export const READ_METHODS: ReadonlySet<string> = new Set<keyof CoreApi | 'preview'>([
  'preview',
  'getStatus',
  'listFolders',
  'listImages',
  'getImage',
  'listProblems',
  'listDuplicateGroups',
  'getSettings',
  'getEngine',
  'listTrainPresets',
  'listRuns',
  'getRunMetrics',
  'listCheckpoints',
  'listEmbeddings',
  'searchSimilar',
  'findNearDuplicates',
  'listTags',
  'previewLabels',
  'listProbes',
  'probeCellImages',
  'exportWeights',
  'exportEmbeddings',
  'exportSubset',
]);

export interface Services {
  library: LibraryService;
  training: TrainingService;
  embeddings: EmbeddingService;
  probes: ProbeService;
  exports: ExportService;
  curation: ReturnType<typeof createCurationApi>;
  /** what search reads besides the embeddings (see search/similar.ts) */
  search: Omit<SimilarDeps, 'embeddings'>;
}

/** The API calls `target` answers (its methods named like one), bound to it. */
function callsOf<T extends object>(target: T): Pick<T, Extract<keyof T, ApiMethod>> {
  const out: Record<string, unknown> = {};
  for (const name of API_METHODS) {
    const fn = (target as Record<string, unknown>)[name];
    if (typeof fn === 'function') out[name] = fn.bind(target);
  }
  return out as Pick<T, Extract<keyof T, ApiMethod>>;
}

/** Every call of the API but getStatus, from the services that answer it. */
export function serviceApi(s: Services): Omit<CoreApi, 'getStatus'> {
  return {
    ...libraryApi(s.library),
    ...callsOf(s.training),
    ...callsOf(s.embeddings),
    searchSimilar: (request) => searchSimilar({ ...s.search, embeddings: s.embeddings }, request),
    findNearDuplicates: (request) => findNearDuplicates({ ...s.search, embeddings: s.embeddings }, request),
    ...s.curation,
    ...callsOf(s.probes),
    ...callsOf(s.exports),
  };
}

/**
 * Every call is checked against the contract here too: the CLI and tests call the core
 * directly, and a bad argument must be a clear error wherever it comes from.
 */
export function guard(methods: CoreApi, ensureOpen: (where: string) => void): CoreApi {
  const out = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.keys(methods) as (keyof CoreApi)[]) {
    const fn = methods[name] as (...args: unknown[]) => Promise<unknown>;
    out[name] = async (...args: unknown[]) => {
      ensureOpen(name);
      // Trailing undefined (an omitted optional argument) is not an argument.
      while (args.length && args[args.length - 1] === undefined) args.pop();
      return fn(...validateArgs(name as ApiMethod, args));
    };
  }
  return out as unknown as CoreApi;
}

/** Refuses calls on a closed library, and calls that write on one opened read-only. */
export function openCheck(isClosed: () => boolean, readOnly: boolean, dbPath: string): (where: string) => void {
  return (where) => {
    if (isClosed()) throw new ConflictError(`${where}: expected an open library, got one that was closed`);
    if (readOnly && !READ_METHODS.has(where))
      throw new ConflictError(`${where}: expected a library open for writing, got ${dbPath} opened read-only`);
  };
}

export function checkId(where: string, id: unknown): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    throw new InvalidInputError(`${where}: expected a positive integer image id, got ${JSON.stringify(id)}`);
  }
}
