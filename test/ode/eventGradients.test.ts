/**
 * Gradients through state-dependent events: the discrete adjoint and forward sensitivities
 * against the derivatives of closed-form solutions, central finite differences of the solver,
 * and each other — a bouncing ball (restitution as a parameter; 1 to many bounces, a batch
 * with different bounce times, checkpoints, kvaerno5), a 'stop' when a PK concentration falls
 * below a threshold (loss on the final state and on the stopping time, dose amounts
 * included), and a non-linear, time- and parameter-dependent harvest event on Lotka–Volterra.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { pkOneCompartmentModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import { kvaerno5 } from '../../src/ode/esdirk.js';
import type { VectorField } from '../../src/ode/field.js';
import { forwardSensitivities } from '../../src/ode/forward.js';
import type { Method } from '../../src/ode/method.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { modelField } from '../../src/ode/modelField.js';
import { type Dose, type EventSpec, type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';

type Arr = Float64Array;

const rowOf = (q: number, rows: Int32Array | null) => (rows === null ? q : rows[q]);

/** Free fall, state (height, velocity), parameters [g, e]: h' = v, v' = −g. */
const ball: VectorField = {
  dim: 2,
  nParams: 2,
  f(_t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(q, rows);
      out[2 * b] = y[2 * b + 1];
      out[2 * b + 1] = -p[2 * b];
    }
  },
  vjp(_t, _y, _p, ob, yb, pb, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(q, rows);
      yb[2 * b] = 0;
      yb[2 * b + 1] = ob[2 * b];
      pb[2 * b] -= ob[2 * b + 1];
    }
  },
  jvp(_t, _y, _p, yd, pd, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(q, rows);
      out[2 * b] = yd[2 * b + 1];
      out[2 * b + 1] = -pd[2 * b];
    }
  },
  jac(_t, _y, _p, J, n, rows) {
    for (let q = 0; q < n; q++) J.set([0, 1, 0, 0], 4 * rowOf(q, rows));
  },
};

/** The bounce: when the height crosses 0 downwards, v⁺ = −e·v⁻ (e = p[1]). */
const bounce: EventSpec = {
  condition: (_t, y, o) => y[o],
  direction: 'down',
  action: (_t, y, o, _b, p, po) => {
    y[o + 1] *= -p[po + 1];
  },
  conditionGradient: (_t, _y, _o, _p, _po, gy) => {
    gy[0] = 1;
    return 0;
  },
  actionJacobian: (_t, y, o, p, po, hy, hp) => {
    hy[0] = 1;
    hy[3] = -p[po + 1];
    hp[1 * 2 + 1] = -y[o + 1];
  },
};

/** A number with its derivatives with respect to (h0, v0, g, e): forward-mode AD of closed forms. */
class Dual {
  constructor(
    readonly v: number,
    readonly d: readonly number[],
  ) {}
  static of(v: number, i: number): Dual {
    return new Dual(
      v,
      [0, 0, 0, 0].map((_, j) => (j === i ? 1 : 0)),
    );
  }
  static c(v: number): Dual {
    return new Dual(v, [0, 0, 0, 0]);
  }
  add(o: Dual): Dual {
    return new Dual(
      this.v + o.v,
      this.d.map((x, i) => x + o.d[i]),
    );
  }
  sub(o: Dual): Dual {
    return this.add(o.scale(-1));
  }
  mul(o: Dual): Dual {
    return new Dual(
      this.v * o.v,
      this.d.map((x, i) => x * o.v + this.v * o.d[i]),
    );
  }
  div(o: Dual): Dual {
    return new Dual(
      this.v / o.v,
      this.d.map((x, i) => (x * o.v - this.v * o.d[i]) / (o.v * o.v)),
    );
  }
  scale(s: number): Dual {
    return new Dual(
      this.v * s,
      this.d.map((x) => x * s),
    );
  }
  sqrt(): Dual {
    const r = Math.sqrt(this.v);
    return new Dual(
      r,
      this.d.map((x) => x / (2 * r)),
    );
  }
}

/**
 * The ball's exact state at time t from height h0 and velocity v0: each flight from height y
 * with velocity v lands after s = (v + √(v² + 2gy))/g with velocity −√(v² + 2gy); the bounce
 * leaves with e·√(v² + 2gy) from height 0. Returns [height, velocity] with their derivatives
 * with respect to (h0, v0, g, e), the number of bounces before t, and the bounces' times and
 * impact velocities (before the bounce).
 */
