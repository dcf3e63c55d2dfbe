// The library on the command line: index, status, problems, folders, remove, duplicates,
// purge-missing.
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Folder, Problem, ScanProgress } from '../../api/contract';
import { UsageError, type Command, type CommandContext, type OptionValues } from './command';
import { intFlag } from './search-commands';
import { describeProgress, ProgressReporter, progressModeFor } from './progress';
import { formatBytes, formatCount, otherProcess, plural, table } from './format';

const EXIT_CANCELLED = 130;

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function findFolder(folders: Folder[], path: string): Folder | undefined {
  const real = realOrSame(path);
  return folders.find((f) => f.path === path || f.path === real || realOrSame(f.path) === real);
}

async function checkFolderArg(command: string, arg: string): Promise<string> {
  const path = resolve(arg);
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `${command}: expected a folder, got ${JSON.stringify(arg)} (${err.code === 'ENOENT' ? 'no such file or folder' : err.message})`,
      command,
    );
  });
  if (!st.isDirectory()) throw new UsageError(`${command}: expected a folder, got ${JSON.stringify(arg)} (a file)`, command);
  return path;
}

function sumOf(scans: ScanProgress[], key: 'processed' | 'skipped' | 'failed' | 'missing' | 'elapsedMs'): number {
  return scans.reduce((n, s) => n + s[key], 0);
}

const index: Command = {
  name: 'index',
  args: '<folder>...',
  summary: 'add folders to the library and scan them (known folders are rescanned)',
  description: [
    'Folders not yet in the library are added; folders already in it are rescanned, which reads',
    'only files that are new or changed since the last scan. Files that cannot be read are',
    `recorded with a reason: see '${'moco-studio'} problems'. Ctrl-C cancels the scan cleanly; what`,
    'was indexed so far is kept and the next index completes it.',
  ].join('\n'),
  options: {},
  minArgs: 1,
  maxArgs: Infinity,
  async run(ctx, positionals) {
    const paths: string[] = [];
    for (const arg of positionals) {
      const path = await checkFolderArg('index', arg);
      if (!paths.includes(path)) paths.push(path);
    }
    const reporter = new ProgressReporter(ctx.io.stderr, progressModeFor(ctx.io.stderr, ctx.json));
    const off = ctx.studio.on('scan.progress', (p) => reporter.update(p));
    let cancelled = false;
    const onSigint = () => {
      if (cancelled) {
        ctx.note('\nStopped without waiting for the scan to wind down.');
        process.exit(EXIT_CANCELLED);
      }
      cancelled = true;
      reporter.end();
      ctx.note('Cancelling the scan (press Ctrl-C again to stop at once)...');
      ctx.api.cancelScan().catch((err: unknown) => ctx.note(`Could not cancel the scan: ${(err as Error).message}`));
    };
    process.on('SIGINT', onSigint);
    const scans: ScanProgress[] = [];
    const ids: number[] = [];
    try {
      // A scan the library started by itself (e.g. finishing an interrupted one) goes first.
      await ctx.studio.waitForScan();
      const known = await ctx.api.listFolders();
      for (const path of paths) {
        if (cancelled) break;
        const existing = findFolder(known, path);
        if (!ctx.json) ctx.note(`${existing ? 'Rescanning' : 'Adding'} ${path}`);
        let folder = existing;
        if (!folder) {
          try {
            folder = await ctx.api.addFolder(path);
          } catch (err) {
            // Another process added it a moment ago: scan it here too, like a known folder.
            const added = (err as { name?: string }).name === 'Conflict' ? findFolder(await ctx.api.listFolders(), path) : undefined;
            if (!added) throw err;
            folder = added;
            await ctx.api.rescan(added.id);
          }
        } else {
          await ctx.api.rescan(folder.id);
        }
        ids.push(folder.id);
        const last = await ctx.studio.waitForScan();
        reporter.end();
        if (last) {
          scans.push(last);
          if (last.phase === 'cancelled') cancelled = true;
          if (last.phase === 'failed') throw new Error(`index: the scan of ${path} failed: ${last.error ?? 'no reason given'}`);
        }
      }
    } finally {
      process.off('SIGINT', onSigint);
      off();
      reporter.end();
    }
    const folders = (await ctx.api.listFolders()).filter((f) => ids.includes(f.id));
    if (ctx.json) {
      ctx.emit({ cancelled, folders, scans });
    } else {
      const processed = sumOf(scans, 'processed');
      const skipped = sumOf(scans, 'skipped');
      const failed = sumOf(scans, 'failed');
      const missing = sumOf(scans, 'missing');
      const seconds = sumOf(scans, 'elapsedMs') / 1000;
      const images = folders.reduce((n, f) => n + f.imageCount, 0);
      const rate = seconds > 0 ? ` (${(processed / seconds).toFixed(1)} files/s)` : '';
      ctx.print(
        `${cancelled ? 'Cancelled after' : 'Indexed'} ${plural(folders.length, 'folder')} in ${seconds.toFixed(1)} s${rate}: ` +
          `${plural(images, 'image')} in the library; ${formatCount(processed - skipped - failed)} read, ` +
          `${formatCount(skipped)} unchanged, ${formatCount(failed)} failed, ${formatCount(missing)} missing.`,
      );
      if (failed > 0) ctx.print(`${plural(failed, 'file')} could not be read: run 'moco-studio problems' to see why.`);
      if (cancelled) ctx.print(`Run the same command again to finish indexing.`);
    }
    return cancelled ? EXIT_CANCELLED : 0;
  },
};

