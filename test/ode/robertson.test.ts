/**
 * Robertson's stiff kinetics: the three sensitivity methods against each other and against
 * finite differences, on the stiff start of the problem (t ≤ 1, where explicit methods still
 * finish), and forward sensitivities with Rodas5P to t = 40.
 */
import { describe, expect, it } from 'vitest';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { continuousAdjoint } from '../../src/ode/continuousAdjoint.js';
import { pid } from '../../src/ode/controller.js';
import { forwardSensitivities } from '../../src/ode/forward.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { rober } from '../support/problems.js';

describe('Robertson: three sensitivity methods', () => {
  const prob = rober();
  const y0 = Float64Array.from(prob.y0);
  const p = Float64Array.from(prob.p);
  const times = new Float64Array([0.1, 0.4, 1]);
  const w = [1, 1e3, 1]; // weight y2 (≈ 1e-5) so that it matters
  const L = (ys: Float64Array) => ys.reduce((s, v, i) => s + w[i % 3] * v, 0);

  it('discrete adjoint, continuous adjoint and forward sensitivities agree with finite differences (t ≤ 1)', () => {
    const opts = {
      method: vern7(),
      t1: 1,
      params: p,
      controller: pid({ rtol: 1e-12, atol: 1e-16 }),
      saveat: saveAt.times(times),
      maxSteps: 1e6,
    };
    const sol = solve(prob.field, y0, { ...opts, recordForAdjoint: true });
    const bar = [Float64Array.from(sol.ys[0], (_, i) => w[i % 3])];
    const disc = discreteAdjoint(prob.field, sol, sol.method, p, bar);
    const cont = continuousAdjoint(prob.field, sol, { ...opts, y0 }, bar, 'interpolated');
    const fwd = forwardSensitivities(prob.field, y0, opts, { params: [0, 1, 2] });
    for (let k = 0; k < 3; k++) {
      const h = 1e-6 * p[k];
      const up = p.slice();
      up[k] += h;
      const dn = p.slice();
      dn[k] -= h;
      const fd =
        (L(solve(prob.field, y0, { ...opts, params: up }).ys[0]) -
          L(solve(prob.field, y0, { ...opts, params: dn }).ys[0])) /
        (2 * h);
      // Layout [times · dim · K]: component index = (j·dim + d)·K + k.
      let viaForward = 0;
      for (let j = 0; j < times.length; j++)
        for (let d = 0; d < 3; d++) viaForward += w[d] * fwd.sensitivities[0][(j * 3 + d) * 3 + k];
      // Compare p·∂L/∂p: the rate constants differ by ten orders of magnitude.
      const scale = Math.abs(fd * p[k]) + 1e-12;
      expect((Math.abs(disc.params[k] - fd) * p[k]) / scale, `discrete k${k + 1}`).toBeLessThan(1e-5);
      expect((Math.abs(cont.params[k] - fd) * p[k]) / scale, `continuous k${k + 1}`).toBeLessThan(1e-5);
      expect((Math.abs(viaForward - fd) * p[k]) / scale, `forward k${k + 1}`).toBeLessThan(1e-5);
    }
  });

  it('forward sensitivities with Rodas5P to t = 40 agree with finite differences', () => {
    const opts = {
      method: rodas5p(),
      t1: 40,
      params: p,
      controller: pid({ rtol: 1e-10, atol: 1e-14 }),
      saveat: saveAt.times(new Float64Array([40])),
    };
    const fwd = forwardSensitivities(prob.field, y0, opts, { params: [0, 1, 2] });
    for (let k = 0; k < 3; k++) {
      const h = 1e-6 * p[k];
      const up = p.slice();
      up[k] += h;
      const dn = p.slice();
      dn[k] -= h;
      const fd =
        (L(solve(prob.field, y0, { ...opts, params: up }).ys[0]) -
          L(solve(prob.field, y0, { ...opts, params: dn }).ys[0])) /
        (2 * h);
      let via = 0;
      for (let d = 0; d < 3; d++) via += w[d] * fwd.sensitivities[0][d * 3 + k];
      expect(Math.abs(via - fd) / (Math.abs(fd) + 1e-12 / p[k]), `k${k + 1}`).toBeLessThan(1e-5);
    }
  });
});
