// The ApiClient the preload exposes to the renderer: every Api method forwarded over IPC,
// events from the main process, and media URLs on the custom scheme. Nothing else.
import { API_EVENTS, API_METHODS, type ApiClient, type ApiEventName, type ApiEvents, type ApiMethod } from '../../api/contract';
import { AppError } from '../../api/errors';
import { CALL_CHANNEL, EVENT_CHANNEL, MEDIA_SCHEME, type IpcReply } from './channels';

/** The part of ipcRenderer the client uses. */
export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The methods the preload forwards: exactly the contract's list. */
export const FORWARDED_METHODS: readonly ApiMethod[] = API_METHODS;

function isEventName(name: unknown): name is ApiEventName {
  return typeof name === 'string' && (API_EVENTS as readonly string[]).includes(name);
}

function checkId(where: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new AppError('InvalidInput', `${where}: expected a positive integer image id, got ${JSON.stringify(id)}`);
  }
  return id;
}

export function createIpcClient(ipc: IpcLike): ApiClient {
  const call = async (method: ApiMethod, args: unknown[]): Promise<unknown> => {
    const reply = (await ipc.invoke(CALL_CHANNEL, method, args)) as IpcReply;
    if (reply.ok) return reply.result;
    // The name is kept for callers in the preload; across contextBridge only the message
    // survives, and the message is what the UI shows.
    throw new AppError(reply.error.name, reply.error.message);
  };

  const methods = Object.fromEntries(
    FORWARDED_METHODS.map((method) => [method, (...args: unknown[]) => call(method, args)]),
  ) as unknown as Pick<ApiClient, ApiMethod>;

  const client = {
    ...methods,
    host: 'electron' as const,
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      if (!isEventName(event)) {
        throw new AppError('InvalidInput', `on: expected one of ${API_EVENTS.join(', ')}, got ${JSON.stringify(event)}`);
      }
      if (typeof listener !== 'function') {
        throw new AppError('InvalidInput', `on: expected a listener function, got ${typeof listener}`);
      }
      const relay = (_e: unknown, name: unknown, payload: unknown) => {
        if (name === event) listener(payload as ApiEvents[E]);
      };
      ipc.on(EVENT_CHANNEL, relay);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, relay);
      };
    },
    thumbUrl: (imageId: number) => `${MEDIA_SCHEME}://thumb/${checkId('thumbUrl', imageId)}`,
    previewUrl: (imageId: number) => `${MEDIA_SCHEME}://preview/${checkId('previewUrl', imageId)}`,
  } satisfies ApiClient;
  return client;
}
