// The install story stays consistent: npm reads no unknown project config (it warns on every
// command otherwise), onnxruntime-node's CUDA download stays skipped, and the Node version the
// electron package declares is the one the README and `npm start` name.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('npm configuration', () => {
  it('gives npm no project config it does not know', () => {
    const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown project config/);
  });

  it('keeps onnxruntime-node from downloading CUDA binaries, with npm 11 and with older npm', () => {
    const pkg = JSON.parse(read('package.json')) as { allowScripts: Record<string, boolean> };
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(read('.ci/run')).toMatch(/export ONNXRUNTIME_NODE_INSTALL="\$\{ONNXRUNTIME_NODE_INSTALL:-skip\}"/);
    // The switch is the one the install script reads.
    const script = join(root, 'node_modules', 'onnxruntime-node', 'script', 'install-utils.js');
    if (existsSync(script)) expect(readFileSync(script, 'utf8')).toContain('process.env.ONNXRUNTIME_NODE_INSTALL');
  });

  it('names the Node version electron declares where the app says what it needs', () => {
    const electron = JSON.parse(read('node_modules/electron/package.json')) as { engines: { node: string } };
    const [major, minor] = /(\d+)\.(\d+)/.exec(electron.engines.node)!.slice(1).map(Number);
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19');
    expect(read('README.md')).toContain(`declares Node >= ${major}.${minor} for that`);
    expect(read('scripts/start.js')).toContain(`const ELECTRON_NODE = [${major}, ${minor}];`);
  });
});
