/**
 * The PEtab SciML network YAML format — PyTorch-like `layers` (type + constructor arguments)
 * and a `forward` graph exported by `torch.fx` (placeholder / call_module / call_method /
 * call_function / output nodes) — turned into a {@link GraphNet}: parameter shapes in
 * PyTorch's layout and names, PyTorch's default initialization, and a pure `apply` on the
 * autodiff's tensors (so gradients with respect to inputs and every parameter array come
 * from the autodiff).
 *
 * Supported layers: Linear, Bilinear, Flatten, Conv1d/2d/3d, ConvTranspose1d/2d/3d,
 * MaxPool1d/2d/3d, AvgPool1d/2d/3d, LPPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d,
 * AdaptiveAvgPool1d/2d/3d, Dropout, Dropout1d/2d/3d, AlphaDropout (identity at evaluation,
 * random in training mode), BatchNorm1d/2d/3d (running statistics at evaluation),
 * InstanceNorm1d/2d/3d, LayerNorm, Identity. Activations (as call_function or call_method):
 * relu, relu6, hardtanh, hardswish, hardsigmoid, selu, celu, elu, leaky_relu, gelu, silu,
 * mish, sigmoid, tanh, log_sigmoid, tanhshrink, softsign, softplus, softmax, log_softmax;
 * also cat, flatten, reshape/view, add/sub/mul/div and getitem of a tuple. Anything else is
 * rejected with the layer or function named.
 */
import { parse as parseYaml } from 'yaml';
import { add, div, mul, sub } from '../autodiff/ops/binary.js';
import { concat, reshape } from '../autodiff/ops/layout.js';
import { linear, matmul } from '../autodiff/ops/linalg.js';
import { mean, sum } from '../autodiff/ops/reduce.js';
import { elu, gelu, relu, sigmoid, silu, sqrt, square, tanh } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import {
  celu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  relu6,
  SELU_ALPHA,
  SELU_SCALE,
  selu,
  softmax,
  softplusBeta,
  softsign,
  tanhshrink,
} from '../nn/functional.js';
import { adaptivePoolNd, avgPoolNd, convNd, convTransposeNd, lpPoolNd, maxPoolNd } from '../nn/window.js';
import { NDArray } from '../tensor/ndarray.js';
import { bernoulli, type RngKey, splitKey, uniform } from '../tensor/random.js';

