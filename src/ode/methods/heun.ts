/**
 * Heun's method with an embedded Euler step: the Heun–Euler 2(1) pair.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/**
 * The Heun–Euler tableau: b = (1/2, 1/2), b̂ = (1, 0), with a quadratic dense output of order 2:
 * b₁(θ) = θ − θ²/2, b₂(θ) = θ²/2 (the unique quadratic with b(1) = b and Σbᵢ(θ)cᵢ = θ²/2).
 */
export const heunTableau = new ButcherTableau({
  name: 'heun',
  c: [0, 1],
  a: [[], [1]],
  b: [1 / 2, 1 / 2],
  bHat: [1, 0],
  order: 2,
  embeddedOrder: 1,
  interpolant: {
    order: 2,
    weights: [
      [1, -1 / 2],
      [0, 1 / 2],
    ],
  },
});

/**
 * Heun's method (the explicit trapezoidal rule, Heun 1900) with Euler's method as the embedded
 * solution: order 2(1), two evaluations of f per step.
 *
 * The simplest adaptive method; its error estimate is first order, so step-size control is
 * crude. Use it for rough tolerances (rtol ≈ 1e-2) or non-smooth right-hand sides; prefer
 * {@link bosh3} for rtol ≈ 1e-3 and {@link tsit5} / {@link dopri5} below that.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: heun(), t1: 1, controller: pid({ rtol: 1e-2, atol: 1e-4 }) });
 * ```
 */
export function heun(): ExplicitRungeKutta {
  return explicitRungeKutta(heunTableau);
}
