// One library, several processes: a training run and a scan in one process are seen as running
// in another process by the commands of a second one, which cannot take the run over; once the
// first process is killed, its run reads interrupted and can be resumed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, runCli, type CliRun } from './helpers';
import { writeDistinctJpegs } from '../core/fixtures';
import { makePatternLibrary, tempDir } from '../core/moco/train/fixtures';

const TINY = ['--width', '0.125', '--input-size', '16', '--batch-size', '8', '--K', '32', '--knn-every', '0'];
const ENV = { ...process.env, MOCO_BACKEND: 'wasm' };

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { env: ENV, timeoutMs: 120_000 });
}

/** Starts a long command; resolves once a line of its output passes `ready`. */
function startLong(args: string[], ready: (line: string) => boolean): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const readyLine = new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      const hit = lines.find(ready);
      if (hit) done(hit);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => fail(new Error(`${args[0]} ended (${code ?? signal}) before it was ready`)));
  });
  return { child, ready: readyLine };
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

let tmp: ReturnType<typeof tempDir>;
let db: string;
let big: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  tmp = tempDir('cli-jobs');
  const photos = join(tmp.dir, 'photos');
  await makePatternLibrary(photos, 8);
  big = join(tmp.dir, 'big');
  await writeDistinctJpegs(big, 1500);
  db = join(tmp.dir, 'lib', 'library.db');
  const indexed = await cli(['index', photos, '--db', db]);
  expect(indexed.code, indexed.stderr).toBe(0);
});

afterAll(async () => {
  for (const c of children) await kill9(c);
  tmp?.cleanup();
});

describe('jobs of another process', () => {
  it('a live training run stays running for other processes, cannot be resumed by them, and is interrupted once its process is killed', async () => {
    const trainer = startLong(['train', '--db', db, ...TINY, '--epochs', '5000', '--json'], (l) => l.includes('"phase":"training"'));
    children.push(trainer.child);
    const runId = (JSON.parse(await trainer.ready) as { runId: number }).runId;
    const pid = trainer.child.pid!;

    // Another process lists the runs: the run is still running, in the trainer's process.
    const listed = await cli(['runs', '--db', db, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const run = (JSON.parse(listed.stdout) as { id: number; status: string; owner?: { pid: number; kind: string } }[]).find(
      (r) => r.id === runId,
    )!;
    expect(run.status).toBe('running');
    expect(run.owner).toMatchObject({ pid, kind: 'cli' });
    const table = await cli(['runs', '--db', db]);
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+running in another process \\(pid ${pid}, cli\\)`));
    const status = await cli(['status', '--db', db]);
    expect(status.stdout).toContain(`Training: run ${runId} running in another process (pid ${pid}, cli)`);

    // ... and cannot take it over, embed with it or probe it.
    const resumed = await cli(['train', '--db', db, '--resume', String(runId)]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(
      `resumeTraining: expected a run no process is training, got run ${runId} running in process ${pid} (command line)`,
    );
    const embedded = await cli(['embed', String(runId), '--db', db]);
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toContain(`got run ${runId} running in process ${pid} (command line)`);

    // The trainer was not disturbed by any of it.
    expect(trainer.child.exitCode).toBe(null);
    const again = JSON.parse((await cli(['runs', '--db', db, '--json'])).stdout) as { id: number; status: string }[];
    expect(again.find((r) => r.id === runId)!.status).toBe('running');

    await kill9(trainer.child);
    const after = JSON.parse((await cli(['runs', '--db', db, '--json'])).stdout) as { id: number; status: string; owner?: unknown }[];
    expect(after.find((r) => r.id === runId)).toMatchObject({ status: 'interrupted' });
    expect(after.find((r) => r.id === runId)!.owner).toBeUndefined();
  }, 300_000);

  it('three index commands on the same folders at once all finish, each folder indexed once', async () => {
    const folders = ['x', 'y', 'z'].map((n) => join(tmp.dir, 'same', n));
    for (const f of folders) await writeDistinctJpegs(f, 60, 320, 240);
    const shared = join(tmp.dir, 'same', 'library.db');
    const runs = await Promise.all([0, 1, 2].map(() => cli(['index', ...folders, '--db', shared])));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/moco-studio: /);
      expect(r.code).toBe(0);
    }
    const listed = JSON.parse((await cli(['folders', '--db', shared, '--json'])).stdout) as { path: string; imageCount: number }[];
    expect(listed.map((f) => [f.path, f.imageCount])).toEqual(folders.map((f) => [f, 60]));
  }, 300_000);

  it('status shows a scan that runs in another process', async () => {
    const scanner = startLong(['index', big, '--db', db], (l) => /Scanning: \d+\/\d+/.test(l));
    children.push(scanner.child);
    await scanner.ready;
    const pid = scanner.child.pid!;
    const status = await cli(['status', '--db', db]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`Scan\\s+running in another process \\(pid ${pid}, cli\\)`));
    const json = JSON.parse((await cli(['status', '--db', db, '--json'])).stdout) as {
      scan: unknown;
      elsewhere: { job: string; owner: { pid: number } }[];
    };
    expect(json.scan).toBe(null);
    expect(json.elsewhere).toContainEqual(expect.objectContaining({ job: 'scan', owner: expect.objectContaining({ pid }) }));

    await kill9(scanner.child);
    const later = await cli(['status', '--db', db]);
    expect(later.stdout).toMatch(/Scan\s+none running/);
  }, 300_000);
});
