/**
 * The explicit Euler method: y₁ = y + h·f(t, y). Order 1, one stage, no error estimate.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/** Euler's tableau, with linear interpolation (its natural dense output, order 1). */
export const eulerTableau = new ButcherTableau({
  name: 'euler',
  c: [0],
  a: [[]],
  b: [1],
  order: 1,
  interpolant: { order: 1, weights: [[1]] },
});

/**
 * The explicit Euler method (Euler 1768): order 1, one evaluation of f per step, no embedded
 * error estimate, so fixed steps only (`constantSteps(dt)`).
 *
 * Not recommended for accuracy: its global error falls only in proportion to h. Use it for
 * teaching, for checking a model quickly, or where a model was trained through Euler steps and
 * must be simulated the same way. Dense output: linear interpolation (order 1).
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: euler(), t1: 1, controller: constantSteps(1e-3) });
 * ```
 */
export function euler(): ExplicitRungeKutta {
  return explicitRungeKutta(eulerTableau);
}
