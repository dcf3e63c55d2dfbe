// The busy / error / result cycle every export and import dialog runs its call through.
import { describe, expect, it, vi } from 'vitest';
import { CallState } from '../../src-renderer/src/lib/call-state.svelte';

describe('CallState', () => {
  it('keeps the result, and clears it and the last error on the next call', async () => {
    const call = new CallState<{ dir: string }>();
    call.refuse('dir: expected a folder, got nothing');
    expect(await call.run('Exporting weights', async () => ({ dir: '/out' }))).toEqual({ dir: '/out' });
    expect(call.result).toEqual({ dir: '/out' });
    expect(call.error).toBeNull();
    expect(call.busy).toBe(false);
  });

  it("keeps the app's refusal as readable text under the call's title", async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const call = new CallState<number>();
    const refused = Object.assign(new Error('exportWeights: expected an existing folder, got "/nope"'), { name: 'NotFound' });
    expect(await call.run('Exporting weights', () => Promise.reject(refused))).toBeNull();
    expect(call.result).toBeNull();
    expect(call.error).toMatchObject({ name: 'NotFound', message: 'exportWeights: expected an existing folder, got "/nope"' });
    expect(call.busy).toBe(false);
  });

  it('refuses a second call while one is under way', async () => {
    const call = new CallState<number>();
    let finish: (n: number) => void = () => undefined;
    const first = call.run('Importing weights', () => new Promise<number>((r) => (finish = r)));
    expect(call.busy).toBe(true);
    const fn = vi.fn(async () => 2);
    expect(await call.run('Importing weights', fn)).toBeNull();
    expect(fn).not.toHaveBeenCalled();
    finish(1);
    expect(await first).toBe(1);
  });

  it('shows a form that does not parse as a refusal without calling', () => {
    const call = new CallState<number>();
    call.refuse('inputSize: expected a whole number of pixels, got "abc"');
    expect(call.error).toEqual({
      name: 'InvalidInput',
      title: 'Check the form',
      message: 'inputSize: expected a whole number of pixels, got "abc"',
    });
    expect(call.result).toBeNull();
  });
});
