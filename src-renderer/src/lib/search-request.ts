// The search options a person sets, and the SearchRequest they make for a subject.
import type { EmbeddingSpace, SearchRequest } from '$contract';
import type { SearchSubject } from './search-history';

export interface SearchOptions {
  k: number;
  space: EmbeddingSpace;
  hideDuplicates: boolean;
  /** empty = every folder */
  folderIds: number[];
  includeExcluded: boolean;
}

export const K_CHOICES = [12, 24, 48, 96, 200] as const;

export const DEFAULT_OPTIONS: SearchOptions = {
  k: 24,
  space: 'features',
  hideDuplicates: true,
  folderIds: [],
  includeExcluded: false,
};

export function searchRequest(subject: SearchSubject, options: SearchOptions, setId: number | null): SearchRequest {
  const query = subject.kind === 'image' ? { imageId: subject.imageId } : { fileName: subject.fileName, dataBase64: subject.dataBase64 };
  return {
    ...(setId !== null ? { setId } : {}),
    query,
    k: options.k,
    space: options.space,
    hideDuplicates: options.hideDuplicates,
    ...(options.folderIds.length ? { folderIds: [...options.folderIds] } : {}),
    includeExcluded: options.includeExcluded,
  };
}

/** The folder list after ticking or unticking one folder. */
export function toggleFolder(folderIds: readonly number[], id: number, on: boolean): number[] {
  const rest = folderIds.filter((f) => f !== id);
  return on ? [...rest, id].sort((a, b) => a - b) : rest;
}
