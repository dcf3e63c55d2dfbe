// The CLI: finds the command, parses its flags, opens the library, runs, closes. Exit codes:
// 0 done, 1 failed, 2 wrong arguments, 130 cancelled with Ctrl-C.
import { dirname, resolve } from 'node:path';
import { AppError } from '../../api/errors';
import { dbPathIn, defaultDataDir } from '../../core/paths';
import { createStudio } from '../../core/studio';
import type { Studio } from '../../core/studio-types';
import { APP_VERSION } from '../app-info';
import { checkedApi, createDispatch } from '../dispatch';
import {
  GLOBAL_OPTIONS,
  PROGRAM,
  UsageError,
  commandHelp,
  parseCommandArgs,
  programHelp,
  type CommandContext,
  type Output,
} from './command';
import { COMMANDS, findCommand } from './commands';

/** Flags before the command that take a value, so their value is not taken for the command. */
const VALUE_FLAGS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]),
);

function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!a.startsWith('-') || a === '-') return i;
    if (VALUE_FLAGS.has(a)) i++;
  }
  return -1;
}

export async function runCli(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let studio: Studio | null = null;
  let commandName: string | undefined;
  try {
    const at = commandIndex(argv);
    if (at < 0) {
      if (argv.includes('--version') || argv.includes('-v')) {
        io.stdout.write(`${PROGRAM} ${APP_VERSION}\n`);
        return 0;
      }
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout.write(programHelp(COMMANDS));
        return 0;
      }
      throw new UsageError(`expected a command (${COMMANDS.map((c) => c.name).join(', ')}), got ${argv.length ? argv.join(' ') : 'none'}`);
    }
    const cmd = findCommand(argv[at]);
    if (!cmd) {
      throw new UsageError(`expected a command (${COMMANDS.map((c) => c.name).join(', ')}), got ${JSON.stringify(argv[at])}`);
    }
    commandName = cmd.name;
    const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
    const { positionals, values } = parseCommandArgs(cmd, rest);
    if (values.help) {
      io.stdout.write(commandHelp(cmd));
      return 0;
    }
    const json = values.json === true;
    const dbPath = typeof values.db === 'string' ? resolve(values.db) : dbPathIn(defaultDataDir(env));
    const opened: Studio = await createStudio({
      dataDir: dirname(dbPath),
      dbPath,
      host: 'cli',
      // One command and exit: nothing to watch.
      capabilities: { label: 'command line', watchFolders: false },
      demoFolder: null,
      appVersion: APP_VERSION,
      // Commands that only look open read-only; a path the person typed must exist, the default
      // one may not yet (a new user looking at an empty library).
      readOnly: cmd.readOnly === true,
      emptyIfMissing: typeof values.db !== 'string',
    });
    studio = opened;
    const ctx: CommandContext = {
      api: checkedApi(createDispatch(opened.api, { pickFolder: async () => null })),
      studio: opened,
      json,
      io,
      print: (text) => void io.stdout.write(`${text}\n`),
      emit: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
      note: (text) => void io.stderr.write(`${text}\n`),
    };
    return await cmd.run(ctx, positionals, values);
  } catch (err) {
    return report(err, io, env, commandName);
  } finally {
    if (studio) {
      await studio.close().catch((err: unknown) => {
        io.stderr.write(`${PROGRAM}: the library did not close cleanly: ${(err as Error).message}\n`);
        process.exitCode = 1;
      });
    }
  }
}

function report(err: unknown, io: Output, env: NodeJS.ProcessEnv, command: string | undefined): number {
  if (err instanceof UsageError) {
    const help = err.command ?? command;
    io.stderr.write(`${PROGRAM}: ${err.message}\nRun '${PROGRAM}${help ? ` ${help}` : ''} --help' for usage.\n`);
    return 2;
  }
  if (err instanceof AppError) {
    io.stderr.write(`${PROGRAM}: ${err.message}\n`);
    return err.name === 'InvalidInput' ? 2 : 1;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(`${PROGRAM}: ${e.message}\n`);
  if (env.MOCO_DEBUG) io.stderr.write(`${e.stack ?? ''}\n`);
  return 1;
}
