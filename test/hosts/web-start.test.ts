import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { rawRequest, tempDir } from './helpers';

const ENTRY = resolve('src-main/hosts/web/start.ts');
const tmp = tempDir('web-start');
afterAll(() => tmp.cleanup());

describe('web host launcher', () => {
  it('prints exactly one line with its URL, serves, and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--data-dir', join(tmp.dir, 'data'), '--no-demo', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const lines: string[] = [];
    const first = await new Promise<string>((resolveLine, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        if (lines.length === 1) resolveLine(line);
      });
      child.on('exit', (code) => reject(new Error(`web host exited with ${code} before printing its URL: ${stderr}`)));
    });
    const m = /^MoCo Studio web host: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(first);
    expect(m, first).not.toBeNull();
    const [, port, token] = m!;

    const res = await rawRequest(Number(port), '/api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ method: 'getStatus', args: [] }),
    });
    expect(res.json()).toMatchObject({ ok: true, result: { host: 'web', folders: 0, dataDir: join(tmp.dir, 'data') } });

    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(lines).toHaveLength(1);
    expect(stderr).toBe('');
  });

  it('exits 2 on a bad flag, with a message and no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--port', '70000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--port: expected a number 0\.\.65535, got "70000"/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
