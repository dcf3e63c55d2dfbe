// A small typed emitter for the API's events. A listener that throws is reported on the
// process's warning channel instead of breaking the emitter or the other listeners.
import type { ApiEventName, ApiEvents, Unsubscribe } from '../api/contract';

type Listener<E extends ApiEventName> = (payload: ApiEvents[E]) => void;

export class ApiEmitter {
  private readonly listeners = new Map<ApiEventName, Set<Listener<never>>>();

  on<E extends ApiEventName>(event: E, listener: Listener<E>): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => void set.delete(listener as Listener<never>);
  }

  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        process.emitWarning(`${event} listener failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** Runs `fn` at most once per `ms`, always running it once more after the last call. */
export function coalesce(ms: number, fn: () => void): { call: () => void; cancel: () => void } {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    timer = null;
    last = Date.now();
    fn();
  };
  return {
    call: () => {
      if (timer) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
