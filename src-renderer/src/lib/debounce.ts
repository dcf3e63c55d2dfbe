// Collapse bursts of calls (e.g. 'library.changed' during a scan) into one trailing call,
// with a ceiling so a steady stream still refreshes every `maxWaitMs`.

export interface Debounced {
  (): void;
  cancel(): void;
  flush(): void;
}

export function debounce(fn: () => void, waitMs: number, maxWaitMs = waitMs * 4): Debounced {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let firstCallAt: number | null = null;

  const run = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    firstCallAt = null;
    fn();
  };

  const debounced = (() => {
    const now = Date.now();
    firstCallAt ??= now;
    if (timer) clearTimeout(timer);
    const remaining = Math.max(0, Math.min(waitMs, firstCallAt + maxWaitMs - now));
    timer = setTimeout(run, remaining);
  }) as Debounced;

  debounced.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    firstCallAt = null;
  };
  debounced.flush = () => {
    if (timer) run();
  };
  return debounced;
}
