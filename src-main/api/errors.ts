// Errors cross the API as {name, message}. Messages read "where: expected X, got Y".
import type { SerializedError } from './contract';

export class AppError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** The caller sent something the contract does not allow. */
export class InvalidInputError extends AppError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
}

/**
 * The code broke one of its own invariants (a tensor of the wrong shape reached a kernel, a
 * state that cannot happen): a bug to report, not bad input. Hosts report it as an internal error.
 */
export class InvariantError extends AppError {
  constructor(message: string) {
    super('Invariant', message);
  }
}

/** The thing asked for does not exist (an unknown id, a missing folder). */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super('NotFound', message);
  }
}

/** A destination folder does not exist; the caller may ask again with `createFolder: true`. */
export class FolderMissingError extends AppError {
  constructor(message: string) {
    super('FolderMissing', message);
  }
}

/** The request is valid but cannot be done now (e.g. a scan already running). */
export class ConflictError extends AppError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name || 'Error', message: err.message || String(err) };
  return { name: 'Error', message: String(err) };
}

/** Rebuilds an error on the receiving side so `name` survives the trip. */
export function deserializeError(e: SerializedError): AppError {
  return new AppError(e.name, e.message);
}
