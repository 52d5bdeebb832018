/**
 * Convolution layers (PyTorch's `nn.Conv1d` and `nn.Conv2d`): cross-correlations with
 * stride, padding (zeros, circular or replicate), dilation and groups, on the autodiff's
 * differentiable `conv1d`/`conv2d`.
 */
import { add } from '../autodiff/ops/binary.js';
import { conv1d, conv2d } from '../autodiff/ops/conv.js';
import { concat, pad, reshape, sliceRaw } from '../autodiff/ops/layout.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { PadMode } from '../tensor/layout.js';
import type { RngKey } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import type { Initializer } from './init.js';
import { defaultBiasInit, defaultWeightInit } from './linear.js';
import { booleanOption, checkOptions, initParams, type ParamSpec, param, requireInteger } from './module.js';

/** Parameters of a convolution layer: `weight` [out, in/groups, k…] and, unless `bias: false`, `bias` [out]. */
export type ConvParams = { readonly weight: Tensor; readonly bias: Tensor } | { readonly weight: Tensor };

/**
 * How a convolution pads its input, with PyTorch's names: `'zeros'` (default), `'circular'`
 * (periodic wrap-around) or `'replicate'` (the edge value repeated). PyTorch's `'reflect'` is
 * not supported.
 */
export type ConvPaddingMode = 'zeros' | 'circular' | 'replicate';

const PAD_MODES: Readonly<Record<ConvPaddingMode, PadMode>> = {
  zeros: 'zero',
  circular: 'periodic',
  replicate: 'replicate',
};

/** Options shared by {@link conv1dLayer} and {@link conv2dLayer}. */
interface ConvCommonOptions {
  /** Input channels C (axis 1 of the input). */
  inChannels: number;
  /** Output channels O. */
  outChannels: number;
  /** Channel groups G (default 1): each group of C/G inputs feeds its own O/G outputs. */
  groups?: number;
  /** Whether there is a bias (default true). */
  bias?: boolean;
  /** Padding fill (default `'zeros'`). */
  paddingMode?: ConvPaddingMode;
  /** Weight initializer (default PyTorch's U(±1/√fan_in), fan_in = C/G·Πk). */
  weightInit?: Initializer;
  /** Bias initializer (default PyTorch's U(±1/√fan_in)). */
  biasInit?: Initializer;
}

/** Options of {@link conv1dLayer}. */
export interface Conv1dLayerOptions extends ConvCommonOptions {
  /** Taps K of the kernel. */
  kernelSize: number;
  /** Step between outputs (default 1). */
  stride?: number;
  /** Entries added at both ends, or `'same'` (output length = input length; stride 1 only) or `'valid'` (= 0). Default 0. */
  padding?: number | 'same' | 'valid';
  /** Spacing between taps (default 1). */
  dilation?: number;
}

/** Options of {@link conv2dLayer}; pairs are [height, width], a number means both. */
export interface Conv2dLayerOptions extends ConvCommonOptions {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number] | 'same' | 'valid';
  dilation?: number | readonly [number, number];
}

/** A 1-d convolution layer. Immutable. */
export interface Conv1dLayer {
  readonly kind: 'conv1d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  /** Entries added [before, after]. */
  readonly padding: readonly [number, number];
  readonly dilation: number;
  readonly groups: number;
  readonly bias: boolean;
  readonly paddingMode: ConvPaddingMode;
  /** Fresh parameters (`weight` from child 0 of `key`, `bias` from child 1). */
  init(key: RngKey): ConvParams;
  /** x [N, C, L] ↦ y [N, O, Lout], Lout = ⌊(L + pads − dilation·(K − 1) − 1)/stride⌋ + 1. */
  apply(params: ConvParams, x: Tensor): Tensor;
}

