import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the SIR epidemic model (Kermack & McKendrick 1927) on population fractions:
 *
 *   S' = −β·S·I,   I' = β·S·I − γ·I,   R' = γ·I,   S + I + R = 1.
 *
 * The population is normalized: S, I, R are fractions of a closed population of size N, so N
 * drops out (β is the transmission rate per day for a fully susceptible population; for
 * counts, multiply the states by N and use β/N in place of β). Time in days. Defaults are
 * illustrative: β = 0.3/day, γ = 0.1/day (basic reproduction number R0 = β/γ = 3, mean
 * infectious period 10 days); the initial infected fraction i0 = 0.001 is a parameter, so that
 * it can be estimated (S(0) = 1 − i0, R(0) = 0). The observable is the prevalence I with a
 * 10 % log-normal error.
 */
export const sirSource = `
model sir "SIR epidemic on population fractions: S' = -beta S I, I' = beta S I - gamma I, R' = gamma I"

param beta  = 0.3   in [0, inf] scale log    # transmission rate (1/day)
param gamma = 0.1   in [0, inf] scale log    # recovery rate (1/day)
param i0    = 0.001 in [0, 1] scale logit    # initially infected fraction

state S = 1 - i0   # susceptible fraction
state I = i0       # infected fraction
state R = 0        # recovered fraction

let infection = beta * S * I
let recovery  = gamma * I

d/dt S = -infection
d/dt I = infection - recovery
d/dt R = recovery

obs prevalence = I ~ lognormal(0.1)
`;

/**
 * The SIR model on population fractions, S' = −βSI, I' = βSI − γI, R' = γI (β = 0.3/day,
 * γ = 0.1/day, i0 = 0.001). The total S + I + R is conserved.
 *
 * @returns A fresh parsed {@link Model} of {@link sirSource}.
 * @example
 * ```ts
 * const m = sirModel();
 * m.states.map((s) => s.name); // ['S', 'I', 'R']
 * m.defaultParams();           // Float64Array [0.3, 0.1, 0.001]
 * ```
 */
export function sirModel(): Model {
  return parseModel(sirSource, { file: 'sir.gbx' });
}
