/**
 * The classical fourth-order Runge–Kutta method, with a cubic Hermite dense output.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau, hermiteInterpolant } from '../tableau.js';

/** The weights b of the tableau below. */
const B = [1 / 6, 1 / 3, 1 / 3, 1 / 6];

/**
 * The classical RK4 tableau (Kutta 1901). Its dense output is the cubic Hermite interpolant of
 * the step's end values and end slopes ({@link hermiteInterpolant}):
 * b₁ = θ − 3θ²/2 + 2θ³/3, b₂ = b₃ = θ² − 2θ³/3, b₄ = θ²/2 − θ³/3, b₅ = −θ² + θ³. Order 3.
 */
export const rk4Tableau = new ButcherTableau({
  name: 'rk4',
  c: [0, 1 / 2, 1 / 2, 1],
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: B,
  order: 4,
  interpolant: hermiteInterpolant(B),
});

/**
 * The classical Runge–Kutta method (Kutta 1901): order 4, four evaluations of f per step, no
 * embedded error estimate (fixed steps only: `embeddedOrder` 0).
 *
 * The standard choice for fixed-step integration, e.g. training through unrolled solver steps.
 * For adaptive steps prefer {@link tsit5} or {@link dopri5}.
 *
 * Dense output: cubic Hermite interpolation of the step's end values and end slopes (order 3,
 * local error O(h⁴)). The end slope f(t + h, y₁) is evaluated only when a step is first
 * interpolated, and is then reused as the next step's first stage, so interpolating costs no
 * extra evaluations along a solve.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: rk4(), t1: 10, controller: constantSteps(0.05) });
 * ```
 */
export function rk4(): ExplicitRungeKutta {
  return explicitRungeKutta(rk4Tableau);
}
