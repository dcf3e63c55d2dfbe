// Encoders kept loaded for searching by a file from outside the library (its vector is not in
// the database): one per set, dropped after a while unused.
import { initEngine } from '../engine/backend';
import type { ResNet } from '../moco/resnet';
import type { TrainConfig } from '../../api/contract';
import { runDirIn } from '../moco/train/trainer';
import { createEmbedder, type Embedder } from './embedder';
import { loadRunEncoder } from '../moco/train/encoder-loader';
import { decodeForEncoder } from './preprocess';

const IDLE_MS = 5 * 60_000;

interface Loaded {
  model: ResNet;
  embedder: Embedder;
  timer: NodeJS.Timeout | null;
}

export class QueryEncoders {
  private readonly loaded = new Map<number, Promise<Loaded>>();

  constructor(private readonly dataDir: string) {}

  /** Vectors of one image file (path or bytes) by a set's encoder; throws when it cannot be decoded. */
  async embedFile(
    set: { id: number; runId: number; checkpointStep: number },
    config: TrainConfig,
    input: string | Buffer,
  ): Promise<{ features: Float32Array; embedding: Float32Array }> {
    const R = config.inputSize;
    const x = new Float32Array(R * R * 3);
    await decodeForEncoder(input, R, x, 0);
    const enc = await this.encoder(set, config);
    return enc.embedder.embed(x, 1);
  }

  async forget(setId: number): Promise<void> {
    const p = this.loaded.get(setId);
    this.loaded.delete(setId);
    const enc = await p?.catch(() => null);
    if (enc) await release(enc);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.loaded.keys()].map((id) => this.forget(id)));
  }

  private encoder(set: { id: number; runId: number; checkpointStep: number }, config: TrainConfig): Promise<Loaded> {
    const setId = set.id;
    let p = this.loaded.get(setId);
    if (!p) {
      p = (async () => {
        await initEngine();
        const { model } = loadRunEncoder('searchSimilar', runDirIn(this.dataDir, set.runId), config, set.checkpointStep);
        try {
          return { model, embedder: await createEmbedder(model, config.inputSize, 'auto'), timer: null };
        } catch (err) {
          model.dispose();
          throw err;
        }
      })();
      this.loaded.set(setId, p);
      p.catch(() => this.loaded.delete(setId));
    }
    return p.then((enc) => {
      if (enc.timer) clearTimeout(enc.timer);
      enc.timer = setTimeout(() => void this.forget(setId), IDLE_MS);
      enc.timer.unref();
      return enc;
    });
  }
}

async function release(enc: Loaded): Promise<void> {
  if (enc.timer) clearTimeout(enc.timer);
  await enc.embedder.dispose();
  enc.model.dispose();
}
