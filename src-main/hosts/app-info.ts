// Where the app's own files are, found the same way from the built bundle (out/main/*.js)
// and from the TypeScript sources run directly (tsx).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { version } from '../../package.json';

export const APP_NAME = 'MoCo Studio';
export const APP_VERSION: string = version;

let root: string | null = null;

/** The folder holding the app's package.json. */
export function appRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'moco-studio') {
      return (root = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`app-info: expected package.json of moco-studio above ${fileURLToPath(import.meta.url)}, got none`);
    dir = up;
  }
}

/** The built renderer (index.html + assets). */
export function rendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}

/** The demo library shipped in resources/, or null when this install has none. */
export function demoFolderIn(base: string): string | null {
  const dir = join(base, 'resources', 'demo');
  return existsSync(dir) ? dir : null;
}
