// A stand-in for the app's API client: each call answers from `answers` (a value, or a
// function of the arguments) and is recorded; events are pushed by `emit`.
import type { ApiEventName, ApiEvents } from '$contract';
import type { UiClient } from '../../../src-renderer/src/lib/api/pick-client';

export interface FakeClient {
  client: UiClient;
  calls: { method: string; args: unknown[] }[];
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
}

type Answer = unknown | ((...args: any[]) => unknown);

export function fakeClient(answers: Record<string, Answer>): FakeClient {
  const calls: FakeClient['calls'] = [];
  const listeners = new Map<string, ((p: unknown) => void)[]>();
  const base = {
    host: 'web' as const,
    on(event: string, listener: (p: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => undefined;
    },
  };
  const client = new Proxy(base, {
    get(target, prop: string) {
      if (prop in target) return target[prop as keyof typeof target];
      if (!(prop in answers)) return undefined;
      return async (...args: unknown[]) => {
        calls.push({ method: prop, args });
        const a = answers[prop];
        const value = typeof a === 'function' ? a(...args) : a;
        if (value instanceof Error) throw value;
        return value;
      };
    },
  }) as unknown as UiClient;
  return {
    client,
    calls,
    emit: (event, payload) => (listeners.get(event) ?? []).forEach((l) => l(payload)),
  };
}
