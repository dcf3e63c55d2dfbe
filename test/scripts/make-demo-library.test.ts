import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_BUDGET_BYTES, DEMO_CLASSES, makeDemoLibrary } from '../../scripts/make-demo-library';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'moco-demo-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function filesOf(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const cls of (await readdir(root)).sort()) {
    for (const f of (await readdir(join(root, cls))).sort()) out.set(`${cls}/${f}`, await readFile(join(root, cls, f)));
  }
  return out;
}

/**
 * A colour-blind shape/texture descriptor: share of edge pixels plus the magnitude-weighted
 * histogram of edge orientations, sorted so that rotating an image barely changes it.
 */
async function textureDescriptor(file: string): Promise<number[]> {
  const { data, info } = await sharp(file).greyscale().blur(1).raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length;
  let sd = 0;
  for (const v of data) sd += (v - mean) ** 2;
  sd = Math.sqrt(sd / data.length) + 1; // contrast-normalised so colour choice does not matter
  const bins = new Array<number>(12).fill(0);
  let edges = 0;
  let total = 0;
  const px = (x: number, y: number) => data[y * w + x];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const gx = px(x + 1, y - 1) + 2 * px(x + 1, y) + px(x + 1, y + 1) - px(x - 1, y - 1) - 2 * px(x - 1, y) - px(x - 1, y + 1);
      const gy = px(x - 1, y + 1) + 2 * px(x, y + 1) + px(x + 1, y + 1) - px(x - 1, y - 1) - 2 * px(x, y - 1) - px(x + 1, y - 1);
      const m = Math.hypot(gx, gy) / sd;
      if (m <= 1.5) continue;
      edges++;
      const a = (Math.atan2(gy, gx) + Math.PI) % Math.PI;
      bins[Math.min(11, Math.floor((a / Math.PI) * 12))] += m;
      total += m;
    }
  }
  return [(3 * edges) / ((w - 2) * (h - 2)), ...bins.map((b) => b / (total || 1)).sort((a, b) => b - a)];
}

describe('makeDemoLibrary', () => {
  it('writes the asked number of square JPEGs per class folder', async () => {
    const r = await makeDemoLibrary({ outDir: dir, perClass: 3, size: 96, seed: 7 });
    expect(r.files).toBe(3 * DEMO_CLASSES.length);
    expect((await readdir(dir)).sort()).toEqual([...DEMO_CLASSES].sort());
    let bytes = 0;
    for (const cls of DEMO_CLASSES) {
      const names = (await readdir(join(dir, cls))).sort();
      expect(names).toEqual([`${cls}-001.jpg`, `${cls}-002.jpg`, `${cls}-003.jpg`]);
      for (const n of names) {
        const meta = await sharp(join(dir, cls, n)).metadata();
        expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 96, 96, 3]);
        bytes += (await stat(join(dir, cls, n))).size;
      }
    }
    expect(r.totalBytes).toBe(bytes);
  });

  it('is reproducible from its seed, and another seed draws other images', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const c = join(dir, 'c');
    await makeDemoLibrary({ outDir: a, perClass: 2, seed: 1 });
    await makeDemoLibrary({ outDir: b, perClass: 2, seed: 1 });
    await makeDemoLibrary({ outDir: c, perClass: 2, seed: 2 });
    const fa = await filesOf(a);
    const fb = await filesOf(b);
    const fc = await filesOf(c);
    expect([...fa.keys()]).toEqual([...fb.keys()]);
    for (const [k, v] of fa) {
      expect(v.equals(fb.get(k)!)).toBe(true);
      expect(v.equals(fc.get(k)!)).toBe(false);
    }
  });

  it('replaces JPEGs of an earlier run and leaves other files alone', async () => {
    await makeDemoLibrary({ outDir: dir, perClass: 4, seed: 3 });
    await writeFile(join(dir, 'circles', 'notes.txt'), 'keep me');
    await makeDemoLibrary({ outDir: dir, perClass: 2, seed: 3 });
    expect((await readdir(join(dir, 'circles'))).sort()).toEqual(['circles-001.jpg', 'circles-002.jpg', 'notes.txt']);
  });

  it('refuses a bad count or size with a clear message', async () => {
    await expect(makeDemoLibrary({ outDir: dir, perClass: 0 })).rejects.toThrow('expected perClass >= 1, got 0');
    await expect(makeDemoLibrary({ outDir: dir, size: 4 })).rejects.toThrow('expected size in 16..1024, got 4');
  });

  it('draws classes that differ in shape and texture, not only colour', async () => {
    // Leave-one-out 1-nearest-neighbour on a greyscale edge descriptor: if classes were told
    // apart by colour alone, this would sit near chance (1/6).
    await makeDemoLibrary({ outDir: dir, perClass: 10, seed: 11 });
    const xs: number[][] = [];
    const ys: string[] = [];
    for (const cls of DEMO_CLASSES) {
      for (const f of await readdir(join(dir, cls))) {
        xs.push(await textureDescriptor(join(dir, cls, f)));
        ys.push(cls);
      }
    }
    let correct = 0;
    xs.forEach((x, i) => {
      let best = -1;
      let bestDist = Infinity;
      xs.forEach((o, j) => {
        if (j === i) return;
        const d = x.reduce((s, v, k) => s + (v - o[k]) ** 2, 0);
        if (d < bestDist) [best, bestDist] = [j, d];
      });
      if (ys[best] === ys[i]) correct++;
    });
    expect(correct / xs.length).toBeGreaterThanOrEqual(0.85);
  });
});

describe('the shipped demo library (resources/demo)', () => {
  it('has 50 images in each class and stays within its size budget', async () => {
    const root = fileURLToPath(new URL('../../resources/demo', import.meta.url));
    const files = await filesOf(root);
    let bytes = 0;
    for (const v of files.values()) bytes += v.length;
    expect(bytes).toBeLessThanOrEqual(DEMO_BUDGET_BYTES);
    for (const cls of DEMO_CLASSES) expect([...files.keys()].filter((k) => k.startsWith(`${cls}/`))).toHaveLength(50);
    expect(files.size).toBe(50 * DEMO_CLASSES.length);
  });
});
