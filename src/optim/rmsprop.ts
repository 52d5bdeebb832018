/**
 * RMSprop (Tieleman & Hinton 2012; centred form of Graves 2013) with PyTorch's conventions
 * (`torch.optim.RMSprop`).
 */
import { rejectUnknown } from '../ode/options.js';
import { checkNonNegative, checkRange } from './check.js';
import { checkStateLeaves, matchedLeaves, treeFromData, zerosLike } from './leaves.js';
import { addDecayedWeights, type CountState, scaleByLearningRate } from './scale.js';
import type { LearningRate } from './schedules.js';
import { type TraceState, trace } from './sgd.js';
import { type ChainState, chain, type GradientTransformation } from './transform.js';

/** Options of {@link scaleByRms}. */
export interface ScaleByRmsOptions {
  /** Decay α ∈ [0, 1) of the mean square (default 0.99). */
  readonly alpha?: number;
  /** ε added to the root (default 1e-8). */
  readonly eps?: number;
  /** Divide by the standard deviation √(E[g²] − E[g]²) instead of the root mean square. */
  readonly centered?: boolean;
}

/** State of {@link scaleByRms}: running E[g²] and, when centred, E[g]. */
export interface RmsState {
  readonly squareAvg: readonly Float64Array[];
  readonly gradAvg: readonly Float64Array[] | null;
}

/**
 * RMS preconditioning without the learning rate:
 *
 *   v_t = α v_{t−1} + (1 − α) g²,   (centred: a_t = α a_{t−1} + (1 − α) g,  v_t ← v_t − a_t²)
 *   u = g / (√v_t + ε),
 *
 * ε outside the root and no bias correction (both as PyTorch; v₀ = 0, so early steps are
 * large — warm up the learning rate if that hurts).
 *
 * @example
 * ```ts
 * const opt = chain(scaleByRms({ alpha: 0.9 }), scaleByLearningRate(1e-3));
 * ```
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<RmsState> {
  const what = 'scaleByRms';
  rejectUnknown(what, options, ['alpha', 'eps', 'centered']);
  const alpha = options.alpha ?? 0.99;
  const eps = options.eps ?? 1e-8;
  const centered = options.centered ?? false;
  checkRange(what, 'alpha', alpha, 0, 1, { openMax: true });
  checkNonNegative(what, 'eps', eps);
  return {
    init: (params) => {
      const { p } = matchedLeaves(what, params, params);
      return { squareAvg: zerosLike(p), gradAvg: centered ? zerosLike(p) : null };
    },
    update: (grads, state, params) => {
      const { g } = matchedLeaves(what, grads, params);
      checkStateLeaves(what, state.squareAvg, g);
      const squareAvg: Float64Array[] = [];
      const gradAvg: Float64Array[] | null = centered ? [] : null;
      const out: Float64Array[] = [];
      for (let i = 0; i < g.length; i++) {
        const gd = g[i].data;
        const n = gd.length;
        const s0 = state.squareAvg[i];
        const a0 = state.gradAvg === null ? null : state.gradAvg[i];
        const s = new Float64Array(n);
        const a = a0 === null ? null : new Float64Array(n);
        const u = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          const gj = gd[j];
          s[j] = alpha * s0[j] + (1 - alpha) * gj * gj;
          let v = s[j];
          if (a !== null && a0 !== null) {
            a[j] = alpha * a0[j] + (1 - alpha) * gj;
            v -= a[j] * a[j];
          }
          u[j] = gj / (Math.sqrt(v) + eps);
        }
        squareAvg.push(s);
        if (gradAvg !== null && a !== null) gradAvg.push(a);
        out.push(u);
      }
      return { updates: treeFromData(grads, g, out), state: { squareAvg, gradAvg } };
    },
  };
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends ScaleByRmsOptions {
  /** Momentum μ ≥ 0 on the preconditioned gradient (default 0). */
  readonly momentum?: number;
  /** L2 weight decay λ added to the gradient, g ← g + λp (default 0). */
  readonly weightDecay?: number;
}

/** State of {@link rmsprop}: the states of its chain. */
export type RmspropState = ChainState<
  readonly [
    GradientTransformation<null>,
    GradientTransformation<RmsState>,
    GradientTransformation<TraceState>,
    GradientTransformation<CountState>,
  ]
>;

/**
 * RMSprop as `torch.optim.RMSprop`: g ← g + λp, then {@link scaleByRms}, then with momentum
 * b_t = μ b_{t−1} + g/(√v + ε) (b₀ = 0), and p ← p − η(t)·s·b_t (s = `context.lrScale`).
 *
 * @example
 * ```ts
 * const opt = rmsprop(1e-3, { alpha: 0.99, momentum: 0.9, centered: true });
 * ```
 */
export function rmsprop(
  lr: LearningRate,
  options: RmspropOptions = {},
): GradientTransformation<RmspropState> {
  rejectUnknown('rmsprop', options, ['alpha', 'eps', 'centered', 'momentum', 'weightDecay']);
  const { weightDecay = 0, momentum = 0, ...rest } = options;
  // PyTorch's buffer starts at 0, so b₁ = u₁: the same as the trace's first step.
  return chain(
    addDecayedWeights(weightDecay),
    scaleByRms(rest),
    trace({ momentum }),
    scaleByLearningRate(lr),
  );
}