function exactBall(t: number, h0: number, v0: number, g: number, e: number) {
  const G = Dual.of(g, 2);
  const E = Dual.of(e, 3);
  let y = Dual.of(h0, 0);
  let v = Dual.of(v0, 1);
  let start = Dual.c(0);
  const impacts: { time: Dual; velocity: Dual }[] = [];
  for (;;) {
    const w = v.mul(v).add(y.mul(G).scale(2)).sqrt();
    const s = v.add(w).div(G);
    if (start.v + s.v > t) break;
    start = start.add(s);
    impacts.push({ time: start, velocity: w.scale(-1) });
    y = Dual.c(0);
    v = E.mul(w);
  }
  const dt = Dual.c(t).sub(start);
  const height = y.add(v.mul(dt)).sub(G.mul(dt).mul(dt).scale(0.5));
  return { height, velocity: v.sub(G.mul(dt)), bounces: impacts.length, impacts };
}

interface Problem {
  field: VectorField;
  y0: Arr;
  options: SolveOptions;
}

/**
 * The Jacobian of every saved value of every trajectory with respect to that trajectory's
 * initial state and parameters: rows [value j of trajectory b], columns (y0, params).
 */
type Jacobian = number[][][];

const inputsOf = (field: VectorField) => field.dim + field.nParams;

/** By the discrete adjoint: one reverse pass per saved value. */
function adjointJacobian(pr: Problem): Jacobian {
  const { field, y0, options } = pr;
  const D = field.dim;
  const P = field.nParams;
  const sol = solve(field, y0, { ...options, recordForAdjoint: options.recordForAdjoint ?? true });
  expect(sol.status.every((s) => s === 'success')).toBe(true);
  return sol.ys.map((ys, b) =>
    Array.from(ys, (_, j) => {
      const bar = sol.ys.map((v) => new Float64Array(v.length));
      bar[b][j] = 1;
      const g = discreteAdjoint(field, sol, sol.method, options.params!, bar);
      return [...g.y0.subarray(b * D, b * D + D), ...g.params.subarray(b * P, b * P + P)];
    }),
  );
}

/** By forward sensitivities, all parameters and initial states as directions. */
function forwardJacobian(pr: Problem): Jacobian {
  const { field, y0, options } = pr;
  const D = field.dim;
  const P = field.nParams;
  const params = Array.from({ length: P }, (_, i) => i);
  const r = forwardSensitivities(field, y0, options, { params, y0: Array.from({ length: D }, (_, i) => i) });
  expect(r.solution.status.every((s) => s === 'success')).toBe(true);
  const K = P + D;
  return r.sensitivities.map((S) =>
    Array.from({ length: S.length / K }, (_, j) => {
      const row = Array.from(S.subarray(j * K, (j + 1) * K));
      return [...row.slice(P), ...row.slice(0, P)];
    }),
  );
}

/** Central finite differences of the saved values (perturbing one trajectory's input at a time). */
function fdJacobian(pr: Problem, rel = 1e-6): Jacobian {
  const { field, y0, options } = pr;
  const D = field.dim;
  const P = field.nParams;
  const base = solve(field, y0, options);
  return base.ys.map((ys, b) => {
    const cols: number[][] = [];
    for (let i = 0; i < inputsOf(field); i++) {
      const at = (s: number) => {
        const y = Float64Array.from(y0);
        const p = Float64Array.from(options.params!);
        const x = i < D ? y0[b * D + i] : p[b * P + i - D];
        const dx = rel * Math.max(Math.abs(x), 1);
        if (i < D) y[b * D + i] = x + s * dx;
        else p[b * P + i - D] = x + s * dx;
        const out = solve(field, y, { ...options, params: p }).ys[b];
        expect(out.length).toBe(ys.length);
        return { out, dx };
      };
      const plus = at(1);
      const minus = at(-1);
      cols.push(Array.from(plus.out, (v, j) => (v - minus.out[j]) / (2 * plus.dx)));
    }
    return Array.from(ys, (_, j) => cols.map((c) => c[j]));
  });
}

