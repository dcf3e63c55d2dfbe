// What may be added as a library folder: an existing, readable directory that is neither in
// the library already nor inside or around a folder that is (its images would be counted twice),
// nor in /proc, /sys or /dev. The folder is stored by its real path: a link to it is resolved,
// so the library names where the photos are, not the way someone came to them.
import { readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConflictError, InvalidInputError, NotFoundError } from '../../api/errors';
import { describeFsError, isSystemPath } from './walk';

/** Resolves the path a person typed ("~/Pictures", "./photos") to its real path and checks it may be added. */
export async function checkNewFolder(input: string, existing: readonly string[]): Promise<string> {
  const where = 'addFolder';
  if (typeof input !== 'string' || !input.trim()) {
    throw new InvalidInputError(`${where}: expected a folder path, got ${JSON.stringify(input)}`);
  }
  const trimmed = input.trim();
  const expanded = trimmed === '~' || trimmed.startsWith('~/') ? homedir() + trimmed.slice(1) : trimmed;
  const path = resolve(expanded);
  try {
    const st = await stat(path);
    if (!st.isDirectory()) throw new InvalidInputError(`${where}: expected a folder, got a file at ${path}`);
    await readdir(path);
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`${where}: expected an existing folder, got nothing at ${path}`);
    if (code === 'ENOTDIR') throw new InvalidInputError(`${where}: expected a folder, got a path through a file: ${path}`);
    throw new InvalidInputError(`${where}: expected a readable folder, got ${describeFsError(err)} at ${path}`);
  }
  const real = await realpath(path);
  const shown = real === path ? path : `${path} (${real})`;
  if (isSystemPath(real)) {
    throw new InvalidInputError(`${where}: expected a folder of photos, got a system folder the app never reads: ${shown}`);
  }
  for (const other of existing) {
    const otherReal = await realpath(other).catch(() => resolve(other));
    if (real === otherReal || path === other) {
      throw new ConflictError(
        `${where}: expected a folder not yet in the library, got ${path}, which is already added${other !== path ? ` as ${other}` : ''}`,
      );
    }
    if (isInside(real, otherReal)) {
      throw new ConflictError(`${where}: expected a folder outside the library's folders, got ${path}, which is inside ${other}`);
    }
    if (isInside(otherReal, real)) {
      throw new ConflictError(
        `${where}: expected a folder that does not contain a library folder, got ${path}, which contains ${other}; remove ${other} first`,
      );
    }
  }
  return real;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
