// The one ApiClient of this window, chosen at start by main.ts.
import type { UiClient } from '../lib/api/pick-client';
import { attempt } from './errors.svelte';

export type { UiClient };

let current: UiClient | null = null;

export function setClient(client: UiClient): void {
  current = client;
}

export function api(): UiClient {
  if (!current) throw new Error('api: expected the client to be set at start (main.ts), got none');
  return current;
}

/**
 * Where a store gets its client: `api` in the app, a fake object in tests. A getter, because
 * the stores exist before main.ts has picked the client.
 */
export type ClientSource = () => UiClient;

/** A store that talks to the app: from its first start on, it follows the app's events. */
export abstract class ApiStore {
  protected readonly client: ClientSource;
  private started = false;

  constructor(client: ClientSource) {
    this.client = client;
  }

  /** Subscribes to the app's events once, however many views start the store. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.listen(this.client());
  }

  protected abstract listen(client: UiClient): void;

  /** Fetches with the client, then applies the answer; a failure is shown under `context`. */
  protected async load<T>(context: string, fetch: (client: UiClient) => Promise<T>, apply: (value: T) => void): Promise<void> {
    const client = this.client();
    await attempt(context, async () => apply(await fetch(client)));
  }
}

/** What to do with the answer of the newest call of a `Latest`. */
export interface LatestHandlers<T> {
  /** true from the start of a call until the newest one has answered */
  busy: (busy: boolean) => void;
  ok: (value: T) => void;
  fail: (err: unknown) => void;
}

/**
 * A call that the user can ask again before the last one has answered (a search, a preview):
 * only the newest call's answer reaches the screen, the older ones are moot. A failure is also
 * logged under `label`. run() says what became of its call.
 */
export class Latest {
  private seq = 0;

  constructor(private readonly label: string) {}

  /** Makes the calls on their way moot (what they were for is gone). */
  drop(): void {
    this.seq++;
  }

  async run<T>(call: () => Promise<T>, on: LatestHandlers<T>): Promise<'ok' | 'failed' | 'moot'> {
    const seq = ++this.seq;
    on.busy(true);
    try {
      const value = await call();
      if (seq !== this.seq) return 'moot';
      on.ok(value);
      return 'ok';
    } catch (err) {
      if (seq !== this.seq) return 'moot';
      console.error(this.label, err);
      on.fail(err);
      return 'failed';
    } finally {
      if (seq === this.seq) on.busy(false);
    }
  }
}
