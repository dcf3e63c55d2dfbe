// The one-job-at-a-time slot the training, embedding and probe services share.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../../../src-main/api/errors';
import { JobSlot, type Held } from '../../../src-main/core/jobs/job-slot';

type End = { status: 'done' | 'cancelled' | 'failed'; error?: string };
type Msg = { type: 'cancel' | 'pause' };

/** A job that ends when the test says so, and remembers what it was sent. */
class FakeJob {
  readonly sent: Msg[] = [];
  readonly done: Promise<End>;
  end!: (e: End) => void;
  constructor(private readonly endOn: Msg['type'] | null = 'cancel') {
    this.done = new Promise((resolve) => (this.end = resolve));
  }
  send(m: Msg): void {
    this.sent.push(m);
    if (m.type === this.endOn) this.end({ status: 'cancelled' });
  }
}

const words = { idle: 'no probe in progress', busy: 'a probe in progress', item: 'probe', hint: 'cancel it first' };

function setup(heartbeatMs?: number) {
  const changed: number[] = [];
  const ends: { end: End; lost: boolean }[] = [];
  const slot = new JobSlot<FakeJob, string, End>(words, (id) => changed.push(id), heartbeatMs);
  let beat = true;
  const lostCalls: number[] = [];
  const launch = (id: number, job = new FakeJob()) =>
    slot.launch({
      id,
      start: () => job,
      heartbeat: () => beat,
      onLost: (held: Held<FakeJob, string>) => lostCalls.push(held.id),
      onEnd: (end, held) => ends.push({ end, lost: held.lost }),
    });
  return { slot, changed, ends, launch, lostCalls, loseRow: () => (beat = false) };
}

afterEach(() => vi.useRealTimers());

describe('JobSlot', () => {
  it('runs one job at a time: a second start is refused with the running id', async () => {
    const { slot, launch, changed } = setup();
    expect(slot.id).toBeNull();
    const held = launch(7);
    expect(slot.id).toBe(7);
    expect(changed).toEqual([7]);
    expect(() => slot.ensureIdle('startProbe')).toThrow(ConflictError);
    expect(() => slot.ensureIdle('startProbe')).toThrow('startProbe: expected no probe in progress, got probe 7 running (cancel it first)');
    expect(() => launch(8)).toThrow(/got probe 7 running/);
    held.job.end({ status: 'done' });
    await slot.waitIdle();
    expect(slot.id).toBeNull();
    expect(() => slot.ensureIdle('startProbe')).not.toThrow();
  });

  it('holds the last progress the job reported, and forgets it at the end', async () => {
    const { slot, launch } = setup();
    const held = launch(1);
    expect(slot.last).toBeNull();
    held.last = 'half way';
    expect(slot.last).toBe('half way');
    held.job.end({ status: 'done' });
    await held.ended;
    expect(slot.last).toBeNull();
  });

  it('stop sends the message, waits for the end, then frees the slot and reports the change', async () => {
    const { slot, launch, ends, changed } = setup();
    const job = new FakeJob('cancel');
    launch(3, job);
    await slot.stop('cancelProbe', { type: 'cancel' });
    expect(job.sent).toEqual([{ type: 'cancel' }]);
    expect(ends).toEqual([{ end: { status: 'cancelled' }, lost: false }]);
    expect(slot.id).toBeNull();
    expect(changed).toEqual([3, 3]);
  });

  it('stop with nothing running is a conflict that says so', async () => {
    const { slot } = setup();
    await expect(slot.stop('cancelProbe', { type: 'cancel' })).rejects.toThrow('cancelProbe: expected a probe in progress, got none');
  });

  it('close stops the running job its own way and waits; with none it does nothing', async () => {
    const { slot, launch, ends } = setup();
    await slot.close(() => {
      throw new Error('not called when idle');
    });
    const job = new FakeJob('pause');
    launch(5, job);
    await slot.close((j) => j.send({ type: 'pause' }));
    expect(job.sent).toEqual([{ type: 'pause' }]);
    expect(ends).toHaveLength(1);
    expect(slot.id).toBeNull();
  });

  it('ends exactly once, and frees the slot even when the end handler throws', async () => {
    const changed: number[] = [];
    const slot = new JobSlot<FakeJob, string, End>(words, (id) => changed.push(id));
    const job = new FakeJob();
    const held = slot.launch({
      id: 2,
      start: () => job,
      heartbeat: () => true,
      onLost: () => undefined,
      onEnd: () => {
        throw new Error('row gone');
      },
    });
    job.end({ status: 'done' });
    job.end({ status: 'failed' });
    await expect(held.ended).rejects.toThrow('row gone');
    expect(slot.id).toBeNull();
    expect(changed).toEqual([2, 2]);
  });

  it('a row taken over elsewhere marks the job lost, tells the owner, and stops the heartbeat', async () => {
    vi.useFakeTimers();
    const { slot, launch, lostCalls, loseRow, ends } = setup(100);
    const held = launch(9);
    vi.advanceTimersByTime(250);
    expect(lostCalls).toEqual([]);
    loseRow();
    vi.advanceTimersByTime(100);
    expect(held.lost).toBe(true);
    expect(lostCalls).toEqual([9]);
    vi.advanceTimersByTime(1000);
    expect(lostCalls).toEqual([9]);
    held.job.end({ status: 'cancelled' });
    await held.ended;
    expect(ends).toEqual([{ end: { status: 'cancelled' }, lost: true }]);
    expect(slot.id).toBeNull();
  });

  it('the job is started with the held state, so its messages can record progress', async () => {
    const slot = new JobSlot<FakeJob, string, End>(words, () => undefined);
    let seen: Held<FakeJob, string> | null = null;
    const held = slot.launch({
      id: 4,
      start: (h) => {
        seen = h;
        h.last = 'started';
        return new FakeJob();
      },
      heartbeat: () => true,
      onLost: () => undefined,
      onEnd: () => undefined,
    });
    expect(seen).toBe(held);
    expect(slot.last).toBe('started');
    held.job.end({ status: 'done' });
    await held.ended;
  });
});
