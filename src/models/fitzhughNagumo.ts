import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the FitzHugh–Nagumo model of an excitable membrane:
 *
 *   v' = v − v³/3 − w + I_ext,   w' = (v + a − b·w) / τ
 *
 * (v a membrane voltage, w a recovery variable; dimensionless). Defaults are FitzHugh's standard
 * values a = 0.7, b = 0.8, τ = 12.5 (FitzHugh 1961, "Impulses and physiological states in
 * theoretical models of nerve membrane", Biophys. J. 1:445); I_ext = 0.5 lies in the range of
 * constant currents for which the model oscillates on a stable limit cycle. Initial state
 * (v, w) = (−1, 1) is an example.
 */
export const fitzhughNagumoSource = `
model fitzhughNagumo "FitzHugh-Nagumo: v' = v - v^3/3 - w + I_ext, w' = (v + a - b w)/tau"

param a     = 0.7                          # recovery offset
param b     = 0.8 in [0, inf]              # recovery self-coupling
param tau   = 12.5 in [0, inf] scale log   # recovery time scale
param I_ext = 0.5                          # external current

state v = -1   # membrane voltage
state w = 1    # recovery variable

d/dt v = v - v^3 / 3 - w + I_ext
d/dt w = (v + a - b * w) / tau

obs voltage = v ~ normal(0.05)
`;

/**
 * The FitzHugh–Nagumo model v' = v − v³/3 − w + I_ext, w' = (v + a − b·w)/τ with a = 0.7,
 * b = 0.8, τ = 12.5 (FitzHugh 1961) and I_ext = 0.5.
 *
 * @returns A fresh parsed {@link Model} of {@link fitzhughNagumoSource}.
 * @example
 * ```ts
 * const m = fitzhughNagumoModel();
 * m.params.map((p) => p.name); // ['a', 'b', 'tau', 'I_ext']
 * m.defaultParams();           // Float64Array [0.7, 0.8, 12.5, 0.5]
 * ```
 */
export function fitzhughNagumoModel(): Model {
  return parseModel(fitzhughNagumoSource, { file: 'fitzhughNagumo.gbx' });
}
