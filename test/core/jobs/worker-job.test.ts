// WorkerJob turns every way a worker ends into exactly one end.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { reportedEnd, WorkerJob } from '../../../src-main/core/jobs/worker-job';

const dir = mkdtempSync(join(tmpdir(), 'worker-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Out = { type: 'progress'; n: number } | { type: 'end'; status: 'done' | 'cancelled'; error?: string };

/** A worker from `body`, which sees parentPort and workerData. */
function job(name: string, body: string, label?: string) {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import { parentPort, workerData } from 'node:worker_threads';\n${body}\n`);
  const seen: Out[] = [];
  const j = new WorkerJob<{ n: number }, { type: 'stop' | 'ignore' }, Out, 'done' | 'cancelled'>(
    name,
    pathToFileURL(file),
    { n: 3 },
    (m) => seen.push(m),
    undefined,
    label,
  );
  return { j, seen };
}

describe('WorkerJob', () => {
  it('relays messages and ends with the final report', async () => {
    const { j, seen } = job(
      'reports',
      `for (let i = 0; i < workerData.n; i++) parentPort.postMessage({ type: 'progress', n: i });
       parentPort.postMessage({ type: 'end', status: 'done' });`,
    );
    expect(await j.done).toEqual({ status: 'done' });
    expect(seen.map((m) => m.type)).toEqual(['progress', 'progress', 'progress', 'end']);
    expect(j.running).toBe(false);
  });

  it('lets a worker finish its own cleanup after its final report before the thread goes', async () => {
    const marker = join(dir, 'cleaned-up');
    const { j } = job(
      'cleans-up',
      `import { writeFileSync } from 'node:fs';
       parentPort.postMessage({ type: 'end', status: 'done' });
       await new Promise((r) => setTimeout(r, 300));
       writeFileSync(${JSON.stringify(marker)}, 'done');
       parentPort.close();`,
    );
    expect(await j.done).toEqual({ status: 'done' });
    await j.exited;
    expect(existsSync(marker)).toBe(true);
  });

  it('a worker that exits without a report ends failed, named by its label', async () => {
    const { j } = job('quits', 'process.exit(3);', 'test worker');
    expect(await j.done).toEqual({ status: 'failed', error: 'test worker: expected a final report, got an exit with code 3' });
  });

  it('a worker that throws ends failed with its error', async () => {
    const { j } = job('throws', "throw new Error('boom');");
    const end = await j.done;
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/^throws: .*boom/);
  });

  it('stopWithin asks first, and stops a worker that does not listen after the grace', async () => {
    const polite = job(
      'polite',
      `parentPort.on('message', (m) => { if (m.type === 'stop') parentPort.postMessage({ type: 'end', status: 'cancelled' }); });`,
    );
    expect(await polite.j.stopWithin({ type: 'stop' }, 10_000)).toEqual({ status: 'cancelled' });
    const deaf = job('deaf', 'setInterval(() => undefined, 1000);');
    const end = await deaf.j.stopWithin({ type: 'stop' }, 50);
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/^deaf: expected a final report/);
  });

  it('reportedEnd reads the end message only', () => {
    expect(reportedEnd({ type: 'progress' })).toBeNull();
    expect(reportedEnd({ type: 'end', status: 'done', error: 'x' } as { type: string })).toEqual({ status: 'done', error: 'x' });
  });
});
