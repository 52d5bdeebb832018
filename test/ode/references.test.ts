/**
 * The solvers against published and high-precision reference solutions: Hairer's stiff set
 * (ROBER to 1e11, HIRES, VDPOL with ε = 1e-6 ≙ μ = 1000, OREGO) solved at rtol 1e-10 with each
 * stiff method, final state within 1e-6 relative; the DETEST problems A–E with the
 * high-order explicit methods at tight tolerances.
 */
import { describe, expect, it } from 'vitest';
import { pid } from '../../src/ode/controller.js';
import { kvaerno5 } from '../../src/ode/esdirk.js';
import type { Method } from '../../src/ode/method.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { solve } from '../../src/ode/solve.js';
import {
  DETEST_IDS,
  detest,
  detestReferences,
  maxComponentRelErr,
  STIFF_IDS,
  stiff,
  stiffReferences,
} from '../support/problems.js';

describe("Hairer's stiff problems against the published references", () => {
  const refs = stiffReferences();
  const methods: [string, () => Method][] = [
    ['rodas5p', () => rodas5p()],
    ['kvaerno5', () => kvaerno5({ rtol: 1e-10, atol: 1e-10 })],
  ];
  for (const id of STIFF_IDS) {
    for (const [name, make] of methods) {
      it(`${id} with ${name} at rtol 1e-10`, () => {
        const prob = stiff(id);
        const ref = refs.problems[id];
        // Absolute tolerances well below each reference component, as the test set prescribes.
        const atol = id === 'ROBER' ? 1e-20 : id === 'OREGO' ? 1e-12 : 1e-14;
        const sol = solve(prob.field, Float64Array.from(prob.y0), {
          method: make(),
          t0: prob.t0,
          t1: prob.t1,
          params: Float64Array.from(prob.p),
          controller: pid({ rtol: 1e-10, atol, pcoeff: 0.4, icoeff: 0.3 }),
          maxSteps: 200_000,
        });
        expect(sol.status[0]).toBe('success');
        expect(maxComponentRelErr(sol.yFinal, ref.final)).toBeLessThan(1e-6);
      });
    }
  }
});

describe('DETEST problems A–E against high-precision references', () => {
  const refs = detestReferences();
  for (const id of DETEST_IDS) {
    it(`${id} with vern7 and dopri5`, () => {
      const prob = detest(id);
      const ref = refs.problems[id].final;
      const scale = Math.max(...ref.map(Math.abs));
      for (const [method, rtol] of [
        [vern7(), 1e-12],
        [dopri5(), 1e-11],
      ] as const) {
        const sol = solve(prob.field, Float64Array.from(prob.y0), {
          method,
          t0: prob.t0,
          t1: prob.t1,
          params: Float64Array.from(prob.p),
          controller: pid({ rtol, atol: rtol * 1e-2 * scale }),
          maxSteps: 1_000_000,
        });
        expect(sol.status[0]).toBe('success');
        // Error relative to the solution's size (tiny components count absolutely).
        let e = 0;
        sol.yFinal.forEach((v, i) => {
          e = Math.max(e, Math.abs(v - ref[i]) / scale);
        });
        expect(e, `${id} ${method.name}`).toBeLessThan(1e-7);
      }
    });
  }
});
