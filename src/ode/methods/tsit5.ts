/**
 * Tsitouras' 5(4) pair with its fourth-order dense output.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/**
 * Tsitouras' tableau (Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first
 * column simplifying assumption", Comput. Math. Appl. 62(2), 2011, 770–775), the 85-digit
 * values of OrdinaryDiffEq.jl / diffrax rounded to the nearest float64. FSAL: the seventh stage is
 * f(t + h, y₁).
 *
 * Dense output: the paper's polynomials bᵢ(θ) (given there in factored form, e.g.
 * b₇(θ) = 2.5θ²(θ − 1)(θ − 0.6)), expanded exactly from their published digits and rounded to
 * float64 (they agree with OrdinaryDiffEq.jl's `Tsit5Interp`). Order 4.
 */
export const tsit5Tableau = new ButcherTableau({
  name: 'tsit5',
  c: [0, 161 / 1000, 327 / 1000, 9 / 10, 0.9800255409045097, 1, 1],
  a: [
    [],
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774],
  ],
  b: [
    0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774,
    0,
  ],
  bHat: [
    0.09468075576583945,
    0.009183565540343254,
    0.4877705284247616,
    1.234297566930479,
    -2.7077123499835256,
    1.866628418170587,
    1 / 66,
  ],
  errorWeights: [
    0.0017800110522257714,
    0.0008164344596567469,
    -0.007880878010261995,
    0.1447110071732629,
    -0.5823571654525552,
    0.45808210592918697,
    -1 / 66,
  ],
  order: 5,
  embeddedOrder: 4,
  fsal: true,
  interpolant: {
    order: 4,
    weights: [
      [1, -2.763706197274826, 2.9132554618219126, -1.0530884977290216],
      [0, 0.13169999999999998, -0.2234, 0.1017],
      [0, 3.9302962368947516, -5.941033872131505, 2.490627285651253],
      [0, -12.411077166933676, 30.33818863028232, -16.548102889244902],
      [0, 37.50931341651104, -88.1789048947664, 47.37952196281928],
      [0, -27.896526289197286, 65.09189467479366, -34.87065786149661],
      [0, 1.5, -4, 2.5],
    ],
  },
});

/**
 * Tsitouras' 5(4) pair: order 5 with an order-4 error estimate, seven stages with
 * first-same-as-last, so six evaluations of f per accepted step; dense output of order 4 at no
 * extra cost.
 *
 * The recommended default for non-stiff problems at moderate tolerances (rtol ≈ 1e-3 to 1e-8):
 * its coefficients were optimized for smaller error constants than {@link dopri5}'s under the
 * same cost (Tsitouras 2011). Below rtol ≈ 1e-8 prefer {@link vern7}.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: tsit5(), t1: 10, controller: pid({ rtol: 1e-6, atol: 1e-9 }) });
 * ```
 */
export function tsit5(): ExplicitRungeKutta {
  return explicitRungeKutta(tsit5Tableau);
}
