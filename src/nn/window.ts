/**
 * N-dimensional sliding-window operations in PyTorch's layout — convolution, transposed
 * convolution and pooling (max, average, power-average, adaptive) over 1, 2 or 3 spatial
 * axes — built from one index computation and the autodiff's `gather`, `matmul` and
 * reductions (so every gradient comes from those primitives' rules).
 *
 * The input [N, C, S₁, …, S_d] is viewed as [N, C, ΠS + 1] with one extra slot holding the
 * padding value (0, or −∞ for max pooling); a window entry that falls outside the input reads
 * that slot. `patchIndices` lists, for every kernel offset and output position, the flat
 * input position (or the slot).
 */
import { add, div, mul, pow } from '../autodiff/ops/binary.js';
import { concat, gather, permute, reshape } from '../autodiff/ops/layout.js';
import { matmul } from '../autodiff/ops/linalg.js';
import { max, sum } from '../autodiff/ops/reduce.js';
import { abs, relu, sign } from '../autodiff/ops/unary.js';
import { full, type Tensor, tensor } from '../autodiff/tensor.js';

/** Per spatial axis: the input coordinate read by output position o at kernel offset k, or −1 (padding). */
export type WindowSource = (axis: number, o: number, k: number) => number;

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Flat gather indices [ΠK · ΠO] (kernel offsets major, output positions minor): entry (k, o)
 * is the row-major position in the spatial input of shape `input`, or ΠS (the padding slot).
 *
 * @example
 * ```ts
 * // 1-d, input 3, kernel 2, output 2, stride 1: reads [0, 1] then [1, 2]
 * Array.from(patchIndices([3], [2], [2], (_, o, k) => o + k)); // [0, 1, 1, 2]
 * ```
 */
export function patchIndices(
  input: readonly number[],
  output: readonly number[],
  kernel: readonly number[],
  source: WindowSource,
): Int32Array {
  const d = input.length;
  const nK = prod(kernel);
  const nO = prod(output);
  const slot = prod(input);
  const idx = new Int32Array(nK * nO);
  const kk = new Array<number>(d).fill(0);
  for (let ki = 0; ki < nK; ki++) {
    let rem = ki;
    for (let a = d - 1; a >= 0; a--) {
      kk[a] = rem % kernel[a];
      rem = Math.floor(rem / kernel[a]);
    }
    for (let oi = 0; oi < nO; oi++) {
      let r = oi;
      let flat = 0;
      let stride = 1;
      let valid = true;
      for (let a = d - 1; a >= 0; a--) {
        const o = r % output[a];
        r = Math.floor(r / output[a]);
        const c = source(a, o, kk[a]);
        if (c < 0 || c >= input[a]) {
          valid = false;
          break;
        }
        flat += c * stride;
        stride *= input[a];
      }
      idx[ki * nO + oi] = valid ? flat : slot;
    }
  }
  return idx;
}

/** x [N, C, ...S] → windows [N, C, ΠK, ΠO] with `fill` at padding positions. */
function windows(
  x: Tensor,
  output: readonly number[],
  kernel: readonly number[],
  source: WindowSource,
  fill: number,
): Tensor {
  const [n, c, ...spatial] = x.shape;
  const flat = reshape(x, [n, c, prod(spatial)]);
  const padded = concat([flat, full([n, c, 1], fill)], 2);
  const idx = patchIndices(spatial, output, kernel, source);
  return reshape(gather(padded, idx, 2), [n, c, prod(kernel), prod(output)]);
}

/** Adds a batch axis to an unbatched input ([C, ...S] → [1, C, ...S]); returns the undo. */
function batched(x: Tensor, d: number, what: string): [Tensor, (y: Tensor) => Tensor] {
  if (x.rank === d + 2) return [x, (y) => y];
  if (x.rank === d + 1) return [reshape(x, [1, ...x.shape]), (y) => reshape(y, y.shape.slice(1))];
  throw new RangeError(
    `${what}: expected an input of rank ${d + 1} (unbatched [C, …]) or ${d + 2} ([N, C, …]), got shape [${x.shape.join(', ')}]`,
  );
}

/** Options of {@link convNd}; numbers apply to every spatial axis. */
export interface ConvNdOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[] | 'valid' | 'same';
  dilation?: number | readonly number[];
  groups?: number;
}