const status: Command = {
  name: 'status',
  args: '',
  summary: 'show what the library holds',
  description: '',
  options: {},
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx) {
    const s = await ctx.api.getStatus();
    if (ctx.json) {
      ctx.emit(s);
      return 0;
    }
    const elsewhere = s.elsewhere ?? [];
    const otherScans = elsewhere.filter((j) => j.job === 'scan');
    const scanLine = s.scan
      ? `${s.scan.phase}: ${describeProgress(s.scan)}`
      : otherScans.length
        ? otherScans.map((j) => `running in ${otherProcess(j.owner)}${j.progress ? `: ${describeProgress(j.progress)}` : ''}`).join('; ')
        : 'none running';
    const what = { training: 'Training: run', embedding: 'Embedding: set', probe: 'Probe:', scan: 'Scan:' } as const;
    const jobs = elsewhere.filter((j) => j.job !== 'scan').map((j) => `${what[j.job]} ${j.id} running in ${otherProcess(j.owner)}`);
    ctx.print(
      table([
        ['Version', s.appVersion],
        ['Database', s.dbPath],
        ['Folders', formatCount(s.folders)],
        ['Images', `${formatCount(s.images)}${s.missing ? ` (${formatCount(s.missing)} missing)` : ''}`],
        ['Problems', formatCount(s.problems)],
        ['Duplicates', plural(s.duplicateGroups, 'group')],
        ['Scan', scanLine],
        ['Watch', `${s.watch.mode}${s.watch.message ? ` (${s.watch.message})` : ''}`],
        ...jobs.map((j, i) => [i === 0 ? 'Elsewhere' : '', j]),
      ]),
    );
    return 0;
  },
};

async function allProblems(ctx: CommandContext): Promise<Problem[]> {
  const items: Problem[] = [];
  for (;;) {
    const page = await ctx.api.listProblems({ offset: items.length, limit: 1000 });
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

const problems: Command = {
  name: 'problems',
  args: '',
  summary: 'list files that could not be read, with the reason',
  description: 'Reasons: empty, corrupt, not-image, unsupported, unreadable, too-large, outside-link.',
  options: {},
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx) {
    const items = await allProblems(ctx);
    if (ctx.json) {
      ctx.emit(items);
      return 0;
    }
    if (items.length === 0) {
      ctx.print('No problems: every file found so far could be read.');
      return 0;
    }
    ctx.print(`${plural(items.length, 'problem')}:`);
    ctx.print(table(items.map((p) => [p.reason, p.path, p.message])));
    return 0;
  },
};

const folders: Command = {
  name: 'folders',
  args: '',
  summary: 'list the folders in the library',
  description: '',
  options: {},
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx) {
    const list = await ctx.api.listFolders();
    if (ctx.json) {
      ctx.emit(list);
      return 0;
    }
    if (list.length === 0) {
      ctx.print("No folders yet: add one with 'moco-studio index <folder>'.");
      return 0;
    }
    ctx.print(
      table([
        ['ID', 'IMAGES', 'MISSING', 'PROBLEMS', 'LAST SCAN', 'PATH'],
        ...list.map((f) => [
          String(f.id),
          formatCount(f.imageCount),
          formatCount(f.missingCount),
          formatCount(f.problemCount),
          f.lastScanAt ?? 'never',
          f.available ? f.path : `${f.path} (not available)`,
        ]),
      ]),
    );
    return 0;
  },
};

