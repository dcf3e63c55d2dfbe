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
