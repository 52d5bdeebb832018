/**
 * The model zoo: mechanistic models written in the greybox model language, each with its
 * source text, a function returning the parsed {@link Model}, and a one-line description.
 * The TSDoc of each `…Source` constant gives the equations, units and parameter sources.
 */
import type { Model } from '../expr/model.js';
import { covidDexamethasoneModel, covidDexamethasoneSource } from './covidDexamethasone.js';
import { fitzhughNagumoModel, fitzhughNagumoSource } from './fitzhughNagumo.js';
import { lotkaVolterraModel, lotkaVolterraSource } from './lotkaVolterra.js';
import { pendulumModel, pendulumSource } from './pendulum.js';
import { pkOneCompartmentModel, pkOneCompartmentSource } from './pkOneCompartment.js';
import { pkTwoCompartmentModel, pkTwoCompartmentSource } from './pkTwoCompartment.js';
import { sirModel, sirSource } from './sir.js';
import { uvaPadovaModel, uvaPadovaSource } from './uvaPadova.js';

export { covidDexamethasoneModel, covidDexamethasoneSource } from './covidDexamethasone.js';
export {
  type UvaPatient,
  type UvaPatientName,
  type UvaState,
  uvaPatients,
  uvaStateOrder,
} from './data/uvaPatients.js';
export { fitzhughNagumoModel, fitzhughNagumoSource } from './fitzhughNagumo.js';
export { lotkaVolterraModel, lotkaVolterraSource } from './lotkaVolterra.js';
export { pendulumModel, pendulumSource } from './pendulum.js';
export { pkOneCompartmentModel, pkOneCompartmentSource } from './pkOneCompartment.js';
export { pkTwoCompartmentModel, pkTwoCompartmentSource } from './pkTwoCompartment.js';
export { sirModel, sirSource } from './sir.js';
export {
  type UvaParamName,
  type UvaPatientValues,
  uvaDefaultPatient,
  uvaPadovaModel,
  uvaPadovaPatientValues,
  uvaPadovaSource,
  uvaPatient,
  uvaPatientParamNames,
} from './uvaPadova.js';

/** One entry of the {@link zoo}. */
export interface ZooEntry {
  /** The model's text in the model language. */
  readonly source: string;
  /** Parses the source into a fresh {@link Model}. */
  readonly model: () => Model;
  /** What the model is, in one line. */
  readonly description: string;
}

/**
 * Every zoo model by name.
 *
 * @example
 * ```ts
 * Object.keys(zoo);             // ['pendulum', 'lotkaVolterra', …]
 * zoo.uvaPadova.model().dim;    // 13
 * ```
 */
export const zoo = {
  pendulum: {
    source: pendulumSource,
    model: pendulumModel,
    description: 'Damped pendulum θ″ = −ω0² sin θ − αθ′ (APHYNITY, R1)',
  },
  lotkaVolterra: {
    source: lotkaVolterraSource,
    model: lotkaVolterraModel,
    description: 'Lotka–Volterra predator–prey with the UDE paper’s parameters (R3)',
  },
  pkOneCompartment: {
    source: pkOneCompartmentSource,
    model: pkOneCompartmentModel,
    description: 'One-compartment pharmacokinetics with first-order absorption, oral and IV routes',
  },
  pkTwoCompartment: {
    source: pkTwoCompartmentSource,
    model: pkTwoCompartmentModel,
    description: 'Two-compartment pharmacokinetics with first-order absorption, oral and IV routes',
  },
  covidDexamethasone: {
    source: covidDexamethasoneSource,
    model: covidDexamethasoneModel,
    description: 'COVID-19 disease, immunity and dexamethasone expert model (Qian et al. 2021, R4)',
  },
  uvaPadova: {
    source: uvaPadovaSource,
    model: uvaPadovaModel,
    description: 'UVA/Padova 2008 type-1-diabetes glucose–insulin model, simglucose patients (R6)',
  },
  fitzhughNagumo: {
    source: fitzhughNagumoSource,
    model: fitzhughNagumoModel,
    description: 'FitzHugh–Nagumo excitable membrane',
  },
  sir: {
    source: sirSource,
    model: sirModel,
    description: 'SIR epidemic on population fractions',
  },
} as const satisfies Record<string, ZooEntry>;

/** The names of the zoo's models. */
export type ZooName = keyof typeof zoo;