/** max |a − b| / max(1, |b|) over all entries. */
function worst(a: Jacobian, b: Jacobian): number {
  let w = 0;
  a.forEach((t, i) => {
    expect(t.length).toBe(b[i].length);
    t.forEach((row, j) => {
      row.forEach((v, k) => {
        w = Math.max(w, Math.abs(v - b[i][j][k]) / Math.max(1, Math.abs(b[i][j][k])));
      });
    });
  });
  return w;
}

const tight = pid({ rtol: 1e-12, atol: 1e-12 });
/**
 * The ball's flights are polynomials that every method integrates exactly, so its steps grow
 * without bound; limit them so that no step contains a whole flight (which would hide the bounce).
 */
const ballSteps = pid({ rtol: 1e-12, atol: 1e-12, hMax: 0.05 });

/** Balls: trajectory b from (h0, v0) with parameters (g, e), saved at `times`. */
function ballProblem(
  balls: readonly { h0: number; v0: number; g: number; e: number }[],
  times: readonly number[],
  method: Method,
  extra: Partial<SolveOptions> = {},
): Problem {
  return {
    field: ball,
    y0: Float64Array.from(balls.flatMap((x) => [x.h0, x.v0])),
    options: {
      method,
      t1: times[times.length - 1],
      params: Float64Array.from(balls.flatMap((x) => [x.g, x.e])),
      controller: ballSteps,
      saveat: saveAt.times(Float64Array.from(times)),
      events: [bounce],
      ...extra,
    },
  };
}

/** The closed form's Jacobian of the saved heights and velocities, and the bounce counts. */
function exactJacobian(
  balls: readonly { h0: number; v0: number; g: number; e: number }[],
  times: readonly number[],
): { jac: Jacobian; bounces: number[][]; values: number[][] } {
  const bounces: number[][] = [];
  const values: number[][] = [];
  const jac = balls.map((x) => {
    const rows: number[][] = [];
    const n: number[] = [];
    const vals: number[] = [];
    for (const t of times) {
      const s = exactBall(t, x.h0, x.v0, x.g, x.e);
      rows.push([...s.height.d], [...s.velocity.d]);
      vals.push(s.height.v, s.velocity.v);
      n.push(s.bounces);
    }
    bounces.push(n);
    values.push(vals);
    return rows;
  });
  return { jac, bounces, values };
}

