// Every CLI command, in the order help lists them. Later features add their tables here.
import type { Command } from './command';
import { EVAL_COMMANDS } from './eval-commands';
import { LIBRARY_COMMANDS } from './library-commands';
import { SEARCH_COMMANDS } from './search-commands';
import { TRAIN_COMMANDS } from './train-commands';

export const COMMANDS: readonly Command[] = [...LIBRARY_COMMANDS, ...TRAIN_COMMANDS, ...SEARCH_COMMANDS, ...EVAL_COMMANDS];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
