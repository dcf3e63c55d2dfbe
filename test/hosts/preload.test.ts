import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { API_EVENTS, API_METHODS, type ScanProgress } from '../../src-main/api/contract';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../src-main/hosts/electron/channels';
import { FORWARDED_METHODS, createIpcClient, type IpcLike } from '../../src-main/hosts/electron/ipc-client';

/** An in-memory stand-in for ipcRenderer: records invokes and answers like the main side. */
class FakeIpc extends EventEmitter implements IpcLike {
  calls: unknown[][] = [];
  reply: unknown = { ok: true, result: null };
  async invoke(channel: string, ...args: unknown[]) {
    this.calls.push([channel, ...args]);
    return this.reply;
  }
}

describe('preload client', () => {
  it('forwards exactly the methods of the contract', () => {
    expect([...FORWARDED_METHODS].sort()).toEqual([...API_METHODS].sort());
    const client = createIpcClient(new FakeIpc());
    const functions = Object.keys(client).filter((k) => typeof (client as unknown as Record<string, unknown>)[k] === 'function');
    expect(functions.sort()).toEqual([...API_METHODS, 'on', 'thumbUrl', 'previewUrl'].sort());
    expect(client.host).toBe('electron');
  });

  it('sends method and arguments over the call channel and returns the result', async () => {
    const ipc = new FakeIpc();
    ipc.reply = { ok: true, result: { total: 0, offset: 5, items: [] } };
    const client = createIpcClient(ipc);
    await expect(client.listImages({ offset: 5, limit: 10 })).resolves.toEqual({ total: 0, offset: 5, items: [] });
    await client.rescan();
    expect(ipc.calls).toEqual([
      [CALL_CHANNEL, 'listImages', [{ offset: 5, limit: 10 }]],
      [CALL_CHANNEL, 'rescan', []],
    ]);
  });

  it('rejects with the error the main side sent, keeping its name and message', async () => {
    const ipc = new FakeIpc();
    ipc.reply = { ok: false, error: { name: 'NotFound', message: 'getImage: expected a known image id, got 99' } };
    const err = await createIpcClient(ipc)
      .getImage(99)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('NotFound');
    expect((err as Error).message).toBe('getImage: expected a known image id, got 99');
  });

  it('delivers only the subscribed event and stops after unsubscribe', () => {
    const ipc = new FakeIpc();
    const client = createIpcClient(ipc);
    const seen: ScanProgress[] = [];
    const off = client.on('scan.progress', (p) => seen.push(p));
    const progress = { jobId: 'j', phase: 'processing', found: 3, processed: 1 } as ScanProgress;
    ipc.emit(EVENT_CHANNEL, {}, 'library.changed', { reason: 'x' });
    ipc.emit(EVENT_CHANNEL, {}, 'scan.progress', progress);
    off();
    ipc.emit(EVENT_CHANNEL, {}, 'scan.progress', progress);
    expect(seen).toEqual([progress]);
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(0);
  });

  it('refuses events outside the contract and builds media URLs from ids only', () => {
    const client = createIpcClient(new FakeIpc());
    expect(API_EVENTS).toContain('scan.progress');
    expect(() => client.on('ipc.secret' as never, () => {})).toThrow(/on: expected one of scan\.progress/);
    expect(client.thumbUrl(12)).toBe('moco-media://thumb/12');
    expect(client.previewUrl(3)).toBe('moco-media://preview/3');
    expect(() => client.thumbUrl('../../etc/passwd' as never)).toThrow(/expected a positive integer image id/);
    expect(() => client.previewUrl(1.5)).toThrow(/expected a positive integer image id/);
  });
});
