// The one ApiClient of this window, chosen at start by main.ts.
import type { UiClient } from '../lib/api/pick-client';

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
