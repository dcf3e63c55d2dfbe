// A small ONNX graph builder over onnx-proto's protobufjs classes: nodes in topological order,
// float32 initializers as raw little-endian bytes, typed graph inputs and outputs, and the
// ModelProto encoding. onnx-proto carries the field numbers of the official onnx.proto, so no
// wire format is written by hand here.
import os from 'node:os';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export { onnx };

/** A tensor dimension: a fixed size, or a symbolic name for a dynamic one (e.g. 'N'). */
export type Dim = number | string;
/** Integer attributes only: the ops used here (Conv, MaxPool, Gemm, Flatten, ReduceL2, Transpose, Reshape) need no others. */
export type AttrValue = number | number[];

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly values = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor() {
    if (os.endianness() !== 'LE')
      throw new Error(`OnnxGraphBuilder: expected a little-endian machine (ONNX raw_data), got ${os.endianness()}`);
  }

  /** A float32 graph input of the given shape. */
  input(name: string, shape: Dim[]): string {
    this.define(name);
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  /** Marks an existing value as a float32 graph output. */
  output(name: string, shape: Dim[]): void {
    if (!this.values.has(name)) throw new Error(`OnnxGraphBuilder.output: expected a value defined earlier, got ${name}`);
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 constant (weights, biases, scalars: dims []). */
  initializer(name: string, dims: number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      throw new Error(`OnnxGraphBuilder.initializer ${name}: expected ${count} values for [${dims}], got ${data.length}`);
    this.define(name);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 constant (shapes for Reshape). */
  int64Initializer(name: string, values: number[]): string {
    this.define(name);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Appends a node; its single output is named `output` (default: the node's name). */
  node(opType: string, name: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output = name): string {
    for (const i of inputs) {
      if (!this.values.has(i)) throw new Error(`OnnxGraphBuilder.node ${name}: expected input ${i} to be defined earlier, got none`);
    }
    if (this.nodeNames.has(name)) throw new Error(`OnnxGraphBuilder.node: expected a new node name, got ${name} twice`);
    this.nodeNames.add(name);
    this.define(output);
    this.nodes.push({ opType, name, input: inputs, output: [output], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return output;
  }

  /** The serialized ModelProto. */
  encode(meta: { graphName: string; opset: number; irVersion: number; docString: string; props: Record<string, string> }): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: meta.irVersion,
      producerName: 'moco-studio',
      docString: meta.docString,
      opsetImport: [{ domain: '', version: meta.opset }],
      metadataProps: Object.entries(meta.props).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  private define(name: string): void {
    if (this.values.has(name)) throw new Error(`OnnxGraphBuilder: expected a new value name, got ${name} twice`);
    this.values.add(name);
  }
}

function valueInfo(name: string, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (!Number.isInteger(v)) throw new Error(`OnnxGraphBuilder: expected an integer attribute ${name}, got ${v}`);
  return { name, type: T.INT, i: v };
}