describe('gradients through a bouncing ball', () => {
  const one = [{ h0: 1, v0: 0.5, g: 9.81, e: 0.8 }];
  // Saves before the first bounce, after 1 bounce and after 3 bounces.
  const times = [0.3, 0.9, 2];

  for (const method of [dopri5(), tsit5(), kvaerno5()]) {
    it(`discrete adjoint = closed form = finite differences = forward, after 1 and 3 bounces (${method.name})`, () => {
      const pr = ballProblem(one, times, method);
      const exact = exactJacobian(one, times);
      expect(exact.bounces[0]).toEqual([0, 1, 3]);
      const sol = solve(pr.field, pr.y0, pr.options);
      sol.ys[0].forEach((v, j) => {
        expect(Math.abs(v - exact.values[0][j])).toBeLessThan(1e-9);
      });
      const adj = adjointJacobian(pr);
      const fwd = forwardJacobian(pr);
      const fd = fdJacobian(pr);
      expect(worst(adj, exact.jac)).toBeLessThan(1e-8);
      expect(worst(fd, exact.jac)).toBeLessThan(1e-6);
      expect(worst(adj, fd)).toBeLessThan(1e-6);
      expect(worst(fwd, adj)).toBeLessThan(1e-8);
    });
  }

  it('a batch whose balls bounce at different times: each trajectory its own gradient', () => {
    const balls = [
      { h0: 1, v0: 0.5, g: 9.81, e: 0.8 },
      { h0: 3, v0: -1, g: 9.81, e: 0.6 },
      { h0: 0.4, v0: 2, g: 3.7, e: 0.9 },
    ];
    const ts = [0.5, 1.1, 1.7, 2.4];
    const pr = ballProblem(balls, ts, dopri5());
    const exact = exactJacobian(balls, ts);
    // Different numbers of bounces at the same times.
    expect(new Set(exact.bounces.map((n) => n.join())).size).toBe(3);
    const sol = solve(pr.field, pr.y0, pr.options);
    const times = [0, 1, 2].map((b) => sol.events.filter((e) => e.trajectory === b).map((e) => e.time));
    expect(times.map((t) => t.length)).toEqual(exact.bounces.map((n) => n[n.length - 1]));
    expect(worst(adjointJacobian(pr), exact.jac)).toBeLessThan(1e-8);
    expect(worst(forwardJacobian(pr), exact.jac)).toBeLessThan(1e-8);
  });

  it('many bounces with checkpoints: the same gradients as storing every state', () => {
    const balls = [
      { h0: 1, v0: 0, g: 9.81, e: 0.9 },
      { h0: 2, v0: 1, g: 9.81, e: 0.85 },
    ];
    const ts = Array.from({ length: 12 }, (_, i) => 0.5 * (i + 1));
    const pr = ballProblem(balls, ts, tsit5());
    const exact = exactJacobian(balls, ts);
    expect(Math.min(...exact.bounces.map((n) => n[n.length - 1]))).toBeGreaterThanOrEqual(8);
    const full = adjointJacobian(pr);
    expect(worst(full, exact.jac)).toBeLessThan(1e-9);
    for (const checkpoints of [3, 'sqrt'] as const) {
      const ck = adjointJacobian({ ...pr, options: { ...pr.options, recordForAdjoint: { checkpoints } } });
      expect(worst(ck, full)).toBeLessThan(1e-12);
    }
  });

  it('fixed steps (rk4), saving every step: values at the bounces move with them, the others are at fixed times', () => {
    const x = one[0];
    const pr = ballProblem(one, [1.5], rk4(), { controller: constantSteps(0.02), saveat: saveAt.steps() });
    const sol = solve(pr.field, pr.y0, pr.options);
    const exact = exactBall(1.5, x.h0, x.v0, x.g, x.e);
    const tau = sol.events.map((e) => e.time);
    expect(tau.length).toBe(2);
    tau.forEach((t, i) => {
      expect(Math.abs(t - exact.impacts[i].time.v)).toBeLessThan(1e-12);
    });
    // At a bounce the save holds the state at the impact: height 0 whatever θ, and the impact
    // velocity; elsewhere the closed form at the saved time.
    const expected: Jacobian = [
      Array.from(sol.ts[0]).flatMap((t) => {
        const i = tau.indexOf(t);
        if (i >= 0) return [[0, 0, 0, 0], [...exact.impacts[i].velocity.d]];
        const s = exactBall(t, x.h0, x.v0, x.g, x.e);
        return [[...s.height.d], [...s.velocity.d]];
      }),
    ];
    expect(worst(adjointJacobian(pr), expected)).toBeLessThan(1e-9);
    expect(worst(forwardJacobian(pr), expected)).toBeLessThan(1e-9);
  });

  it('the bounce times: dτ/dθ by forward sensitivities and by the adjoint (a loss on the times) = closed form', () => {
    const x = one[0];
    const pr = ballProblem(one, [2], dopri5());
    const exact = exactBall(2, x.h0, x.v0, x.g, x.e);
    const fwd = forwardSensitivities(pr.field, pr.y0, pr.options, { y0: [0, 1], params: [0, 1] });
    const sol = solve(pr.field, pr.y0, { ...pr.options, recordForAdjoint: true });
    expect(sol.events.length).toBe(3);
    expect(fwd.solution.events.length).toBe(3);
    exact.impacts.forEach((impact, i) => {
      const want = impact.time.d; // (h0, v0, g, e)
      const bar = new Float64Array(3);
      bar[i] = 1;
      const g = discreteAdjoint(pr.field, sol, sol.method, pr.options.params!, [new Float64Array(2)], bar);
      const adj = [g.y0[0], g.y0[1], g.params[0], g.params[1]];
      // Forward directions: params (g, e), then y0 (h0, v0).
      const f = fwd.eventTimeSensitivities.subarray(4 * i, 4 * i + 4);
      const fw = [f[2], f[3], f[0], f[1]];
      want.forEach((w, k) => {
        expect(Math.abs(adj[k] - w)).toBeLessThan(1e-12 * Math.max(1, Math.abs(w)));
        expect(Math.abs(fw[k] - w)).toBeLessThan(1e-12 * Math.max(1, Math.abs(w)));
      });
    });
  });
});

