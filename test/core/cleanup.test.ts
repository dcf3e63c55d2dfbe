import { describe, expect, it } from 'vitest';
import { closeAll, runCleanups, withCleanup } from '../../src-main/core/cleanup';

const boom = (msg: string) => () => {
  throw new Error(msg);
};

describe('cleanup', () => {
  it('keeps the body error when a cleanup fails after it, and still runs every cleanup', async () => {
    const ran: string[] = [];
    const err = await withCleanup(boom('Aborted(): out of memory'), boom('table index is out of bounds'), () => ran.push('second')).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('Aborted(): out of memory');
    expect((err as { suppressed: Error[] }).suppressed.map((e) => e.message)).toEqual(['table index is out of bounds']);
    expect(ran).toEqual(['second']);
  });

  it('throws the first cleanup error when the body succeeded', async () => {
    await expect(withCleanup(() => 3, boom('first'), boom('second'))).rejects.toThrow('first');
    await expect(
      withCleanup(
        async () => 4,
        () => undefined,
      ),
    ).resolves.toBe(4);
  });

  it('runCleanups collects errors; closeAll throws only when nothing failed before', () => {
    expect(runCleanups([boom('a'), () => 1, boom('b')]).map((e) => (e as Error).message)).toEqual(['a', 'b']);
    expect(() => closeAll(true, boom('echo'))).not.toThrow();
    expect(() => closeAll(false, boom('real'))).toThrow('real');
  });
});