/** A 2-d convolution layer. Immutable. */
export interface Conv2dLayer {
  readonly kind: 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  /** Entries added [[top, bottom], [left, right]]. */
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly bias: boolean;
  readonly paddingMode: ConvPaddingMode;
  /** Fresh parameters (`weight` from child 0 of `key`, `bias` from child 1). */
  init(key: RngKey): ConvParams;
  /** x [N, C, H, W] ↦ y [N, O, Hout, Wout]. */
  apply(params: ConvParams, x: Tensor): Tensor;
}

interface Common {
  inChannels: number;
  outChannels: number;
  groups: number;
  bias: boolean;
  paddingMode: ConvPaddingMode;
  weightInit: Initializer | undefined;
  biasInit: Initializer | undefined;
}

function commonOptions(o: ConvCommonOptions, where: string): Common {
  const inChannels = requireInteger(o.inChannels, 'inChannels', where, 1);
  const outChannels = requireInteger(o.outChannels, 'outChannels', where, 1);
  const groups = requireInteger(o.groups ?? 1, 'groups', where, 1);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(
      `${where}: groups = ${groups} must divide inChannels = ${inChannels} and outChannels = ${outChannels}`,
    );
  }
  const paddingMode = o.paddingMode ?? 'zeros';
  if (!(paddingMode in PAD_MODES)) {
    throw new TypeError(
      `${where}: paddingMode must be 'zeros', 'circular' or 'replicate', got ${JSON.stringify(paddingMode)}`,
    );
  }
  return {
    inChannels,
    outChannels,
    groups,
    bias: booleanOption(o.bias, 'bias', where, true),
    paddingMode,
    weightInit: o.weightInit,
    biasInit: o.biasInit,
  };
}

const COMMON_KEYS = ['inChannels', 'outChannels', 'groups', 'bias', 'paddingMode', 'weightInit', 'biasInit'];

