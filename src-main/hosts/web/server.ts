// The web host: the renderer, the API and its events over HTTP + WebSocket on 127.0.0.1,
// for a browser on this machine that holds this launch's token. The parts live beside it:
// router.ts (checks and routes), api-route.ts, media-route.ts, static-route.ts, events-socket.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStudio } from '../../core/studio';
import type { Studio } from '../../core/studio-types';
import { APP_VERSION, rendererDir } from '../app-info';
import { contentSecurityPolicy } from '../csp';
import { createDispatch } from '../dispatch';
import { newGate } from './auth';
import { serveEvents } from './events-socket';
import { requestListener } from './router';

export { MAX_BODY_BYTES } from './api-route';
export const BIND_ADDRESS = '127.0.0.1';

export interface WebHostOptions {
  /** where the library database and thumbnail cache live */
  dataDir: string;
  /** defaults to library.db in dataDir */
  dbPath?: string;
  /** 0 (the default) picks any free port */
  port?: number;
  /** folder added on first start; null for none */
  demoFolder?: string | null;
  /** the built renderer; defaults to out/renderer of this install */
  staticDir?: string;
  /** an open studio to serve; the caller then closes it */
  studio?: Studio;
}

export interface WebHost {
  /** the URL to open, with the token */
  url: string;
  port: number;
  token: string;
  /** this launch's media key (image reads only) */
  mediaKey: string;
  studio: Studio;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`web host: expected to listen on ${BIND_ADDRESS}:${port}, got ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen(port, BIND_ADDRESS, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The studio to serve: the caller's, or one opened on the options' library (closing the server if that fails). */
async function openStudio(opts: WebHostOptions, server: Server): Promise<Studio> {
  if (opts.studio) return opts.studio;
  try {
    return await createStudio({
      dataDir: opts.dataDir,
      dbPath: opts.dbPath,
      host: 'web',
      capabilities: { label: 'web host', watchFolders: true },
      demoFolder: opts.demoFolder ?? null,
      appVersion: APP_VERSION,
    });
  } catch (err) {
    await closeServer(server);
    throw err;
  }
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`web host: expected a port 0..65535, got ${port}`);
  }
  const server = createServer();
  await listen(server, port);
  const bound = (server.address() as AddressInfo).port;
  const studio = await openStudio(opts, server);
  const gate = newGate(bound);
  server.on(
    'request',
    requestListener({
      studio,
      gate,
      dispatch: createDispatch(studio.api, { pickFolder: async () => null }),
      staticDir: opts.staticDir ?? rendererDir(),
      csp: contentSecurityPolicy({ connect: [`ws://127.0.0.1:${bound}`, `ws://localhost:${bound}`] }),
    }),
  );
  const closeEvents = serveEvents(server, studio, gate);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      closeEvents();
      const closed = closeServer(server);
      server.closeAllConnections();
      await closed;
      if (!opts.studio) await studio.close();
    })());

  return {
    url: `http://${BIND_ADDRESS}:${bound}/?token=${gate.token}`,
    port: bound,
    token: gate.token,
    mediaKey: gate.mediaKey,
    studio,
    close,
  };
}
