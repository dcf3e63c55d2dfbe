// The Electron main process: one sandboxed window over the renderer, the API over IPC, and
// image bytes over a custom scheme. All work is done by the core; this only adapts it.
// First: sizes libuv's thread pool before anything uses it.
import '../thread-pool';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { API_EVENTS } from '../../api/contract';
import { serializeError } from '../../api/errors';
import { defaultDataDir } from '../../core/paths';
import { createStudio } from '../../core/studio';
import type { Studio } from '../../core/studio-types';
import { APP_NAME, APP_VERSION, demoFolderIn } from '../app-info';
import { contentSecurityPolicy } from '../csp';
import { createDispatch, statusForError } from '../dispatch';
import { APP_ORIGIN, CALL_CHANNEL, EVENT_CHANNEL, MEDIA_SCHEME, type IpcReply } from './channels';
import { handleAppScheme, handleMediaScheme, registerSchemes } from './protocols';

registerSchemes();

/** Set by `electron-vite dev`: the renderer comes from the dev server, with devtools. */
const devUrl = process.env.ELECTRON_RENDERER_URL;
const pageOrigin = devUrl ? new URL(devUrl).origin : APP_ORIGIN;
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

let win: BrowserWindow | null = null;
let studio: Studio | null = null;

/** Origin of a URL, also for custom schemes (where URL.origin is 'null'). */
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Only the top frame of our window, showing our page, may call the API. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!win || win.isDestroyed() || !frame || event.sender !== win.webContents) return false;
  const top = win.webContents.mainFrame;
  if (frame.parent !== null || frame.processId !== top.processId || frame.routingId !== top.routingId) return false;
  return originOf(frame.url) === pageOrigin;
}

async function pickFolder(): Promise<string | null> {
  const options = { title: 'Add a folder to the library', properties: ['openDirectory' as const] };
  const result = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280,
    height: 840,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: APP_NAME,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: Boolean(devUrl),
    },
  });
  const wc = w.webContents;
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (event) => {
    if (originOf(event.url) !== pageOrigin) event.preventDefault();
  });
  wc.on('will-redirect', (event) => {
    if (originOf(event.url) !== pageOrigin) event.preventDefault();
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
  w.once('ready-to-show', () => w.show());
  w.on('closed', () => {
    if (win === w) win = null;
  });
  void (devUrl ? w.loadURL(devUrl) : w.loadURL(`${APP_ORIGIN}/index.html`)).catch((err: unknown) =>
    console.error('window: could not load the app:', err),
  );
  return w;
}

async function start(): Promise<void> {
  // One data folder for all three doors, so the CLI and the web host see this library.
  const dataDir = defaultDataDir();
  const s = await createStudio({
    dataDir,
    host: 'electron',
    demoFolder: demoFolderIn(app.getAppPath()),
    appVersion: APP_VERSION,
    capabilities: {
      label: 'desktop app',
      watchFolders: true,
      // The renderer confirms with the user before it asks; the OS trash keeps the files restorable.
      trash: (path) => shell.trashItem(path),
    },
  });
  studio = s;

  const csp = contentSecurityPolicy({
    img: [`${MEDIA_SCHEME}:`],
    // the dev server's hot reload talks over a WebSocket
    connect: devUrl ? [pageOrigin.replace(/^http/, 'ws')] : [],
  });
  handleAppScheme(join(app.getAppPath(), 'out', 'renderer'), csp);
  handleMediaScheme(s);
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  if (devUrl) {
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
    });
  }

  const dispatch = createDispatch(s.api, { pickFolder });
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, args: unknown): Promise<IpcReply> => {
    if (!fromOurWindow(event)) {
      const from = event.senderFrame?.url ?? 'a frame that is gone';
      console.error(`ipc: refused a call of ${String(method)} from ${from}`);
      return { ok: false, error: { name: 'Forbidden', message: `ipc: expected a call from the app's window, got one from ${from}` } };
    }
    try {
      return { ok: true, result: await dispatch(method, args) };
    } catch (err) {
      const error = serializeError(err);
      if (statusForError(error.name) === 500) console.error(`ipc: ${String(method)} failed:`, err);
      return { ok: false, error };
    }
  });

  for (const event of API_EVENTS) {
    s.on(event, (payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event, payload);
    });
  }

  win = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  // Another window already has the library open; it is brought to the front instead.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (studio && !win) win = createWindow();
  });
  let closed = false;
  app.on('will-quit', (event) => {
    if (!studio || closed) return;
    event.preventDefault();
    studio
      .close()
      .catch((err: unknown) => console.error('MoCo Studio: the library did not close cleanly:', err))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      console.error('MoCo Studio could not start:', err);
      dialog.showErrorBox(`${APP_NAME} could not start`, message);
      app.exit(1);
    });
}
