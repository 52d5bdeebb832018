/**
 * The Dormand–Prince 5(4) pair with Hairer's fourth-order dense output.
 */
import { type ExplicitRungeKutta, explicitRungeKutta } from '../explicitRk.js';
import { ButcherTableau } from '../tableau.js';

/**
 * The Dormand–Prince tableau (J. R. Dormand and P. J. Prince, "A family of embedded Runge–Kutta
 * formulae", J. Comput. Appl. Math. 6, 1980, 19–26), exact rationals. FSAL: the seventh stage is
 * f(t + h, y₁). Error weights e = b − b̂ as in Hairer's DOPRI5 (E1 … E7).
 *
 * Dense output: Hairer's CONTD5 (Hairer, Nørsett & Wanner, Solving ODEs I, §II.6; coefficients
 * d₁ … d₇ due to Shampine, "Some practical Runge–Kutta formulas", Math. Comp. 46, 1986),
 * y(θ) = y + θ(Δ + (1−θ)(hk₁ − Δ + θ(2Δ − hk₁ − hk₇ + (1−θ)·h·Σdᵢkᵢ))) with Δ = y₁ − y,
 * expanded here into bᵢ(θ) = θbᵢ + θ(1−θ)([i=1] − bᵢ) + θ²(1−θ)(2bᵢ − [i=1] − [i=7])
 * + θ²(1−θ)²dᵢ in exact rational arithmetic. Order 4.
 */
export const dopri5Tableau = new ButcherTableau({
  name: 'dopri5',
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  bHat: [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40],
  errorWeights: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
  order: 5,
  embeddedOrder: 4,
  fsal: true,
  interpolant: {
    order: 4,
    weights: [
      [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
      [0, 0, 0, 0],
      [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
      [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
      [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
      [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
      [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ],
  },
});

/**
 * The Dormand–Prince 5(4) pair (MATLAB's `ode45`, SciPy's `RK45`, Hairer's DOPRI5): order 5
 * with an order-4 error estimate, seven stages with first-same-as-last, so six evaluations of f
 * per accepted step; dense output of order 4 at no extra cost.
 *
 * A robust default for non-stiff problems at moderate tolerances (rtol ≈ 1e-3 to 1e-8).
 * {@link tsit5} is usually slightly more efficient; {@link vern7} is better below rtol ≈ 1e-8.
 * On stiff problems (tiny steps, many rejections) switch to a stiff solver.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: dopri5(), t1: 10, controller: pid({ rtol: 1e-6, atol: 1e-9 }) });
 * ```
 */
export function dopri5(): ExplicitRungeKutta {
  return explicitRungeKutta(dopri5Tableau);
}
