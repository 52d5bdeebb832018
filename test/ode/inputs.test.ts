/**
 * Time-varying inputs with jumps: steps land on the jumps, take one-sided values there, and
 * the solution and its gradients are as accurate as without jumps.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { parseModel } from '../../src/expr/parse.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { pid } from '../../src/ode/controller.js';
import { forwardSensitivities } from '../../src/ode/forward.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { inputSeries, modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { saveAt, solve } from '../../src/ode/solve.js';

// x' = −k·x + u(t), u piecewise constant: 0, then 2 on [1, 3), then 0.5 on [3, 4), then 0.
const model = parseModel(`
  param k = 0.7
  input u
  state x = 1
  d/dt x = -k*x + u
`);
const series = { times: [0, 1, 3, 4], values: [0, 2, 0.5, 0], interpolation: 'step' as const };

/** Exact solution of x' = −kx + u with u piecewise constant. */
function exact(t: number, k: number): number {
  const knots = [0, 1, 3, 4, Number.POSITIVE_INFINITY];
  const values = [0, 2, 0.5, 0];
  let x = 1;
  let s = 0;
  for (let i = 0; i < 4 && s < t; i++) {
    const e = Math.min(t, knots[i + 1]);
    const u = values[i];
    x = u / k + (x - u / k) * Math.exp(-k * (e - s));
    s = e;
  }
  return x;
}

describe('piecewise-constant inputs', () => {
  const c = compileModel(model);
  const { inputs, jumps } = inputSeries([[series], [series]]);
  const field = modelField(c, { n: 2, inputs, jumps });
  const times = Float64Array.from({ length: 10 }, (_, i) => 0.5 * (i + 1));

  for (const method of [dopri5(), rodas5p()]) {
    it(`are integrated to the tolerance across their jumps (${method.name})`, () => {
      const sol = solve(field, new Float64Array([1, 1]), {
        method,
        t1: 5,
        params: new Float64Array([0.7, 0.9]),
        controller: pid({ rtol: 1e-11, atol: 1e-12 }),
        saveat: saveAt.times(times),
      });
      for (const [b, k] of [
        [0, 0.7],
        [1, 0.9],
      ]) {
        times.forEach((t, i) => {
          expect(Math.abs(sol.ys[b][i] - exact(t, k))).toBeLessThan(1e-9);
        });
      }
    });
  }

  it('the one-sided lookup is what makes a step that ends on a jump exact', () => {
    // A single constant step from 0 to 1 lands on the jump at 1: with left limits the RK stages
    // at t = 1 see u = 0 (exact), with right limits they would see u = 2.
    const { inputs: plain } = inputSeries([[series]]);
    const right = modelField(c, { n: 1, inputs: (t, b, out, o) => plain(t, b, out, o, 'right') });
    const left = modelField(c, { n: 1, inputs, jumps: [jumps[0]] });
    const opts = {
      method: dopri5(),
      t1: 1,
      params: new Float64Array([0.7]),
      controller: pid({ h0: 1, rtol: 1, atol: 1 }),
    };
    const withLeft = solve(left, new Float64Array([1]), opts).yFinal[0];
    const withRight = solve(right, new Float64Array([1]), opts).yFinal[0];
    expect(Math.abs(withLeft - Math.exp(-0.7))).toBeLessThan(1e-3);
    expect(Math.abs(withRight - Math.exp(-0.7))).toBeGreaterThan(1e-2);
  });

  it('gradients through inputs with jumps agree: discrete adjoint, forward sensitivities, finite differences', () => {
    const p = new Float64Array([0.7, 0.9]);
    const opts = {
      method: dopri5(),
      t1: 5,
      controller: pid({ rtol: 1e-11, atol: 1e-12 }),
      saveat: saveAt.times(times),
    };
    const w = (b: number, j: number) => Math.cos(j + b);
    const loss = (q: Float64Array) => {
      const s = solve(field, new Float64Array([1, 1]), { ...opts, params: q });
      let total = 0;
      for (let b = 0; b < 2; b++) {
        s.ys[b].forEach((v, j) => {
          total += w(b, j) * v;
        });
      }
      return total;
    };
    const sol = solve(field, new Float64Array([1, 1]), { ...opts, params: p, recordForAdjoint: true });
    const g = discreteAdjoint(
      field,
      sol,
      sol.method,
      p,
      sol.ys.map((ys, b) => ys.map((_, j) => w(b, j))),
    );
    const fwd = forwardSensitivities(
      field,
      new Float64Array([1, 1]),
      { ...opts, params: p },
      { params: [0] },
    );
    for (let b = 0; b < 2; b++) {
      const q = p.slice();
      q[b] += 1e-6;
      const r = p.slice();
      r[b] -= 1e-6;
      const fd = (loss(q) - loss(r)) / 2e-6;
      expect(Math.abs(g.params[b] - fd) / Math.abs(fd)).toBeLessThan(1e-6);
      let viaForward = 0;
      fwd.sensitivities[b].forEach((s, j) => {
        viaForward += w(b, j) * s;
      });
      expect(Math.abs(viaForward - g.params[b]) / Math.abs(fd)).toBeLessThan(1e-6);
    }
  });
});
