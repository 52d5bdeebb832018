import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the one-compartment pharmacokinetic model with first-order absorption:
 *
 *   depot'   = −ka·depot
 *   central' = ka·depot − (CL/V)·central
 *   C        = central / V,   C_obs ~ N(C, add_sd² + (prop_sd·C)²)   (combined error)
 *
 * Units: time h, amounts mg, volumes L, clearance L/h, concentration mg/L. Doses: `oral` is a
 * bolus into the depot (an extravascular dose; fold a bioavailability F < 1 into the amount),
 * `iv` an infusion (rate in mg/h) into the central compartment.
 *
 * Default parameters are illustrative values of the order of oral theophylline in adults
 * (cf. the initial estimates of the nlmixr2 theophylline tutorial: ka = e^0.45 ≈ 1.57 1/h,
 * CL = e^1 ≈ 2.72 L/h, V = e^3.45 ≈ 31.5 L); they are not a fit to any data set. The combined
 * (additive + proportional) error model stays proper at zero concentration, before the first
 * dose, where a log-normal error would not.
 */
export const pkOneCompartmentSource = `
model pkOneCompartment "One-compartment pharmacokinetics with first-order absorption"

param ka      = 1.5  in [0, inf] scale log   # absorption rate constant (1/h)
param CL      = 2.7  in [0, inf] scale log   # clearance (L/h)
param V       = 31.5 in [0, inf] scale log   # volume of distribution (L)
param add_sd  = 0.1  in [0, inf] scale log   # additive residual SD (mg/L)
param prop_sd = 0.1  in [0, inf] scale log   # proportional residual SD (fraction of C)

state depot   = 0   # amount at the absorption site (mg)
state central = 0   # amount in the central compartment (mg)

let conc = central / V   # concentration (mg/L)

d/dt depot   = -ka * depot
d/dt central = ka * depot - CL / V * central

dose oral -> depot bolus        # extravascular dose (mg)
dose iv   -> central infusion   # intravenous infusion (mg/h)

obs concentration = conc ~ normal(sqrt(add_sd^2 + (prop_sd * conc)^2))
`;

/**
 * One-compartment PK with first-order absorption (depot → central; parameters ka, CL, V):
 * depot' = −ka·depot, central' = ka·depot − (CL/V)·central, observed concentration
 * central/V with a combined additive + proportional error. Amounts are conserved except for
 * elimination: depot' + central' = −(CL/V)·central.
 *
 * @returns A fresh parsed {@link Model} of {@link pkOneCompartmentSource}.
 * @example
 * ```ts
 * const m = pkOneCompartmentModel();
 * m.doses.map((d) => [d.name, d.kind]); // [['oral', 'bolus'], ['iv', 'infusion']]
 * m.states.map((s) => s.name);          // ['depot', 'central']
 * ```
 */
export function pkOneCompartmentModel(): Model {
  return parseModel(pkOneCompartmentSource, { file: 'pkOneCompartment.gbx' });
}
