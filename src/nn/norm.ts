/**
 * Normalization layers: batch normalization (PyTorch's `nn.BatchNorm1d`/`nn.BatchNorm2d`),
 * pure — training mode returns the updated running statistics as a new state — and layer
 * normalization (`nn.LayerNorm`).
 */
import { add, div, mul, sub } from '../autodiff/ops/binary.js';
import { reshape } from '../autodiff/ops/layout.js';
import { mean } from '../autodiff/ops/reduce.js';
import { sqrt, square } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import { rejectUnknown } from '../ode/options.js';
import { NDArray } from '../tensor/ndarray.js';
import type { RngKey } from '../tensor/random.js';
import { formatShape, shapesEqual, sizeOf } from '../tensor/shape.js';
import { type Initializer, onesInit, zerosInit } from './init.js';
import { booleanOption, checkOptions, initParams, type ParamSpec, param, requireInteger } from './module.js';

/** Learnable scale and shift of a normalization layer (`{}` when `affine: false`). */
export type NormParams =
  | { readonly weight: Tensor; readonly bias: Tensor }
  | { readonly [key: string]: never };

/**
 * The running statistics of a batch normalization layer, named as PyTorch's buffers:
 * `running_mean` [C], `running_var` [C] (unbiased) and `num_batches_tracked` (a scalar).
 * They are state, not parameters: keep them out of the optimizer.
 */
export type BatchNormState = {
  readonly running_mean: Tensor;
  readonly running_var: Tensor;
  readonly num_batches_tracked: Tensor;
};

/** Options of {@link batchNorm1d} and {@link batchNorm2d}; the defaults are PyTorch's. */
export interface BatchNormOptions {
  /** Channels C (axis 1 of the input). */
  numFeatures: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight m of the newest batch in the running statistics, r ← (1 − m)·r + m·batch
   * (default 0.1); `null` for the cumulative average (m = 1/num_batches_tracked).
   */
  momentum?: number | null;
  /** Whether there is a learnable per-channel scale `weight` and shift `bias` (default true). */
  affine?: boolean;
  /** Initializer of `weight` (default ones). */
  weightInit?: Initializer;
  /** Initializer of `bias` (default zeros). */
  biasInit?: Initializer;
}

/** Options of `apply` of a {@link BatchNorm}. */
export interface BatchNormApplyOptions {
  /** true: normalize with the batch's statistics and update the running ones; false: use the running ones. */
  training: boolean;
}

/** What `apply` of a {@link BatchNorm} returns. */
export interface BatchNormResult {
  /** The normalized input, same shape as x. */
  readonly output: Tensor;
  /** The new running statistics (in evaluation mode, the state passed in). */
  readonly state: BatchNormState;
}

/** A batch normalization layer. Immutable. */
export interface BatchNorm {
  readonly kind: 'batchNorm1d' | 'batchNorm2d';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  /** Fresh `weight` [C] and `bias` [C] (`{}` when not affine). */
  init(key: RngKey): NormParams;
  /** The initial running statistics: mean 0, variance 1, no batches. */
  initState(): BatchNormState;
  /** Normalizes x ([N, C] or [N, C, L] for 1d; [N, C, H, W] for 2d). */
  apply(
    params: NormParams,
    state: BatchNormState,
    x: Tensor,
    options: BatchNormApplyOptions,
  ): BatchNormResult;
}

