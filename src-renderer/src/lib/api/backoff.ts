// Reconnect delays: exponential from `baseMs`, capped at `maxMs`, with up to `jitter` of the
// delay added at random so many tabs do not reconnect in lockstep.

export function backoffDelay(attempt: number, baseMs = 500, maxMs = 10_000, jitter = 0.2, random = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`backoffDelay: expected attempt to be an integer >= 0, got ${attempt}`);
  }
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp + exp * jitter * random());
}
