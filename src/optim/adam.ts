/**
 * Adam (Kingma & Ba 2015), its AMSGrad variant (Reddi, Kale & Kumar 2018) and AdamW with
 * decoupled weight decay (Loshchilov & Hutter 2019), with PyTorch's bias correction and
 * placement of ε.
 */
import { rejectUnknown } from '../ode/options.js';
import { checkNonNegative, checkRange } from './check.js';
import { checkStateLeaves, matchedLeaves, treeFromData, zerosLike } from './leaves.js';
import { addDecayedWeights, type CountState, scaleByLearningRate } from './scale.js';
import type { LearningRate } from './schedules.js';
import { type ChainState, chain, type GradientTransformation } from './transform.js';

/** Options of {@link scaleByAdam}. */
export interface ScaleByAdamOptions {
  /** Decay of the first-moment average β₁ ∈ [0, 1) (default 0.9). */
  readonly b1?: number;
  /** Decay of the second-moment average β₂ ∈ [0, 1) (default 0.999). */
  readonly b2?: number;
  /** ε added to the bias-corrected root √v̂ (default 1e-8). */
  readonly eps?: number;
  /** AMSGrad: divide by the running maximum of v instead of v (default false). */
  readonly amsgrad?: boolean;
}

/** State of {@link scaleByAdam}: step count and moment buffers, one per leaf. */
export interface AdamState {
  readonly count: number;
  /** First moments m. */
  readonly mu: readonly Float64Array[];
  /** Second moments v. */
  readonly nu: readonly Float64Array[];
  /** Running maxima of v (AMSGrad), else null. */
  readonly nuMax: readonly Float64Array[] | null;
}

const ADAM_KEYS = ['b1', 'b2', 'eps', 'amsgrad'] as const;

function adamHyper(what: string, options: ScaleByAdamOptions): Required<ScaleByAdamOptions> {
  const b1 = options.b1 ?? 0.9;
  const b2 = options.b2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  checkRange(what, 'b1', b1, 0, 1, { openMax: true });
  checkRange(what, 'b2', b2, 0, 1, { openMax: true });
  checkNonNegative(what, 'eps', eps);
  return { b1, b2, eps, amsgrad: options.amsgrad ?? false };
}

/**
 * Adam's preconditioning without the learning rate. With t the 1-based step,
 *
 *   m_t = β₁ m_{t−1} + (1 − β₁) g,   v_t = β₂ v_{t−1} + (1 − β₂) g²,
 *   u = (m_t / (1 − β₁ᵗ)) / (√v_t / √(1 − β₂ᵗ) + ε),
 *
 * i.e. ε is added to the *bias-corrected* root √v̂ (PyTorch's `torch.optim.Adam`; also optax),
 * not to √v before correction (the TensorFlow "ε̂" form). With `amsgrad`, √v_t is replaced by
 * √max_{s≤t} v_s (the maximum of the uncorrected v, as PyTorch). Chain with
 * {@link scaleByLearningRate} for the step.
 *
 * @example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam({ b2: 0.99 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<AdamState> {
  const what = 'scaleByAdam';
  rejectUnknown(what, options, ADAM_KEYS);
  const { b1, b2, eps, amsgrad } = adamHyper(what, options);
  return {
    init: (params) => {
      const { p } = matchedLeaves(what, params, params);
      return { count: 0, mu: zerosLike(p), nu: zerosLike(p), nuMax: amsgrad ? zerosLike(p) : null };
    },
    update: (grads, state, params) => {
      const { g } = matchedLeaves(what, grads, params);
      checkStateLeaves(what, state.mu, g);
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const mu: Float64Array[] = [];
      const nu: Float64Array[] = [];
      const nuMax: Float64Array[] | null = amsgrad ? [] : null;
      const out: Float64Array[] = [];
      for (let i = 0; i < g.length; i++) {
        const gd = g[i].data;
        const m0 = state.mu[i];
        const v0 = state.nu[i];
        const n = gd.length;
        const m = new Float64Array(n);
        const v = new Float64Array(n);
        const vmax0 = state.nuMax === null ? null : state.nuMax[i];
        const vmax = vmax0 === null ? null : new Float64Array(n);
        const u = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          const gj = gd[j];
          m[j] = b1 * m0[j] + (1 - b1) * gj;
          v[j] = b2 * v0[j] + (1 - b2) * gj * gj;
          let vj = v[j];
          if (vmax !== null && vmax0 !== null) {
            vj = Math.max(vmax0[j], vj);
            vmax[j] = vj;
          }
          u[j] = m[j] / bc1 / (Math.sqrt(vj) / bc2Sqrt + eps);
        }
        mu.push(m);
        nu.push(v);
        if (nuMax !== null && vmax !== null) nuMax.push(vmax);
        out.push(u);
      }
      return { updates: treeFromData(grads, g, out), state: { count: t, mu, nu, nuMax } };
    },
  };
}

/** Options of {@link adam}. */
export interface AdamOptions extends ScaleByAdamOptions {
  /**
   * L2 weight decay λ added to the gradient before the moments, g ← g + λp (PyTorch's
   * `Adam(weight_decay=λ)`; default 0). For decoupled decay use {@link adamw}.
   */
  readonly weightDecay?: number;
}

