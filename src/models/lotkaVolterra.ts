import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the Lotka–Volterra predator–prey model
 *
 *   x' = α·x − β·x·y,   y' = γ·x·y − δ·y
 *
 * (x prey, y predators; dimensionless). Defaults are the truth of the universal-differential-
 * equation benchmark (Rackauckas et al. 2020; REPRODUCTIONS.md R3): α = 1.3, β = 0.9, γ = 0.8,
 * δ = 1.8, u0 = (0.44249296, 4.6280594). The observation noise is R3's: 0.5 % of each state's
 * mean over the 31 saved points of t ∈ [0, 3] (x̄ ≈ 0.5072, ȳ ≈ 1.0133, from a fine RK4 solve).
 */
export const lotkaVolterraSource = `
model lotkaVolterra "Lotka-Volterra predator-prey: x' = alpha x - beta x y, y' = gamma x y - delta y"

param alpha = 1.3 in [0, inf] scale log   # prey growth rate
param beta  = 0.9 in [0, inf] scale log   # predation rate
param gamma = 0.8 in [0, inf] scale log   # predator growth per prey eaten
param delta = 1.8 in [0, inf] scale log   # predator death rate

state x = 0.44249296   # prey
state y = 4.6280594    # predators

d/dt x = alpha * x - beta * x * y
d/dt y = gamma * x * y - delta * y

obs prey     = x ~ normal(0.0025361)   # 0.5 % of the mean of x over t = 0, 0.1, ..., 3
obs predator = y ~ normal(0.0050663)   # 0.5 % of the mean of y
`;

/**
 * The Lotka–Volterra model x' = αx − βxy, y' = γxy − δy with R3's parameters (Rackauckas et
 * al. 2020, "Universal Differential Equations for Scientific Machine Learning"). The quantity
 * H = γx − δ·ln x + βy − α·ln y is conserved along solutions with x, y > 0.
 *
 * @returns A fresh parsed {@link Model} of {@link lotkaVolterraSource}.
 * @example
 * ```ts
 * const m = lotkaVolterraModel();
 * m.params.map((p) => p.name); // ['alpha', 'beta', 'gamma', 'delta']
 * m.defaultParams();           // Float64Array [1.3, 0.9, 0.8, 1.8]
 * ```
 */
export function lotkaVolterraModel(): Model {
  return parseModel(lotkaVolterraSource, { file: 'lotkaVolterra.gbx' });
}
