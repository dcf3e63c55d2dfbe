// When a run writes a checkpoint besides pausing and ending (both always write one): once
// config.checkpointMinutes of wall time have passed since the last, at the step where that
// happens, or at the epoch boundary when it was the epoch's last step, but not after the last
// epoch, whose checkpoint the end writes.
export type AfterStep = 'write' | 'at-epoch-end' | 'none';

export class CheckpointPolicy {
  private last = Date.now();

  constructor(private readonly minutes: number) {}

  private due(now: number): boolean {
    return now - this.last >= this.minutes * 60_000;
  }

  afterStep(now: number, lastOfEpoch: boolean): AfterStep {
    if (!this.due(now)) return 'none';
    return lastOfEpoch ? 'at-epoch-end' : 'write';
  }

  /** At the boundary after `epochsDone` of `epochs`. */
  atEpochEnd(epochsDone: number, epochs: number): boolean {
    return this.due(Date.now()) && epochsDone < epochs;
  }

  written(): void {
    this.last = Date.now();
  }
}
