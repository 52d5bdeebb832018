/**
 * The explicit midpoint method: k₂ = f(t + h/2, y + (h/2)k₁), y₁ = y + h·k₂. Order 2.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/**
 * The midpoint tableau with a quadratic dense output of order 2: b₁(θ) = θ − θ², b₂(θ) = θ²
 * (the unique quadratic with b(1) = b and Σbᵢ(θ)cᵢ = θ²/2).
 */
export const midpointTableau = new ButcherTableau({
  name: 'midpoint',
  c: [0, 1 / 2],
  a: [[], [1 / 2]],
  b: [0, 1],
  order: 2,
  interpolant: {
    order: 2,
    weights: [
      [1, -1],
      [0, 1],
    ],
  },
});

/**
 * The explicit midpoint method (Runge 1895): order 2, two evaluations of f per step, no
 * embedded error estimate (fixed steps only).
 *
 * A cheap second-order method for fixed-step work, e.g. unrolled training loops. For adaptive
 * steps use {@link heun} (same cost, with an error estimate) or, better, {@link bosh3}.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: midpoint(), t1: 1, controller: constantSteps(0.01) });
 * ```
 */
export function midpoint(): ExplicitRungeKutta {
  return explicitRungeKutta(midpointTableau);
}
