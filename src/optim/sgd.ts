/**
 * Momentum and stochastic gradient descent with PyTorch's conventions (`torch.optim.SGD`).
 */
import { rejectUnknown } from '../ode/options.js';
import { checkNonNegative, checkRange } from './check.js';
import { checkStateLeaves, matchedLeaves, treeFromData } from './leaves.js';
import { addDecayedWeights, type CountState, scaleByLearningRate } from './scale.js';
import type { LearningRate } from './schedules.js';
import { type ChainState, chain, type GradientTransformation } from './transform.js';

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Momentum μ ≥ 0 (default 0.9). */
  readonly momentum?: number;
  /** Dampening d ∈ [0, 1] of the incoming gradient (default 0). */
  readonly dampening?: number;
  /** Nesterov momentum: return g + μ·b instead of b (default false; needs μ > 0 and d = 0). */
  readonly nesterov?: boolean;
}

/** State of {@link trace}: the momentum buffers (null before the first update). */
export interface TraceState {
  readonly buffers: readonly Float64Array[] | null;
}

/**
 * The momentum buffer of PyTorch's SGD (optax calls it `trace`):
 *
 *   b₁ = g₁,   b_t = μ b_{t−1} + (1 − d) g_t,   u = b_t  (or u = g_t + μ b_t with Nesterov).
 *
 * The first buffer is the gradient itself, not (1 − d)·g (PyTorch's choice; it matters only
 * with dampening). Chain with {@link scaleByLearningRate}: the learning rate multiplies the
 * buffer when it is applied, so a schedule changes the step at once (as PyTorch).
 *
 * @example
 * ```ts
 * const heavyBall = chain(trace({ momentum: 0.9 }), scaleByLearningRate(1e-2));
 * ```
 */
export function trace(options: TraceOptions = {}): GradientTransformation<TraceState> {
  const what = 'trace';
  rejectUnknown(what, options, ['momentum', 'dampening', 'nesterov']);
  const mu = options.momentum ?? 0.9;
  const damp = options.dampening ?? 0;
  const nesterov = options.nesterov ?? false;
  checkNonNegative(what, 'momentum', mu);
  checkRange(what, 'dampening', damp, 0, 1);
  if (nesterov && (mu <= 0 || damp !== 0)) {
    throw new RangeError(
      `${what}: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${mu}, dampening ${damp}`,
    );
  }
  return {
    init: () => ({ buffers: null }),
    update: (grads, state, params) => {
      const { g } = matchedLeaves(what, grads, params);
      if (state.buffers !== null) checkStateLeaves(what, state.buffers, g);
      const buffers: Float64Array[] = [];
      const out: Float64Array[] = [];
      for (let i = 0; i < g.length; i++) {
        const gd = g[i].data;
        const prev = state.buffers === null ? null : state.buffers[i];
        const b = new Float64Array(gd.length);
        if (prev === null) b.set(gd);
        else for (let j = 0; j < gd.length; j++) b[j] = mu * prev[j] + (1 - damp) * gd[j];
        buffers.push(b);
        if (nesterov) {
          const u = new Float64Array(gd.length);
          for (let j = 0; j < gd.length; j++) u[j] = gd[j] + mu * b[j];
          out.push(u);
        } else {
          out.push(b.slice());
        }
      }
      return { updates: treeFromData(grads, g, out), state: { buffers } };
    },
  };
}

/** Options of {@link sgd}. */
export interface SgdOptions extends TraceOptions {
  /** L2 weight decay λ added to the gradient, g ← g + λp (default 0). */
  readonly weightDecay?: number;
}

/** State of {@link sgd}: the states of its chain (weight decay, momentum, learning rate). */
export type SgdState = ChainState<
  readonly [
    GradientTransformation<null>,
    GradientTransformation<TraceState>,
    GradientTransformation<CountState>,
  ]
>;

/**
 * Stochastic gradient descent with optional momentum, as `torch.optim.SGD`:
 *
 *   g ← g + λp;   b₁ = g₁, b_t = μ b_{t−1} + (1 − d) g_t;   p ← p − η(t)·s·(b_t or g_t + μ b_t),
 *
 * with s = `context.lrScale`. Momentum defaults to 0 here (plain gradient descent).
 * Built as `chain(addDecayedWeights(λ), trace(…), scaleByLearningRate(lr))`.
 *
 * @example
 * ```ts
 * const opt = sgd(1e-2, { momentum: 0.9, nesterov: true });
 * ```
 */
export function sgd(lr: LearningRate, options: SgdOptions = {}): GradientTransformation<SgdState> {
  rejectUnknown('sgd', options, ['momentum', 'dampening', 'nesterov', 'weightDecay']);
  const { weightDecay = 0, momentum = 0, ...rest } = options;
  return chain(addDecayedWeights(weightDecay), trace({ momentum, ...rest }), scaleByLearningRate(lr));
}
