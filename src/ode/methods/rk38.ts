/**
 * Kutta's 3/8-rule fourth-order Runge–Kutta method, with a cubic Hermite dense output.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau, hermiteInterpolant } from '../tableau.js';

/** The weights b of the tableau below. */
const B = [1 / 8, 3 / 8, 3 / 8, 1 / 8];

/**
 * The 3/8-rule tableau (Kutta 1901): c = (0, 1/3, 2/3, 1), b = (1/8, 3/8, 3/8, 1/8). Its dense
 * output is the cubic Hermite interpolant of the step's end values and end slopes
 * ({@link hermiteInterpolant}): b₁ = θ − 13θ²/8 + 3θ³/4, b₂ = b₃ = 9θ²/8 − 3θ³/4,
 * b₄ = 3θ²/8 − θ³/4, b₅ = −θ² + θ³. Order 3.
 */
export const rk38Tableau = new ButcherTableau({
  name: 'rk38',
  c: [0, 1 / 3, 2 / 3, 1],
  a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]],
  b: B,
  order: 4,
  interpolant: hermiteInterpolant(B),
});

/**
 * Kutta's 3/8 rule: order 4, four evaluations of f per step, no embedded error estimate (fixed
 * steps only). Its error constant is smaller than the classical {@link rk4}'s; it is the method
 * torchdiffeq calls `rk4`, so a fixed-step torchdiffeq model ported to greybox reproduces its
 * discretization with `rk38()`.
 *
 * One step of size h from (t, y):
 *   k₁ = f(t, y), k₂ = f(t + h/3, y + h k₁/3), k₃ = f(t + 2h/3, y + h(−k₁/3 + k₂)),
 *   k₄ = f(t + h, y + h(k₁ − k₂ + k₃)), y₁ = y + h(k₁ + 3k₂ + 3k₃ + k₄)/8.
 *
 * Dense output: cubic Hermite interpolation of the step's end values and end slopes (order 3),
 * whose end slope is reused as the next step's first stage, as for {@link rk4}.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: rk38(), t1: 19.5, controller: constantSteps(0.5) });
 * ```
 */
export function rk38(): ExplicitRungeKutta {
  return explicitRungeKutta(rk38Tableau);
}
