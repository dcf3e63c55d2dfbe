// The similar pairs a self-join finds, as growable (a, b, score) columns that can drop their
// least similar pairs when a cap is reached.
import { nextFloat32Up } from './vec-math';

/** Growable (a, b, score) columns. */
export class PairBuffer {
  count = 0;
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private s = new Float32Array(1024);

  push(a: number, b: number, s: number): void {
    if (this.count === this.s.length) this.grow();
    this.a[this.count] = a;
    this.b[this.count] = b;
    this.s[this.count] = s;
    this.count++;
  }

  /** Drops the least similar pairs so at most `target` remain; returns the new floor (keep score >= floor). */
  prune(target: number): number {
    const sorted = this.s.slice(0, this.count).sort();
    const highestDropped = sorted[this.count - target - 1];
    const floor = nextFloat32Up(highestDropped);
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      if (this.s[r] < floor) continue;
      this.a[w] = this.a[r];
      this.b[w] = this.b[r];
      this.s[w] = this.s[r];
      w++;
    }
    this.count = w;
    return floor;
  }

  sorted(): { a: Int32Array; b: Int32Array; scores: Float32Array } {
    const { a, b, s, count } = this;
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((x, y) => s[y] - s[x] || a[x] - a[y] || b[x] - b[y]);
    const out = { a: new Int32Array(count), b: new Int32Array(count), scores: new Float32Array(count) };
    for (let i = 0; i < count; i++) {
      out.a[i] = a[order[i]];
      out.b[i] = b[order[i]];
      out.scores[i] = s[order[i]];
    }
    return out;
  }

  private grow(): void {
    const size = this.s.length * 2;
    const a = new Int32Array(size);
    const b = new Int32Array(size);
    const s = new Float32Array(size);
    a.set(this.a);
    b.set(this.b);
    s.set(this.s);
    this.a = a;
    this.b = b;
    this.s = s;
  }
}
