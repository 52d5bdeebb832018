/**
 * The dense output kept by observeSteps + DenseSteps (what the continuous adjoint reads y(t)
 * from): it reproduces the method's own interpolant — the same as saveAt.dense() — continues
 * it as a polynomial outside the recorded steps, and keeps one record per step.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { pendulumModel } from '../../src/models/index.js';
import { pid } from '../../src/ode/controller.js';
import { DenseSteps, observeSteps } from '../../src/ode/denseSteps.js';
import { kvaerno5 } from '../../src/ode/esdirk.js';
import type { Method, Stepper } from '../../src/ode/method.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { saveAt, solve } from '../../src/ode/solve.js';

const c = compileModel(pendulumModel());
const field = modelField(c, { n: 2 });
const p = c.model.defaultParams();
const params = new Float64Array([...p, ...p.map((v) => 1.2 * v)]);
const y0 = new Float64Array([0.5, 0, -1, 0.4]);

describe('observeSteps and DenseSteps', () => {
  for (const method of [tsit5(), vern7(), rodas5p(), kvaerno5({ rtol: 1e-8, atol: 1e-10 })] as Method[]) {
    it(`reproduce the method's interpolant, as saveAt.dense() does (${method.name})`, () => {
      const options = { t1: 2, params, controller: pid({ rtol: 1e-8, atol: 1e-10 }) };
      const steps = new DenseSteps(2, 2, method.denseOrder);
      const observed = solve(field, y0, { ...options, method: observeSteps(method, steps.record) });
      const dense = solve(field, y0, { ...options, method, saveat: saveAt.dense() });
      expect(observed.yFinal).toEqual(dense.yFinal);
      const a = new Float64Array(2);
      for (let b = 0; b < 2; b++) {
        expect(steps.steps(b)).toBeGreaterThan(3);
        for (let i = 0; i <= 50; i++) {
          const t = (2 * i) / 50;
          steps.evaluate(b, t, 0, steps.steps(b), a, 0);
          const ref = dense.dense!.evaluate(b, t);
          for (let d = 0; d < 2; d++) expect(Math.abs(a[d] - ref[d])).toBeLessThan(1e-13);
        }
      }
    });
  }

  it('continue the first and last steps as polynomials outside them, and refuse an empty range', () => {
    // One rodas5p step, with the stepper's own interpolant at θ = −0.2 and 1.3 for comparison.
    const method = rodas5p();
    const steps = new DenseSteps(2, 2, method.denseOrder);
    const seen: number[] = [];
    const spy = (stepper: Stepper, t: Float64Array, h: Float64Array, n: number, rows: Int32Array) => {
      steps.record(stepper, t, h, n, rows);
      const out = new Float64Array(2);
      for (const theta of [-0.2, 1.3]) {
        stepper.interpolate(rows[0], theta, out, 0);
        seen.push(out[0], out[1]);
      }
    };
    solve(field, y0.subarray(0, 2), {
      method: observeSteps(method, spy),
      t1: 0.1,
      params: params.subarray(0, 2),
      controller: pid({ h0: 0.1, rtol: 1, atol: 1 }),
    });
    const one = new DenseSteps(1, 2, method.denseOrder);
    expect(steps.steps(0)).toBe(1);
    const a = new Float64Array(2);
    steps.evaluate(0, -0.02, 0, 1, a, 0);
    expect(Math.abs(a[0] - seen[0]) + Math.abs(a[1] - seen[1])).toBeLessThan(1e-14);
    steps.evaluate(0, 0.13, 0, 1, a, 0);
    expect(Math.abs(a[0] - seen[2]) + Math.abs(a[1] - seen[3])).toBeLessThan(1e-14);
    expect(() => one.evaluate(0, 0, 0, 1, a, 0)).toThrow(/no steps 0 … 0 for trajectory 0/);
  });

  it('keep one record of a step reported twice from the same start (redone at an event)', () => {
    const method = tsit5();
    const steps = new DenseSteps(1, 2, method.denseOrder);
    let reported = 0;
    const twice = (stepper: Stepper, t: Float64Array, h: Float64Array, n: number, rows: Int32Array) => {
      reported++;
      steps.record(stepper, t, h, n, rows);
      steps.record(stepper, t, h, n, rows);
    };
    solve(field, y0.subarray(0, 2), {
      method: observeSteps(method, twice),
      t1: 1,
      params: params.subarray(0, 2),
      controller: pid({ rtol: 1e-6, atol: 1e-8 }),
    });
    expect(steps.steps(0)).toBe(reported);
  });
});