/** State of {@link adam}: the states of its chain (weight decay, moments, learning rate). */
export type AdamChainState = ChainState<
  readonly [
    GradientTransformation<null>,
    GradientTransformation<AdamState>,
    GradientTransformation<CountState>,
  ]
>;

/** State of {@link adamw}: the states of its chain (moments, decoupled decay, learning rate). */
export type AdamWChainState = ChainState<
  readonly [
    GradientTransformation<AdamState>,
    GradientTransformation<null>,
    GradientTransformation<CountState>,
  ]
>;

/**
 * Adam: `chain(addDecayedWeights(weightDecay), scaleByAdam(options), scaleByLearningRate(lr))`,
 * so p ← p − η(t)·s·m̂/(√v̂ + ε) with s = `context.lrScale` — `torch.optim.Adam` step for step
 * (see {@link scaleByAdam} for the bias correction and ε).
 *
 * @param lr - learning rate η: a number or a {@link Schedule} of the step count.
 *
 * @example
 * ```ts
 * const opt = adam(1e-3, { b1: 0.9, b2: 0.999, eps: 1e-8 });
 * let state = opt.init(params);
 * const { updates, state: next } = opt.update(grads, state, params);
 * ```
 */
export function adam(lr: LearningRate, options: AdamOptions = {}): GradientTransformation<AdamChainState> {
  rejectUnknown('adam', options, [...ADAM_KEYS, 'weightDecay']);
  const { weightDecay = 0, ...rest } = options;
  return chain(addDecayedWeights(weightDecay), scaleByAdam(rest), scaleByLearningRate(lr));
}

/** Options of {@link adamw}. */
export interface AdamWOptions extends ScaleByAdamOptions {
  /** Decoupled weight decay λ (default 0.01, as PyTorch's AdamW). */
  readonly weightDecay?: number;
}

/**
 * AdamW, decoupled weight decay (Loshchilov & Hutter 2019, as `torch.optim.AdamW`):
 *
 *   p ← p − η s λ p − η s · m̂/(√v̂ + ε),
 *
 * the decay scaled by the learning rate η(t)·s but not by Adam's preconditioner, so every
 * weight shrinks by the same factor (1 − η s λ) per step. Built as
 * `chain(scaleByAdam(options), addDecayedWeights(weightDecay), scaleByLearningRate(lr))`.
 *
 * @example
 * ```ts
 * const opt = adamw(1e-3, { weightDecay: 1e-2 });
 * ```
 */
export function adamw(lr: LearningRate, options: AdamWOptions = {}): GradientTransformation<AdamWChainState> {
  rejectUnknown('adamw', options, [...ADAM_KEYS, 'weightDecay']);
  const { weightDecay = 0.01, ...rest } = options;
  return chain(scaleByAdam(rest), addDecayedWeights(weightDecay), scaleByLearningRate(lr));
}