function epsOption(value: unknown, where: string): number {
  const eps = value ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${where}: eps must be a finite number ≥ 0, got ${String(value)}`);
  }
  return eps;
}

function affineSpecs(
  shape: readonly number[],
  o: { weightInit?: Initializer; biasInit?: Initializer },
): ParamSpec[] {
  return [
    { name: 'weight', shape, init: o.weightInit ?? onesInit() },
    { name: 'bias', shape, init: o.biasInit ?? zerosInit() },
  ];
}

function batchNorm(options: BatchNormOptions, kind: 'batchNorm1d' | 'batchNorm2d'): BatchNorm {
  const where = kind;
  checkOptions(where, options, ['numFeatures', 'eps', 'momentum', 'affine', 'weightInit', 'biasInit']);
  const c = requireInteger(options.numFeatures, 'numFeatures', where, 1);
  const eps = epsOption(options.eps, where);
  const momentum = options.momentum === undefined ? 0.1 : options.momentum;
  if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
    throw new RangeError(`${where}: momentum must be a number in [0, 1] or null, got ${String(momentum)}`);
  }
  const affine = booleanOption(options.affine, 'affine', where, true);
  const specs = affineSpecs([c], options);
  const ranks = kind === 'batchNorm1d' ? [2, 3] : [4];
  const label = `${kind}(${c})`;
  return Object.freeze({
    kind,
    numFeatures: c,
    eps,
    momentum,
    affine,
    init: (key: RngKey): NormParams => (affine ? (initParams(key, specs) as NormParams) : {}),
    initState: (): BatchNormState => ({
      running_mean: new Tensor(NDArray.zeros([c])),
      running_var: new Tensor(NDArray.full([c], 1)),
      num_batches_tracked: new Tensor(NDArray.scalar(0)),
    }),
    apply: (
      params: NormParams,
      state: BatchNormState,
      x: Tensor,
      opts: BatchNormApplyOptions,
    ): BatchNormResult => {
      const at = `${label}.apply`;
      if (opts === undefined || typeof opts.training !== 'boolean') {
        throw new TypeError(
          `${at}: pass { training: true } (batch statistics) or { training: false } (running statistics)`,
        );
      }
      rejectUnknown(at, opts, ['training']);
      if (!ranks.includes(x.rank) || x.shape[1] !== c) {
        const expected = kind === 'batchNorm1d' ? `[N, ${c}] or [N, ${c}, L]` : `[N, ${c}, H, W]`;
        throw new RangeError(`${at}: x must have shape ${expected}, got ${formatShape(x.shape)}`);
      }
      const rm = param(state, 'running_mean', [c], `${at} (state)`);
      const rv = param(state, 'running_var', [c], `${at} (state)`);
      const nbt = param(state, 'num_batches_tracked', [], `${at} (state)`);
      // Per-channel vectors broadcast as [C, 1, …] against x's axes after the channel axis.
      const channelShape = [c, ...x.shape.slice(2).map(() => 1)];
      const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
      let y: Tensor;
      let next = state;
      if (opts.training) {
        const n = sizeOf(x.shape) / c;
        if (n <= 1) {
          throw new RangeError(
            `${at}: training needs more than one value per channel to estimate a variance, got x ${formatShape(x.shape)}; ` +
              'use a larger batch or { training: false }',
          );
        }
        const mu = mean(x, axes, true);
        const xc = sub(x, mu);
        const v = mean(square(xc), axes, true); // biased variance, used to normalize
        y = div(xc, sqrt(add(v, eps)));
        next = updatedStats(rm, rv, nbt, mu.data, v.data, n, momentum);
      } else {
        y = div(sub(x, reshape(rm, channelShape)), sqrt(add(reshape(rv, channelShape), eps)));
      }
      if (affine) {
        const w = param(params, 'weight', [c], at);
        const b = param(params, 'bias', [c], at);
        y = add(mul(y, reshape(w, channelShape)), reshape(b, channelShape));
      }
      return { output: y, state: next };
    },
  });
}

/**
 * r ← (1 − m)·r + m·batch for the mean and the unbiased variance v·n/(n − 1), with
 * m = momentum or, for `null`, 1/(batches so far); the batch count goes up by one. Constants:
 * no gradient flows into the running statistics.
 */
function updatedStats(
  rm: Tensor,
  rv: Tensor,
  nbt: Tensor,
  batchMean: Float64Array,
  batchVar: Float64Array,
  n: number,
  momentum: number | null,
): BatchNormState {
  const count = nbt.data[0] + 1;
  const m = momentum ?? 1 / count;
  const c = rm.size;
  const mean2 = new Float64Array(c);
  const var2 = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    mean2[i] = m * batchMean[i] + (1 - m) * rm.data[i];
    var2[i] = m * ((batchVar[i] * n) / (n - 1)) + (1 - m) * rv.data[i];
  }
  return {
    running_mean: new Tensor(new NDArray(mean2, [c])),
    running_var: new Tensor(new NDArray(var2, [c])),
    num_batches_tracked: new Tensor(NDArray.scalar(count)),
  };
}

/**
 * Batch normalization over [N, C] or [N, C, L] (PyTorch's `nn.BatchNorm1d`), per channel c:
 *
 *     training:   y = (x − μ_B)/√(σ²_B + ε)·γ + β,  μ_B, σ²_B the batch mean and biased variance
 *                 over every axis but the channel axis; running_mean ← (1 − m)·running_mean + m·μ_B,
 *                 running_var ← (1 − m)·running_var + m·σ²_B·n/(n − 1)
 *     evaluation: y = (x − running_mean)/√(running_var + ε)·γ + β
 *
 * (Ioffe & Szegedy 2015). `apply` is pure: training mode returns the updated statistics as a
 * new state and leaves the given one untouched. Gradients in training mode flow through μ_B
 * and σ²_B.
 *
 * @example
 * ```ts
 * const bn = batchNorm1d({ numFeatures: 3 });
 * const params = bn.init(rngKey(0));               // { weight: ones, bias: zeros }
 * let state = bn.initState();
 * const x = normal(rngKey(1), [16, 3]);
 * const r = bn.apply(params, state, tensor(x), { training: true });
 * state = r.state;                                 // running statistics after one batch
 * bn.apply(params, state, tensor(x), { training: false }).output.shape; // [16, 3]
 * ```
 */
export function batchNorm1d(options: BatchNormOptions): BatchNorm {
  return batchNorm(options, 'batchNorm1d');
}

/**
 * Batch normalization over [N, C, H, W] (PyTorch's `nn.BatchNorm2d`): as {@link batchNorm1d}
 * with the statistics taken over N, H and W.
 *
 * @example
 * ```ts
 * const bn = batchNorm2d({ numFeatures: 8, momentum: 0.01 });
 * const r = bn.apply(bn.init(rngKey(0)), bn.initState(), zeros([4, 8, 5, 5]), { training: true });
 * r.state.num_batches_tracked.item(); // 1
 * ```
 */
export function batchNorm2d(options: BatchNormOptions): BatchNorm {
  return batchNorm(options, 'batchNorm2d');
}

/** Options of {@link layerNorm}; the defaults are PyTorch's. */
export interface LayerNormOptions {
  /** The trailing shape normalized over, e.g. `16` or `[8, 16]`. */
  normalizedShape: number | readonly number[];
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Whether there is a learnable elementwise `weight` and `bias` of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** Initializer of `weight` (default ones). */
  weightInit?: Initializer;
  /** Initializer of `bias` (default zeros). */
  biasInit?: Initializer;
}

/** A layer normalization. Immutable. */
export interface LayerNorm {
  readonly kind: 'layerNorm';
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  /** Fresh `weight` and `bias` of the normalized shape (`{}` without the affine map). */
  init(key: RngKey): NormParams;
  /** Normalizes x [..., normalizedShape]. */
  apply(params: NormParams, x: Tensor): Tensor;
}

/**
 * Layer normalization (Ba, Kiros & Hinton 2016; PyTorch's `nn.LayerNorm`): over the trailing
 * axes given by `normalizedShape`, for each leading index,
 *
 *     y = (x − μ)/√(σ² + ε) ⊙ γ + β,   μ, σ² the mean and biased variance over those axes,
 *
 * with γ (`weight`) and β (`bias`) elementwise of the normalized shape. The same in training
 * and evaluation.
 *
 * @example
 * ```ts
 * const ln = layerNorm({ normalizedShape: 4 });
 * ln.apply(ln.init(rngKey(0)), tensor([[1, 2, 3, 4]])).toArray();
 * // [[-1.3416…, -0.4472…, 0.4472…, 1.3416…]]
 * ```
 */
export function layerNorm(options: LayerNormOptions): LayerNorm {
  const where = 'layerNorm';
  checkOptions(where, options, ['normalizedShape', 'eps', 'elementwiseAffine', 'weightInit', 'biasInit']);
  const ns = options.normalizedShape;
  const list = typeof ns === 'number' ? [ns] : Array.isArray(ns) ? ns : null;
  if (list === null || list.length === 0) {
    throw new RangeError(
      `${where}: normalizedShape must be a size or a non-empty list of sizes, got ${JSON.stringify(ns)}`,
    );
  }
  const shape = list.map((d, i) => requireInteger(d, `normalizedShape[${i}]`, where, 1));
  const eps = epsOption(options.eps, where);
  const affine = booleanOption(options.elementwiseAffine, 'elementwiseAffine', where, true);
  const specs = affineSpecs(shape, options);
  const k = shape.length;
  const label = `layerNorm(${formatShape(shape)})`;
  return Object.freeze({
    kind: 'layerNorm' as const,
    normalizedShape: Object.freeze(shape),
    eps,
    elementwiseAffine: affine,
    init: (key: RngKey): NormParams => (affine ? (initParams(key, specs) as NormParams) : {}),
    apply: (params: NormParams, x: Tensor): Tensor => {
      const at = `${label}.apply`;
      if (x.rank < k || !shapesEqual(x.shape.slice(x.rank - k), shape)) {
        throw new RangeError(
          `${at}: x must have shape [..., ${shape.join(', ')}], got ${formatShape(x.shape)}`,
        );
      }
      const axes = shape.map((_, i) => x.rank - k + i);
      const xc = sub(x, mean(x, axes, true));
      let y = div(xc, sqrt(add(mean(square(xc), axes, true), eps)));
      if (affine) y = add(mul(y, param(params, 'weight', shape, at)), param(params, 'bias', shape, at));
      return y;
    },
  });
}
