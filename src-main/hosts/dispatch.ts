// The one dispatch behind every door: a method name and arguments from outside (IPC, HTTP,
// the CLI) are checked against the contract, then handed to the core, or to the host for the
// one thing only a host can do (a native folder picker).
import { API_METHODS, type Api, type ApiMethod } from '../api/contract';
import { validateArgs } from '../api/validate';
import type { CoreApi } from '../core/studio-types';

export interface HostServices {
  pickFolder(): Promise<string | null>;
}

/** Calls `method` with `args`; rejects with InvalidInputError when either breaks the contract. */
export type Dispatch = (method: unknown, args: unknown) => Promise<unknown>;

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

export function createDispatch(core: CoreApi, host: HostServices): Dispatch {
  return async (method, args) => {
    const checked = validateArgs(method as ApiMethod, args) as unknown[];
    const name = method as ApiMethod;
    if (name === 'pickFolder') return host.pickFolder();
    const fn = core[name] as AnyMethod;
    return fn.apply(core, checked);
  };
}

/** The typed Api over a dispatch, so in-process callers (the CLI) get the same checks. */
export function checkedApi(dispatch: Dispatch): Api {
  const api: Partial<Record<ApiMethod, AnyMethod>> = {};
  for (const name of API_METHODS) api[name] = (...args) => dispatch(name, args);
  return api as unknown as Api;
}

/** HTTP status for an error that crossed the API, by its name. */
export function statusForError(name: string): number {
  switch (name) {
    case 'InvalidInput':
      return 400;
    case 'NotFound':
      return 404;
    case 'Conflict':
      return 409;
    default:
      return 500;
  }
}
