// onnxruntime engine: scores come from one Gemm (queries x rowsᵀ, MLAS SIMD kernels over all
// threads) and never cross into JS in bulk; a TopK or a NonZero in the same graph reduces them to
// the few values JS needs. Inputs are zero-copy views of the caller's Float32Arrays, so a block is
// a subarray of the library, not a copy. TopK keeps the lower index among equal values, which
// matches the (score desc, row asc) order of the collector.
import onnxProto from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import type { BlockPairs, ScoreEngine, SearchBlock } from './vec-engine';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
type Elem = number;

export async function createOnnxEngine(threads: number): Promise<ScoreEngine> {
  const ort = await import('onnxruntime-node');
  const options: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Pool threads keep onnxruntime's default: a short, bounded spin before they sleep. Measured
    // on 2 busy cores, turning it off made a 1M x 128 search 1.2-1.5x slower.
  };
  const [search, searchMasked, pairs] = await Promise.all([
    ort.InferenceSession.create(searchGraph(false), options),
    ort.InferenceSession.create(searchGraph(true), options),
    ort.InferenceSession.create(pairsGraph(), options),
  ]);
  return new OnnxEngine(ort, threads, search, searchMasked, pairs);
}

class OnnxEngine implements ScoreEngine {
  readonly name = 'onnx' as const;

  constructor(
    private readonly ort: typeof Ort,
    readonly threads: number,
    private readonly search: Ort.InferenceSession,
    private readonly searchMasked: Ort.InferenceSession,
    private readonly pairs: Ort.InferenceSession,
  ) {}

  async searchBlock(blk: SearchBlock): Promise<void> {
    const { ort } = this;
    const { nq, b, d, kk, top, firstQuery, firstRow } = blk;
    const feeds: Record<string, Ort.Tensor> = {
      q: new ort.Tensor('float32', blk.queries, [nq, d]),
      x: new ort.Tensor('float32', blk.rows, [b, d]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(kk)), [1]),
    };
    if (blk.allow) feeds.allow = new ort.Tensor('bool', blk.allow, [b]);
    const out = await (blk.allow ? this.searchMasked : this.search).run(feeds);
    const values = out.values.data as Float32Array; // nq x kk
    const indices = out.indices.data as BigInt64Array; // nq x kk
    for (let q = 0; q < nq; q++) {
      for (let t = q * kk, end = t + kk; t < end; t++) {
        const s = values[t];
        if (s === -Infinity) break; // masked rows sort last
        top.push(firstQuery + q, firstRow + Number(indices[t]), s);
      }
    }
  }

  async pairsBlock(queries: Float32Array, nq: number, rows: Float32Array, b: number, d: number, minScore: number): Promise<BlockPairs> {
    const { ort } = this;
    const out = await this.pairs.run({
      q: new ort.Tensor('float32', queries, [nq, d]),
      x: new ort.Tensor('float32', rows, [b, d]),
      t: new ort.Tensor('float32', Float32Array.of(minScore), [1]),
    });
    const where = out.where.data as Int32Array; // 2 x P: query indices, then row indices
    const scores = out.scores.data as Float32Array; // P
    const p = scores.length;
    const qi = where.subarray(0, p);
    const rj = where.subarray(p, 2 * p);
    return { qi, rj, scores };
  }
}

/** scores = Gemm(q, xᵀ): nq x b; optionally masked to -inf; TopK(kk) along rows. */
function searchGraph(masked: boolean): Uint8Array {
  const g = new Graph();
  g.input('q', T.FLOAT, ['nq', 'd']);
  g.input('x', T.FLOAT, ['b', 'd']);
  g.input('k', T.INT64, [1]);
  g.node('Gemm', ['q', 'x'], ['scores'], { transB: 1 }); // nq x b
  let ranked = 'scores';
  if (masked) {
    g.input('allow', T.BOOL, ['b']);
    g.floatScalar('minus_inf', -Infinity);
    g.node('Where', ['allow', 'scores', 'minus_inf'], ['masked']); // nq x b, broadcast over queries
    ranked = 'masked';
  }
  g.node('TopK', [ranked, 'k'], ['values', 'indices'], { axis: -1, largest: 1, sorted: 1 }); // nq x kk
  g.output('values', T.FLOAT, ['nq', 'kk']);
  g.output('indices', T.INT64, ['nq', 'kk']);
  return g.encode('search');
}

/** scores = Gemm(q, xᵀ); where = NonZero(scores >= t) as int32: 2 x P; scores at those places: P. */
function pairsGraph(): Uint8Array {
  const g = new Graph();
  g.input('q', T.FLOAT, ['nq', 'd']);
  g.input('x', T.FLOAT, ['b', 'd']);
  g.input('t', T.FLOAT, [1]);
  g.node('Gemm', ['q', 'x'], ['all'], { transB: 1 }); // nq x b
  g.node('GreaterOrEqual', ['all', 't'], ['hit']); // nq x b
  g.node('NonZero', ['hit'], ['where64']); // 2 x P
  g.node('Transpose', ['where64'], ['where_t'], { perm: [1, 0] }); // P x 2
  g.node('GatherND', ['all', 'where_t'], ['scores']); // P
  g.node('Cast', ['where64'], ['where'], { to: T.INT32 }); // 2 x P, read in JS without BigInt
  g.output('where', T.INT32, [2, 'P']);
  g.output('scores', T.FLOAT, ['P']);
  return g.encode('pairs');
}

/** Just enough of a graph builder for these two graphs (typed inputs, int attributes). */
class Graph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];

  input(name: string, elem: Elem, shape: (number | string)[]): void {
    this.inputs.push(valueInfo(name, elem, shape));
  }

  output(name: string, elem: Elem, shape: (number | string)[]): void {
    this.outputs.push(valueInfo(name, elem, shape));
  }

  floatScalar(name: string, value: number): void {
    this.inits.push({ name, dims: [], dataType: T.FLOAT, floatData: [value] });
  }

  node(opType: string, input: string[], output: string[], attrs: Record<string, number | number[]> = {}): void {
    const A = onnx.AttributeProto.AttributeType;
    const attribute = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? { name, type: A.INTS, ints: v } : { name, type: A.INT, i: v },
    );
    this.nodes.push({ opType, name: `${opType}_${this.nodes.length}`, input, output, attribute });
  }

  encode(name: string): Uint8Array {
    const graph = { name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.inits };
    return onnx.ModelProto.encode({
      irVersion: 8,
      producerName: 'moco-studio',
      opsetImport: [{ domain: '', version: 17 }],
      graph,
    }).finish();
  }
}

function valueInfo(name: string, elemType: Elem, shape: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
