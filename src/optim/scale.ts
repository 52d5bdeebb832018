/**
 * The elementary transformations: multiply by a constant, by minus the learning rate, add
 * weight decay, zero out.
 */
import type { Tree } from '../autodiff/tree.js';
import { checkNonNegative, checkRange } from './check.js';
import { matchedLeaves, treeFromData, zerosLike } from './leaves.js';
import { checkLearningRate, type LearningRate, learningRateAt } from './schedules.js';
import { type GradientTransformation, lrScaleOf } from './transform.js';

/**
 * u = factor · g (no learning rate, so `lrScale` does not apply). `scale(-1)` turns a
 * descent chain into ascent.
 *
 * @example
 * ```ts
 * scale(0.5).update(grads, null, params).updates; // grads halved
 * ```
 */
export function scale(factor: number): GradientTransformation<null> {
  checkRange('scale', 'factor', factor, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, {
    openMin: true,
    openMax: true,
  });
  return {
    init: () => null,
    update: (grads, _state, params) => {
      const { g } = matchedLeaves('scale', grads, params);
      return {
        updates: treeFromData(
          grads,
          g,
          g.map((leaf) => leaf.data.map((v) => factor * v)),
        ),
        state: null,
      };
    },
  };
}

/** State of {@link scaleByLearningRate}: the number of updates made. */
export interface CountState {
  readonly count: number;
}

/**
 * u = −η(t) · s · g with η the learning rate (a number or a schedule of the step count t,
 * starting at 0) and s = `context.lrScale` (default 1). This is the one place a descent chain
 * applies its learning rate and its sign.
 *
 * @example
 * ```ts
 * const opt = chain(scaleByAdam(), scaleByLearningRate(warmup(100, constantSchedule(1e-3))));
 * ```
 */
export function scaleByLearningRate(lr: LearningRate): GradientTransformation<CountState> {
  const what = 'scaleByLearningRate';
  checkLearningRate(what, lr);
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params, context) => {
      const { g } = matchedLeaves(what, grads, params);
      const step = learningRateAt(what, lr, state.count) * lrScaleOf(what, context);
      const data = g.map((leaf) => leaf.data.map((v) => -step * v));
      return { updates: treeFromData(grads, g, data), state: { count: state.count + 1 } };
    },
  };
}

/**
 * u = g + λ·p: weight decay as the gradient of (λ/2)‖p‖². Placed before a preconditioner it is
 * the classical L2 penalty of PyTorch's `SGD`/`Adam`/`RMSprop(weight_decay=λ)`; placed after it
 * (just before {@link scaleByLearningRate}) it is decoupled decay, p ← p − η·λ·p − η·(…), as in
 * AdamW (Loshchilov & Hutter 2019). Wrap it in {@link maskedTransform} to decay only some leaves
 * (weights, not biases).
 *
 * @example
 * ```ts
 * const l2Adam = chain(addDecayedWeights(1e-4), scaleByAdam(), scaleByLearningRate(1e-3));
 * const decoupled = chain(scaleByAdam(), addDecayedWeights(1e-2), scaleByLearningRate(1e-3));
 * ```
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<null> {
  checkNonNegative('addDecayedWeights', 'weightDecay', weightDecay);
  return {
    init: () => null,
    update: (grads, _state, params) => {
      const { g, p } = matchedLeaves('addDecayedWeights', grads, params);
      if (weightDecay === 0) return { updates: grads, state: null };
      const data = g.map((leaf, i) => {
        const gd = leaf.data;
        const pd = p[i].data;
        const out = new Float64Array(gd.length);
        for (let j = 0; j < gd.length; j++) out[j] = gd[j] + weightDecay * pd[j];
        return out;
      });
      return { updates: treeFromData(grads, g, data), state: null };
    },
  };
}

/**
 * u = 0 for every leaf: the transformation of a frozen parameter group in {@link partition}.
 *
 * @example
 * ```ts
 * partition(hybridParamLabel, { mech: setToZero(), nets: adam(1e-3), shooting: adam(1e-3) });
 * ```
 */
export function setToZero(): GradientTransformation<null> {
  return {
    init: () => null,
    update: (grads: Tree, _state, params) => {
      const { g } = matchedLeaves('setToZero', grads, params);
      return { updates: treeFromData(grads, g, zerosLike(g)), state: null };
    },
  };
}
