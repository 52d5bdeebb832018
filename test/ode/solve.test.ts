/**
 * The solve loop: accuracy against exact solutions, tolerance proportionality, exact save
 * times, per-trajectory stepping, failures, and the discrete adjoint against finite
 * differences.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { lotkaVolterraModel, pendulumModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { SolveError, saveAt, solve } from '../../src/ode/solve.js';

/** y'' = −ω²y as a first-order system, ω = p[0]; exact y = cos ωt for y0 = (1, 0). */
const oscillator: VectorField = {
  dim: 2,
  nParams: 1,
  f(_t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      out[2 * b] = y[2 * b + 1];
      out[2 * b + 1] = -p[b] * p[b] * y[2 * b];
    }
  },
  vjp(_t, y, p, ob, yb, pb, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      yb[2 * b] = -p[b] * p[b] * ob[2 * b + 1];
      yb[2 * b + 1] = ob[2 * b];
      pb[b] += -2 * p[b] * y[2 * b] * ob[2 * b + 1];
    }
  },
};

/** y' = y², blowing up at t = 1/y0. */
const blowup: VectorField = {
  dim: 1,
  nParams: 0,
  f(_t, y, _p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      out[b] = y[b] * y[b];
    }
  },
  vjp(_t, y, _p, ob, yb, _pb, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      yb[b] = 2 * y[b] * ob[b];
    }
  },
};

