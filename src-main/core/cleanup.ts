// Cleanup that never hides the error that made it necessary. After a failure (a wasm abort, an
// out-of-memory) disposing tensors or models often fails too ("table index is out of bounds");
// a `finally` that throws would then replace the first, telling error with that echo.

/** Runs every cleanup, in order, even when some throw; returns their errors. */
export function runCleanups(cleanups: readonly (() => unknown)[]): unknown[] {
  const errors: unknown[] = [];
  for (const c of cleanups) {
    try {
      c();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}

/**
 * Runs `body`, then every cleanup. The body's error wins: cleanup errors after it are attached
 * as `suppressed` and never thrown in its place. When the body succeeds, the first cleanup
 * error is thrown (after all cleanups ran).
 */
export async function withCleanup<T>(body: () => T | Promise<T>, ...cleanups: (() => unknown)[]): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    const later = runCleanups(cleanups);
    if (later.length && err instanceof Error) (err as Error & { suppressed?: unknown[] }).suppressed = later;
    throw err;
  }
  const errors = runCleanups(cleanups);
  if (errors.length) throw errors[0];
  return result;
}

/** The cleanups of a `finally` block whose try may have failed: their errors are swallowed only when `failed`. */
export function closeAll(failed: boolean, ...cleanups: (() => unknown)[]): void {
  const errors = runCleanups(cleanups);
  if (!failed && errors.length) throw errors[0];
}
