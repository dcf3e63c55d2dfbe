// What a CLI command is, how its arguments are parsed and how its help is written. Commands
// live in small tables (library-commands.ts, ...) joined in commands.ts.
import { parseArgs } from 'node:util';
import type { Api } from '../../api/contract';
import { dbPathIn, defaultDataDir } from '../../core/paths';
import type { Studio } from '../../core/studio-types';

/** Wrong arguments: a clear message and exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** the command whose help to point at */
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** placeholder in help, e.g. '<file>' */
  value?: string;
  help: string;
}

export interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

export interface CommandContext {
  api: Api;
  studio: Studio;
  json: boolean;
  io: Output;
  /** a line of human-readable output (stdout) */
  print(text: string): void;
  /** the machine-readable result (stdout, --json) */
  emit(value: unknown): void;
  /** a note for the person at the terminal (stderr) */
  note(text: string): void;
}

/**
 * The plain answers of a listing: the value itself with --json, `none` when there is nothing
 * to list. True when one of them answered, so the command only formats a non-empty list.
 */
export function answeredPlainly(ctx: CommandContext, value: unknown, empty: boolean, none: string): boolean {
  if (ctx.json) ctx.emit(value);
  else if (empty) ctx.print(none);
  return ctx.json || empty;
}

/**
 * A read-only command without arguments or options that shows what `load` returns: the value
 * itself with --json, `none` when `empty` says there is nothing, else what `show` prints.
 */
export function listCommand<T>(spec: {
  name: string;
  summary: string;
  description?: string;
  load(ctx: CommandContext): Promise<T>;
  empty?: (value: T) => boolean;
  none?: string;
  show(ctx: CommandContext, value: T): void;
}): Command {
  return {
    name: spec.name,
    args: '',
    summary: spec.summary,
    description: spec.description ?? '',
    options: {},
    minArgs: 0,
    maxArgs: 0,
    readOnly: true,
    async run(ctx) {
      const value = await spec.load(ctx);
      if (!answeredPlainly(ctx, value, spec.empty?.(value) ?? false, spec.none ?? '')) spec.show(ctx, value);
      return 0;
    },
  };
}

/**
 * Starts a job and waits for its end with Ctrl-C asking it to cancel (noting `cancelling`), then
 * shows its row as it ended (JSON with --json, after clearing the progress line on a terminal)
 * and returns `exitCode` of it. Ctrl-C and the job's progress (`offProgress`) are let go after.
 */
export async function cancellableJob<T extends { id: number }>(
  ctx: CommandContext,
  job: {
    start(): Promise<{ id: number }>;
    wait(): Promise<unknown>;
    /** the rows of this kind of job, the started one among them */
    list(): Promise<T[]>;
    cancelling: string;
    cancel(): Promise<unknown>;
    offProgress(): void;
    show(value: T): void;
    exitCode(value: T): number;
  },
): Promise<number> {
  const onSigint = () => {
    ctx.note(job.cancelling);
    job.cancel().catch((err: unknown) => ctx.note(`Could not cancel: ${(err as Error).message}`));
  };
  process.on('SIGINT', onSigint);
  try {
    const started = await job.start();
    await job.wait();
    const value = (await job.list()).find((v) => v.id === started.id)!;
    if (!ctx.json && ctx.io.stderr.isTTY) ctx.io.stderr.write('\r\x1b[K');
    if (ctx.json) ctx.emit(value);
    else job.show(value);
    return job.exitCode(value);
  } finally {
    process.off('SIGINT', onSigint);
    job.offProgress();
  }
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Command {
  name: string;
  /** e.g. '<folder>...' */
  args: string;
  summary: string;
  /** paragraphs for `<command> --help` */
  description: string;
  options: Record<string, OptionSpec>;
  minArgs: number;
  maxArgs: number;
  /** only looks: the library is opened read-only, must exist, and is never created or changed */
  readOnly?: boolean;
  /** returns the exit code */
  run(ctx: CommandContext, positionals: string[], values: OptionValues): Promise<number>;
}

export const PROGRAM = 'moco-studio';

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_CANCELLED = 130;

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: 'string',
    value: '<file>',
    help: `the library database; thumbnails are cached next to it (default: ${dbPathIn(defaultDataDir())})`,
  },
  json: { type: 'boolean', help: 'machine-readable output: JSON on stdout, progress as JSON lines on stderr' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

export function parseCommandArgs(cmd: Command, argv: string[]): { positionals: string[]; values: OptionValues } {
  const options = { ...GLOBAL_OPTIONS, ...cmd.options };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
      ),
    });
  } catch (err) {
    throw new UsageError(`${cmd.name}: ${(err as Error).message}`, cmd.name);
  }
  const values = parsed.values as OptionValues;
  for (const [name, o] of Object.entries(options)) {
    if (o.type === 'string' && values[name] === '') {
      throw new UsageError(`${cmd.name}: --${name}: expected ${o.value ?? 'a value'}, got an empty string`, cmd.name);
    }
  }
  if (values.help) return { positionals: parsed.positionals, values };
  const n = parsed.positionals.length;
  if (n < cmd.minArgs) {
    throw new UsageError(`${cmd.name}: expected ${cmd.args || 'no arguments'}, got ${n === 0 ? 'none' : n}`, cmd.name);
  }
  if (n > cmd.maxArgs) {
    const extra = parsed.positionals
      .slice(cmd.maxArgs)
      .map((a) => JSON.stringify(a))
      .join(' ');
    throw new UsageError(`${cmd.name}: expected ${cmd.args || 'no arguments'}, got extra ${extra}`, cmd.name);
  }
  return { positionals: parsed.positionals, values };
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: ${PROGRAM} ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''} [options]`, '', cmd.summary, ''];
  if (cmd.description) lines.push(cmd.description, '');
  lines.push('Options:', ...optionLines({ ...cmd.options, ...GLOBAL_OPTIONS }), '');
  return lines.join('\n');
}

export function programHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.args}`.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'MoCo Studio on the command line: index photo folders into the library and inspect it.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${`${c.name} ${c.args}`.trimEnd().padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', help: 'show the version' } }),
    '',
    `Run '${PROGRAM} <command> --help' for the options of a command.`,
    '',
  ].join('\n');
}