describe('solve', () => {
  it('matches the exact solution at tight tolerance, landing exactly on save times', () => {
    const ts = Float64Array.from({ length: 21 }, (_, i) => i * 0.5);
    for (const method of [dopri5(), tsit5(), vern7()]) {
      const sol = solve(oscillator, new Float64Array([1, 0, 1, 0]), {
        method,
        t1: 10,
        params: new Float64Array([2, 3]),
        controller: pid({ rtol: 1e-11, atol: 1e-12 }),
        saveat: saveAt.times(ts),
      });
      expect(sol.status).toEqual(['success', 'success']);
      for (const [b, w] of [
        [0, 2],
        [1, 3],
      ]) {
        expect(Array.from(sol.ts[b])).toEqual(Array.from(ts));
        ts.forEach((t, i) => {
          expect(Math.abs(sol.ys[b][2 * i] - Math.cos(w * t))).toBeLessThan(1e-9);
        });
      }
    }
  });

  it('has global error proportional to the tolerance', () => {
    const errs = [1e-4, 1e-6, 1e-8].map((rtol) => {
      const sol = solve(oscillator, new Float64Array([1, 0]), {
        method: dopri5(),
        t1: 10,
        params: new Float64Array([2]),
        controller: pid({ rtol, atol: rtol }),
      });
      return Math.abs(sol.yFinal[0] - Math.cos(20));
    });
    // Each 100× tighter tolerance gives between 10× and 1000× smaller error.
    expect(errs[0] / errs[1]).toBeGreaterThan(10);
    expect(errs[1] / errs[2]).toBeGreaterThan(10);
    expect(errs[2]).toBeLessThan(1e-6);
  });

  it('steps each trajectory on its own: a hard trajectory does not change an easy one', () => {
    const opts = { method: dopri5(), t1: 5, controller: pid({ rtol: 1e-8, atol: 1e-10 }) };
    const alone = solve(oscillator, new Float64Array([1, 0]), { ...opts, params: new Float64Array([1]) });
    const mixed = solve(oscillator, new Float64Array([1, 0, 1, 0]), {
      ...opts,
      params: new Float64Array([1, 40]),
    });
    expect(mixed.yFinal[0]).toBe(alone.yFinal[0]);
    expect(mixed.yFinal[1]).toBe(alone.yFinal[1]);
    expect(mixed.stats.accepted).toBeGreaterThan(5 * alone.stats.accepted);
  });

  it('with constant RK4 steps converges at order 4', () => {
    const errAt = (dt: number) => {
      const sol = solve(oscillator, new Float64Array([1, 0]), {
        method: rk4(),
        t1: 2,
        params: new Float64Array([3]),
        controller: constantSteps(dt),
      });
      return Math.abs(sol.yFinal[0] - Math.cos(6));
    };
    const slope = Math.log(errAt(0.02) / errAt(0.01)) / Math.log(2);
    expect(Math.abs(slope - 4)).toBeLessThan(0.3);
  });

  it('saves every step and the final state', () => {
    const opts = { method: dopri5(), t1: 1, params: new Float64Array([1]) };
    const steps = solve(oscillator, new Float64Array([1, 0]), { ...opts, saveat: saveAt.steps() });
    expect(steps.ts[0][0]).toBe(0);
    expect(steps.ts[0][steps.ts[0].length - 1]).toBe(1);
    expect(steps.ts[0].length).toBe(steps.stats.accepted + 1);
    const fin = solve(oscillator, new Float64Array([1, 0]), opts);
    expect(Array.from(fin.ts[0])).toEqual([1]);
  });

  it('reports failures with the trajectory, the time and the state', () => {
    const sol = solve(blowup, new Float64Array([0.5, 2]), { method: dopri5(), t1: 1 });
    // y0 = 0.5 blows up at t = 2 (beyond t1); y0 = 2 at t = 0.5.
    expect(sol.status).toEqual(['success', sol.status[1]]);
    expect(sol.status[1]).not.toBe('success');
    const f = sol.failures[0];
    expect(f.trajectory).toBe(1);
    expect(Math.abs(f.time - 0.5)).toBeLessThan(1e-3);
    expect(f.message).toMatch(/^trajectory 1 at t = 0\.(49|50)/);
    expect(() =>
      solve(blowup, new Float64Array([2]), { method: dopri5(), t1: 1, throwOnFailure: true }),
    ).toThrow(SolveError);
    const capped = solve(oscillator, new Float64Array([1, 0]), {
      method: dopri5(),
      t1: 100,
      params: new Float64Array([50]),
      maxSteps: 20,
    });
    expect(capped.status[0]).toBe('maxSteps');
    expect(capped.failures[0].message).toMatch(/maximum of 20 steps/);
  });

  it('rejects unknown options and inconsistent sizes with clear messages', () => {
    // A misspelt option, as plain JavaScript callers could pass it.
    const bad: Parameters<typeof solve>[2] & { tol: number } = { method: dopri5(), t1: 1, tol: 1e-6 };
    expect(() => solve(oscillator, new Float64Array([1, 0]), bad)).toThrow(/unknown option "tol"/);
    expect(() => solve(oscillator, new Float64Array([1, 0]), { method: dopri5(), t1: 1 })).toThrow(
      /params has 0 values; 1 trajectories × 1 parameters = 1/,
    );
    expect(() =>
      solve(oscillator, new Float64Array([1, 0]), { method: rk4(), t1: 1, params: new Float64Array([1]) }),
    ).toThrow(/rk4 has no error estimate; use controller: constantSteps/);
  });
});

