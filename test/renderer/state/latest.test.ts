import { describe, expect, it, vi } from 'vitest';
import { Latest } from '../../../src-renderer/src/state/client';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function handlers() {
  const log: string[] = [];
  return {
    log,
    on: {
      busy: (b: boolean) => log.push(`busy ${b}`),
      ok: (v: number) => log.push(`ok ${v}`),
      fail: (e: unknown) => log.push(`fail ${(e as Error).message}`),
    },
  };
}

describe('Latest', () => {
  it('hands on only the newest answer, and stays busy until it comes', async () => {
    const latest = new Latest('test');
    const first = deferred<number>();
    const second = deferred<number>();
    const h = handlers();
    const a = latest.run(() => first.promise, h.on);
    const b = latest.run(() => second.promise, h.on);
    first.resolve(1);
    expect(await a).toBe('moot');
    expect(h.log).toEqual(['busy true', 'busy true']);
    second.resolve(2);
    expect(await b).toBe('ok');
    expect(h.log).toEqual(['busy true', 'busy true', 'ok 2', 'busy false']);
  });

  it('logs a failure under its label and hands it on', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const latest = new Latest('previewLabels');
    const h = handlers();
    expect(await latest.run(() => Promise.reject(new Error('no classes')), h.on)).toBe('failed');
    expect(h.log).toEqual(['busy true', 'fail no classes', 'busy false']);
    expect(spy).toHaveBeenCalledWith('previewLabels', expect.any(Error));
    spy.mockRestore();
  });

  it('drops the calls on their way', async () => {
    const latest = new Latest('test');
    const call = deferred<number>();
    const h = handlers();
    const run = latest.run(() => call.promise, h.on);
    latest.drop();
    call.reject(new Error('late'));
    expect(await run).toBe('moot');
    expect(h.log).toEqual(['busy true']);
  });
});
