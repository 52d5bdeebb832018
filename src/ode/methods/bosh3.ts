/**
 * The Bogacki–Shampine 3(2) pair, with its cubic Hermite dense output.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/**
 * The Bogacki–Shampine tableau (P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge–Kutta
 * formulas", Appl. Math. Lett. 2(4), 1989, 321–325). FSAL: the fourth stage is f(t + h, y₁).
 * The dense output is the cubic Hermite interpolant of y, y₁, k₁ and k₄ (free, as k₄ is the FSAL
 * stage): bᵢ(θ) = (3θ² − 2θ³)bᵢ + (θ − 2θ² + θ³)[i = 1] + (θ³ − θ²)[i = 4], i.e.
 * b₁ = θ − 4θ²/3 + 5θ³/9, b₂ = θ² − 2θ³/3, b₃ = 4θ²/3 − 8θ³/9, b₄ = −θ² + θ³. Order 3.
 */
export const bosh3Tableau = new ButcherTableau({
  name: 'bosh3',
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  bHat: [7 / 24, 1 / 4, 1 / 3, 1 / 8],
  order: 3,
  embeddedOrder: 2,
  fsal: true,
  interpolant: {
    order: 3,
    weights: [
      [1, -4 / 3, 5 / 9],
      [0, 1, -2 / 3],
      [0, 4 / 3, -8 / 9],
      [0, -1, 1],
    ],
  },
});

/**
 * The Bogacki–Shampine 3(2) pair (MATLAB's `ode23`): order 3 with an order-2 error estimate,
 * four stages with first-same-as-last, so three evaluations of f per accepted step.
 *
 * Efficient at loose tolerances (rtol ≈ 1e-3 to 1e-4) and for mildly non-smooth problems,
 * e.g. a first fit of a hybrid model. Below rtol ≈ 1e-5 prefer {@link tsit5}. Dense output:
 * cubic Hermite (order 3) at no extra cost.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: bosh3(), t1: 10, controller: pid({ rtol: 1e-3, atol: 1e-6 }) });
 * ```
 */
export function bosh3(): ExplicitRungeKutta {
  return explicitRungeKutta(bosh3Tableau);
}
