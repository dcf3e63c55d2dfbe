// Starts the built web host (out/main/web.js) as a child process with its own data folder and
// reads the URL, with its token, from the line it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_ENTRY = resolve(REPO_ROOT, 'out/main/web.js');

export interface RunningHost {
  /** the URL as printed, with ?token= */
  url: string;
  origin: string;
  token: string;
  /** everything the host wrote so far, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

export async function startHost(dataDir: string, timeoutMs = 60_000): Promise<RunningHost> {
  if (!existsSync(WEB_ENTRY)) {
    throw new Error(`startHost: expected the built web host at ${WEB_ENTRY}, got nothing (run \`npm run build\` first)`);
  }
  const child: ChildProcess = spawn(process.execPath, [WEB_ENTRY, '--data-dir', dataDir, '--port', '0', '--no-demo'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOCO_DATA_DIR: dataDir },
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`startHost: expected a URL with a token within ${timeoutMs} ms, got:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*[?&]token=[^\s&#]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`startHost: expected the web host to keep running, got exit code ${code}:\n${out}`));
    });
  });

  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
