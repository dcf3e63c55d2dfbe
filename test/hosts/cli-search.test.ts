// `moco-studio embed`, `search`, `embeddings` and `duplicates --threshold` as separate processes:
// wrong arguments, a tiny run embedded with --json progress, a search by an outside file, and
// near-duplicate groups.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './helpers';
import { makePatternLibrary, tempDir } from '../core/moco/train/fixtures';

const TINY = ['--width', '0.125', '--input-size', '16', '--batch-size', '8', '--K', '32', '--knn-every', '0', '--epochs', '1'];

let tmp: ReturnType<typeof tempDir>;
let db: string;
let photos: string;

function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--db', db], { env: { ...process.env, MOCO_BACKEND: 'wasm' }, timeoutMs: 240_000 });
}

beforeAll(async () => {
  tmp = tempDir('cli-search');
  photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 6, 32);
  db = join(tmp.dir, 'lib', 'library.db');
  expect((await cli(['index', photos])).code).toBe(0);
}, 120_000);

afterAll(() => tmp?.cleanup());

describe('moco-studio embed and search', () => {
  it('refuses wrong arguments with exit code 2 and says what is wrong', { timeout: 120_000 }, async () => {
    const noRun = await cli(['embed']);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toContain("embed: expected a trained run, got none (train one with 'moco-studio train')");
    const both = await cli(['search']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('search: expected exactly one of --image <path> or --id <imageId>, got neither');
    const badK = await cli(['search', '--id', '1', '--k', 'ten']);
    expect(badK.code).toBe(2);
    expect(badK.stderr).toContain('search: --k: expected an integer from 1 to 1000, got "ten"');
    const gone = await cli(['search', '--image', join(tmp.dir, 'nope.jpg')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no such file');
    const badT = await cli(['duplicates', '--threshold', '2']);
    expect(badT.code).toBe(2);
    expect(badT.stderr).toContain('duplicates: --threshold: expected a number from 0.5 to 1, got "2"');
  });

  it('refuses /dev/zero and an empty file in a plain sentence, without reading without limit', { timeout: 60_000 }, async () => {
    const zero = await cli(['search', '--image', '/dev/zero']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('search: --image: expected an image file, got a character device (/dev/zero)');
    const empty = join(tmp.dir, 'empty.jpg');
    writeFileSync(empty, '');
    const r = await cli(['search', '--image', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`search: --image: expected an image file, got an empty file (${empty})`);
    expect(r.stderr).not.toMatch(/String must contain/);
  });

  it('says there is nothing to search before embeddings exist', { timeout: 60_000 }, async () => {
    const r = await cli(['search', '--id', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('searchSimilar: expected computed embeddings, got none');
  });

  it('embeds a trained run with JSON progress, then finds a copy of a library image first', async () => {
    expect((await cli(['train', ...TINY])).code).toBe(0);
    const embedded = await cli(['embed', '--json']);
    expect(embedded.code).toBe(0);
    const set = JSON.parse(embedded.stdout) as { id: number; count: number; status: string };
    expect(set).toMatchObject({ count: 18, status: 'done' });
    const events = embedded.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; phase: string });
    expect(events.every((e) => e.event === 'embed.progress')).toBe(true);
    expect(events.at(-1)!.phase).toBe('done');

    const outside = join(tmp.dir, 'query.png');
    copyFileSync(join(photos, 'down/down-2.png'), outside);
    const found = await cli(['search', '--image', outside, '--k', '4', '--json']);
    expect(found.code).toBe(0);
    const result = JSON.parse(found.stdout) as { hits: { image: { relPath: string }; score: number }[] };
    expect(result.hits).toHaveLength(4);
    expect(result.hits[0].image.relPath).toBe('down/down-2.png');
    expect(result.hits[0].score).toBeGreaterThan(0.9999);

    const text = await cli(['search', '--image', outside, '--k', '2']);
    expect(text.stdout).toMatch(/Most like .*query\.png/);
    expect(text.stdout).toMatch(/1\s+1\.0000\s+\d+\s+.*down-2\.png/);

    const list = await cli(['embeddings']);
    expect(list.stdout).toMatch(/ID\s+RUN\s+STATUS\s+IMAGES/);
    expect(list.stdout).toContain('done');
  }, 400_000);

  it('imports an encoder with a message that reads as success, and embed without a run id takes it', async () => {
    const out = join(tmp.dir, 'weights-out');
    mkdirSync(out);
    const exported = await cli(['export', 'weights', '--out', out, '--json']);
    expect(exported.code).toBe(0);
    const weights = join((JSON.parse(exported.stdout) as { dir: string }).dir, 'encoder.safetensors');
    const imported = await cli(['import', weights, '--name', 'from file']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^Imported as run (\d+): from file\nRead a resnet18 .*: \d+ tensors loaded\./);
    expect(imported.stdout).not.toMatch(/expected|shape-mismatched/);
    const importedId = Number(/^Imported as run (\d+)/.exec(imported.stdout)![1]);
    const embedded = await cli(['embed', '--json']);
    expect(embedded.code).toBe(0);
    expect(JSON.parse(embedded.stdout) as { runId: number; status: string }).toMatchObject({ runId: importedId, status: 'done' });
  }, 300_000);

  it('lists near-duplicate groups at a threshold and refuses an unreadable query file clearly', async () => {
    const r = await cli(['duplicates', '--threshold', '0.5', '--json']);
    expect(r.code).toBe(0);
    const groups = JSON.parse(r.stdout) as { threshold: number; groups: { images: unknown[] }[] };
    expect(groups.threshold).toBe(0.5);
    expect(groups.groups.length).toBeGreaterThan(0);
    const junk = join(tmp.dir, 'junk.jpg');
    writeFileSync(junk, 'not a jpeg');
    const bad = await cli(['search', '--image', junk]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('which cannot be decoded');
    // A real image outside the library works as a query too.
    const other = join(tmp.dir, 'other.png');
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#336699' } })
      .png()
      .toFile(other);
    expect((await cli(['search', '--image', other, '--k', '1'])).code).toBe(0);
  }, 120_000);
});