/** One layer of the YAML: id, PyTorch class name, constructor arguments. */
export interface LayerSpec {
  readonly id: string;
  readonly type: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/** One node of the forward graph (torch.fx). */
export interface ForwardNode {
  readonly name: string;
  readonly op: 'placeholder' | 'call_module' | 'call_method' | 'call_function' | 'output' | 'get_attr';
  readonly target: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
}

/** A parsed network YAML. */
export interface NetSpec {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly layers: readonly LayerSpec[];
  readonly forward: readonly ForwardNode[];
}

/** Network parameters: layer id → array id (PyTorch names: weight, bias, …) → tensor. */
export type NetParams = Readonly<Record<string, Readonly<Record<string, Tensor>>>>;

/** Options of {@link GraphNet.apply}. */
export interface NetApplyOptions {
  /** Training mode: dropout is random (needs `key`), batch norm uses batch statistics. Default false. */
  training?: boolean;
  /** Random key for dropout in training mode. */
  key?: RngKey;
  /**
   * What batch normalization divides by: `'batch'` (default) the statistics of the batch at
   * hand — PyTorch's behaviour for a module in its default (training) mode, which is how the
   * PEtab SciML suite evaluates its networks — or `'running'` the `running_mean` and
   * `running_var` arrays (PyTorch's `eval()` mode).
   */
  normalization?: 'batch' | 'running';
}

/** Thrown for a network file that cannot be imported; says what, where, and what to do. */
export class NetImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetImportError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses a PEtab SciML network YAML (text) into a {@link NetSpec}, checking its structure.
 *
 * @example
 * ```ts
 * const spec = parseNetYaml(`
 * nn_model_id: net1
 * inputs: [{input_id: input0}]
 * layers: [{layer_id: l1, layer_type: Linear, args: {in_features: 2, out_features: 1}}]
 * forward:
 *   - {name: x, op: placeholder, target: x, args: [], kwargs: {}}
 *   - {name: l1, op: call_module, target: l1, args: [x], kwargs: {}}
 *   - {name: output, op: output, target: output, args: [l1], kwargs: {}}
 * `, 'net1.yaml');
 * spec.layers[0].type; // 'Linear'
 * ```
 */
export function parseNetYaml(text: string, file: string): NetSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new NetImportError(`${file}: not valid YAML (${(e as Error).message})`);
  }
  if (!isRecord(doc))
    throw new NetImportError(`${file}: expected a mapping with nn_model_id, layers and forward`);
  const id = doc.nn_model_id;
  if (typeof id !== 'string') throw new NetImportError(`${file}: missing "nn_model_id" (a string)`);
  const inputs = Array.isArray(doc.inputs)
    ? doc.inputs.map((x, i) => {
        if (!isRecord(x) || typeof x.input_id !== 'string')
          throw new NetImportError(`${file}: inputs[${i}] needs an "input_id"`);
        return x.input_id;
      })
    : [];
  if (!Array.isArray(doc.layers)) throw new NetImportError(`${file}: missing "layers" (a list)`);
  const layers = doc.layers.map((l, i): LayerSpec => {
    if (!isRecord(l) || typeof l.layer_id !== 'string' || typeof l.layer_type !== 'string')
      throw new NetImportError(`${file}: layers[${i}] needs "layer_id" and "layer_type"`);
    return { id: l.layer_id, type: l.layer_type, args: isRecord(l.args) ? l.args : {} };
  });
  if (!Array.isArray(doc.forward))
    throw new NetImportError(`${file}: missing "forward" (a list of graph nodes)`);
  const ops = new Set(['placeholder', 'call_module', 'call_method', 'call_function', 'output', 'get_attr']);
  const forward = doc.forward.map((n, i): ForwardNode => {
    if (
      !isRecord(n) ||
      typeof n.name !== 'string' ||
      typeof n.op !== 'string' ||
      typeof n.target !== 'string'
    )
      throw new NetImportError(`${file}: forward[${i}] needs "name", "op" and "target"`);
    if (!ops.has(n.op)) throw new NetImportError(`${file}: forward[${i}] has unknown op "${n.op}"`);
    return {
      name: n.name,
      op: n.op as ForwardNode['op'],
      target: n.target,
      args: Array.isArray(n.args) ? n.args : [],
      kwargs: isRecord(n.kwargs) ? n.kwargs : {},
    };
  });
  return { id, inputs, layers, forward };
}

/* ---------- argument readers ---------- */

