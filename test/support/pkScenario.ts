/**
 * The shared dosing scenario of the gradient tests: the two-compartment PK model for two
 * trajectories (the second with parameters ×1.2), four oral boluses each every 6 h, and an
 * infusion into the central compartment of trajectory 1.
 */
import { compileModel } from '../../src/expr/compile.js';
import { pkTwoCompartmentModel } from '../../src/models/index.js';
import type { VectorField } from '../../src/ode/field.js';
import { modelField } from '../../src/ode/modelField.js';
import type { Dose } from '../../src/ode/solve.js';

export function repeatedDosePk(): {
  field: VectorField;
  params: Float64Array;
  y0: Float64Array;
  doses: Dose[];
} {
  const c = compileModel(pkTwoCompartmentModel());
  const N = 2;
  const field = modelField(c, { n: N });
  const p0 = c.model.defaultParams();
  const params = Float64Array.from(
    { length: N * p0.length },
    (_, i) => p0[i % p0.length] * (i < p0.length ? 1 : 1.2),
  );
  const doses: Dose[] = [];
  for (let b = 0; b < N; b++) {
    for (let k = 0; k < 4; k++)
      doses.push({ kind: 'bolus', trajectory: b, time: 6 * k, state: 0, amount: 80 + 10 * k + b });
  }
  doses.push({ kind: 'infusion', trajectory: 1, time: 3, state: 1, rate: 15, duration: 2 });
  return { field, params, y0: new Float64Array([0, 5, 0, 0, 0, 1]), doses };
}
