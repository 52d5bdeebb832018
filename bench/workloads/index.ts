import type { Workload } from '../harness.js';
import { adjointMemory } from './adjointMemory.js';
import { w2MechFitStep } from './fit.js';
import { hgsEpoch } from './hgsEpoch.js';
import { w1HybridFitStep } from './hybridFit.js';
import { matmul25x64x64, matmul64, matmul256 } from './matmul.js';
import { mlpFwdBwd } from './mlp.js';
import { rhsVjpPendulum, rhsVjpUva } from './rhs.js';
import { stiffHires, stiffRober } from './stiff.js';

/** Every benchmark workload, in the order `npm run bench` runs them. */
export const workloads: readonly Workload[] = [
  matmul64,
  matmul256,
  matmul25x64x64,
  mlpFwdBwd,
  rhsVjpPendulum,
  rhsVjpUva,
  w1HybridFitStep,
  w2MechFitStep,
  stiffRober,
  stiffHires,
  adjointMemory,
  hgsEpoch,
];
