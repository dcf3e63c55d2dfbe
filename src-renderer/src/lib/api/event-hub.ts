// Listeners per API event. A listener that throws is reported, not allowed to stop the others.
import type { ApiEventName, ApiEvents, Unsubscribe } from '$contract';

type AnyListener = (payload: unknown) => void;

export class EventHub {
  private readonly listeners = new Map<string, Set<AnyListener>>();

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as AnyListener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /** Delivers `payload` to the listeners of `event`; events nobody listens to are dropped. */
  emit(event: string, payload: unknown): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        l(payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
