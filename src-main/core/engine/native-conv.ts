// Convolutions on onnxruntime's native CPU kernels (MLAS: AVX2/AVX-512 FMA on x64, NEON on
// arm64) for the wasm engine. WebAssembly's 128-bit SIMD has no FMA, so XNNPACK's convolutions
// reach about a third of what the same cores do natively; everything else in a MoCo step stays
// on wasm. TF.js kernels are synchronous, so the sessions are run through onnxruntime-node's
// native binding, whose run() is synchronous (the package's public run() only wraps it in a
// promise). Each convolution shape gets one small cached session (native-conv-graphs.ts).
import { createRequire } from 'node:module';
import { convOutShape, filterGradGraph, forwardGraph, type ConvShape, type FilterGradShape } from './native-conv-graphs';

export type { ConvShape, FilterGradShape, Pads } from './native-conv-graphs';

interface OrtTensorCtor {
  new (type: 'float32', data: Float32Array, dims: readonly number[]): unknown;
}
interface SyncSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): unknown;
  dispose(): void;
}
interface Binding {
  binding: { InferenceSession: new () => SyncSession };
  initOrt(): void;
}

/** Sessions kept; a ResNet has about twenty convolution shapes, each in three roles. */
const MAX_SESSIONS = 192;

export class NativeConv {
  private readonly sessions = new Map<string, SyncSession>();
  /** convolutions run so far, by kind */
  readonly runs = { forward: 0, filterGrad: 0 };
  /** the two inputs and the output of the last run */
  private readonly scratch = [new Float32Array(0), new Float32Array(0), new Float32Array(0)];

  private constructor(
    private readonly ort: Binding,
    private readonly Tensor: OrtTensorCtor,
    readonly threads: number,
  ) {}

  /** Loads onnxruntime's binding, or says why it cannot be used here. */
  static load(threads: number): NativeConv | string {
    try {
      const require = createRequire(import.meta.url);
      const ort = require('onnxruntime-node/dist/binding.js') as Binding;
      const { Tensor } = require('onnxruntime-node') as { Tensor: OrtTensorCtor };
      if (typeof ort.binding?.InferenceSession !== 'function' || typeof ort.initOrt !== 'function') {
        return 'this onnxruntime-node has no synchronous session binding';
      }
      ort.initOrt();
      const native = new NativeConv(ort, Tensor, threads);
      native.selfCheck();
      return native;
    } catch (err) {
      return `onnxruntime-node could not run a convolution: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /**
   * y = conv2d(x, w): NxOHxOWxCo. The inputs may be views of a backend's memory; the result is
   * a view of this engine's own buffer, valid until its next call: copy it out at once.
   */
  forward(x: Float32Array, w: Float32Array, s: ConvShape): Float32Array {
    const key = `f|${s.x}|${s.w}|${s.stride}|${s.pads}`;
    const session = this.session(key, () => forwardGraph(s));
    this.runs.forward++;
    return this.run(session, { x: [x, s.x], w: [w, s.w] }, convOutShape(s));
  }

  /** dL/dw of a forward convolution: KHxKWxCixCo (a view, as forward's result). */
  filterGrad(x: Float32Array, dy: Float32Array, s: FilterGradShape): Float32Array {
    const key = `g|${s.x}|${s.dy}|${s.kernel}|${s.stride}|${s.pads}`;
    const session = this.session(key, () => filterGradGraph(s));
    this.runs.filterGrad++;
    return this.run(session, { x: [x, s.x], dy: [dy, s.dy] }, [...s.kernel, s.x[3], s.dy[3]]);
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }

  /**
   * Runs a session on its two named inputs, writing its output 'y'. Inputs are copied into
   * buffers kept from call to call (onnxruntime takes no view of shared wasm memory, and a fresh
   * copy per call would leave up to tens of MB of garbage each time), and the output goes into one.
   */
  private run(session: SyncSession, inputs: Record<string, [Float32Array, readonly number[]]>, outDims: readonly number[]): Float32Array {
    const feeds: Record<string, unknown> = {};
    Object.entries(inputs).forEach(([name, [values, dims]], slot) => {
      const copy = this.buffer(slot, values.length);
      copy.set(values);
      feeds[name] = new this.Tensor('float32', copy, dims);
    });
    const out = this.buffer(
      2,
      outDims.reduce((a, b) => a * b, 1),
    );
    session.run(feeds, { y: new this.Tensor('float32', out, outDims) }, {});
    return out;
  }

  /** The first `length` floats of scratch buffer `slot`, grown when too small. */
  private buffer(slot: number, length: number): Float32Array {
    if (this.scratch[slot].length < length) this.scratch[slot] = new Float32Array(length);
    return this.scratch[slot].subarray(0, length);
  }

  private session(key: string, graph: () => Uint8Array): SyncSession {
    let s = this.sessions.get(key);
    if (s) {
      // Most recently used last, so the first entry is the one to drop.
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    const model = graph();
    s = new this.ort.binding.InferenceSession();
    s.loadModel(model.buffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // A session's buffers are freed after each run: many shapes are cached, and an arena per
      // session would keep the peak of each of them.
      enableCpuMemArena: false,
      enableMemPattern: false,
      // Pool threads sleep as soon as a run ends: the wasm ops between two convolutions need the cores.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    this.sessions.set(key, s);
    if (this.sessions.size > MAX_SESSIONS) {
      const [oldest, old] = this.sessions.entries().next().value!;
      this.sessions.delete(oldest);
      old.dispose();
    }
    return s;
  }

  /** A 3x3 convolution of known result, so a broken binding is found at load, not mid-run. */
  private selfCheck(): void {
    const x = new Float32Array(9).map((_, i) => i + 1);
    const w = new Float32Array(9).fill(1);
    const [y] = this.forward(x, w, { x: [1, 3, 3, 1], w: [3, 3, 1, 1], stride: 1, pads: [0, 0, 0, 0] });
    if (y !== 45) throw new Error(`expected a 3x3 sum of 1..9 to be 45, got ${y}`);
  }
}
