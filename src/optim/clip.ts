/**
 * Gradient clipping: by the global norm over all leaves, or elementwise by value.
 */
import type { Tensor } from '../autodiff/tensor.js';
import { checkPositive } from './check.js';
import { matchedLeaves, treeFromData } from './leaves.js';
import type { GradientTransformation } from './transform.js';

/**
 * The Euclidean norm of all leaves together, √(Σ_leaves Σ_j g_j²), computed with scaling so
 * that huge entries do not overflow (a NaN entry gives NaN).
 *
 * @example
 * ```ts
 * globalNorm([tensor([3]), tensor([4])]); // 5
 * ```
 */
export function globalNorm(leaves: readonly Tensor[]): number {
  let big = 0;
  for (const leaf of leaves) {
    for (const v of leaf.data) {
      const a = Math.abs(v);
      if (Number.isNaN(a)) return Number.NaN;
      if (a > big) big = a;
    }
  }
  if (big === 0 || big === Number.POSITIVE_INFINITY) return big;
  let sum = 0;
  for (const leaf of leaves) {
    for (const v of leaf.data) {
      const r = v / big;
      sum += r * r;
    }
  }
  return big * Math.sqrt(sum);
}

/**
 * Rescales the whole gradient when its global norm exceeds `maxNorm`:
 *
 *   u = g · min(1, maxNorm / ‖g‖),  ‖g‖ = √(Σ over all leaves of g²),
 *
 * so the direction is kept and ‖u‖ ≤ maxNorm (optax's `clip_by_global_norm`; PyTorch's
 * `clip_grad_norm_` adds 1e-6 to the denominator, this does not). Non-finite gradients pass
 * unchanged, for the caller's non-finite check to see. Put it first in a chain.
 *
 * @example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), adam(1e-3));
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<null> {
  const what = 'clipByGlobalNorm';
  checkPositive(what, 'maxNorm', maxNorm);
  return {
    init: () => null,
    update: (grads, _state, params) => {
      const { g } = matchedLeaves(what, grads, params);
      const norm = globalNorm(g);
      if (!(norm > maxNorm) || !Number.isFinite(norm)) return { updates: grads, state: null };
      const ratio = norm / maxNorm;
      return {
        updates: treeFromData(
          grads,
          g,
          g.map((leaf) => leaf.data.map((v) => v / ratio)),
        ),
        state: null,
      };
    },
  };
}

/**
 * Clamps every gradient entry to [−limit, limit] (NaN stays NaN). Unlike
 * {@link clipByGlobalNorm} this changes the direction.
 *
 * @example
 * ```ts
 * const opt = chain(clipByValue(10), sgd(1e-2));
 * ```
 */
export function clipByValue(limit: number): GradientTransformation<null> {
  const what = 'clipByValue';
  checkPositive(what, 'limit', limit);
  return {
    init: () => null,
    update: (grads, _state, params) => {
      const { g } = matchedLeaves(what, grads, params);
      const data = g.map((leaf) => leaf.data.map((v) => Math.min(Math.max(v, -limit), limit)));
      return { updates: treeFromData(grads, g, data), state: null };
    },
  };
}
