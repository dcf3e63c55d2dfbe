// Recursive walk of one library folder. Follows symbolic links that stay inside the folder (a
// link that leads outside it is a problem, unless the followOutsideLinks setting allows it), never
// the same directory twice (realpaths are tracked, so a link loop ends), never into /proc, /sys or
// /dev, skips hidden entries when asked, and keeps going past what it cannot read, saying why.
import type { Dirent, Stats } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { ProblemReason } from '../../api/contract';
import { kindOfName } from './formats';

export interface WalkedFile {
  path: string;
  /** relative to the folder, '/' separators */
  relPath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkProblem {
  path: string;
  reason: ProblemReason;
  message: string;
  /** a broken link is a file the walk found (it counts in `found`); an unreadable folder is not */
  isFile: boolean;
}

export interface WalkResult {
  /** false when the folder itself is gone or cannot be read */
  rootAvailable: boolean;
  rootError: string | null;
  files: WalkedFile[];
  problems: WalkProblem[];
  /** relative paths ('/'-separated, no trailing slash) of directories that could not be listed */
  unreadableDirs: string[];
  dirCount: number;
}

export interface WalkOptions {
  skipHidden: boolean;
  /** follow links whose target is outside the folder (off: each is reported as a problem) */
  followOutsideLinks?: boolean;
  isCancelled: () => boolean;
  /** called after each directory with the number of image-like files found so far */
  onProgress?: (found: number) => void;
}

// Kernel and device trees: endless or infinite files (/proc/kcore, /dev/zero), never photos.
const SYSTEM_ROOTS = process.platform === 'win32' ? [] : ['/proc', '/sys', '/dev'];

/** Whether a resolved path lies in /proc, /sys or /dev, which the app never reads. */
export function isSystemPath(real: string): boolean {
  return SYSTEM_ROOTS.some((r) => real === r || real.startsWith(r + '/'));
}

/** Whether `child` is `parent` or lies under it (both resolved). */
export function isWithin(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

export async function walkFolder(root: string, opts: WalkOptions): Promise<WalkResult> {
  const result: WalkResult = {
    rootAvailable: true,
    rootError: null,
    files: [],
    problems: [],
    unreadableDirs: [],
    dirCount: 0,
  };
  let rootReal: string;
  try {
    rootReal = await realpath(root);
    if (isSystemPath(rootReal)) throw Object.assign(new Error('a system folder'), { code: 'ESYSTEM' });
    if (!(await stat(rootReal)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await readdir(rootReal);
  } catch (err) {
    result.rootAvailable = false;
    result.rootError = `${root}: expected a readable folder, got ${describeFsError(err)}`;
    return result;
  }
  const seen = new Set<string>([rootReal]);
  // Depth-first with an explicit stack: deep trees cannot overflow the call stack.
  const stack: string[] = [''];
  while (stack.length && !opts.isCancelled()) {
    const rel = stack.pop()!;
    const dir = rel ? join(root, rel) : root;
    result.dirCount++;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      result.unreadableDirs.push(rel);
      result.problems.push({
        path: dir,
        reason: 'unreadable',
        message: `This folder cannot be read (${describeFsError(err)}), so the images inside it were not scanned.`,
        isFile: false,
      });
      continue;
    }
    const subdirs: SubDir[] = [];
    await Promise.all(entries.map((entry) => visitEntry({ root, rootReal, opts, result }, dir, rel, entry, subdirs)));
    // Deduplicated after the stats settle, real folders before links and then by name, so which
    // path a doubly-reachable folder is indexed under never depends on which stat finished first.
    // Pushed in reverse name order so the walk (and so a resumed scan) is the same every time.
    subdirs.sort((a, b) => Number(a.isLink) - Number(b.isLink) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const fresh = subdirs.filter((d) => !seen.has(d.real) && seen.add(d.real)).map((d) => d.rel);
    stack.push(...fresh.sort().reverse());
    opts.onProgress?.(result.files.length);
  }
  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  result.files.sort(byKey((f) => f.relPath));
  result.problems.sort(byKey((p) => p.path));
  return result;
}

interface WalkContext {
  root: string;
  rootReal: string;
  opts: WalkOptions;
  result: WalkResult;
}

interface SubDir {
  rel: string;
  real: string;
  isLink: boolean;
}

/** One entry of the directory `dir`: an image file is recorded, a folder to walk goes to `subdirs`, a link that cannot be followed is a problem. */
async function visitEntry(w: WalkContext, dir: string, rel: string, entry: Dirent, subdirs: SubDir[]): Promise<void> {
  const { root, rootReal, opts, result } = w;
  if (opts.skipHidden && entry.name.startsWith('.')) return;
  const childRel = rel ? `${rel}/${entry.name}` : entry.name;
  const childPath = join(dir, entry.name);
  const isLink = entry.isSymbolicLink();
  if (!isLink && !entry.isDirectory() && !entry.isFile()) return; // sockets, FIFOs, devices
  if (!entry.isDirectory() && !isLink && !kindOfName(entry.name)) return;
  let st: Stats;
  try {
    st = await stat(childPath); // follows links
  } catch (err) {
    if (isLink && kindOfName(entry.name)) result.problems.push(await brokenLink(childPath, err));
    else if (!isLink) result.problems.push(statFailure(childPath, err, kindOfName(entry.name) !== null));
    return;
  }
  const imageName = kindOfName(entry.name) !== null;
  if (!st.isDirectory() && !(st.isFile() && imageName)) return;
  // realpath is what makes loops (a link to an ancestor) and doubly-linked trees finite, and
  // what tells where a link really leads.
  const real = isLink || st.isDirectory() ? await realpath(childPath).catch(() => null) : childPath;
  if (real === null) return;
  if (isSystemPath(real)) {
    if (isLink) result.problems.push(await refusedLink(childPath, real, 'a system folder the app never reads', !st.isDirectory()));
    return;
  }
  if (isLink && !opts.followOutsideLinks && !isWithin(real, rootReal)) {
    result.problems.push(
      await refusedLink(
        childPath,
        real,
        `outside the folder ${root}; it was not followed (turn on "Follow links outside added folders" in Settings to include it)`,
        !st.isDirectory(),
      ),
    );
    return;
  }
  if (st.isDirectory()) subdirs.push({ rel: childRel, real, isLink });
  else {
    result.files.push({ path: childPath, relPath: childRel, size: st.size, mtimeMs: st.mtimeMs });
  }
}

async function brokenLink(path: string, err: unknown): Promise<WalkProblem> {
  const target = await readlink(path).catch(() => '?');
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ELOOP' ? 'which points back to itself' : code === 'ENOENT' ? 'which does not exist' : describeFsError(err);
  return { path, reason: 'unreadable', message: `This is a link to ${target}, ${why}.`, isFile: true };
}

async function refusedLink(path: string, real: string, why: string, isFile: boolean): Promise<WalkProblem> {
  const target = await readlink(path).catch(() => real);
  const shown = target === real ? target : `${target} (${real})`;
  return { path, reason: 'outside-link', message: `This is a link to ${shown}, ${why}.`, isFile };
}

function statFailure(path: string, err: unknown, isFile: boolean): WalkProblem {
  return { path, reason: 'unreadable', message: `This cannot be read (${describeFsError(err)}).`, isFile };
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'nothing at that path';
    case 'ENOTDIR':
      return 'a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EIO':
      return 'an input/output error';
    case 'ELOOP':
      return 'a loop of symbolic links';
    case 'ESYSTEM':
      return 'a system folder (/proc, /sys or /dev), which the app never reads';
    default:
      return e.code ?? (e.message || String(err));
  }
}