class Args {
  constructor(
    private readonly a: Readonly<Record<string, unknown>>,
    private readonly where: string,
  ) {}
  has(k: string): boolean {
    return this.a[k] !== undefined && this.a[k] !== null;
  }
  int(k: string, dflt?: number): number {
    const v = this.a[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new NetImportError(
        `${this.where}: argument "${k}" must be an integer (got ${JSON.stringify(v)})`,
      );
    return v;
  }
  num(k: string, dflt?: number): number {
    const v = this.a[k] ?? dflt;
    if (typeof v !== 'number') throw new NetImportError(`${this.where}: argument "${k}" must be a number`);
    return v;
  }
  bool(k: string, dflt: boolean): boolean {
    const v = this.a[k] ?? dflt;
    if (typeof v !== 'boolean')
      throw new NetImportError(`${this.where}: argument "${k}" must be true or false`);
    return v;
  }
  ints(k: string, d: number, dflt?: number): number[] {
    const v = this.a[k] ?? dflt;
    if (typeof v === 'number') return new Array<number>(d).fill(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
      if (v.length === 1) return new Array<number>(d).fill(v[0] as number);
      if (v.length === d) return v as number[];
    }
    throw new NetImportError(
      `${this.where}: argument "${k}" must be an integer or ${d} integers (got ${JSON.stringify(v)})`,
    );
  }
  raw(k: string): unknown {
    return this.a[k];
  }
  /** Rejects arguments whose value changes the computation in a way that is not implemented. */
  unsupported(k: string, ok: (v: unknown) => boolean, what: string): void {
    const v = this.a[k];
    if (v !== undefined && v !== null && !ok(v))
      throw new NetImportError(`${this.where}: ${what} (${k} = ${JSON.stringify(v)}) is not supported`);
  }
}

/* ---------- layers ---------- */

interface LayerContext {
  readonly training: boolean;
  readonly key: RngKey | null;
  readonly normalization: 'batch' | 'running';
}

interface LayerImpl {
  /** Parameter arrays (PyTorch names) and their shapes; `buffers` are not estimated (running statistics). */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  readonly buffers: readonly string[];
  /** PyTorch's default initial value of each array, given uniform draws. */
  init(name: string, key: RngKey): NDArray;
  apply(p: Readonly<Record<string, Tensor>>, xs: readonly Tensor[], ctx: LayerContext): Tensor;
}

const kaimingBound = (fanIn: number) => (fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0);

function uniformInit(shapes: Readonly<Record<string, readonly number[]>>, fanIn: number) {
  return (name: string, key: RngKey): NDArray => {
    const b = kaimingBound(fanIn);
    return uniform(key, shapes[name].slice(), -b, b);
  };
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

function one(xs: readonly Tensor[], where: string): Tensor {
  if (xs.length !== 1) throw new NetImportError(`${where}: expected one input, got ${xs.length}`);
  return xs[0];
}

function dims(type: string): number {
  const m = /([123])d$/.exec(type);
  return m === null ? 0 : Number(m[1]);
}

function dropoutLayer(type: string, a: Args, where: string): LayerImpl {
  const p = a.num('p', 0.5);
  if (!(p >= 0 && p <= 1))
    throw new NetImportError(`${where}: dropout probability p = ${p} must lie in [0, 1]`);
  const d = dims(type);
  return {
    shapes: {},
    buffers: [],
    init: () => NDArray.zeros([0]),
    apply: (_p, xs, ctx) => {
      const x = one(xs, where);
      if (!ctx.training || p === 0) return x;
      if (ctx.key === null) throw new NetImportError(`${where}: training-mode dropout needs a random key`);
      const q = 1 - p;
      // Mask shape: elementwise, or one draw per channel for Dropout1d/2d/3d.
      const maskShape =
        d === 0 ? x.shape.slice() : [...x.shape.slice(0, x.rank - d), ...new Array<number>(d).fill(1)];
      const mask = new Tensor(bernoulli(ctx.key, maskShape, q));
      if (type === 'AlphaDropout') {
        // Klambauer et al. 2017: keep the SELU fixed point's mean and variance.
        const alphaP = -SELU_ALPHA * SELU_SCALE;
        const aa = 1 / Math.sqrt(q + alphaP * alphaP * q * p);
        const bb = -aa * alphaP * p;
        const kept = add(mul(x, mask), mul(sub(1, mask), alphaP));
        return add(mul(kept, aa), bb);
      }
      return div(mul(x, mask), q);
    },
  };
}

function normLayer(type: string, a: Args, where: string): LayerImpl {
  const c = a.int('num_features');
  const eps = a.num('eps', 1e-5);
  const instance = type.startsWith('InstanceNorm');
  const affine = a.bool('affine', !instance);
  const track = a.bool('track_running_stats', !instance);
  const d = dims(type);
  const shapes: Record<string, number[]> = {};
  if (affine) {
    shapes.weight = [c];
    shapes.bias = [c];
  }
  const buffers: string[] = [];
  if (track) {
    shapes.running_mean = [c];
    shapes.running_var = [c];
    buffers.push('running_mean', 'running_var');
  }
  return {
    shapes,
    buffers,
    init: (name) => (name === 'weight' || name === 'running_var' ? NDArray.full([c], 1) : NDArray.zeros([c])),
    apply: (p, xs, ctx) => {
      const x0 = one(xs, where);
      // Channel axis: 1 for batched inputs; instance norm also accepts unbatched [C, ...S].
      const batchedRank = d + 2;
      let x = x0;
      let unbatch = false;
      if (instance && x0.rank === d + 1) {
        x = reshape(x0, [1, ...x0.shape]);
        unbatch = true;
      } else if (!instance && type === 'BatchNorm1d' && x0.rank === 2) {
        // [N, C]
      } else if (x0.rank !== batchedRank) {
        throw new NetImportError(`${where}: input of shape [${x0.shape.join(', ')}] does not fit ${type}`);
      }
      if (x.shape[1] !== c)
        throw new NetImportError(`${where}: input has ${x.shape[1]} channels, the layer ${c}`);
      const bshape = x.shape.map((n, i) => (i === 1 ? n : 1));
      let y: Tensor;
      const useBatchStats = !track || ctx.normalization === 'batch';
      if (useBatchStats) {
        const axes = instance
          ? Array.from({ length: x.rank - 2 }, (_, i) => i + 2)
          : [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2)];
        const m = mean(x, axes, true);
        const centered = sub(x, m);
        const v = mean(square(centered), axes, true);
        y = div(centered, sqrt(add(v, eps)));
      } else {
        const rm = reshape(p.running_mean, bshape);
        const rv = reshape(p.running_var, bshape);
        y = div(sub(x, rm), sqrt(add(rv, eps)));
      }
      if (affine) y = add(mul(y, reshape(p.weight, bshape)), reshape(p.bias, bshape));
      return unbatch ? reshape(y, x0.shape) : y;
    },
  };
}

function layerImpl(spec: LayerSpec, file: string): LayerImpl {
  const where = `${file}: layer "${spec.id}" (${spec.type})`;
  const a = new Args(spec.args, where);
  const t = spec.type;
  switch (t) {
    case 'Linear': {
      const nIn = a.int('in_features');
      const nOut = a.int('out_features');
      const shapes: Record<string, number[]> = { weight: [nOut, nIn] };
      if (a.bool('bias', true)) shapes.bias = [nOut];
      return {
        shapes,
        buffers: [],
        init: uniformInit(shapes, nIn),
        apply: (p, xs) => {
          const x = one(xs, where);
          if (x.shape[x.rank - 1] !== nIn)
            throw new NetImportError(
              `${where}: input's last axis is ${x.shape[x.rank - 1]}, in_features is ${nIn}`,
            );
          if (x.rank === 1) return reshape(linear(reshape(x, [1, nIn]), p.weight, p.bias), [nOut]);
          return linear(x, p.weight, p.bias);
        },
      };
    }
    case 'Bilinear': {
      const n1 = a.int('in1_features');
      const n2 = a.int('in2_features');
      const nOut = a.int('out_features');
      const shapes: Record<string, number[]> = { weight: [nOut, n1, n2] };
      if (a.bool('bias', true)) shapes.bias = [nOut];
      return {
        shapes,
        buffers: [],
        init: uniformInit(shapes, n1),
        apply: (p, xs) => {
          if (xs.length !== 2)
            throw new NetImportError(`${where}: Bilinear takes two inputs, got ${xs.length}`);
          const [x1, x2] = xs;
          const lead = x1.shape.slice(0, -1);
          const m = prod(lead);
          // y[·, o] = Σᵢⱼ x1[·, i] W[o, i, j] x2[·, j] + b[o]
          const w = reshape(p.weight, [nOut * n1, n2]);
          const t2 = matmul(reshape(x2, [m, n2]), w, { transB: true }); // [m, out·n1]
          const t3 = mul(reshape(t2, [m, nOut, n1]), reshape(x1, [m, 1, n1]));
          let y = sum(t3, [2]);
          if (p.bias !== undefined) y = add(y, p.bias);
          return reshape(y, [...lead, nOut]);
        },
      };
    }
    case 'Conv1d':
    case 'Conv2d':
    case 'Conv3d': {
      const d = dims(t);
      const cin = a.int('in_channels');
      const cout = a.int('out_channels');
      const k = a.ints('kernel_size', d);
      const groups = a.int('groups', 1);
      a.unsupported('padding_mode', (v) => v === 'zeros', 'a padding mode other than "zeros"');
      const pad = a.raw('padding');
      const padding = pad === 'same' || pad === 'valid' ? pad : a.ints('padding', d, 0);
      const stride = a.ints('stride', d, 1);
      const dilation = a.ints('dilation', d, 1);
      const shapes: Record<string, number[]> = { weight: [cout, cin / groups, ...k] };
      if (a.bool('bias', true)) shapes.bias = [cout];
      return {
        shapes,
        buffers: [],
        init: uniformInit(shapes, (cin / groups) * prod(k)),
        apply: (p, xs) => convNd(one(xs, where), p.weight, p.bias, { stride, padding, dilation, groups }),
      };
    }
    case 'ConvTranspose1d':
    case 'ConvTranspose2d':
    case 'ConvTranspose3d': {
      const d = dims(t);
      const cin = a.int('in_channels');
      const cout = a.int('out_channels');
      const k = a.ints('kernel_size', d);
      const groups = a.int('groups', 1);
      a.unsupported('padding_mode', (v) => v === 'zeros', 'a padding mode other than "zeros"');
      const options = {
        stride: a.ints('stride', d, 1),
        padding: a.ints('padding', d, 0),
        outputPadding: a.ints('output_padding', d, 0),
        dilation: a.ints('dilation', d, 1),
        groups,
      };
      const shapes: Record<string, number[]> = { weight: [cin, cout / groups, ...k] };
      if (a.bool('bias', true)) shapes.bias = [cout];
      return {
        shapes,
        buffers: [],
        init: uniformInit(shapes, (cout / groups) * prod(k)),
        apply: (p, xs) => convTransposeNd(one(xs, where), p.weight, p.bias, options),
      };
    }
    case 'MaxPool1d':
    case 'MaxPool2d':
    case 'MaxPool3d':
    case 'AvgPool1d':
    case 'AvgPool2d':
    case 'AvgPool3d':
    case 'LPPool1d':
    case 'LPPool2d':
    case 'LPPool3d': {
      const d = dims(t);
      a.unsupported('return_indices', (v) => v === false, 'returning indices');
      const base = {
        kernelSize: a.ints('kernel_size', d),
        stride: a.has('stride') ? a.ints('stride', d) : null,
        ceilMode: a.bool('ceil_mode', false),
      };
      const pool = (x: Tensor): Tensor => {
        if (t.startsWith('Max'))
          return maxPoolNd(x, d, {
            ...base,
            padding: a.ints('padding', d, 0),
            dilation: a.ints('dilation', d, 1),
          });
        if (t.startsWith('Avg'))
          return avgPoolNd(x, d, {
            ...base,
            padding: a.ints('padding', d, 0),
            countIncludePad: a.bool('count_include_pad', true),
            divisorOverride: a.has('divisor_override') ? a.int('divisor_override') : null,
          });
        return lpPoolNd(x, d, a.num('norm_type'), base);
      };
      return {
        shapes: {},
        buffers: [],
        init: () => NDArray.zeros([0]),
        apply: (_p, xs) => pool(one(xs, where)),
      };
    }
    case 'AdaptiveMaxPool1d':
    case 'AdaptiveMaxPool2d':
    case 'AdaptiveMaxPool3d':
    case 'AdaptiveAvgPool1d':
    case 'AdaptiveAvgPool2d':
    case 'AdaptiveAvgPool3d': {
      const d = dims(t);
      a.unsupported('return_indices', (v) => v === false, 'returning indices');
      const raw = a.raw('output_size');
      const size: (number | null)[] =
        typeof raw === 'number'
          ? new Array<number>(d).fill(raw)
          : Array.isArray(raw) && raw.length === d && raw.every((v) => v === null || typeof v === 'number')
            ? (raw as (number | null)[])
            : (() => {
                throw new NetImportError(`${where}: output_size must be an integer or ${d} integers`);
              })();
      const kind = t.includes('Max') ? 'max' : 'avg';
      return {
        shapes: {},
        buffers: [],
        init: () => NDArray.zeros([0]),
        apply: (_p, xs) => adaptivePoolNd(one(xs, where), d, size, kind),
      };
    }
    case 'Flatten': {
      const start = a.int('start_dim', 1);
      const end = a.int('end_dim', -1);
      return {
        shapes: {},
        buffers: [],
        init: () => NDArray.zeros([0]),
        apply: (_p, xs) => flatten(one(xs, where), start, end),
      };
    }
    case 'Identity':
      return { shapes: {}, buffers: [], init: () => NDArray.zeros([0]), apply: (_p, xs) => one(xs, where) };
    case 'Dropout':
    case 'Dropout1d':
    case 'Dropout2d':
    case 'Dropout3d':
    case 'AlphaDropout':
      return dropoutLayer(t, a, where);
    case 'BatchNorm1d':
    case 'BatchNorm2d':
    case 'BatchNorm3d':
    case 'InstanceNorm1d':
    case 'InstanceNorm2d':
    case 'InstanceNorm3d':
      return normLayer(t, a, where);
    case 'LayerNorm': {
      const raw = a.raw('normalized_shape');
      const shape =
        typeof raw === 'number' ? [raw] : a.ints('normalized_shape', Array.isArray(raw) ? raw.length : 1);
      const eps = a.num('eps', 1e-5);
      const affine = a.bool('elementwise_affine', true);
      const shapes: Record<string, number[]> = {};
      if (affine) {
        shapes.weight = shape;
        if (a.bool('bias', true)) shapes.bias = shape;
      }
      return {
        shapes,
        buffers: [],
        init: (name) => (name === 'weight' ? NDArray.full(shape, 1) : NDArray.zeros(shape)),
        apply: (p, xs) => {
          const x = one(xs, where);
          const tail = x.shape.slice(x.rank - shape.length);
          if (tail.join(',') !== shape.join(','))
            throw new NetImportError(
              `${where}: input [${x.shape.join(', ')}] does not end in normalized_shape [${shape.join(', ')}]`,
            );
          const axes = shape.map((_, i) => x.rank - shape.length + i);
          const m = mean(x, axes, true);
          const c = sub(x, m);
          let y = div(c, sqrt(add(mean(square(c), axes, true), eps)));
          if (p.weight !== undefined) y = mul(y, p.weight);
          if (p.bias !== undefined) y = add(y, p.bias);
          return y;
        },
      };
    }
    default:
      throw new NetImportError(`${where}: layer type "${t}" is not supported by greybox`);
  }
}

function flatten(x: Tensor, start: number, end: number): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = start < 0 ? start + x.rank : start;
  const e = end < 0 ? end + x.rank : end;
  if (s < 0 || e >= x.rank || s > e)
    throw new NetImportError(`flatten: dims ${start}..${end} do not fit a tensor of rank ${x.rank}`);
  const shape = [...x.shape.slice(0, s), prod(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/* ---------- functions and methods of the forward graph ---------- */

type Value = Tensor | readonly Value[] | number | null;

function asTensor(v: Value, where: string): Tensor {
  if (v instanceof Tensor) return v;
  throw new NetImportError(`${where}: expected a tensor argument`);
}

function axisArg(v: unknown, rank: number, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new NetImportError(`${where}: "dim" must be an integer`);
  return v < 0 ? v + rank : v;
}

function applyFunction(
  name: string,
  args: readonly Value[],
  kw: Readonly<Record<string, unknown>>,
  where: string,
): Value {
  const x = () => asTensor(args[0], where);
  const opt = (k: string, pos: number, dflt: unknown): unknown =>
    kw[k] ?? (args.length > pos ? args[pos] : dflt);
  const num = (k: string, pos: number, dflt: number): number => {
    const v = opt(k, pos, dflt);
    if (typeof v !== 'number') throw new NetImportError(`${where}: argument "${k}" must be a number`);
    return v;
  };
  const bare = name.replace(/^torch\.(nn\.functional\.)?/, '').replace(/^F\./, '');
  switch (bare) {
    case 'relu':
      return relu(x());
    case 'relu6':
      return relu6(x());
    case 'hardtanh':
      return hardtanh(x(), num('min_val', 1, -1), num('max_val', 2, 1));
    case 'hardswish':
      return hardswish(x());
    case 'hardsigmoid':
      return hardsigmoid(x());
    case 'selu':
      return selu(x());
    case 'celu':
      return celu(x(), num('alpha', 1, 1));
    case 'elu':
      return elu(x(), num('alpha', 1, 1));
    case 'leaky_relu':
      return leakyRelu(x(), num('negative_slope', 1, 0.01));
    case 'gelu': {
      const approx = opt('approximate', 1, 'none');
      if (approx !== 'none')
        throw new NetImportError(`${where}: gelu with approximate="${String(approx)}" is not supported`);
      return gelu(x());
    }
    case 'silu':
      return silu(x());
    case 'mish':
      return mish(x());
    case 'sigmoid':
      return sigmoid(x());
    case 'tanh':
      return tanh(x());
    case 'log_sigmoid':
    case 'logsigmoid':
      return logSigmoid(x());
    case 'tanhshrink':
      return tanhshrink(x());
    case 'softsign':
      return softsign(x());
    case 'softplus':
      return softplusBeta(x(), num('beta', 1, 1), num('threshold', 2, 20));
    case 'softmax':
    case 'log_softmax': {
      const t = x();
      const dim = opt('dim', 1, null);
      if (dim === null) throw new NetImportError(`${where}: ${bare} needs an explicit "dim"`);
      const ax = axisArg(dim, t.rank, where);
      return bare === 'softmax' ? softmax(t, ax) : logSoftmax(t, ax);
    }
    case 'cat':
    case 'concat':
    case 'concatenate': {
      const list = args[0];
      if (!Array.isArray(list)) throw new NetImportError(`${where}: cat takes a list of tensors`);
      const ts = (list as Value[]).map((v) => asTensor(v, where));
      const dim = opt('dim', 1, 0);
      return concat(ts, axisArg(dim, ts[0].rank, where));
    }
    case 'flatten': {
      const t = x();
      return flatten(t, num('start_dim', 1, 0), num('end_dim', 2, -1));
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'truediv':
    case 'div': {
      const [p, q] = args;
      const tp = typeof p === 'number' ? p : asTensor(p, where);
      const tq = typeof q === 'number' ? q : asTensor(q, where);
      const f = bare === 'add' ? add : bare === 'sub' ? sub : bare === 'mul' ? mul : div;
      return f(tp, tq);
    }
    case 'getitem': {
      const [seq, i] = args;
      if (Array.isArray(seq) && typeof i === 'number') return (seq as Value[])[i];
      throw new NetImportError(`${where}: getitem is supported on tuples of outputs only`);
    }
    default:
      throw new NetImportError(`${where}: function "${name}" is not supported by greybox`);
  }
}

function applyMethod(
  name: string,
  args: readonly Value[],
  kw: Readonly<Record<string, unknown>>,
  where: string,
): Value {
  const self = asTensor(args[0], where);
  switch (name) {
    case 'view':
    case 'reshape': {
      const dimsArg = args.length === 2 && Array.isArray(args[1]) ? (args[1] as Value[]) : args.slice(1);
      const shape = dimsArg.map((v) => {
        if (typeof v !== 'number') throw new NetImportError(`${where}: ${name} needs integer sizes`);
        return v;
      });
      const known = shape.filter((v) => v !== -1).reduce((p, q) => p * q, 1);
      return reshape(
        self,
        shape.map((v) => (v === -1 ? self.size / known : v)),
      );
    }
    case 'flatten':
      return applyFunction('flatten', args, kw, where);
    default:
      return applyFunction(name, args, kw, where);
  }
}

/**
 * A network imported from the PEtab SciML YAML format: parameter shapes in PyTorch's
 * layout, PyTorch's default initialization, and a pure forward pass on autodiff tensors.
 *
 * @example
 * ```ts
 * const net = new GraphNet(parseNetYaml(text, 'net1.yaml'), 'net1.yaml');
 * const params = net.init(rngKey(0));
 * const [y] = net.apply(params, [tensor([0.5, 1.5])]);
 * ```
 */
export class GraphNet {
  readonly id: string;
  /** Number of input arguments of the forward function (placeholder nodes). */
  readonly nInputs: number;
  private readonly impls: Map<string, LayerImpl>;

  constructor(
    readonly spec: NetSpec,
    readonly file: string,
  ) {
    this.id = spec.id;
    this.impls = new Map(spec.layers.map((l) => [l.id, layerImpl(l, file)]));
    if (this.impls.size !== spec.layers.length)
      throw new NetImportError(`${file}: two layers share a layer_id`);
    this.nInputs = spec.forward.filter((n) => n.op === 'placeholder').length;
    if (!spec.forward.some((n) => n.op === 'output'))
      throw new NetImportError(`${file}: the forward graph has no output node`);
    for (const n of spec.forward) {
      if (n.op === 'call_module' && !this.impls.has(n.target))
        throw new NetImportError(`${file}: forward node "${n.name}" calls unknown layer "${n.target}"`);
      if (n.op === 'get_attr')
        throw new NetImportError(`${file}: forward node "${n.name}": get_attr is not supported`);
    }
  }

  /** Layer ids with their parameter arrays and shapes (PyTorch names), in layer order. */
  get parameterShapes(): ReadonlyMap<string, Readonly<Record<string, readonly number[]>>> {
    return new Map([...this.impls].map(([id, impl]) => [id, impl.shapes]));
  }

  /** Whether `layer.array` is a buffer (running statistics), not a trainable parameter. */
  isBuffer(layer: string, array: string): boolean {
    return this.impls.get(layer)?.buffers.includes(array) ?? false;
  }

  /**
   * PyTorch's default initialization: Linear, Bilinear and convolution weights and biases
   * U(±1/√fan_in); normalization weights 1, biases 0, running mean 0, running variance 1.
   */
  init(key: RngKey): NetParams {
    const out: Record<string, Record<string, Tensor>> = {};
    const layers = [...this.impls];
    const keys = splitKey(key, Math.max(2, layers.length));
    layers.forEach(([id, impl], i) => {
      const names = Object.keys(impl.shapes);
      const ks = splitKey(keys[i], Math.max(2, names.length));
      out[id] = Object.fromEntries(names.map((n, j) => [n, new Tensor(impl.init(n, ks[j]))]));
    });
    return out;
  }

  /**
   * The forward pass: `inputs[i]` is the i-th placeholder; returns the output node's tensors
   * (one, or several for a tuple output).
   */
  apply(params: NetParams, inputs: readonly Tensor[], options: NetApplyOptions = {}): Tensor[] {
    if (inputs.length !== this.nInputs)
      throw new NetImportError(
        `${this.file}: network ${this.id} takes ${this.nInputs} inputs, got ${inputs.length}`,
      );
    const training = options.training ?? false;
    let key = options.key ?? null;
    const env = new Map<string, Value>();
    let placeholder = 0;
    const resolve = (v: unknown, where: string): Value => {
      if (typeof v === 'string') {
        if (!env.has(v)) throw new NetImportError(`${where}: unknown node "${v}"`);
        return env.get(v) as Value;
      }
      if (typeof v === 'number' || v === null) return v;
      if (Array.isArray(v)) return v.map((u) => resolve(u, where));
      throw new NetImportError(`${where}: unsupported argument ${JSON.stringify(v)}`);
    };
    for (const n of this.spec.forward) {
      const where = `${this.file}: forward node "${n.name}"`;
      if (n.op === 'placeholder') {
        env.set(n.name, inputs[placeholder++]);
        continue;
      }
      const args = n.args.map((a) => resolve(a, where));
      if (n.op === 'output') {
        const out = args.length === 1 ? args[0] : args;
        const list = Array.isArray(out) ? (out as Value[]) : [out];
        return list.map((v) => asTensor(v, where));
      }
      if (n.op === 'call_module') {
        const impl = this.impls.get(n.target) as LayerImpl;
        const p = params[n.target] ?? {};
        for (const name of Object.keys(impl.shapes)) {
          const t = p[name];
          if (t === undefined) throw new NetImportError(`${where}: missing parameter ${n.target}.${name}`);
          if (t.shape.join(',') !== impl.shapes[name].join(','))
            throw new NetImportError(
              `${where}: parameter ${n.target}.${name} has shape [${t.shape.join(', ')}], the layer needs [${impl.shapes[name].join(', ')}]`,
            );
        }
        let sub: RngKey | null = null;
        if (key !== null) [key, sub] = splitKey(key, 2);
        const xs = args.map((v) => asTensor(v, where));
        env.set(
          n.name,
          impl.apply(p, xs, { training, key: sub, normalization: options.normalization ?? 'batch' }),
        );
      } else if (n.op === 'call_function') env.set(n.name, applyFunction(n.target, args, n.kwargs, where));
      else if (n.op === 'call_method') env.set(n.name, applyMethod(n.target, args, n.kwargs, where));
    }
    throw new NetImportError(`${this.file}: the forward graph has no output node`);
  }
}
