// Generated libraries for the trainer tests: folders of images whose class is a pattern
// (stripes across, stripes down, a checkerboard) drawn in random colours, so that colour
// alone does not tell the classes apart and an encoder has to learn the shapes. Also the
// training images of such a folder without a library database, and the tests' tiny config.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { TrainConfig } from '../../../../src-main/api/contract';
import type { TrainImage } from '../../../../src-main/core/moco/data/training-images';
import { Rng } from '../../../../src-main/core/moco/rng';
import { defaultConfig } from '../../../../src-main/api/training-config';

export const PATTERNS = ['across', 'down', 'checker'] as const;

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `moco-train-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A side x side RGB image of `pattern` with period `period` px, in two random colours. */
export function patternPixels(pattern: (typeof PATTERNS)[number], side: number, rng: Rng, period = 6): Buffer {
  const fg = [0, 1, 2].map(() => rng.int(256));
  const bg = fg.map((c) => (c + 64 + rng.int(128)) % 256);
  const phase = rng.int(period);
  const px = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const a = Math.floor((y + phase) / (period / 2)) % 2;
      const b = Math.floor((x + phase) / (period / 2)) % 2;
      const on = pattern === 'across' ? a : pattern === 'down' ? b : a ^ b;
      const c = on ? fg : bg;
      px.set(c, (y * side + x) * 3);
    }
  }
  return px;
}

/** perClass PNGs per pattern, one folder per pattern under root. */
export async function makePatternLibrary(root: string, perClass: number, side = 24, seed = 1): Promise<void> {
  const rng = new Rng(seed);
  for (const pattern of PATTERNS) {
    const dir = join(root, pattern);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      await sharp(patternPixels(pattern, side, rng), { raw: { width: side, height: side, channels: 3 } })
        .png()
        .toFile(join(dir, `${pattern}-${i}.png`));
    }
  }
}

/** The tests' tiny model: ResNet-18 small stem, width 1/8, 16 px, batch 8. */
export function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return defaultConfig({
    arch: 'resnet18',
    stem: 'small',
    widthMultiplier: 0.125,
    inputSize: 16,
    batchSize: 8,
    K: 32,
    epochs: 2,
    lrSteps: [],
    knnEvery: 0,
    checkpointMinutes: 60,
    ...over,
  });
}

/** The images under `root` (one folder level) as a training run gets them, ids 1.. in path order. */
export function trainImagesIn(root: string): TrainImage[] {
  const paths = readdirSync(root)
    .sort()
    .flatMap((dir) =>
      readdirSync(join(root, dir))
        .sort()
        .map((f) => join(root, dir, f)),
    );
  return paths.map((path, i) => {
    const st = statSync(path);
    return { id: i + 1, path, hash: createHash('sha256').update(readFileSync(path)).digest('hex'), size: st.size, mtimeMs: st.mtimeMs };
  });
}
