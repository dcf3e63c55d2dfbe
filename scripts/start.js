// `npm start`: builds the app when the build is missing or older than the sources, then opens
// the Electron window. Where Electron cannot start (no binary, no display), it says why and
// serves the same app to a browser through the web host instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const OUTPUTS = ['out/main/index.js', 'out/main/web.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const SOURCES = ['src-main', 'src-renderer', 'resources', 'package.json', 'electron.vite.config.ts', 'svelte.config.js'];
/** An Electron that exits this soon with an error did not start at all (e.g. missing libraries). */
const START_GRACE_MS = 10_000;

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why a build is needed, or null when out/ is complete and newer than every source. */
function buildReason() {
  const missing = OUTPUTS.filter((f) => !existsSync(join(root, f)));
  if (missing.length) return `${missing.join(', ')} missing`;
  const oldestOutput = Math.min(...OUTPUTS.map((f) => statSync(join(root, f)).mtimeMs));
  const newestSource = Math.max(...SOURCES.map((f) => newestMtime(join(root, f))));
  return newestSource > oldestOutput ? 'sources changed since the last build' : null;
}

function build() {
  const reason = buildReason();
  if (!reason) return;
  console.log(`Building MoCo Studio (${reason})...`);
  const result = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(
      `npm start: the build failed (${result.error?.message ?? `exit code ${result.status}`}); fix the errors above and run npm start again.`,
    );
    process.exit(1);
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** The Electron binary's path without downloading it, or null when it is not installed. */
function installedElectron() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

/**
 * require('electron') gives the binary's path, fetching the binary on first use. It runs in a
 * child so its download noise and failure stay out of this process; a short reason comes back.
 */
function fetchElectron() {
  console.log('Looking for the Electron binary (it is downloaded on first start)...');
  const result = spawnSync(
    process.execPath,
    ['-e', "try { process.stdout.write(require('electron')) } catch (e) { process.stderr.write('\\n' + e.message); process.exit(1) }"],
    { cwd: root, encoding: 'utf8', timeout: 10 * 60_000 },
  );
  const bin = result.status === 0 ? result.stdout.trim() : '';
  if (bin && existsSync(bin)) return { bin };
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const cause = output
    .split('\n')
    .find((line) => /^\s*\w*Error: /.test(line))
    ?.trim();
  const detail = result.error?.message ?? cause ?? output.trim().split('\n').pop() ?? `exit code ${result.status}`;
  return { reason: `its binary is not installed and could not be fetched: ${detail}` };
}

/** Node version the electron package declares for fetching and launching its binary. */
const ELECTRON_NODE = [22, 12];

function nodeCanFetchElectron() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > ELECTRON_NODE[0] || (major === ELECTRON_NODE[0] && minor >= ELECTRON_NODE[1]);
}

/** The binary to run, or the reasons Electron cannot start here. */
function findElectron() {
  const installed = installedElectron();
  const display = hasDisplay();
  if (installed && display) return { bin: installed };
  const reasons = [];
  if (!display) reasons.push('no display: DISPLAY and WAYLAND_DISPLAY are unset');
  if (!installed) {
    if (!display) reasons.push('its binary is not installed');
    else if (!nodeCanFetchElectron()) {
      // The electron package fetches its binary on first launch and declares Node >= 22.12 for it.
      reasons.push(
        `its binary is not installed, and fetching it needs Node >= ${ELECTRON_NODE.join('.')} (electron's own requirement), got ${process.versions.node}`,
      );
    } else {
      const fetched = fetchElectron();
      if (fetched.bin) return fetched;
      reasons.push(fetched.reason);
    }
  }
  return { reason: reasons.join('; and ') };
}

async function startWebHost(why) {
  console.log(`Electron could not start (${why}); starting the web host instead.`);
  // The web host reads the same command-line flags (e.g. npm start -- --port 8080).
  await import(pathToFileURL(join(root, 'out', 'main', 'web.js')).href);
}

function startElectron(bin) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const started = Date.now();
  const child = spawn(bin, [root], { cwd: root, stdio: 'inherit', env });
  // Ctrl-C reaches the window's process too; this one waits for it to close.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  const fallBack = (why) => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
    startWebHost(why).catch(fail);
  };
  child.on('error', (err) => fallBack(`${bin}: ${err.message}`));
  child.on('exit', (code, signal) => {
    if (code && Date.now() - started < START_GRACE_MS) return fallBack(`it exited at start with code ${code}`);
    process.exit(code ?? (signal ? 1 : 0));
  });
}

function fail(err) {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

build();
const electron = findElectron();
if (electron.bin) startElectron(electron.bin);
else await startWebHost(electron.reason).catch(fail);