describe("a 'stop' event: the first time a PK concentration falls below a threshold", () => {
  const c = compileModel(pkOneCompartmentModel());
  const field = modelField(c, { n: 2 });
  const p0 = c.model.defaultParams(); // ka, CL, V, add_sd, prop_sd
  const params = Float64Array.from([...p0, ...p0.map((v, i) => (i < 3 ? v * (1 + 0.2 * (i + 1)) : v))]);
  const threshold = 0.5; // mg/L
  // Stop when central/V crosses the threshold downwards.
  const below: EventSpec = {
    condition: (_t, y, o, p, po) => y[o + 1] / p[po + 2] - threshold,
    direction: 'down',
    action: 'stop',
    conditionGradient: (_t, y, o, p, po, gy, gp) => {
      gy[1] = 1 / p[po + 2];
      gp[2] = -y[o + 1] / (p[po + 2] * p[po + 2]);
      return 0;
    },
  };
  const doses: Dose[] = [
    { kind: 'bolus', trajectory: 0, time: 0, state: 0, amount: 100 },
    { kind: 'bolus', trajectory: 1, time: 0, state: 0, amount: 120 },
    { kind: 'bolus', trajectory: 1, time: 6, state: 0, amount: 60 },
  ];
  const options: SolveOptions = {
    method: dopri5(),
    t1: 72,
    params,
    controller: tight,
    saveat: saveAt.final(),
    doses,
    events: [below],
  };
  const y0 = new Float64Array([0, 0, 0, 0.5]);
  /** Loss on the final (stopped) state and on the stopping time of each trajectory. */
  const wState = [0.7, -1.3];
  const wTime = 0.05;
  const loss = (pp: Arr, yy: Arr, ds: readonly Dose[]) => {
    const sol = solve(field, yy, { ...options, params: pp, doses: ds });
    let l = 0;
    for (let b = 0; b < 2; b++) {
      l += wState[0] * sol.ys[b][0] + wState[1] * sol.ys[b][1];
      l += wTime * sol.events.filter((e) => e.trajectory === b)[0].time;
    }
    return { l, sol };
  };

  it('ends each trajectory at its own threshold crossing, saving the state there', () => {
    const { sol } = loss(params, y0, doses);
    expect(sol.events.map((e) => e.trajectory).sort()).toEqual([0, 1]);
    for (let b = 0; b < 2; b++) {
      const tau = sol.events.find((e) => e.trajectory === b)!.time;
      expect(sol.ts[b][0]).toBe(tau);
      expect(tau).toBeLessThan(72);
      // The stopped state is on the threshold (to the tolerance).
      expect(Math.abs(sol.ys[b][1] / params[b * 5 + 2] - threshold)).toBeLessThan(1e-10);
      expect(sol.yFinal[b * 2 + 1]).toBe(sol.ys[b][1]);
    }
  });

  it('discrete adjoint and forward sensitivities = finite differences (parameters, initial state, doses, stopping time)', () => {
    const rec = solve(field, y0, { ...options, recordForAdjoint: true });
    const savedBar = [0, 1].map(() => Float64Array.from(wState));
    const timesBar = new Float64Array(rec.events.length).fill(wTime);
    const g = discreteAdjoint(field, rec, rec.method, params, savedBar, timesBar);
    // Forward: ⟨w, S⟩ + wTime·dτ/dθ.
    const fwd = forwardSensitivities(field, y0, options, { params: [0, 1, 2], y0: [1], doses: [0, 1, 2] });
    const K = fwd.directions.length;
    const fwdGrad = (b: number, k: number) => {
      let v = wState[0] * fwd.sensitivities[b][k] + wState[1] * fwd.sensitivities[b][K + k];
      fwd.solution.events.forEach((e, i) => {
        if (e.trajectory === b) v += wTime * fwd.eventTimeSensitivities[i * K + k];
      });
      return v;
    };
    const fd = (perturb: (s: number) => { pp: Arr; yy: Arr; ds: Dose[] }, dx: number) => {
      const [up, down] = [perturb(1), perturb(-1)];
      return (loss(up.pp, up.yy, up.ds).l - loss(down.pp, down.yy, down.ds).l) / (2 * dx);
    };
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-3, Math.abs(b));
    let worstFd = 0;
    let worstFwd = 0;
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 3; i++) {
        const dx = 1e-6 * params[b * 5 + i];
        const v = fd((s) => {
          const pp = Float64Array.from(params);
          pp[b * 5 + i] += s * dx;
          return { pp, yy: y0, ds: doses };
        }, dx);
        worstFd = Math.max(worstFd, rel(g.params[b * 5 + i], v));
        worstFwd = Math.max(worstFwd, rel(fwdGrad(b, i), g.params[b * 5 + i]));
      }
      const dy = 1e-4;
      const vy = fd((s) => {
        const yy = Float64Array.from(y0);
        yy[b * 2 + 1] += s * dy;
        return { pp: params, yy, ds: doses };
      }, dy);
      worstFd = Math.max(worstFd, rel(g.y0[b * 2 + 1], vy));
      worstFwd = Math.max(worstFwd, rel(fwdGrad(b, 3), g.y0[b * 2 + 1]));
    }
    doses.forEach((d, k) => {
      if (d.kind !== 'bolus') return;
      const dx = 1e-6 * d.amount;
      const v = fd((s) => {
        const ds = doses.slice();
        ds[k] = { ...d, amount: d.amount + s * dx };
        return { pp: params, yy: y0, ds };
      }, dx);
      worstFd = Math.max(worstFd, rel(g.doses[k], v));
      worstFwd = Math.max(worstFwd, rel(fwdGrad(d.trajectory, 4 + k), g.doses[k]));
    });
    expect(worstFd).toBeLessThan(1e-6);
    expect(worstFwd).toBeLessThan(1e-8);
  });
});

