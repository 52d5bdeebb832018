/**
 * Hamiltonian neural networks: learned energies whose symplectic gradient is the dynamics.
 */
export {
  derivativeLoss,
  type FitDerivativesOptions,
  type FitDerivativesResult,
  fitDerivatives,
} from './fit.js';
export {
  type BaselineNetwork,
  baselineNetwork,
  type HamiltonianNetwork,
  hamiltonianNetwork,
  type LearnedDynamics,
  type PhaseSpaceNetOptions,
} from './networks.js';
export { type EnergyFunction, energyGradient, symplecticGradient, symplecticMatrix } from './symplectic.js';
export { learnedVectorField } from './vectorField.js';