const remove: Command = {
  name: 'remove',
  args: '<folder>',
  summary: 'forget a folder and what was computed for its images (files on disk are untouched)',
  description: "The folder is named by its path or by its id from 'moco-studio folders'.",
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [arg]) {
    const list = await ctx.api.listFolders();
    const folder = /^[1-9][0-9]*$/.test(arg) ? list.find((f) => f.id === Number(arg)) : findFolder(list, resolve(arg));
    if (!folder) {
      throw new UsageError(`remove: expected a folder of the library (see 'moco-studio folders'), got ${JSON.stringify(arg)}`, 'remove');
    }
    await ctx.api.removeFolder(folder.id);
    if (ctx.json) ctx.emit({ removed: folder });
    else ctx.print(`Removed ${folder.path} from the library (${plural(folder.imageCount, 'image')}; files on disk are untouched).`);
    return 0;
  },
};

const duplicates: Command = {
  name: 'duplicates',
  args: '',
  summary: 'list groups of identical images, or of near-duplicates with --threshold',
  description: [
    'Without --threshold: files with identical content. With --threshold <x> (0.5..1): groups of images',
    "whose embeddings have cosine similarity >= x (needs embeddings: see 'moco-studio embed'), joined by",
    'copies whose perceptual hashes match (cropped a little, resized, brightened or recompressed) at any x.',
  ].join('\n'),
  options: {
    threshold: { type: 'string', value: '<x>', help: 'near-duplicates at this cosine similarity, e.g. 0.95' },
    set: { type: 'string', value: '<setId>', help: 'embedding set (default: the newest with embeddings)' },
  },
  minArgs: 0,
  maxArgs: 0,
  readOnly: true,
  async run(ctx, _positionals, values) {
    if (typeof values.threshold === 'string') return nearDuplicates(ctx, values);
    const groups = await ctx.api.listDuplicateGroups();
    if (ctx.json) {
      ctx.emit(groups);
      return 0;
    }
    if (groups.length === 0) {
      ctx.print('No duplicates.');
      return 0;
    }
    const roots = new Map((await ctx.api.listFolders()).map((f) => [f.id, f.path]));
    for (const g of groups) {
      ctx.print(`${g.hash.slice(0, 12)}  ${plural(g.images.length, 'copy', 'copies')} of ${formatBytes(g.size)}`);
      for (const img of g.images) ctx.print(`  ${join(roots.get(img.folderId) ?? `folder ${img.folderId}`, img.relPath)}`);
    }
    return 0;
  },
};

async function nearDuplicates(ctx: CommandContext, values: OptionValues): Promise<number> {
  const raw = values.threshold as string;
  const threshold = Number(raw);
  if (!/^\s*(0(\.\d+)?|1(\.0*)?)\s*$/.test(raw) || !(threshold >= 0.5 && threshold <= 1)) {
    throw new UsageError(`duplicates: --threshold: expected a number from 0.5 to 1, got ${JSON.stringify(raw)}`, 'duplicates');
  }
  const setId = intFlag('duplicates', values, 'set');
  const result = await ctx.api.findNearDuplicates({ threshold, ...(setId ? { setId } : {}) });
  if (ctx.json) {
    ctx.emit(result);
    return 0;
  }
  if (result.groups.length === 0) {
    ctx.print(`No near-duplicates at similarity >= ${threshold}.`);
    return 0;
  }
  const roots = new Map((await ctx.api.listFolders()).map((f) => [f.id, f.path]));
  ctx.print(`${plural(result.groups.length, 'group')} at similarity >= ${threshold} (set ${result.setId}):`);
  result.groups.forEach((g, i) => {
    const hash = g.byHash ? ', copies matched by perceptual hash' : '';
    ctx.print(`group ${i + 1}: ${plural(g.images.length, 'image')}, similarity ${g.minScore.toFixed(3)}–${g.maxScore.toFixed(3)}${hash}`);
    for (const img of g.images)
      ctx.print(`  ${join(roots.get(img.folderId) ?? `folder ${img.folderId}`, img.relPath)}${img.excluded ? ' (excluded)' : ''}`);
  });
  if (result.truncated) ctx.note('Note: the number of similar pairs hit the limit; raise the threshold for complete groups.');
  return 0;
}

const purgeMissing: Command = {
  name: 'purge-missing',
  args: '',
  summary: 'erase images whose files are gone, with everything computed for them',
  description: '',
  options: {},
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const result = await ctx.api.purgeMissing();
    if (ctx.json) ctx.emit(result);
    else ctx.print(`Purged ${plural(result.purged, 'missing image')}.`);
    return 0;
  },
};

export const LIBRARY_COMMANDS: readonly Command[] = [index, status, problems, folders, remove, duplicates, purgeMissing];