describe('a non-linear event: a pendulum kicked as it swings past an angle', () => {
  // θ' = ω, ω' = −w²·sin θ; parameters [w², (unused), θc, k, a].
  const P = 5;
  const pendulum: VectorField = {
    dim: 2,
    nParams: P,
    f(_t, y, p, out, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rowOf(q, rows);
        out[2 * b] = y[2 * b + 1];
        out[2 * b + 1] = -p[P * b] * Math.sin(y[2 * b]);
      }
    },
    vjp(_t, y, p, ob, yb, pb, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rowOf(q, rows);
        yb[2 * b] = -ob[2 * b + 1] * p[P * b] * Math.cos(y[2 * b]);
        yb[2 * b + 1] = ob[2 * b];
        pb[P * b] -= ob[2 * b + 1] * Math.sin(y[2 * b]);
      }
    },
    jvp(_t, y, p, yd, pd, out, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rowOf(q, rows);
        out[2 * b] = yd[2 * b + 1];
        out[2 * b + 1] = -p[P * b] * Math.cos(y[2 * b]) * yd[2 * b] - pd[P * b] * Math.sin(y[2 * b]);
      }
    },
    jac(_t, y, p, J, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rowOf(q, rows);
        J.set([0, 1, -p[P * b] * Math.cos(y[2 * b]), 0], 4 * b);
      }
    },
  };
  // When θ rises through θc + t/50: ω⁺ = k·ω⁻/(1 + a·ω⁻²)·(1 + sin(t)/10) — a non-linear,
  // parameter- and time-dependent reset of the velocity by a condition that depends on the
  // parameters and the time.
  const kick: EventSpec = {
    condition: (t, y, o, p, po) => y[o] - p[po + 2] - 0.02 * t,
    direction: 'up',
    action: (t, y, o, _b, p, po) => {
      const w = y[o + 1];
      y[o + 1] = ((p[po + 3] * w) / (1 + p[po + 4] * w * w)) * (1 + 0.1 * Math.sin(t));
    },
    conditionGradient: (_t, _y, _o, _p, _po, gy, gp) => {
      gy[0] = 1;
      gp[2] = -1;
      return -0.02;
    },
    actionJacobian: (t, y, o, p, po, hy, hp, ht) => {
      const [w, k, a] = [y[o + 1], p[po + 3], p[po + 4]];
      const s = 1 + 0.1 * Math.sin(t);
      const d = 1 + a * w * w;
      hy[0] = 1;
      hy[3] = ((k * (1 - a * w * w)) / (d * d)) * s;
      hp[1 * P + 3] = (w / d) * s;
      hp[1 * P + 4] = ((-k * w * w * w) / (d * d)) * s;
      ht[1] = ((k * w) / d) * 0.1 * Math.cos(t);
    },
  };
  const params = new Float64Array([4, 0, 0.2, 0.9, 0.3, 3, 0, 0.1, 0.8, 0.5]);
  const y0 = new Float64Array([-1, 0, 0.3, -1.5]);
  const times = Float64Array.from({ length: 10 }, (_, i) => 1.2 * (i + 1));

  for (const method of [vern7(), kvaerno5()]) {
    it(`discrete adjoint = finite differences = forward, a batch with different kick times (${method.name})`, () => {
      const pr: Problem = {
        field: pendulum,
        y0,
        options: { method, t1: 12, params, controller: tight, saveat: saveAt.times(times), events: [kick] },
      };
      const sol = solve(pendulum, y0, pr.options);
      const kicks = [0, 1].map((b) => sol.events.filter((e) => e.trajectory === b).map((e) => e.time));
      expect(Math.min(...kicks.map((k) => k.length))).toBeGreaterThanOrEqual(3);
      // Each kick leaves the pendulum on the surface moving up: it does not fire again at once.
      for (const k of kicks) for (let i = 1; i < k.length; i++) expect(k[i] - k[i - 1]).toBeGreaterThan(1);
      const adj = adjointJacobian(pr);
      const fd = fdJacobian(pr);
      const fwd = forwardJacobian(pr);
      expect(worst(adj, fd)).toBeLessThan(1e-6);
      expect(worst(fwd, adj)).toBeLessThan(1e-8);
      // Checkpoints: the steps between them are recomputed, across the kicks.
      const ck = adjointJacobian({
        ...pr,
        options: { ...pr.options, recordForAdjoint: { checkpoints: 'sqrt' } },
      });
      expect(worst(ck, adj)).toBeLessThan(1e-12);
    });
  }
});

