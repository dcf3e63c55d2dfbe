// Ctrl-C while a long job runs in the foreground: the first press asks the job to wind down
// (it may take a while: a scan finishes its batch, training writes a checkpoint), a second
// press exits at once.
import type { CommandContext } from './command';

export interface WindDown {
  /** noted at the first press, e.g. 'Cancelling the scan (press Ctrl-C again to stop at once)...' */
  asking: string;
  ask(): Promise<unknown>;
  /** what a failed ask is noted as, before its reason */
  askFailed: string;
  /** noted at the second press */
  stopped: string;
  exitCode: number;
  /** run before the first note, e.g. to end a progress line */
  before(): void;
}

export class CtrlC {
  /** a first press came (or the caller saw the job wind down by itself): the next one exits */
  stopping = false;
  private readonly onSigint = () => {
    if (this.stopping) {
      this.ctx.note(this.o.stopped);
      process.exit(this.o.exitCode);
    }
    this.stopping = true;
    this.o.before();
    this.ctx.note(this.o.asking);
    this.o.ask().catch((err: unknown) => this.ctx.note(`${this.o.askFailed}: ${(err as Error).message}`));
  };

  constructor(
    private readonly ctx: CommandContext,
    private readonly o: WindDown,
  ) {
    process.on('SIGINT', this.onSigint);
  }

  off(): void {
    process.off('SIGINT', this.onSigint);
  }
}
