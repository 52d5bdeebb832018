/**
 * Checkpointed discrete adjoint: the same gradients as storing every state, with the stored
 * states bounded.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { pendulumModel, pkTwoCompartmentModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { modelField } from '../../src/ode/modelField.js';
import { type Dose, type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';

function gradients(field: Parameters<typeof solve>[0], y0: Float64Array, opts: SolveOptions) {
  const sol = solve(field, y0, opts);
  const bar = sol.ys.map((ys, b) => ys.map((_, j) => Math.sin(j + 2 * b)));
  return { sol, g: discreteAdjoint(field, sol, sol.method, opts.params!, bar) };
}

describe('checkpointed discrete adjoint', () => {
  it('equals the full-storage adjoint with doses and infusions, storing few states', () => {
    const c = compileModel(pkTwoCompartmentModel());
    const field = modelField(c, { n: 2 });
    const p0 = c.model.defaultParams();
    const params = new Float64Array([...p0, ...p0.map((v) => 1.1 * v)]);
    const doses: Dose[] = [
      { kind: 'bolus', trajectory: 0, time: 0, state: 0, amount: 100 },
      { kind: 'bolus', trajectory: 0, time: 7, state: 0, amount: 90 },
      { kind: 'bolus', trajectory: 1, time: 3, state: 0, amount: 70 },
      { kind: 'infusion', trajectory: 1, time: 5, state: 1, rate: 12, duration: 4 },
    ];
    const base: SolveOptions = {
      method: dopri5(),
      t1: 30,
      params,
      controller: pid({ rtol: 1e-9, atol: 1e-9 }),
      saveat: saveAt.times(Float64Array.from({ length: 15 }, (_, i) => 2 * (i + 1))),
      doses,
    };
    const y0 = new Float64Array(6);
    const full = gradients(field, y0, { ...base, recordForAdjoint: true });
    for (const checkpoints of [3, 'sqrt'] as const) {
      const ck = gradients(field, y0, { ...base, recordForAdjoint: { checkpoints } });
      for (const [a, b] of [
        [ck.g.params, full.g.params],
        [ck.g.y0, full.g.y0],
        [ck.g.doses, full.g.doses],
      ]) {
        a.forEach((v, i) => {
          expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b[i])));
        });
      }
      const stored = ck.sol.records!.map((r) => r.checkpointSteps.length);
      const steps = ck.sol.records!.map((r) => r.t.length);
      stored.forEach((n, b) => {
        const limit = checkpoints === 'sqrt' ? Math.max(4, Math.ceil(Math.sqrt(2 * steps[b]))) : checkpoints;
        expect(n).toBeLessThanOrEqual(limit);
      });
    }
  });

  it('long fixed-step solves keep about √(2n) states', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 1 });
    const opts: SolveOptions = {
      method: rk4(),
      t1: 50,
      params: c.model.defaultParams(),
      controller: constantSteps(0.01),
      saveat: saveAt.times(Float64Array.from({ length: 50 }, (_, i) => i + 1)),
    };
    const full = gradients(field, new Float64Array([1, 0]), { ...opts, recordForAdjoint: true });
    const ck = gradients(field, new Float64Array([1, 0]), {
      ...opts,
      recordForAdjoint: { checkpoints: 'sqrt' },
    });
    expect(ck.sol.records![0].checkpointSteps.length).toBeLessThanOrEqual(Math.ceil(Math.sqrt(2 * 5000)));
    expect(full.sol.records![0].y.length / 2).toBe(5000);
    ck.g.params.forEach((v, i) => {
      expect(Math.abs(v - full.g.params[i])).toBeLessThan(1e-10 * Math.max(1, Math.abs(v)));
    });
  });

  it('rejects a checkpoint budget that cannot work', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 1 });
    expect(() =>
      solve(field, new Float64Array([1, 0]), {
        method: dopri5(),
        t1: 1,
        params: c.model.defaultParams(),
        recordForAdjoint: { checkpoints: 1 },
      }),
    ).toThrow(/checkpoints must be an integer ≥ 2 or 'sqrt'/);
  });
});
