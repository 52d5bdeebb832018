/**
 * im2col ("unfold") kernels for convolution and their adjoints ("fold", col2im).
 *
 * A convolution (a cross-correlation, as PyTorch's `conv1d` / `conv2d`) is
 * `pad` → `unfold` → matrix product: with the weight `w` in PyTorch layout `[O, C, kh, kw]`
 * reshaped to `[O, C·kh·kw]`, `y[n] = w · unfold(x̃)[n]` where `x̃` is the padded input. The
 * channel axis of the unfolded array is ordered `(c, i, j)` with `j` (the kernel column)
 * fastest, i.e. row `(c·kh + i)·kw + j`, exactly the flattening of `w[o, c, i, j]`. In 1-d the
 * row is `c·K + k`.
 *
 * Unfolding is linear, and folding is its exact adjoint (overlapping windows accumulate):
 * `⟨unfold(x), g⟩ = ⟨x, fold(g)⟩`. The autodiff uses each as the VJP of the other.
 *
 * Output length along an axis of (padded) length `L` with kernel `K`, stride `s`, dilation `d`:
 * `Lout = ⌊(L − d·(K − 1) − 1) / s⌋ + 1`; the input must be at least as long as the dilated
 * kernel `d·(K − 1) + 1`.
 */

import { NDArray } from './ndarray.js';
import { checkShape, formatShape, type Shape, shapesEqual } from './shape.js';