describe('events without derivative hooks', () => {
  const y0 = new Float64Array([1, 0]);
  const opts = (events: EventSpec[]): SolveOptions => ({
    method: dopri5(),
    t1: 1,
    params: new Float64Array([9.81, 0.8]),
    events,
  });
  const noGradient: EventSpec = { ...bounce, conditionGradient: undefined };
  const noJacobian: EventSpec = { ...bounce, actionJacobian: undefined };
  const stopNoGradient: EventSpec = { condition: bounce.condition, action: 'stop' };

  it('the discrete adjoint names the missing hook of an event that happened', () => {
    for (const [spec, hook] of [
      [noGradient, 'conditionGradient'],
      [noJacobian, 'actionJacobian'],
      [stopNoGradient, 'conditionGradient'],
    ] as const) {
      const sol = solve(ball, y0, { ...opts([spec]), recordForAdjoint: true });
      expect(sol.events.length).toBeGreaterThan(0);
      expect(() => discreteAdjoint(ball, sol, sol.method, opts([]).params!, [sol.ys[0]])).toThrow(
        new RegExp(`event 0 \\(trajectory 0, t = [0-9.e-]+\\).*has no ${hook}`),
      );
    }
  });

  it('an event that never happens needs no hooks', () => {
    const sol = solve(ball, y0, { ...opts([noGradient]), t1: 0.2, recordForAdjoint: true });
    expect(sol.events.length).toBe(0);
    const g = discreteAdjoint(ball, sol, sol.method, opts([]).params!, [new Float64Array([1, 0])]);
    expect(g.y0[0]).toBeCloseTo(1, 12);
  });

  it('forward sensitivities name the missing hook', () => {
    expect(() => forwardSensitivities(ball, y0, opts([noGradient]), { y0: [0] })).toThrow(
      /forwardSensitivities: event 0 has no conditionGradient/,
    );
    expect(() => forwardSensitivities(ball, y0, opts([noJacobian]), { y0: [0] })).toThrow(
      /forwardSensitivities: event 0 changes the state but has no actionJacobian/,
    );
  });

  it('a grazing crossing (zero rate) is reported, not differentiated', () => {
    // A (wrong) ∂g/∂t = −g_y·f makes the crossing rate g_y·f + g_t zero.
    const graze: EventSpec = {
      ...bounce,
      conditionGradient: (_t, y, o, _p, _po, gy) => {
        gy[0] = 1;
        return -y[o + 1];
      },
    };
    const sol = solve(ball, y0, { ...opts([graze]), recordForAdjoint: true });
    expect(() => discreteAdjoint(ball, sol, sol.method, opts([]).params!, [sol.ys[0]])).toThrow(/grazing/);
  });
});
