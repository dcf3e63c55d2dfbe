// `node out/main/web.js`: starts the web host and prints the one line with its URL.
// First: sizes libuv's thread pool before anything uses it.
import '../thread-pool';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { dbPathIn, defaultDataDir } from '../../core/paths';
import { APP_VERSION, appRoot, demoFolderIn } from '../app-info';
import { startWebHost } from './server';

const HELP = `Usage: node out/main/web.js [options]

Serves MoCo Studio to a browser on this machine (http://127.0.0.1 only). Prints the URL to
open, with a token that changes at every launch; requests without it are refused.

Options:
  --data-dir <dir>  where the library and thumbnail cache live
                    (default: MOCO_DATA_DIR, else ${defaultDataDir()})
  --db <file>       the library database (default: library.db in the data folder)
  --port <n>        port to listen on; 0 picks any free port (default: 0)
  --no-demo         do not add the demo library on first start
  --open            open the URL in the default browser (xdg-open, open or start)
  --help            show this help
  --version         show the version
`;

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        db: { type: 'string' },
        port: { type: 'string' },
        'no-demo': { type: 'boolean' },
        open: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  let port = 0;
  if (v.port !== undefined) {
    if (!/^\d{1,5}$/.test(v.port) || Number(v.port) > 65535) {
      throw new UsageError(`--port: expected a number 0..65535, got ${JSON.stringify(v.port)}`);
    }
    port = Number(v.port);
  }
  for (const flag of ['data-dir', 'db'] as const) {
    if (v[flag] !== undefined && v[flag] === '') throw new UsageError(`--${flag}: expected a path, got an empty string`);
  }
  return { ...v, port };
}

function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  const failed = (why: string) => console.error(`Could not open a browser (${cmd}: ${why}); open the URL above yourself.`);
  child.on('error', (err) => failed(err.message));
  child.on('exit', (code) => {
    if (code) failed(`exit code ${code}`);
  });
  child.unref();
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`web host: ${err.message}\nRun with --help for the options.`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (opts.version) {
    console.log(APP_VERSION);
    return 0;
  }
  const dataDir = opts['data-dir'] ?? defaultDataDir();
  const host = await startWebHost({
    dataDir,
    dbPath: opts.db ?? dbPathIn(dataDir),
    port: opts.port,
    demoFolder: opts['no-demo'] ? null : demoFolderIn(appRoot()),
  });
  console.log(`MoCo Studio web host: ${host.url}`);
  if (opts.open) openInBrowser(host.url);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`web host: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('web host: could not close cleanly:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1; // keeps running until a signal
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