function checkPositive(value: number, name: string, op: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${op}: ${name} ${value} must be a positive integer`);
  }
}

/**
 * Number of window positions along an axis of length `length` (see the module comment).
 *
 * @throws RangeError when the axis is shorter than the dilated kernel.
 */
function outputLength(
  length: number,
  kernel: number,
  stride: number,
  dilation: number,
  axis: string,
  shape: Shape,
  op: string,
): number {
  const span = dilation * (kernel - 1) + 1;
  if (length < span) {
    throw new RangeError(
      `${op}: ${axis} ${length} of input ${formatShape(shape)} is shorter than the dilated kernel ` +
        `(${span} = dilation ${dilation} × (kernel ${kernel} − 1) + 1); pad the input first`,
    );
  }
  return Math.floor((length - span) / stride) + 1;
}

interface Plan1d {
  n: number;
  c: number;
  l: number;
  lOut: number;
}

function plan1d(inputShape: Shape, kernel: number, stride: number, dilation: number, op: string): Plan1d {
  checkPositive(kernel, 'kernel', op);
  checkPositive(stride, 'stride', op);
  checkPositive(dilation, 'dilation', op);
  if (inputShape.length !== 3) {
    throw new RangeError(`${op}: input shape ${formatShape(inputShape)} must be [N, C, L] (rank 3)`);
  }
  const [n, c, l] = inputShape;
  return { n, c, l, lOut: outputLength(l, kernel, stride, dilation, 'length', inputShape, op) };
}

/**
 * Unfolds (im2col) a batch of 1-d signals into the columns of a convolution: every window
 * of `kernel` taps, `dilation` apart, at positions `stride` apart.
 *
 * Maths: `cols[n, c·K + k, l] = x[n, c, l·stride + k·dilation]`. Then for a weight `w` of
 * PyTorch shape `[O, C, K]`, `reshape(w, [O, C·K]) · cols[n]` is `conv1d(x, w)[n]`
 * (cross-correlation, no padding: pad first with `pad`). Linear; its adjoint is
 * {@link fold1d}: `⟨unfold1d(x, …), g⟩ = ⟨x, fold1d(g, x.shape, …)⟩`.
 *
 * @param x - input `[N, C, L]`, already padded.
 * @param kernel - number of taps `K ≥ 1`.
 * @param stride - step between windows (default 1).
 * @param dilation - spacing between taps (default 1).
 * @returns a new array `[N, C·K, Lout]`, `Lout = ⌊(L − dilation·(K − 1) − 1) / stride⌋ + 1`.
 * @throws RangeError when `x` is not rank 3, a parameter is not a positive integer, or `L` is
 * shorter than the dilated kernel.
 * @example
 * ```ts
 * const x = fromNested([[[1, 2, 3, 4]]]); // N = 1, C = 1, L = 4
 * unfold1d(x, 2).toNested();              // [[[1, 2, 3], [2, 3, 4]]]
 * ```
 */
export function unfold1d(x: NDArray, kernel: number, stride = 1, dilation = 1): NDArray {
  const { n, c, l, lOut } = plan1d(x.shape, kernel, stride, dilation, 'unfold1d');
  const out = new Float64Array(n * c * kernel * lOut);
  const src = x.data;
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    const xb = nc * l;
    for (let k = 0; k < kernel; k++) {
      const off = xb + k * dilation;
      for (let t = 0; t < lOut; t++) out[o + t] = src[off + t * stride];
      o += lOut;
    }
  }
  return new NDArray(out, [n, c * kernel, lOut]);
}

/**
 * Folds (col2im) columns back onto a batch of 1-d signals, adding where windows overlap:
 * the adjoint of {@link unfold1d}.
 *
 * Maths: `x[n, c, p] = Σ_{k, l : l·stride + k·dilation = p} cols[n, c·K + k, l]`;
 * `⟨unfold1d(x, …), g⟩ = ⟨x, fold1d(g, x.shape, …)⟩`.
 *
 * @param cols - columns `[N, C·K, Lout]`.
 * @param inputShape - the shape `[N, C, L]` of the (padded) input that was unfolded.
 * @param kernel - number of taps `K`.
 * @param stride - step between windows (default 1).
 * @param dilation - spacing between taps (default 1).
 * @returns a new array of shape `inputShape`.
 * @throws RangeError when the parameters are invalid or `cols` does not have the unfolded shape.
 * @example
 * ```ts
 * fold1d(fromNested([[[1, 1, 1], [1, 1, 1]]]), [1, 1, 4], 2).toNested(); // [[[1, 2, 2, 1]]]
 * ```
 */
export function fold1d(cols: NDArray, inputShape: Shape, kernel: number, stride = 1, dilation = 1): NDArray {
  checkShape(inputShape, 'fold1d');
  const { n, c, l, lOut } = plan1d(inputShape, kernel, stride, dilation, 'fold1d');
  checkColumns(cols, [n, c * kernel, lOut], inputShape, 'fold1d');
  const out = new Float64Array(n * c * l);
  const g = cols.data;
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    const xb = nc * l;
    for (let k = 0; k < kernel; k++) {
      const off = xb + k * dilation;
      for (let t = 0; t < lOut; t++) out[off + t * stride] += g[o + t];
      o += lOut;
    }
  }
  return new NDArray(out, [n, c, l]);
}

function checkColumns(cols: NDArray, expected: Shape, inputShape: Shape, op: string): void {
  if (!shapesEqual(cols.shape, expected)) {
    throw new RangeError(
      `${op}: columns have shape ${formatShape(cols.shape)} but unfolding ${formatShape(inputShape)} ` +
        `with these parameters gives ${formatShape(expected)}`,
    );
  }
}

interface Plan2d {
  n: number;
  c: number;
  h: number;
  w: number;
  hOut: number;
  wOut: number;
}

function plan2d(
  inputShape: Shape,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
  op: string,
): Plan2d {
  const pairs: [string, readonly number[]][] = [
    ['kernel', kernel],
    ['stride', stride],
    ['dilation', dilation],
  ];
  for (const [name, p] of pairs) {
    if (p.length !== 2)
      throw new RangeError(`${op}: ${name} [${p.join(', ')}] must be a pair [height, width]`);
    checkPositive(p[0], `${name} height`, op);
    checkPositive(p[1], `${name} width`, op);
  }
  if (inputShape.length !== 4) {
    throw new RangeError(`${op}: input shape ${formatShape(inputShape)} must be [N, C, H, W] (rank 4)`);
  }
  const [n, c, h, w] = inputShape;
  return {
    n,
    c,
    h,
    w,
    hOut: outputLength(h, kernel[0], stride[0], dilation[0], 'height', inputShape, op),
    wOut: outputLength(w, kernel[1], stride[1], dilation[1], 'width', inputShape, op),
  };
}

/**
 * Unfolds (im2col) a batch of images into the columns of a 2-d convolution.
 *
 * Maths: `cols[n, (c·kh + i)·kw + j, p·Wout + q] = x[n, c, p·sh + i·dh, q·sw + j·dw]`: rows in
 * `(c, i, j)` order with `j` fastest, so a weight of PyTorch shape `[O, C, kh, kw]` reshaped to
 * `[O, C·kh·kw]` multiplies the columns directly and `w · cols[n]`, reshaped to
 * `[O, Hout, Wout]`, is `conv2d(x, w)[n]` (cross-correlation, no padding: pad first with
 * `pad`). Linear; its adjoint is {@link fold2d}: `⟨unfold2d(x, …), g⟩ = ⟨x, fold2d(g, x.shape, …)⟩`.
 *
 * @param x - input `[N, C, H, W]`, already padded.
 * @param kernel - `[kh, kw]`, positive.
 * @param stride - `[sh, sw]` (default `[1, 1]`).
 * @param dilation - `[dh, dw]` (default `[1, 1]`).
 * @returns a new array `[N, C·kh·kw, Hout·Wout]` with `Hout = ⌊(H − dh·(kh − 1) − 1) / sh⌋ + 1`
 * and likewise `Wout`.
 * @throws RangeError when `x` is not rank 4, a parameter is not a positive integer, or the
 * image is smaller than the dilated kernel.
 * @example
 * ```ts
 * const x = fromNested([[[[1, 2, 3], [4, 5, 6]]]]); // N = 1, C = 1, H = 2, W = 3
 * unfold2d(x, [2, 2]).toNested();
 * // [[[1, 2], [2, 3], [4, 5], [5, 6]]]   rows (i, j) = (0,0), (0,1), (1,0), (1,1)
 * ```
 */
export function unfold2d(
  x: NDArray,
  kernel: readonly [number, number],
  stride: readonly [number, number] = [1, 1],
  dilation: readonly [number, number] = [1, 1],
): NDArray {
  const { n, c, h, w, hOut, wOut } = plan2d(x.shape, kernel, stride, dilation, 'unfold2d');
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  const out = new Float64Array(n * c * kh * kw * hOut * wOut);
  const src = x.data;
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    const xb = nc * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let p = 0; p < hOut; p++) {
          const rb = xb + (p * sh + i * dh) * w + j * dw;
          for (let q = 0; q < wOut; q++) out[o + q] = src[rb + q * sw];
          o += wOut;
        }
      }
    }
  }
  return new NDArray(out, [n, c * kh * kw, hOut * wOut]);
}

/**
 * Folds (col2im) columns back onto a batch of images, adding where windows overlap: the
 * adjoint of {@link unfold2d}.
 *
 * Maths: `x[n, c, y, z] = Σ cols[n, (c·kh + i)·kw + j, p·Wout + q]` over all `(i, j, p, q)` with
 * `p·sh + i·dh = y` and `q·sw + j·dw = z`; `⟨unfold2d(x, …), g⟩ = ⟨x, fold2d(g, x.shape, …)⟩`.
 *
 * @param cols - columns `[N, C·kh·kw, Hout·Wout]`.
 * @param inputShape - the shape `[N, C, H, W]` of the (padded) input that was unfolded.
 * @param kernel - `[kh, kw]`.
 * @param stride - `[sh, sw]` (default `[1, 1]`).
 * @param dilation - `[dh, dw]` (default `[1, 1]`).
 * @returns a new array of shape `inputShape`.
 * @throws RangeError when the parameters are invalid or `cols` does not have the unfolded shape.
 * @example
 * ```ts
 * const ones = NDArray.full([1, 4, 2], 1);      // unfold2d of a [1, 1, 2, 3] image, kernel [2, 2]
 * fold2d(ones, [1, 1, 2, 3], [2, 2]).toNested(); // [[[[1, 2, 1], [1, 2, 1]]]]
 * ```
 */
export function fold2d(
  cols: NDArray,
  inputShape: Shape,
  kernel: readonly [number, number],
  stride: readonly [number, number] = [1, 1],
  dilation: readonly [number, number] = [1, 1],
): NDArray {
  checkShape(inputShape, 'fold2d');
  const { n, c, h, w, hOut, wOut } = plan2d(inputShape, kernel, stride, dilation, 'fold2d');
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  checkColumns(cols, [n, c * kh * kw, hOut * wOut], inputShape, 'fold2d');
  const out = new Float64Array(n * c * h * w);
  const g = cols.data;
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    const xb = nc * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let p = 0; p < hOut; p++) {
          const rb = xb + (p * sh + i * dh) * w + j * dw;
          for (let q = 0; q < wOut; q++) out[rb + q * sw] += g[o + q];
          o += wOut;
        }
      }
    }
  }
  return new NDArray(out, [n, c, h, w]);
}
