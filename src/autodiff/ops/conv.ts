/**
 * Differentiable convolutions (cross-correlations, as in PyTorch) by padding, unfolding
 * (im2col) and a matrix product; the unfold/fold primitives are each other's adjoints, so
 * convolutions are differentiable to any order.
 */
import * as C from '../../tensor/conv.js';
import type { PadMode } from '../../tensor/layout.js';
import { formatShape, type Shape } from '../../tensor/shape.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { pad, reshape } from './layout.js';
import { matmul } from './linalg.js';

/** Unfolds [N, C, L] into [N, C·K, Lout] columns (im2col); the input is already padded. */
export function unfold1d(x: Tensor, kernel: number, stride: number, dilation: number): Tensor {
  const params = { inputShape: x.shape, kernel, stride, dilation };
  return record(Primitive.Unfold1d, [x], params, C.unfold1d(x.value, kernel, stride, dilation));
}

/** The adjoint of {@link unfold1d}: adds columns back onto an array of `inputShape`. */
export function fold1d(
  cols: Tensor,
  inputShape: Shape,
  kernel: number,
  stride: number,
  dilation: number,
): Tensor {
  const params = { inputShape, kernel, stride, dilation };
  return record(Primitive.Fold1d, [cols], params, C.fold1d(cols.value, inputShape, kernel, stride, dilation));
}

/** Unfolds [N, C, H, W] into [N, C·kh·kw, Hout·Wout] columns; the input is already padded. */
export function unfold2d(
  x: Tensor,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): Tensor {
  const params = { inputShape: x.shape, kernel, stride, dilation };
  return record(Primitive.Unfold2d, [x], params, C.unfold2d(x.value, kernel, stride, dilation));
}

/** The adjoint of {@link unfold2d}. */
export function fold2d(
  cols: Tensor,
  inputShape: Shape,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): Tensor {
  const params = { inputShape, kernel, stride, dilation };
  return record(Primitive.Fold2d, [cols], params, C.fold2d(cols.value, inputShape, kernel, stride, dilation));
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** Bias of shape [O]. */
  bias?: Tensor;
  /** Step between output positions (default 1). */
  stride?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Entries added at each end; `'same'` keeps the length for stride 1 (default 0). */
  padding?: number | 'same';
  /** How padded entries are filled (default `'zero'`). */
  paddingMode?: PadMode;
}

function samePadding(kernel: number, dilation: number): [number, number] {
  const total = dilation * (kernel - 1);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * 1-d convolution (cross-correlation, PyTorch `conv1d` convention):
 * y[n, o, l] = b[o] + Σ_c Σ_k w[o, c, k] · x̃[n, c, l·stride + k·dilation], with x̃ the padded
 * input. `x` is [N, C, L], `w` is [O, C, K] (PyTorch layout).
 *
 * @example
 * ```ts
 * const x = tensor([[[1, 2, 3, 4]]]);              // N=1, C=1, L=4
 * const w = tensor([[[1, -1]]]);                   // O=1, C=1, K=2
 * conv1d(x, w).toArray();                          // [[[-1, -1, -1]]]
 * conv1d(x, w, { padding: 'same', paddingMode: 'periodic' }).shape; // [1, 1, 4]
 * ```
 */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.rank !== 3 || w.rank !== 3 || x.shape[1] !== w.shape[1]) {
    throw new RangeError(
      `conv1d: expected x [N, C, L] and w [O, C, K] with equal C, got ${formatShape(x.shape)} and ${formatShape(w.shape)}`,
    );
  }
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  const [o, c, k] = w.shape;
  const p = options.padding ?? 0;
  const pads: [number, number] = p === 'same' ? samePadding(k, dilation) : [p, p];
  const xp =
    pads[0] === 0 && pads[1] === 0 ? x : pad(x, [[0, 0], [0, 0], pads], options.paddingMode ?? 'zero');
  const cols = unfold1d(xp, k, stride, dilation); // [N, C·K, Lout]
  const y = matmul(reshape(w, [o, c * k]), cols); // [N, O, Lout] by broadcasting the batch axis
  return options.bias === undefined ? y : add(y, reshape(options.bias, [o, 1]));
}

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Bias of shape [O]. */
  bias?: Tensor;
  /** Steps between output positions (default [1, 1]). */
  stride?: number | readonly [number, number];
  /** Spacing between kernel taps (default [1, 1]). */
  dilation?: number | readonly [number, number];
  /** Entries added on each side of each spatial axis, or `'same'` (default 0). */
  padding?: number | readonly [number, number] | 'same';
  /** How padded entries are filled (default `'zero'`). */
  paddingMode?: PadMode;
}

const pair = (v: number | readonly [number, number]): readonly [number, number] =>
  typeof v === 'number' ? [v, v] : v;

/**
 * 2-d convolution (cross-correlation, PyTorch `conv2d` convention): `x` is [N, C, H, W],
 * `w` is [O, C, kh, kw]; y[n, o, i, j] = b[o] + Σ_{c,p,q} w[o, c, p, q] ·
 * x̃[n, c, i·sh + p·dh, j·sw + q·dw].
 *
 * @example
 * ```ts
 * const x = zeros([1, 1, 8, 8]);
 * const w = zeros([4, 1, 3, 3]);
 * conv2d(x, w, { padding: 'same', paddingMode: 'periodic' }).shape; // [1, 4, 8, 8]
 * ```
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  if (x.rank !== 4 || w.rank !== 4 || x.shape[1] !== w.shape[1]) {
    throw new RangeError(
      `conv2d: expected x [N, C, H, W] and w [O, C, kh, kw] with equal C, got ${formatShape(x.shape)} and ${formatShape(w.shape)}`,
    );
  }
  const stride = pair(options.stride ?? 1);
  const dilation = pair(options.dilation ?? 1);
  const [o, c, kh, kw] = w.shape;
  const p = options.padding ?? 0;
  const padH: [number, number] = p === 'same' ? samePadding(kh, dilation[0]) : [pair(p)[0], pair(p)[0]];
  const padW: [number, number] = p === 'same' ? samePadding(kw, dilation[1]) : [pair(p)[1], pair(p)[1]];
  const noPad = padH[0] === 0 && padH[1] === 0 && padW[0] === 0 && padW[1] === 0;
  const xp = noPad ? x : pad(x, [[0, 0], [0, 0], padH, padW], options.paddingMode ?? 'zero');
  const [n, , hp, wp] = xp.shape;
  const hOut = Math.floor((hp - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const wOut = Math.floor((wp - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  const cols = unfold2d(xp, [kh, kw], stride, dilation); // [N, C·kh·kw, Hout·Wout]
  const y = reshape(matmul(reshape(w, [o, c * kh * kw]), cols), [n, o, hOut, wOut]);
  return options.bias === undefined ? y : add(y, reshape(options.bias, [o, 1, 1]));
}
