/**
 * The documented recipe end to end on a small mechanistic model: a few Adam epochs through the
 * trainer, then L-BFGS on the full-batch loss of HybridModel.evaluate.
 */
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { adam } from '../../src/optim/adam.js';
import { lbfgs } from '../../src/optim/lbfgs.js';

const decay = parseModel(`
  param k = 0.3 in [0.01, 10] scale log
  param x0 = 2 in [0, inf] scale log
  state x = x0
  d/dt x = -k*x
  obs y = x ~ normal(0.1)
`);

/** Exact data from k = 0.7, x0 = 1.5. */
const subjects: Subject[] = Array.from({ length: 4 }, (_, i) => {
  const times = Float64Array.from({ length: 6 }, (_, k) => 0.5 * (k + 1) + 0.1 * i);
  return { id: `s${i}`, times, observations: times.map((t) => 1.5 * Math.exp(-0.7 * t)) };
});

describe('Adam, then L-BFGS', () => {
  it('polishes a fit to the exact parameters', () => {
    const hm = new HybridModel(decay, { method: dopri5(), controller: pid({ rtol: 1e-12, atol: 1e-14 }) });
    const rough = train(hm, hm.init(), subjects, { optimizer: adam(5e-2), epochs: 30 });
    const start = hm.evaluate(rough.params, subjects).value;
    const polished = lbfgs(
      (p: HybridParams) => {
        const e = hm.evaluate(p, subjects);
        return { value: e.failure === null ? e.value : Number.NaN, grad: e.gradient };
      },
      rough.params,
      { gradTolerance: 1e-12 },
    );
    expect(['converged', 'valueTolerance', 'stepTolerance']).toContain(polished.status);
    expect(polished.value).toBeLessThan(start);
    expect(polished.value).toBeLessThan(1e-18);
    const v = hm.parameterValues(polished.x);
    expect(v.k).toBeCloseTo(0.7, 7);
    expect(v.x0).toBeCloseTo(1.5, 7);
  });
});