/** [before, after] for 'same' with stride 1: the extra entry goes after, as in PyTorch. */
function samePads(kernel: number, dilation: number): [number, number] {
  const total = dilation * (kernel - 1);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function pairOf(
  v: number | readonly [number, number],
  name: string,
  where: string,
  min: number,
): [number, number] {
  if (typeof v === 'number') {
    requireInteger(v, name, where, min);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) {
    throw new RangeError(
      `${where}: ${name} must be a number or a pair [height, width], got ${JSON.stringify(v)}`,
    );
  }
  return [requireInteger(v[0], `${name}[0]`, where, min), requireInteger(v[1], `${name}[1]`, where, min)];
}

function convParamSpecs(c: Common, kernel: readonly number[]): ParamSpec[] {
  const fanIn = (c.inChannels / c.groups) * kernel.reduce((a, b) => a * b, 1);
  const specs: ParamSpec[] = [
    {
      name: 'weight',
      shape: [c.outChannels, c.inChannels / c.groups, ...kernel],
      init: c.weightInit ?? defaultWeightInit(),
    },
  ];
  if (c.bias)
    specs.push({ name: 'bias', shape: [c.outChannels], init: c.biasInit ?? defaultBiasInit(fanIn) });
  return specs;
}

/**
 * Applies `conv` group by group: channels [g·C/G, (g + 1)·C/G) of x meet weight rows
 * [g·O/G, (g + 1)·O/G); the outputs are joined along the channel axis.
 */
function grouped(x: Tensor, w: Tensor, groups: number, conv: (x: Tensor, w: Tensor) => Tensor): Tensor {
  if (groups === 1) return conv(x, w);
  const cg = x.shape[1] / groups;
  const og = w.shape[0] / groups;
  const parts: Tensor[] = [];
  for (let g = 0; g < groups; g++) {
    const xs = sliceRaw(
      x,
      x.shape.map((_, i) => (i === 1 ? g * cg : 0)),
      x.shape.map((d, i) => (i === 1 ? (g + 1) * cg : d)),
      x.shape.map(() => 1),
    );
    const ws = sliceRaw(
      w,
      w.shape.map((_, i) => (i === 0 ? g * og : 0)),
      w.shape.map((d, i) => (i === 0 ? (g + 1) * og : d)),
      w.shape.map(() => 1),
    );
    parts.push(conv(xs, ws));
  }
  return concat(parts, 1);
}

/**
 * A 1-d convolution layer in PyTorch's layout (`nn.Conv1d`): x [N, C, L], weight
 * [O, C/G, K], bias [O],
 *
 *     y[n, o, l] = b[o] + Σ_{c ∈ group(o)} Σ_k w[o, c, k] · x̃[n, c, l·stride + k·dilation],
 *
 * with x̃ the padded input. By default initialized as PyTorch: U(±1/√fan_in) for weight and
 * bias, fan_in = C/G·K.
 *
 * @example
 * ```ts
 * const conv = conv1dLayer({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 'same' });
 * const params = conv.init(rngKey(0));          // weight [4, 2, 3], bias [4]
 * conv.apply(params, zeros([8, 2, 50])).shape;  // [8, 4, 50]
 * ```
 */
export function conv1dLayer(options: Conv1dLayerOptions): Conv1dLayer {
  const where = 'conv1dLayer';
  checkOptions(where, options, [...COMMON_KEYS, 'kernelSize', 'stride', 'padding', 'dilation']);
  const c = commonOptions(options, where);
  const kernelSize = requireInteger(options.kernelSize, 'kernelSize', where, 1);
  const stride = requireInteger(options.stride ?? 1, 'stride', where, 1);
  const dilation = requireInteger(options.dilation ?? 1, 'dilation', where, 1);
  const p = options.padding ?? 0;
  let padding: [number, number];
  if (p === 'same') {
    if (stride !== 1)
      throw new RangeError(`${where}: padding 'same' needs stride 1 (as in PyTorch), got ${stride}`);
    padding = samePads(kernelSize, dilation);
  } else if (p === 'valid') padding = [0, 0];
  else {
    requireInteger(p, 'padding', where, 0);
    padding = [p, p];
  }
  const specs = convParamSpecs(c, [kernelSize]);
  const mode = PAD_MODES[c.paddingMode];
  const label = `conv1dLayer(${c.inChannels} → ${c.outChannels}, k = ${kernelSize})`;
  return Object.freeze({
    kind: 'conv1d' as const,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    kernelSize,
    stride,
    padding: Object.freeze(padding),
    dilation,
    groups: c.groups,
    bias: c.bias,
    paddingMode: c.paddingMode,
    init: (key: RngKey): ConvParams => initParams(key, specs) as ConvParams,
    apply: (params: ConvParams, x: Tensor): Tensor => {
      const at = `${label}.apply`;
      const w = param(params, 'weight', specs[0].shape, at);
      const b = c.bias ? param(params, 'bias', [c.outChannels], at) : undefined;
      if (x.rank !== 3 || x.shape[1] !== c.inChannels) {
        throw new RangeError(
          `${at}: x must have shape [batch, ${c.inChannels}, length], got ${formatShape(x.shape)}` +
            (x.rank === 2 ? '; add a batch axis with expandDims(x, 0)' : ''),
        );
      }
      const xp = padding[0] + padding[1] === 0 ? x : pad(x, [[0, 0], [0, 0], padding], mode);
      const minLength = dilation * (kernelSize - 1) + 1;
      if (xp.shape[2] < minLength) {
        throw new RangeError(
          `${at}: the padded length ${xp.shape[2]} is shorter than the dilated kernel (${minLength})`,
        );
      }
      const y = grouped(xp, w, c.groups, (xs, ws) => conv1d(xs, ws, { stride, dilation }));
      return b === undefined ? y : add(y, reshape(b, [c.outChannels, 1]));
    },
  });
}

/**
 * A 2-d convolution layer in PyTorch's layout (`nn.Conv2d`): x [N, C, H, W], weight
 * [O, C/G, kh, kw], bias [O],
 *
 *     y[n, o, i, j] = b[o] + Σ_{c ∈ group(o)} Σ_{p,q} w[o, c, p, q] · x̃[n, c, i·sh + p·dh, j·sw + q·dw].
 *
 * By default initialized as PyTorch: U(±1/√fan_in), fan_in = C/G·kh·kw.
 *
 * @example
 * ```ts
 * const conv = conv2dLayer({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1, paddingMode: 'circular' });
 * const params = conv.init(rngKey(0));               // weight [8, 1, 3, 3], bias [8]
 * conv.apply(params, zeros([2, 1, 16, 16])).shape;   // [2, 8, 16, 16]
 * ```
 */
export function conv2dLayer(options: Conv2dLayerOptions): Conv2dLayer {
  const where = 'conv2dLayer';
  checkOptions(where, options, [...COMMON_KEYS, 'kernelSize', 'stride', 'padding', 'dilation']);
  const c = commonOptions(options, where);
  const kernelSize = pairOf(options.kernelSize, 'kernelSize', where, 1);
  const stride = pairOf(options.stride ?? 1, 'stride', where, 1);
  const dilation = pairOf(options.dilation ?? 1, 'dilation', where, 1);
  const p = options.padding ?? 0;
  let padding: [[number, number], [number, number]];
  if (p === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new RangeError(
        `${where}: padding 'same' needs stride 1 (as in PyTorch), got [${stride.join(', ')}]`,
      );
    }
    padding = [samePads(kernelSize[0], dilation[0]), samePads(kernelSize[1], dilation[1])];
  } else if (p === 'valid') {
    padding = [
      [0, 0],
      [0, 0],
    ];
  } else {
    const [ph, pw] = pairOf(p, 'padding', where, 0);
    padding = [
      [ph, ph],
      [pw, pw],
    ];
  }
  const specs = convParamSpecs(c, kernelSize);
  const mode = PAD_MODES[c.paddingMode];
  const label = `conv2dLayer(${c.inChannels} → ${c.outChannels}, k = ${kernelSize[0]}×${kernelSize[1]})`;
  const noPad = padding[0][0] + padding[0][1] + padding[1][0] + padding[1][1] === 0;
  return Object.freeze({
    kind: 'conv2d' as const,
    inChannels: c.inChannels,
    outChannels: c.outChannels,
    kernelSize: Object.freeze(kernelSize),
    stride: Object.freeze(stride),
    padding: Object.freeze(padding),
    dilation: Object.freeze(dilation),
    groups: c.groups,
    bias: c.bias,
    paddingMode: c.paddingMode,
    init: (key: RngKey): ConvParams => initParams(key, specs) as ConvParams,
    apply: (params: ConvParams, x: Tensor): Tensor => {
      const at = `${label}.apply`;
      const w = param(params, 'weight', specs[0].shape, at);
      const b = c.bias ? param(params, 'bias', [c.outChannels], at) : undefined;
      if (x.rank !== 4 || x.shape[1] !== c.inChannels) {
        throw new RangeError(
          `${at}: x must have shape [batch, ${c.inChannels}, height, width], got ${formatShape(x.shape)}` +
            (x.rank === 3 ? '; add a batch axis with expandDims(x, 0)' : ''),
        );
      }
      const xp = noPad ? x : pad(x, [[0, 0], [0, 0], padding[0], padding[1]], mode);
      for (let a = 0; a < 2; a++) {
        const minSize = dilation[a] * (kernelSize[a] - 1) + 1;
        if (xp.shape[2 + a] < minSize) {
          throw new RangeError(
            `${at}: the padded ${a === 0 ? 'height' : 'width'} ${xp.shape[2 + a]} is smaller than the dilated kernel (${minSize})`,
          );
        }
      }
      const y = grouped(xp, w, c.groups, (xs, ws) => conv2d(xs, ws, { stride, dilation }));
      return b === undefined ? y : add(y, reshape(b, [c.outChannels, 1, 1]));
    },
  });
}
