// One long job of a kind at a time in this process (one training run, one embedding pass, one
// probe): the slot refuses a second start, holds the running job's last progress, keeps the
// lease on its row fresh, and frees itself exactly once when the job ends.
import { ConflictError } from '../../api/errors';
import { HEARTBEAT_MS, Lease } from '../db/job-owner';

/** What a slot runs: a job that ends once, and can be asked to stop by a message. */
export interface SlotJob<In, End> {
  readonly done: Promise<End>;
  /** resolves once the job's thread is gone (it may outlive the end by its own cleanup) */
  readonly exited?: Promise<void>;
  send(m: In): void;
}

/** The running job, as the slot holds it. */
export interface Held<J, P> {
  /** the id of the job's row (run, set or probe) */
  readonly id: number;
  readonly job: J;
  /** its newest progress report, null before the first */
  last: P | null;
  /** another process took the row over: this one writes nothing more to it */
  lost: boolean;
  /** resolves once the job has ended and onEnd has run */
  readonly ended: Promise<void>;
}

/** How the slot's errors name its job, e.g. 'no probe in progress', 'probe', 'cancel it first'. */
export interface SlotWords {
  /** the idle state a start expects: 'no probe in progress' */
  idle: string;
  /** the busy state a stop expects: 'a probe in progress' */
  busy: string;
  /** what the id counts: 'probe', 'run', 'set' */
  item: string;
  /** what to do before starting another: 'cancel it first' */
  hint: string;
}

export interface LaunchOptions<J extends SlotJob<any, End>, P, End> {
  id: number;
  /** starts the job; its message handler may read and write the held state */
  start: (held: Held<J, P>) => J;
  /** refreshes the row's heartbeat; false once another process has taken the row */
  heartbeat: () => boolean;
  /** another process took the row (held.lost is already set): stop the job */
  onLost: (held: Held<J, P>) => void;
  /** the job ended, however it ended: make its row final (unless held.lost) */
  onEnd: (end: End, held: Held<J, P>) => void;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export class JobSlot<J extends SlotJob<any, End>, P, End> {
  private held: Held<J, P> | null = null;
  /** the latest job started, whose thread close() waits for */
  private lastJob: J | null = null;

  constructor(
    private readonly words: SlotWords,
    /** the job's row changed: it started or ended */
    private readonly onChanged: (id: number) => void,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  /** the running job's id, null when idle */
  get id(): number | null {
    return this.held?.id ?? null;
  }

  /** the running job's last progress, null when idle or before its first report */
  get last(): P | null {
    return this.held?.last ?? null;
  }

  /** Refuses to start while a job runs here. */
  ensureIdle(where: string): void {
    const held = this.held;
    if (held)
      throw new ConflictError(`${where}: expected ${this.words.idle}, got ${this.words.item} ${held.id} running (${this.words.hint})`);
  }

  launch(opts: LaunchOptions<J, P, End>): Held<J, P> {
    this.ensureIdle('launch');
    // The job is started with its held state, so `job` is filled in right after.
    const held = { id: opts.id, last: null, lost: false, ended: Promise.resolve() } as Writable<Held<J, P>>;
    held.job = opts.start(held);
    this.lastJob = held.job;
    const lease = new Lease(
      opts.heartbeat,
      () => {
        held.lost = true;
        opts.onLost(held);
      },
      this.heartbeatMs,
    );
    held.ended = held.job.done.then((end) => {
      lease.stop();
      try {
        opts.onEnd(end, held);
      } finally {
        if (this.held === held) this.held = null;
        this.onChanged(held.id);
      }
    });
    this.held = held;
    this.onChanged(held.id);
    return held;
  }

  /** Sends the running job a stop message and waits for its end; refuses when none runs. */
  async stop(where: string, m: Parameters<J['send']>[0]): Promise<void> {
    const held = this.held;
    if (!held) throw new ConflictError(`${where}: expected ${this.words.busy}, got none`);
    held.job.send(m);
    await held.ended;
  }

  /** Resolves when the running job (if any) has ended and its row is final. */
  async waitIdle(): Promise<void> {
    await this.held?.ended;
  }

  /** Shutdown: stops the running job (if any) with `stop` and waits for its end, and for the
   *  last job's thread to be gone. */
  async close(stop: (job: J) => unknown): Promise<void> {
    const held = this.held;
    if (held) {
      await stop(held.job);
      await held.ended;
    }
    await this.lastJob?.exited;
  }
}
