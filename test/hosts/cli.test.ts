import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder, tempDir, runCli, type CliRun } from './helpers';

/** Runs the CLI from its TypeScript entry, as a separate process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { env: { ...process.env, MOCO_DATA_DIR: join(tmp.dir, 'default-data'), ...env }, timeoutMs: 60_000 });
}

let tmp: ReturnType<typeof tempDir>;
let photos: string;
let db: string;

beforeAll(async () => {
  tmp = tempDir('cli');
  photos = join(tmp.dir, 'my photos');
  await makeImageFolder(photos, 3);
  copyFileSync(join(photos, 'img-0.jpg'), join(photos, 'copy of img-0.jpg'));
  writeFileSync(join(photos, 'empty.png'), Buffer.alloc(0));
  writeFileSync(join(photos, 'notes.jpg'), 'this is text, not a picture\n'.repeat(20));
  db = join(tmp.dir, 'lib', 'library.db');
});

afterAll(() => tmp?.cleanup());

describe('moco-studio CLI', () => {
  it('documents every command and flag in --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: moco-studio <command> [options]');
    for (const word of [
      'index <folder>...',
      'status',
      'problems',
      'folders',
      'remove <folder>',
      'duplicates',
      'purge-missing',
      '--db <file>',
      '--json',
      '--help',
      '--version',
    ]) {
      expect(r.stdout).toContain(word);
    }
    const idx = await cli(['index', '--help']);
    expect(idx.code).toBe(0);
    expect(idx.stdout).toContain('Usage: moco-studio index <folder>... [options]');
    expect(idx.stdout).toMatch(/--db <file>\s+the library database/);
    expect(idx.stdout).toMatch(/--json\s+machine-readable/);
  });

  it('prints its version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^moco-studio \d+\.\d+\.\d+/);
  });

  it('exits 2 with a clear message and no stack trace on wrong arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['status', '--bogus', '--db', db], /Unknown option '--bogus'/],
      [[], /expected a command \(index, status, problems/],
      [['frobnicate'], /expected a command .* got "frobnicate"/],
      [['index', '--db', db], /index: expected <folder>\.\.\., got none/],
      [['index', join(tmp.dir, 'nope'), '--db', db], /index: expected a folder, got ".*nope" \(no such file or folder\)/],
      [['status', 'extra', '--db', db], /status: expected no arguments, got extra "extra"/],
      [['status', '--db'], /--db/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/--help' for usage/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('indexes a folder, then reports status and problems as JSON', async () => {
    const r = await cli(['index', photos, '--db', db]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Indexed 1 folder in [\d.]+ s.*: 4 images in the library; 4 read, 0 unchanged, 2 failed, 0 missing\./m);
    expect(r.stdout).toContain("2 files could not be read: run 'moco-studio problems' to see why.");
    // not a terminal: plain progress lines, no carriage returns
    expect(r.stderr).toContain(`Adding ${photos}`);
    expect(r.stderr).toMatch(/^Scanning: /m);
    expect(r.stderr).not.toContain('\r');

    const status = await cli(['status', '--json', '--db', db]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ host: 'cli', dbPath: db, folders: 1, images: 4, problems: 2, duplicateGroups: 1 });

    const problems = await cli(['problems', '--json', '--db', db]);
    expect(problems.code).toBe(0);
    const list = JSON.parse(problems.stdout) as { path: string; reason: string; message: string }[];
    expect(list.map((p) => p.path).sort()).toEqual([join(photos, 'empty.png'), join(photos, 'notes.jpg')]);
    expect(list.find((p) => p.path.endsWith('empty.png'))?.reason).toBe('empty');
    expect(list.find((p) => p.path.endsWith('notes.jpg'))?.reason).toBe('not-image');
    for (const p of list) expect(p.message.length).toBeGreaterThan(5);

    const text = await cli(['problems', '--db', db]);
    expect(text.stdout).toMatch(/^2 problems:/);
    expect(text.stdout).toMatch(/empty\s+.*empty\.png/);
  });

  it('rescans a known folder incrementally, with JSON progress on stderr', async () => {
    const r = await cli(['index', photos, '--json', '--db', db]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cancelled).toBe(false);
    expect(out.folders).toHaveLength(1);
    expect(out.scans[0]).toMatchObject({ phase: 'done', skipped: 4, failed: 2, processed: 6 }); // the 2 problems are not read again, and still count as failed
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.event === 'scan.progress')).toBe(true);
    expect(lines.at(-1).phase).toBe('done');
  });

  it('lists folders and duplicates, removes a folder by path', async () => {
    const folders = JSON.parse((await cli(['folders', '--json', '--db', db])).stdout);
    expect(folders).toHaveLength(1);
    expect(folders[0].path).toBe(photos);

    const dups = JSON.parse((await cli(['duplicates', '--json', '--db', db])).stdout);
    expect(dups).toHaveLength(1);
    expect(dups[0].images.map((i: { name: string }) => i.name).sort()).toEqual(['copy of img-0.jpg', 'img-0.jpg']);

    const unknown = await cli(['remove', join(tmp.dir, 'elsewhere'), '--db', db]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/remove: expected a folder of the library/);

    const removed = await cli(['remove', photos, '--db', db]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed ${photos} from the library`);
    const after = JSON.parse((await cli(['status', '--json', '--db', db])).stdout);
    expect(after).toMatchObject({ folders: 0, images: 0 });
  });

  it('defaults the database to the app data folder', async () => {
    const r = await cli(['status', '--json'], { MOCO_DATA_DIR: join(tmp.dir, 'appdata') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).dbPath).toBe(join(tmp.dir, 'appdata', 'library.db'));
  });
});
