// The one ApiClient of this window, chosen at start by main.ts.
import type { UiClient } from '../lib/api/pick-client';

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
}