const perAxis = (
  v: number | readonly number[] | undefined,
  d: number,
  dflt: number,
  what: string,
): number[] => {
  if (v === undefined) return new Array<number>(d).fill(dflt);
  if (typeof v === 'number') return new Array<number>(d).fill(v);
  if (v.length === 1) return new Array<number>(d).fill(v[0]);
  if (v.length !== d) throw new RangeError(`${what}: expected ${d} values, got [${v.join(', ')}]`);
  return v.slice();
};

/**
 * Cross-correlation over d = rank(w) − 2 spatial axes (PyTorch `nn.Conv1d/2d/3d` with zero
 * padding): y[n, o, p] = b[o] + Σ_{c ∈ group(o), k} w[o, c, k]·x[n, c, p·s + k·δ − pad].
 * x is [N, C, ...S] or unbatched [C, ...S]; w is [O, C/G, ...K]; b is [O] or undefined.
 *
 * @example
 * ```ts
 * convNd(tensor([[[1, 2, 3]]]), tensor([[[1, 1]]])).toArray(); // [[[3, 5]]]
 * ```
 */
export function convNd(x: Tensor, w: Tensor, b?: Tensor, options: ConvNdOptions = {}): Tensor {
  const d = w.rank - 2;
  const [xb, undo] = batched(x, d, 'convNd');
  const [n, c, ...spatial] = xb.shape;
  const [o, cg, ...kernel] = w.shape;
  const groups = options.groups ?? 1;
  if (c !== cg * groups)
    throw new RangeError(
      `convNd: input has ${c} channels, weight expects ${cg}·${groups} (in/groups · groups)`,
    );
  if (o % groups !== 0)
    throw new RangeError(`convNd: ${o} output channels do not split into ${groups} groups`);
  const stride = perAxis(options.stride, d, 1, 'convNd stride');
  const dil = perAxis(options.dilation, d, 1, 'convNd dilation');
  let padLo: number[];
  if (options.padding === 'valid') padLo = new Array<number>(d).fill(0);
  else if (options.padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new RangeError("convNd: padding 'same' needs stride 1");
    padLo = kernel.map((k, a) => Math.floor((dil[a] * (k - 1)) / 2));
  } else padLo = perAxis(options.padding, d, 0, 'convNd padding');
  const out = spatial.map((s, a) =>
    options.padding === 'same'
      ? s
      : Math.floor((s + 2 * padLo[a] - dil[a] * (kernel[a] - 1) - 1) / stride[a]) + 1,
  );
  if (out.some((v) => v <= 0))
    throw new RangeError(
      `convNd: input [${spatial.join(', ')}] is smaller than the kernel [${kernel.join(', ')}]`,
    );
  const cols = windows(xb, out, kernel, (a, p, k) => p * stride[a] + k * dil[a] - padLo[a], 0);
  const nK = prod(kernel);
  const nO = prod(out);
  const colsG = reshape(cols, [n, groups, cg * nK, nO]);
  const wG = reshape(w, [groups, o / groups, cg * nK]);
  let y = reshape(matmul(wG, colsG), [n, o, ...out]);
  if (b !== undefined) y = add(y, reshape(b, [o, ...out.map(() => 1)]));
  return undo(y);
}

/** Options of {@link convTransposeNd}. */
export interface ConvTransposeNdOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

/**
 * Transposed convolution (PyTorch `nn.ConvTranspose1d/2d/3d`), the adjoint of
 * {@link convNd} in x: y[n, o, q] = b[o] + Σ_{c, k, i: i·s − pad + k·δ = q} x[n, c, i]·w[c, o, k].
 * w is [C, O/G, ...K]; output size (S − 1)·s − 2·pad + δ(K − 1) + output_padding + 1.
 *
 * @example
 * ```ts
 * convTransposeNd(tensor([[[1, 2]]]), tensor([[[1, 1]]])).toArray(); // [[[1, 3, 2]]]
 * ```
 */
