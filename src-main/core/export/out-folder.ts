// Where an export writes: a new folder inside the one the user names (nothing is overwritten),
// with file and folder names that stay inside it on every platform.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportResult } from '../../api/contract';
import { FolderMissingError, InvalidInputError, NotFoundError } from '../../api/errors';

/**
 * A new folder `name` (or name-2, name-3, ...) inside the folder `dir`. A destination that does not
 * exist is made only when asked (`create`, after the person confirmed); otherwise the error says
 * so in words a person reads, with a kind (FolderMissing) the UI can offer to create it from.
 */
export async function newFolderIn(where: string, dir: string, name: string, create = false): Promise<string> {
  const st = await stat(dir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' && create) {
      await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
        throw new InvalidInputError(
          `Destination: expected a folder the app can create, got ${dir} (${e.code === 'EACCES' ? 'permission denied' : e.message})`,
        );
      });
      return stat(dir);
    }
    if (err.code === 'ENOENT') throw new FolderMissingError(`Destination: expected an existing folder, got ${dir}, which does not exist`);
    throw new NotFoundError(`${where}: expected a folder to write into, got ${dir} (${err.message})`);
  });
  if (!st.isDirectory()) throw new InvalidInputError(`${where}: expected a folder to write into, got ${dir}, which is a file`);
  for (let i = 1; ; i++) {
    const path = join(dir, i === 1 ? name : `${name}-${i}`);
    try {
      await mkdir(path);
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export async function writeAll(
  dir: string,
  files: readonly { name: string; data: Buffer | string }[],
  notes: string,
): Promise<ExportResult> {
  const written: ExportResult['files'] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    await writeFile(path, f.data);
    written.push({ path, bytes: typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length });
  }
  return { dir, files: written, notes };
}

export function slug(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'export'
  );
}

/** A file or folder name that stays inside its parent on every platform. */
export function safeSegment(name: string): string {
  const s = name.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').trim();
  return s === '' || s === '.' || s === '..' ? '_' : s;
}
