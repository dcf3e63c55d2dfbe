// `moco-studio train` and `runs` as separate processes: help, wrong flags, a tiny run with
// --json lines, and a run killed with SIGKILL mid-training that is then found interrupted
// and resumed to the end.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, runCli, type CliRun } from './helpers';
import { makePatternLibrary, tempDir } from '../core/moco/train/fixtures';

const TINY = ['--width', '0.125', '--input-size', '16', '--batch-size', '8', '--K', '32', '--knn-every', '0'];

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, {
    env: { ...process.env, MOCO_DATA_DIR: join(tmp.dir, 'default-data'), MOCO_BACKEND: 'wasm' },
    timeoutMs: 240_000,
  });
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let tmp: ReturnType<typeof tempDir>;
let db: string;

beforeAll(async () => {
  tmp = tempDir('cli');
  const photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8);
  db = join(tmp.dir, 'lib', 'library.db');
  const indexed = await cli(['index', photos, '--db', db]);
  expect(indexed.code).toBe(0);
});

afterAll(() => tmp?.cleanup());

describe('moco-studio train', () => {
  it('documents every flag in --help and lists train and runs in the program help', async () => {
    const r = await cli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--preset <id>',
      '--arch',
      '--epochs',
      '--batch-size',
      '--K',
      '--m',
      '--T',
      '--lr',
      '--input-size',
      '--width',
      '--stem',
      '--mlp-head',
      '--aug',
      '--seed',
      '--resume <runId>',
      '--db <file>',
      '--json',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('cpu-quick');
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/train\s+pretrain a MoCo encoder/);
    expect(top.stdout).toMatch(/runs\s+list training runs/);
  });

  it('refuses wrong flags with exit code 2 and a clear message', async () => {
    const bad = await cli(['train', '--db', db, '--epochs', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('train: --epochs: expected an integer, got "many"');
    const unknown = await cli(['train', '--db', db, '--depth', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--depth'");
    const arch = await cli(['train', '--db', db, '--arch', 'vgg']);
    expect(arch.code).toBe(2);
    expect(arch.stderr).toContain('train: --arch: expected resnet18 | resnet34 | resnet50, got "vgg"');
    const k = await cli(['train', '--db', db, ...TINY, '--K', '12']);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('expected queue size K a multiple of the batch size 8, got K = 12');
  });

  it('trains a tiny config with --json lines and exits 0', async () => {
    const r = await cli(['train', '--db', db, ...TINY, '--epochs', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const progress = lines.filter((l) => l.event === 'train.progress');
    expect(progress.some((l) => l.phase === 'training' && typeof l.loss === 'number')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', step: 6, totalSteps: 6 });
    expect(lines.at(-1)).toMatchObject({ event: 'run', status: 'done', step: 6 });

    const runs = await cli(['runs', '--db', db]);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/1\s+done\s+6\/6/);
  });

  it('trains for a time budget: --minutes fits the step count, the run ends done with a checkpoint at the budget', async () => {
    const t0 = Date.now();
    const r = await cli(['train', '--db', db, ...TINY, '--epochs', '5000', '--schedule', 'cosine', '--minutes', '0.4', '--json']);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const last = lines.at(-1) as { status: string; step: number; totalSteps: number; id: number; config: { lr: number } };
    expect(last).toMatchObject({ event: 'run', status: 'done' });
    // 5000 epochs of one step would be 5000 steps; a budget of 24 s allows far fewer.
    expect(last.step).toBeGreaterThan(1);
    expect(last.step).toBeLessThan(5000);
    expect(last.totalSteps).toBe(last.step);
    const progress = lines.filter((l) => l.event === 'train.progress');
    expect(progress.at(-1)).toMatchObject({ phase: 'done', step: last.step, totalSteps: last.step });
    // The cosine spans the fitted steps, not the 5000 epochs: by the end the lr has come well down.
    expect(progress.at(-1)!.lr as number).toBeLessThan(0.75 * last.config.lr);
    const runDir = join(dirname(db), 'runs', String(last.id));
    expect(readdirSync(runDir)).toContain(`ckpt-${last.step}.bin`);
    // Start-up (engine, cache) comes on top of the 24 s of training; a loaded machine adds more.
    expect(seconds).toBeLessThan(24 + 90);
    const bad = await cli(['train', '--db', db, ...TINY, '--minutes', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('train: --minutes: expected a number, got "soon"');
  });

  it('a training process killed with SIGKILL leaves an interrupted run that resumes', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI_ENTRY, 'train', '--db', db, ...TINY, '--epochs', '60', '--checkpoint-minutes', '0.1', '--json'],
      {
        env: { ...process.env, MOCO_BACKEND: 'wasm' },
      },
    );
    let runId = 0;
    // Killed mid-run, just after its first periodic checkpoint (0.1 min in) appears.
    await new Promise<void>((done, fail) => {
      let buf = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) runId = (JSON.parse(l) as { runId: number }).runId;
      });
      const poll = setInterval(() => {
        const dir = join(dirname(db), 'runs', String(runId));
        if (runId && existsSync(dir) && readdirSync(dir).some((f) => /^ckpt-\d+\.bin$/.test(f))) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGKILL'), 300);
        }
      }, 50);
      child.on('exit', (code) => {
        clearInterval(poll);
        if (code === null) done();
        else fail(new Error(`train exited with ${code} before it was killed`));
      });
    });

    const listed = await cli(['runs', '--db', db, '--json']);
    const run = (JSON.parse(listed.stdout) as { id: number; status: string; step: number; totalSteps: number }[]).find(
      (r) => r.id === runId,
    )!;
    expect(run.status).toBe('interrupted');
    expect(run.step).toBeGreaterThan(0);
    expect(run.step).toBeLessThan(run.totalSteps);

    const resumed = await cli(['train', '--db', db, '--resume', String(runId), '--json']);
    expect(resumed.code).toBe(0);
    const lines = jsonLines(resumed.stdout);
    const firstTraining = lines.find((l) => l.event === 'train.progress' && l.phase === 'training' && typeof l.loss === 'number')!;
    expect(firstTraining.step as number).toBeGreaterThan(1); // continued from the checkpoint, not from scratch
    expect(lines.at(-1)).toMatchObject({ event: 'run', id: runId, status: 'done', step: 180 });
  }, 400_000);
});