export function convTransposeNd(
  x: Tensor,
  w: Tensor,
  b?: Tensor,
  options: ConvTransposeNdOptions = {},
): Tensor {
  const d = w.rank - 2;
  const [xb, undo] = batched(x, d, 'convTransposeNd');
  const [n, c, ...spatial] = xb.shape;
  const [cw, og, ...kernel] = w.shape;
  const groups = options.groups ?? 1;
  if (c !== cw) throw new RangeError(`convTransposeNd: input has ${c} channels, weight expects ${cw}`);
  if (c % groups !== 0)
    throw new RangeError(`convTransposeNd: ${c} input channels do not split into ${groups} groups`);
  const stride = perAxis(options.stride, d, 1, 'convTransposeNd stride');
  const pad = perAxis(options.padding, d, 0, 'convTransposeNd padding');
  const outPad = perAxis(options.outputPadding, d, 0, 'convTransposeNd output_padding');
  const dil = perAxis(options.dilation, d, 1, 'convTransposeNd dilation');
  const out = spatial.map(
    (s, a) => (s - 1) * stride[a] - 2 * pad[a] + dil[a] * (kernel[a] - 1) + outPad[a] + 1,
  );
  const source: WindowSource = (a, q, k) => {
    const v = q + pad[a] - k * dil[a];
    if (v < 0 || v % stride[a] !== 0) return -1;
    return v / stride[a];
  };
  const cols = windows(xb, out, kernel, source, 0);
  const cg = c / groups;
  const nK = prod(kernel);
  const nO = prod(out);
  const colsG = reshape(cols, [n, groups, cg * nK, nO]);
  // w [C, O/G, ...K] → per group [O/G, C/G·ΠK].
  const wG = reshape(permute(reshape(w, [groups, cg, og, nK]), [0, 2, 1, 3]), [groups, og, cg * nK]);
  const o = og * groups;
  let y = reshape(matmul(wG, colsG), [n, o, ...out]);
  if (b !== undefined) y = add(y, reshape(b, [o, ...out.map(() => 1)]));
  return undo(y);
}

/** Options of the fixed-window pools. */
export interface PoolNdOptions {
  kernelSize: number | readonly number[];
  /** Default: the kernel size. */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
}

function poolGeometry(spatial: readonly number[], options: PoolNdOptions, what: string) {
  const d = spatial.length;
  const kernel = perAxis(options.kernelSize, d, 1, `${what} kernel_size`);
  const stride =
    options.stride === undefined || options.stride === null
      ? kernel.slice()
      : perAxis(options.stride, d, 1, `${what} stride`);
  const pad = perAxis(options.padding, d, 0, `${what} padding`);
  const dil = perAxis(options.dilation, d, 1, `${what} dilation`);
  const out = spatial.map((s, a) => {
    const span = s + 2 * pad[a] - dil[a] * (kernel[a] - 1) - 1;
    let m = (options.ceilMode ? Math.ceil(span / stride[a]) : Math.floor(span / stride[a])) + 1;
    // PyTorch: the last window must start inside the input or the left padding.
    if (options.ceilMode && (m - 1) * stride[a] >= s + pad[a]) m--;
    if (m <= 0) throw new RangeError(`${what}: input [${spatial.join(', ')}] is smaller than the window`);
    return m;
  });
  return { kernel, stride, pad, dil, out };
}

/**
 * Max pooling over the last d axes (PyTorch `nn.MaxPool1d/2d/3d`; padding is −∞).
 * x is [N, C, ...S] or unbatched [C, ...S].
 *
 * @example
 * ```ts
 * maxPoolNd(tensor([[[1, 3, 2, 0]]]), 1, { kernelSize: 2 }).toArray(); // [[[3, 2]]]
 * ```
 */
export function maxPoolNd(x: Tensor, d: number, options: PoolNdOptions): Tensor {
  const [xb, undo] = batched(x, d, 'maxPoolNd');
  const [n, c, ...spatial] = xb.shape;
  const g = poolGeometry(spatial, options, 'maxPoolNd');
  const win = windows(xb, g.out, g.kernel, (a, p, k) => p * g.stride[a] + k * g.dil[a] - g.pad[a], -Infinity);
  return undo(reshape(max(win, [2]), [n, c, ...g.out]));
}

/** Options of {@link avgPoolNd}. */
export interface AvgPoolNdOptions extends PoolNdOptions {
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** A fixed divisor instead of the window size. */
  divisorOverride?: number | null;
}

/**
 * Average pooling (PyTorch `nn.AvgPool1d/2d/3d`): the mean over each window, the divisor
 * counting padded zeros when `countIncludePad` (but never positions past the padding, as
 * PyTorch does with `ceil_mode`).
 *
 * @example
 * ```ts
 * avgPoolNd(tensor([[[1, 3, 2, 0]]]), 1, { kernelSize: 2 }).toArray(); // [[[2, 1]]]
 * ```
 */
