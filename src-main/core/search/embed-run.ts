// One embedding pass over the images of a set that lack a current vector: the encoder from the
// run's newest checkpoint, the fastest engine that loads, decoding of the next batch overlapping
// inference of the current one, vectors written per batch (so a cancelled or killed pass keeps
// what it finished and the next pass starts where it stopped).
import type { EmbedProgress } from '../../api/contract';
import { openDatabase } from '../db/connection';
import { EmbeddingsStore, type EmbedTarget } from '../db/embeddings-store';
import { initEngine } from '../engine/backend';
import type { ResNet } from '../moco/resnet';
import { createEmbedder, type Embedder } from './embedder';
import { loadRunEncoder } from '../moco/train/encoder-loader';
import { decodeForEncoder } from './preprocess';
import type { EmbedEndStatus, EmbedRequest, EmbedWorkerMessage } from './embed-types';

const PROGRESS_MS = 250;

interface DecodedBatch {
  items: EmbedTarget[];
  x: Float32Array;
  /** targets that could not be decoded (changed or gone since the scan) */
  failed: EmbedTarget[];
}

async function decodeBatch(items: EmbedTarget[], R: number): Promise<DecodedBatch> {
  const x = new Float32Array(items.length * R * R * 3);
  const results = await Promise.allSettled(items.map((t, i) => decodeForEncoder(t.path, R, x, i * R * R * 3)));
  const ok: EmbedTarget[] = [];
  const failed: EmbedTarget[] = [];
  const packed = new Float32Array(x.length);
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      packed.set(x.subarray(i * R * R * 3, (i + 1) * R * R * 3), ok.length * R * R * 3);
      ok.push(items[i]);
    } else failed.push(items[i]);
  });
  return { items: ok, x: packed.subarray(0, ok.length * R * R * 3), failed };
}

export async function runEmbedding(
  req: EmbedRequest,
  post: (m: EmbedWorkerMessage) => void,
  cancelled: () => boolean,
): Promise<EmbedEndStatus> {
  let progress: EmbedProgress = {
    setId: req.setId,
    phase: 'preparing',
    done: 0,
    total: 0,
    imagesPerSec: null,
    etaSeconds: null,
    engine: null,
    message: 'Loading the encoder',
  };
  const end = (status: EmbedEndStatus, error?: string): EmbedEndStatus => {
    progress = { ...progress, phase: status, etaSeconds: null, message: null, ...(error ? { error } : {}) };
    post({ type: 'end', status, progress, ...(error ? { error } : {}) });
    return status;
  };
  post({ type: 'progress', progress });

  const db = openDatabase(req.dbPath);
  let embedder: Embedder | null = null;
  let model: ResNet | null = null;
  try {
    const store = new EmbeddingsStore(db);
    const targets = store.targets(req.setId);
    await initEngine();
    model = loadRunEncoder('embedding', req.runDir, req.config, req.checkpointStep).model;
    embedder = await createEmbedder(model, req.config.inputSize, req.engine);
    const engine = `${embedder.engine} (${embedder.device})`;
    post({ type: 'started', engine, total: targets.length });
    progress = { ...progress, phase: 'embedding', total: targets.length, engine, message: null };
    post({ type: 'progress', progress });

    const R = req.config.inputSize;
    const B = req.batchSize;
    const t0 = Date.now();
    let lastReport = 0;
    let skipped = 0;
    let next: Promise<DecodedBatch> | null = targets.length ? decodeBatch(targets.slice(0, B), R) : null;
    for (let start = 0; next; start += B) {
      const batch = await next;
      // Decoding the next batch (libuv threads) overlaps inference of this one.
      next = start + B < targets.length ? decodeBatch(targets.slice(start + B, start + 2 * B), R) : null;
      skipped += batch.failed.length;
      if (batch.items.length) {
        await embedAndStore(embedder, store, req.setId, batch);
        post({ type: 'written' });
      }
      const done = Math.min(targets.length, start + B);
      const secs = (Date.now() - t0) / 1000;
      const rate = secs > 0 ? done / secs : null;
      progress = {
        ...progress,
        done,
        imagesPerSec: rate,
        etaSeconds: rate ? (targets.length - done) / rate : null,
        message: skipped ? `${skipped} image${skipped === 1 ? '' : 's'} could not be read (changed or removed since the last scan)` : null,
      };
      if (cancelled()) {
        await next?.catch(() => undefined);
        return end('cancelled');
      }
      if (Date.now() - lastReport >= PROGRESS_MS || done === targets.length) {
        lastReport = Date.now();
        post({ type: 'progress', progress });
      }
    }
    return end('done');
  } catch (err) {
    return end('failed', err instanceof Error ? err.message : String(err));
  } finally {
    await embedder?.dispose();
    model?.dispose();
    db.close();
  }
}

/** The batch's features and embeddings, written to the set. */
async function embedAndStore(embedder: Embedder, store: EmbeddingsStore, setId: number, batch: DecodedBatch): Promise<void> {
  const { features, embedding } = await embedder.embed(batch.x, batch.items.length);
  const D = embedder.featureDim;
  const C = embedder.outDim;
  store.write(
    setId,
    batch.items.map((t, i) => ({
      imageId: t.id,
      hash: t.hash,
      features: features.subarray(i * D, (i + 1) * D),
      embedding: embedding.subarray(i * C, (i + 1) * C),
    })),
  );
}
