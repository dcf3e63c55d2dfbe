// The library on the command line: index, status, problems, folders, remove, duplicates,
// purge-missing.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Problem, ScanProgress } from '../../api/contract';
import { EXIT_CANCELLED, listCommand, UsageError, type Command, type CommandContext } from './command';
import { CtrlC } from './ctrl-c';
import { DUPLICATES_COMMAND } from './duplicates-command';
import { describeProgress, ProgressReporter, progressModeFor } from './progress';
import { formatCount, otherProcess, plural, table } from './format';

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
    const ctrlC = new CtrlC(ctx, {
      asking: 'Cancelling the scan (press Ctrl-C again to stop at once)...',
      ask: () => ctx.api.cancelScan(),
      askFailed: 'Could not cancel the scan',
      stopped: '\nStopped without waiting for the scan to wind down.',
      exitCode: EXIT_CANCELLED,
      before: () => reporter.end(),
    });
    const scans: ScanProgress[] = [];
    const ids: number[] = [];
    try {
      // A scan the library started by itself (e.g. finishing an interrupted one) goes first.
      await ctx.studio.waitForScan();
      for (const path of paths) {
        if (ctrlC.stopping) break;
        if (!ctx.json) ctx.note(`${(await ctx.studio.findFolder(path)) ? 'Rescanning' : 'Adding'} ${path}`);
        const { folder } = await ctx.studio.addOrRescan(path);
        ids.push(folder.id);
        const last = await ctx.studio.waitForScan();
        reporter.end();
        if (last) {
          scans.push(last);
          if (last.phase === 'cancelled') ctrlC.stopping = true;
          if (last.phase === 'failed') throw new Error(`index: the scan of ${path} failed: ${last.error ?? 'no reason given'}`);
        }
      }
    } finally {
      ctrlC.off();
      off();
      reporter.end();
    }
    const cancelled = ctrlC.stopping;
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

const status = listCommand({
  name: 'status',
  summary: 'show what the library holds',
  load: (ctx) => ctx.api.getStatus(),
  show(ctx, s) {
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
  },
});

async function allProblems(ctx: CommandContext): Promise<Problem[]> {
  const items: Problem[] = [];
  for (;;) {
    const page = await ctx.api.listProblems({ offset: items.length, limit: 1000 });
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

const problems = listCommand({
  name: 'problems',
  summary: 'list files that could not be read, with the reason',
  description: 'Reasons: empty, corrupt, not-image, unsupported, unreadable, too-large, outside-link.',
  load: allProblems,
  empty: (items) => items.length === 0,
  none: 'No problems: every file found so far could be read.',
  show(ctx, items) {
    ctx.print(`${plural(items.length, 'problem')}:`);
    ctx.print(table(items.map((p) => [p.reason, p.path, p.message])));
  },
});

const folders = listCommand({
  name: 'folders',
  summary: 'list the folders in the library',
  load: (ctx) => ctx.api.listFolders(),
  empty: (list) => list.length === 0,
  none: "No folders yet: add one with 'moco-studio index <folder>'.",
  show(ctx, list) {
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
  },
});

const remove: Command = {
  name: 'remove',
  args: '<folder>',
  summary: 'forget a folder and what was computed for its images (files on disk are untouched)',
  description: "The folder is named by its path or by its id from 'moco-studio folders'.",
  options: {},
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, [arg]) {
    const folder = /^[1-9][0-9]*$/.test(arg)
      ? (await ctx.api.listFolders()).find((f) => f.id === Number(arg))
      : await ctx.studio.findFolder(resolve(arg));
    if (!folder) {
      throw new UsageError(`remove: expected a folder of the library (see 'moco-studio folders'), got ${JSON.stringify(arg)}`, 'remove');
    }
    await ctx.api.removeFolder(folder.id);
    if (ctx.json) ctx.emit({ removed: folder });
    else ctx.print(`Removed ${folder.path} from the library (${plural(folder.imageCount, 'image')}; files on disk are untouched).`);
    return 0;
  },
};

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

export const LIBRARY_COMMANDS: readonly Command[] = [index, status, problems, folders, remove, DUPLICATES_COMMAND, purgeMissing];
