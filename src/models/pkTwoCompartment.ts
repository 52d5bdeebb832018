import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the two-compartment pharmacokinetic model with first-order absorption:
 *
 *   depot'      = −ka·depot
 *   central'    = ka·depot − (CL/V1)·central − (Q/V1)·central + (Q/V2)·peripheral
 *   peripheral' = (Q/V1)·central − (Q/V2)·peripheral
 *   C           = central / V1,   C_obs ~ N(C, add_sd² + (prop_sd·C)²)   (combined error)
 *
 * Units: time h, amounts mg, volumes L, clearances L/h, concentration mg/L. Doses: `oral` is
 * a bolus into the depot, `iv` an infusion (mg/h) into the central compartment.
 *
 * Default parameters are illustrative (a drug with a central volume of 20 L, a peripheral
 * volume of 50 L, clearance 5 L/h and inter-compartmental clearance 10 L/h); they are not a fit
 * to any data set.
 */
export const pkTwoCompartmentSource = `
model pkTwoCompartment "Two-compartment pharmacokinetics with first-order absorption"

param ka      = 1.0  in [0, inf] scale log   # absorption rate constant (1/h)
param CL      = 5.0  in [0, inf] scale log   # clearance from the central compartment (L/h)
param V1      = 20   in [0, inf] scale log   # central volume (L)
param Q       = 10   in [0, inf] scale log   # inter-compartmental clearance (L/h)
param V2      = 50   in [0, inf] scale log   # peripheral volume (L)
param add_sd  = 0.05 in [0, inf] scale log   # additive residual SD (mg/L)
param prop_sd = 0.1  in [0, inf] scale log   # proportional residual SD (fraction of C)

state depot      = 0   # amount at the absorption site (mg)
state central    = 0   # amount in the central compartment (mg)
state peripheral = 0   # amount in the peripheral compartment (mg)

let conc = central / V1   # concentration (mg/L)

d/dt depot      = -ka * depot
d/dt central    = ka * depot - CL / V1 * central - Q / V1 * central + Q / V2 * peripheral
d/dt peripheral = Q / V1 * central - Q / V2 * peripheral

dose oral -> depot bolus        # extravascular dose (mg)
dose iv   -> central infusion   # intravenous infusion (mg/h)

obs concentration = conc ~ normal(sqrt(add_sd^2 + (prop_sd * conc)^2))
`;

/**
 * Two-compartment PK with first-order absorption (depot → central ⇄ peripheral; parameters
 * ka, CL, V1, Q, V2), observed concentration central/V1 with a combined error. Amounts are
 * conserved except for elimination: depot' + central' + peripheral' = −(CL/V1)·central.
 *
 * @returns A fresh parsed {@link Model} of {@link pkTwoCompartmentSource}.
 * @example
 * ```ts
 * const m = pkTwoCompartmentModel();
 * m.params.map((p) => p.name); // ['ka', 'CL', 'V1', 'Q', 'V2', 'add_sd', 'prop_sd']
 * m.states.map((s) => s.name); // ['depot', 'central', 'peripheral']
 * ```
 */
export function pkTwoCompartmentModel(): Model {
  return parseModel(pkTwoCompartmentSource, { file: 'pkTwoCompartment.gbx' });
}
