import { describe, expect, it } from 'vitest';
import { API_METHODS } from '../../src-main/api/contract';
import type { CoreApi } from '../../src-main/core/studio-types';
import { checkedApi, createDispatch, statusForError } from '../../src-main/hosts/dispatch';

/** A core that records what reaches it. */
function recordingCore(): { core: CoreApi; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const core = Object.fromEntries(
    API_METHODS.filter((m) => m !== 'pickFolder').map((m) => [m, async (...args: unknown[]) => (calls.push([m, args]), `${m}-result`)]),
  ) as unknown as CoreApi;
  return { core, calls };
}

describe('dispatch', () => {
  it('hands checked calls to the core and pickFolder to the host', async () => {
    const { core, calls } = recordingCore();
    const dispatch = createDispatch(core, { pickFolder: async () => '/picked' });
    await expect(dispatch('getImage', [7])).resolves.toBe('getImage-result');
    await expect(dispatch('listImages', [{ offset: 0, limit: 5, sort: 'taken' }])).resolves.toBe('listImages-result');
    await expect(dispatch('pickFolder', [])).resolves.toBe('/picked');
    expect(calls).toEqual([
      ['getImage', [7]],
      ['listImages', [{ offset: 0, limit: 5, sort: 'taken' }]],
    ]);
  });

  it('stops a call that breaks the contract before it reaches the core', async () => {
    const { core, calls } = recordingCore();
    const dispatch = createDispatch(core, { pickFolder: async () => null });
    const bad: [unknown, unknown][] = [
      ['constructor', []],
      ['__proto__', []],
      [42, []],
      ['getImage', ['7']],
      ['getImage', [7, 8]],
      ['getImage', {}],
      ['listImages', [{ limit: 5, evil: true }]],
      ['updateSettings', [{ maxPixels: 1 }]],
    ];
    for (const [method, args] of bad) {
      const err = await dispatch(method, args).catch((e: Error) => e);
      expect(err, String(method)).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('InvalidInput');
    }
    expect(calls).toEqual([]);
  });

  it('gives in-process callers the same checks through a typed Api', async () => {
    const { core, calls } = recordingCore();
    const api = checkedApi(createDispatch(core, { pickFolder: async () => null }));
    expect(Object.keys(api).sort()).toEqual([...API_METHODS].sort());
    await api.removeFolder(3);
    await expect(api.removeFolder(-1)).rejects.toThrow(/removeFolder argument 0/);
    expect(calls).toEqual([['removeFolder', [3]]]);
  });

  it('maps error names to HTTP statuses', () => {
    expect([statusForError('InvalidInput'), statusForError('NotFound'), statusForError('Conflict'), statusForError('TypeError')]).toEqual([
      400, 404, 409, 500,
    ]);
  });
});
