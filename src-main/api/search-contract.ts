// Types of the embeddings, search and curation part of the API. contract.ts re-exports them.
import type { ImageSummary, JobOwner } from './contract';

/** Which vectors a search compares: the pooled backbone feature or the 128-d head output. */
export type EmbeddingSpace = 'features' | 'embedding';
/** onnxruntime (exported ONNX graph) where it loads, TF.js otherwise. */
export type EmbedEngine = 'auto' | 'onnxruntime' | 'tfjs';
export type EmbeddingStatus = 'running' | 'done' | 'partial' | 'cancelled' | 'failed' | 'interrupted';

/** The embeddings of the library by one encoder (a run's newest checkpoint). */
export interface EmbeddingSet {
  id: number;
  runId: number;
  /** the run's name at the time the set was made */
  name: string;
  /** training step of the checkpoint the encoder came from */
  checkpointStep: number;
  status: EmbeddingStatus;
  /** engine that computed the vectors, e.g. 'onnxruntime (cpu)' */
  engine: string;
  featureDim: number;
  outDim: number;
  inputSize: number;
  /** images with a current vector */
  count: number;
  /** present, not excluded images without a current vector (new or changed since) */
  stale: number;
  createdAt: string;
  updatedAt: string;
  error: string | null;
  /** set while another process runs it */
  owner?: JobOwner;
}

export type EmbedPhase = 'preparing' | 'embedding' | 'done' | 'cancelled' | 'failed';

export interface EmbedProgress {
  setId: number;
  phase: EmbedPhase;
  done: number;
  total: number;
  imagesPerSec: number | null;
  etaSeconds: number | null;
  engine: string | null;
  message: string | null;
  /** set when phase is 'failed' */
  error?: string;
}

export interface StartEmbeddingOptions {
  engine?: EmbedEngine;
  /** images per forward pass (default 64) */
  batchSize?: number;
}

/**
 * The largest outside file a search takes: one photo, not an archive. Every door caps with it:
 * the API refuses longer base64, the web host's body limit sits just above that, and the CLI
 * reads at most this many bytes (+1, to tell "too large").
 */
export const MAX_QUERY_FILE_BYTES = 64 * 1024 * 1024;
/** MAX_QUERY_FILE_BYTES as base64, padding included */
export const MAX_QUERY_FILE_BASE64 = Math.ceil(MAX_QUERY_FILE_BYTES / 3) * 4;

/** A query image: one in the library, or a file from outside it (its bytes, base64). */
export type SearchQuery = { imageId: number } | { fileName: string; dataBase64: string };

export interface SearchRequest {
  /** embedding set; default the newest finished one */
  setId?: number;
  query: SearchQuery;
  /** default 24 */
  k?: number;
  /** default 'features' */
  space?: EmbeddingSpace;
  /** leave out byte-identical copies of the query and of earlier hits */
  hideDuplicates?: boolean;
  /** restrict results to these folders; empty or absent = all */
  folderIds?: number[];
  /** include images the user marked excluded (default false) */
  includeExcluded?: boolean;
}

export interface SearchHit {
  image: ImageSummary;
  /** cosine similarity, -1..1 */
  score: number;
  /** its perceptual hash matches the query's: a copy of the same photo (such hits come first) */
  nearDuplicate?: boolean;
}

export interface SearchResult {
  setId: number;
  space: EmbeddingSpace;
  /** the library image searched by, or null for an outside file */
  queryImageId: number | null;
  queryName: string;
  hits: SearchHit[];
  tookMs: number;
  /** how the neighbours were found; 'approximate' only when the setting is on and the library is large */
  index: 'exact' | 'approximate';
  /** recall@10 of the approximate index against exact search, measured on a sample when it was built */
  recallAt10: number | null;
}

export interface NearDuplicateRequest {
  setId?: number;
  /** cosine similarity at or above which two images are near-duplicates, 0.5..1 */
  threshold: number;
  /** default 'embedding': the head output MoCo trains to be invariant to crops and colour */
  space?: EmbeddingSpace;
  /** include excluded images (default true: a review shows what was excluded) */
  includeExcluded?: boolean;
}

export interface NearDuplicateImage extends ImageSummary {
  excluded: boolean;
  takenAt: string | null;
}

export interface NearDuplicateGroup {
  images: NearDuplicateImage[];
  /** highest and lowest similarity of the pairs that joined the group */
  maxScore: number;
  minScore: number;
  /** some images joined because their perceptual hashes match (a cropped, resized or recompressed copy) */
  byHash?: boolean;
}

export interface NearDuplicateResult {
  setId: number;
  threshold: number;
  groups: NearDuplicateGroup[];
  /** group counts at other thresholds, for a live count on a slider (ascending threshold) */
  curve: { threshold: number; groups: number }[];
  /** pairs were capped: lower thresholds are incomplete */
  truncated: boolean;
  tookMs: number;
}

export interface TagCount {
  name: string;
  count: number;
}
