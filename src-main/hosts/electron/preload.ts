// Runs sandboxed in the window before the page: exposes the typed client as
// window.mocoStudio and nothing else (no ipcRenderer, no Node).
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcClient } from './ipc-client';

contextBridge.exposeInMainWorld('mocoStudio', createIpcClient(ipcRenderer));
