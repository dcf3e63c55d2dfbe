// Shared by the host tests: temp folders with real images, the CLI run as a process, and raw HTTP requests whose
// Host and Origin headers the test controls.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `moco-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `count` small distinct images (JPEG and PNG) into `dir`, plus one file that is not an image. */
export async function makeImageFolder(dir: string, count: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = i % 2 ? `img-${i}.png` : `img-${i}.jpg`;
    const img = sharp({
      create: {
        width: 64 + i * 8,
        height: 48 + i * 4,
        channels: 3,
        background: { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 31) % 256 },
      },
    });
    await (i % 2 ? img.png() : img.jpeg()).toFile(join(dir, name));
    names.push(name);
  }
  return names;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

/** An HTTP request to 127.0.0.1:port with exactly the given headers (Host included). */
export function rawRequest(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The CLI's TypeScript entry, run with tsx as a separate process. */
export const CLI_ENTRY = resolve('src-main/hosts/cli/main.ts');

export interface CliRun {
  code: number;
  /** the signal that ended it, if one did */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; the exit code is -1 when it was killed (by a signal or the timeout). */
export function runCli(args: string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number; uid?: number; gid?: number }): Promise<CliRun> {
  const { env, timeoutMs, ...ids } = opts;
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { env, timeout: timeoutMs, ...ids }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, signal: err?.signal ?? null, stdout, stderr }),
    );
  });
}