describe('discrete adjoint', () => {
  /** Σ over saved values of w·y, and its gradient by the adjoint. */
  function check(
    field: VectorField,
    y0: Float64Array,
    params: Float64Array,
    method = dopri5(),
    rtol = 1e-10,
  ) {
    const ts = Float64Array.from({ length: 10 }, (_, i) => 0.3 * (i + 1));
    const opts = {
      method,
      t1: 3,
      params,
      controller: method.embeddedOrder === 0 ? constantSteps(0.01) : pid({ rtol, atol: rtol }),
      saveat: saveAt.times(ts),
    };
    const N = y0.length / field.dim;
    const weight = (b: number, j: number) => Math.sin(1 + b + 0.7 * j);
    const loss = (y: Float64Array, p: Float64Array) => {
      const s = solve(field, y, { ...opts, params: p });
      let total = 0;
      for (let b = 0; b < N; b++) {
        s.ys[b].forEach((v, j) => {
          total += weight(b, j) * v;
        });
      }
      return total;
    };
    const sol = solve(field, y0, { ...opts, recordForAdjoint: true });
    const bar = sol.ys.map((ys, b) => ys.map((_, j) => weight(b, j)));
    const g = discreteAdjoint(field, sol, method, params, bar);
    const h = 1e-6;
    for (let i = 0; i < params.length; i++) {
      const up = params.slice();
      up[i] += h;
      const down = params.slice();
      down[i] -= h;
      const fd = (loss(y0, up) - loss(y0, down)) / (2 * h);
      expect(Math.abs(g.params[i] - fd) / Math.max(1e-8, Math.abs(fd))).toBeLessThan(1e-5);
    }
    for (let i = 0; i < y0.length; i++) {
      const up = y0.slice();
      up[i] += h;
      const down = y0.slice();
      down[i] -= h;
      const fd = (loss(up, params) - loss(down, params)) / (2 * h);
      expect(Math.abs(g.y0[i] - fd) / Math.max(1e-8, Math.abs(fd))).toBeLessThan(1e-5);
    }
  }

  it('agrees with finite differences on the damped pendulum (batch of 3, own parameters)', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 3 });
    const p = c.model.defaultParams();
    const params = Float64Array.from(
      { length: 3 * p.length },
      (_, i) => p[i % p.length] * (1 + 0.1 * Math.floor(i / 2)),
    );
    check(field, new Float64Array([0.5, 0, -0.8, 0.3, 1.2, -1]), params);
  });

  it('agrees with finite differences on Lotka–Volterra, adaptive and constant steps', () => {
    const c = compileModel(lotkaVolterraModel());
    const field = modelField(c, { n: 2 });
    const p = c.model.defaultParams();
    const params = new Float64Array([...p, ...p.map((v) => v * 1.1)]);
    const y0 = new Float64Array([0.44249296, 4.6280594, 1, 2]);
    check(field, y0, params);
    check(field, y0, params, rk4());
  });
});

describe('defaults and hints', () => {
  it('uses tsit5 when no method is given and records the method', () => {
    const sol = solve(oscillator, new Float64Array([1, 0]), { t1: 1, params: new Float64Array([1]) });
    expect(sol.method.name).toBe('tsit5');
    expect(Math.abs(sol.yFinal[0] - Math.cos(1))).toBeLessThan(1e-5);
  });

  it('suggests a stiff method when an explicit one runs out of steps on a field with a Jacobian', () => {
    const stiffish: VectorField = {
      ...oscillator,
      jac(_t, _y, p, J, n, rows) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          J.set([0, 1, -p[b] * p[b], 0], 4 * b);
        }
      },
    };
    const sol = solve(stiffish, new Float64Array([1, 0]), {
      t1: 100,
      params: new Float64Array([100]),
      maxSteps: 50,
    });
    expect(sol.failures[0].message).toMatch(/if the problem is stiff, use method: rodas5p\(\)/);
  });
});

describe('dense output', () => {
  it('evaluates the solution anywhere, as accurately as the method’s interpolant', () => {
    const stiffOsc: VectorField = {
      ...oscillator,
      jac(_t, _y, p, J, n, rows) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          J.set([0, 1, -p[b] * p[b], 0], 4 * b);
        }
      },
    };
    for (const [method, tol] of [
      [dopri5(), 1e-6],
      [tsit5(), 1e-6],
      [vern7(), 1e-8],
      [rodas5p(), 1e-5],
    ] as const) {
      const sol = solve(stiffOsc, new Float64Array([1, 0, 1, 0]), {
        method,
        t1: 5,
        params: new Float64Array([2, 3]),
        controller: pid({ rtol: 1e-9, atol: 1e-10 }),
        saveat: saveAt.dense(),
      });
      const dense = sol.dense!;
      for (let i = 0; i <= 100; i++) {
        const t = (5 * i) / 100;
        for (const [b, w] of [
          [0, 2],
          [1, 3],
        ]) {
          const y = dense.evaluate(b, t);
          expect(Math.abs(y[0] - Math.cos(w * t)), `${method.name} t=${t}`).toBeLessThan(tol);
        }
      }
      expect(Array.from(dense.evaluate(0, 5))).toEqual(Array.from(sol.yFinal.subarray(0, 2)));
      expect(() => dense.evaluate(0, 5.5)).toThrow(
        /t = 5.5 lies outside the solution of trajectory 0, \[0, 5\]/,
      );
    }
  });
});
