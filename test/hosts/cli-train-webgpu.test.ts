// `moco-studio train` on the webgpu engine (SwiftShader here: correctness, not speed): a run is
// stored as a webgpu run naming its adapter, paused with Ctrl-C at a checkpoint and resumed to
// the end in a second process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, runCli, type CliRun } from './helpers';
import { swiftShaderEnv } from '../helpers/swiftshader';
import { makePatternLibrary, tempDir } from '../core/moco/train/fixtures';

const TINY = ['--width', '0.0625', '--input-size', '16', '--batch-size', '8', '--K', '16', '--knn-every', '0', '--epochs', '2'];

let tmp: ReturnType<typeof tempDir>;
let db: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { env, timeoutMs: 400_000 });
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  tmp = tempDir('cli-webgpu');
  env = { ...process.env, ...swiftShaderEnv(), MOCO_DATA_DIR: join(tmp.dir, 'data'), MOCO_BACKEND: 'webgpu' };
  const photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8); // 24 images: 3 steps of 8 per epoch
  db = join(tmp.dir, 'lib', 'library.db');
  expect((await cli(['index', photos, '--db', db])).code).toBe(0);
}, 120_000);

afterAll(() => tmp?.cleanup());

describe('moco-studio train with MOCO_BACKEND=webgpu', () => {
  it('names the adapter, pauses at a checkpoint on Ctrl-C and resumes to the end', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'train', '--db', db, ...TINY], { env });
    let stderr = '';
    const code = await new Promise<number | null>((done) => {
      let interrupted = false;
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Ctrl-C as soon as the run has started: the trainer pauses after its first step, whatever
        // the machine's speed (waiting for a progress line could see all 6 steps done first).
        if (!interrupted && /^Training run \d+: /m.test(stderr)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => done(c));
    });
    expect(stderr).toMatch(/^Engine: webgpu, WebGPU: google swiftshader \(SwiftShader driver [\d.]+\), software$/m);
    expect(stderr).toContain('not used: tensorflow-gpu: not tried: MOCO_BACKEND asks for webgpu');
    expect(code).toBe(130);
    const runId = Number(/Resume with: \S+ train --resume (\d+)/.exec(stderr)?.[1]);
    expect(runId).toBeGreaterThan(0);

    const paused = (
      JSON.parse((await cli(['runs', '--db', db, '--json'])).stdout) as { id: number; status: string; step: number; backend: string }[]
    ).find((r) => r.id === runId)!;
    expect(paused.status).toBe('paused');
    expect(paused.step).toBeGreaterThan(0);
    expect(paused.backend).toMatch(/^webgpu \(WebGPU: google swiftshader/);

    const resumed = await cli(['train', '--db', db, '--resume', String(runId), '--json']);
    expect(resumed.code, `signal ${resumed.signal}; ${resumed.stderr.slice(-3000)}`).toBe(0);
    const lines = jsonLines(resumed.stdout);
    const first = lines.find((l) => l.event === 'train.progress' && l.phase === 'training' && typeof l.loss === 'number')!;
    expect(first.step as number).toBeGreaterThan(paused.step); // from the checkpoint, not from scratch
    expect(lines.at(-1)).toMatchObject({ event: 'run', id: runId, status: 'done', step: 6, totalSteps: 6 });
    const table = await cli(['runs', '--db', db]);
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+done\\s+6/6.*webgpu \\(WebGPU: google swiftshader`));
  }, 600_000);
});