export function avgPoolNd(x: Tensor, d: number, options: AvgPoolNdOptions): Tensor {
  const [xb, undo] = batched(x, d, 'avgPoolNd');
  const [n, c, ...spatial] = xb.shape;
  const g = poolGeometry(spatial, options, 'avgPoolNd');
  const win = windows(xb, g.out, g.kernel, (a, p, k) => p * g.stride[a] + k - g.pad[a], 0);
  const total = sum(win, [2]);
  const nO = prod(g.out);
  const divisor = new Float64Array(nO);
  const includePad = options.countIncludePad ?? true;
  for (let oi = 0; oi < nO; oi++) {
    let r = oi;
    let count = 1;
    for (let a = d - 1; a >= 0; a--) {
      const p = r % g.out[a];
      r = Math.floor(r / g.out[a]);
      const start = p * g.stride[a] - g.pad[a];
      const end = Math.min(start + g.kernel[a], spatial[a] + g.pad[a]);
      const lo = includePad ? start : Math.max(start, 0);
      const hi = includePad ? end : Math.min(end, spatial[a]);
      count *= hi - lo;
    }
    divisor[oi] = options.divisorOverride ?? count;
  }
  return undo(reshape(div(total, tensor(divisor, [nO])), [n, c, ...g.out]));
}

/**
 * Power-average pooling (PyTorch `nn.LPPool1d/2d/3d`): (Σ_window x^p)^{1/p}, computed as
 * PyTorch does: sign(s)·relu(|s|) then the 1/p power, with s the window sum of x^p.
 *
 * @example
 * ```ts
 * lpPoolNd(tensor([[[3, 4]]]), 1, 2, { kernelSize: 2 }).toArray(); // [[[5]]]
 * ```
 */
export function lpPoolNd(x: Tensor, d: number, p: number, options: PoolNdOptions): Tensor {
  const [xb, undo] = batched(x, d, 'lpPoolNd');
  const [n, c, ...spatial] = xb.shape;
  const g = poolGeometry(spatial, { ...options, padding: 0, dilation: 1 }, 'lpPoolNd');
  const win = windows(pow(xb, p), g.out, g.kernel, (a, q, k) => q * g.stride[a] + k, 0);
  const s = sum(win, [2]);
  const y = pow(mul(sign(s), relu(abs(s))), 1 / p);
  return undo(reshape(y, [n, c, ...g.out]));
}

/**
 * Adaptive pooling (PyTorch `nn.AdaptiveMaxPool*d` / `nn.AdaptiveAvgPool*d`): output position
 * i of an axis of size S pools [⌊iS/m⌋, ⌈(i + 1)S/m⌉).
 *
 * @example
 * ```ts
 * adaptivePoolNd(tensor([[[1, 3, 2]]]), 1, [1], 'max').toArray(); // [[[3]]]
 * ```
 */
export function adaptivePoolNd(
  x: Tensor,
  d: number,
  outputSize: readonly (number | null)[],
  kind: 'max' | 'avg',
): Tensor {
  const [xb, undo] = batched(x, d, `adaptive${kind === 'max' ? 'Max' : 'Avg'}PoolNd`);
  const [n, c, ...spatial] = xb.shape;
  const out = spatial.map((s, a) => outputSize[a] ?? s);
  const start = (a: number, i: number) => Math.floor((i * spatial[a]) / out[a]);
  const end = (a: number, i: number) => Math.ceil(((i + 1) * spatial[a]) / out[a]);
  const kernel = out.map((m, a) => {
    let k = 0;
    for (let i = 0; i < m; i++) k = Math.max(k, end(a, i) - start(a, i));
    return k;
  });
  const source: WindowSource = (a, i, k) => (start(a, i) + k < end(a, i) ? start(a, i) + k : -1);
  const win = windows(xb, out, kernel, source, kind === 'max' ? -Infinity : 0);
  if (kind === 'max') return undo(reshape(max(win, [2]), [n, c, ...out]));
  const nO = prod(out);
  const divisor = new Float64Array(nO);
  for (let oi = 0; oi < nO; oi++) {
    let r = oi;
    let count = 1;
    for (let a = d - 1; a >= 0; a--) {
      const i = r % out[a];
      r = Math.floor(r / out[a]);
      count *= end(a, i) - start(a, i);
    }
    divisor[oi] = count;
  }
  return undo(reshape(div(sum(win, [2]), tensor(divisor, [nO])), [n, c, ...out]));
}
