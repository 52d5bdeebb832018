/**
 * The compiler on models built directly in the IR (independent of the parser): generated
 * RHS against hand-written formulas, and its Jacobian, VJP and JVP against finite differences,
 * including a hybrid model whose networks feed each other.
 */
import { describe, expect, it } from 'vitest';
import { compileModel, type NetRuntime } from '../../src/expr/compile.js';
import { ExprFactory, Op } from '../../src/expr/ir.js';
import { Model, type ModelParts } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { dot, relErr, richardson, richardsonVec, testRng } from '../support/fd.js';
import { checkDerivatives, point } from '../support/model.js';

function parts(f: ExprFactory, over: Partial<ModelParts>): ModelParts {
  return {
    name: 'test',
    factory: f,
    params: [],
    states: [],
    inputs: [],
    covariates: [],
    derived: [],
    nets: [],
    calls: [],
    equations: [],
    observables: [],
    doses: [],
    ...over,
  };
}

const param = (name: string, value: number) => ({
  name,
  value,
  lower: Number.NEGATIVE_INFINITY,
  upper: Number.POSITIVE_INFINITY,
  scale: 'lin' as const,
  fixed: false,
});

/** Damped pendulum with a forcing input u and a covariate-scaled initial angle. */
function pendulum(): Model {
  const f = new ExprFactory();
  const [th, om] = [f.state(0), f.state(1)];
  const [w0, alpha] = [f.param(0), f.param(1)];
  const acc = f.sub(f.neg(f.mul(f.pow(w0, f.constant(2)), f.sin(th))), f.mul(alpha, om));
  return new Model(
    parts(f, {
      name: 'pendulum',
      params: [param('w0', 2), param('alpha', 0.1)],
      states: [
        { name: 'theta', initial: f.mul(f.covariate(0), w0) },
        { name: 'omega', initial: f.constant(0) },
      ],
      inputs: [{ name: 'u', interpolation: 'step' }],
      covariates: [{ name: 'scale', defaultValue: 1 }],
      equations: [om, f.add(acc, f.mul(f.input(0), f.cos(f.time())))],
      observables: [
        { name: 'angle', expr: f.mul(f.sin(th), alpha), noise: { kind: 'normal', sigma: f.constant(0.1) } },
      ],
    }),
  );
}

/** A runtime of one-layer tanh networks out = tanh(W·x + b), with analytic derivatives. */
class TanhNets implements NetRuntime {
  readonly gradW: Float64Array[];
  constructor(
    readonly W: Float64Array[],
    readonly nIn: number[],
    readonly nOut: number[],
  ) {
    this.gradW = W.map((w) => new Float64Array(w.length));
  }
  private pre(call: number, x: Float64Array, b: number, o: number): number {
    const n = this.nIn[call];
    let s = this.W[call][o * (n + 1) + n];
    for (let i = 0; i < n; i++) s += this.W[call][o * (n + 1) + i] * x[b * n + i];
    return s;
  }
  forward(call: number, x: Float64Array, batch: number, out: Float64Array): void {
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < this.nOut[call]; o++)
        out[b * this.nOut[call] + o] = Math.tanh(this.pre(call, x, b, o));
  }
  backward(call: number, x: Float64Array, batch: number, outBar: Float64Array, xBar: Float64Array): void {
    const n = this.nIn[call];
    xBar.fill(0, 0, batch * n);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < this.nOut[call]; o++) {
        const y = Math.tanh(this.pre(call, x, b, o));
        const g = outBar[b * this.nOut[call] + o] * (1 - y * y);
        for (let i = 0; i < n; i++) {
          xBar[b * n + i] += g * this.W[call][o * (n + 1) + i];
          this.gradW[call][o * (n + 1) + i] += g * x[b * n + i];
        }
        this.gradW[call][o * (n + 1) + n] += g;
      }
  }
  jacobian(call: number, x: Float64Array, batch: number, jac: Float64Array): void {
    const n = this.nIn[call];
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < this.nOut[call]; o++) {
        const y = Math.tanh(this.pre(call, x, b, o));
        for (let i = 0; i < n; i++)
          jac[(b * this.nOut[call] + o) * n + i] = (1 - y * y) * this.W[call][o * (n + 1) + i];
      }
  }
}

/** x' = −k·x + F.a, y' = G(F.b, y).c·x: network G takes network F's output. */
function hybrid(): { model: Model; nets: TanhNets } {
  const f = new ExprFactory();
  const [x, y] = [f.state(0), f.state(1)];
  const k = f.param(0);
  const Fa = f.netOut(0, 0);
  const Fb = f.netOut(0, 1);
  const Gc = f.netOut(1, 0);
  const arch = { kind: 'mlp' as const, hidden: [], activation: 'tanh' as const };
  const model = new Model(
    parts(f, {
      params: [param('k', 0.7)],
      states: [
        { name: 'x', initial: f.constant(1) },
        { name: 'y', initial: f.constant(0) },
      ],
      nets: [
        { name: 'F', inputs: [x, f.mul(k, y)], outputs: ['a', 'b'], architecture: arch },
        { name: 'G', inputs: [Fb, y], outputs: ['c'], architecture: arch },
      ],
      calls: [
        { net: 0, inputs: [x, f.mul(k, y)] },
        { net: 1, inputs: [Fb, y] },
      ],
      equations: [f.add(f.neg(f.mul(k, x)), Fa), f.mul(Gc, x)],
      observables: [{ name: 'o', expr: f.add(x, Gc), noise: { kind: 'normal', sigma: f.constant(1) } }],
    }),
  );
  const rng = testRng(5);
  const W = [
    Float64Array.from({ length: 6 }, () => rng() - 0.5),
    Float64Array.from({ length: 3 }, () => rng() - 0.5),
  ];
  return { model, nets: new TanhNets(W, [2, 2], [2, 1]) };
}

describe('compiled pendulum', () => {
  const c = compileModel(pendulum());
  it('evaluates the right-hand side, initial values and observables exactly', () => {
    const B = 3;
    const q = point(c, B, 1);
    const out = new Float64Array(B * 2);
    c.rhs(q.t, q.y, q.p, q.u, q.c, out, B);
    for (let b = 0; b < B; b++) {
      const [th, om] = [q.y[2 * b], q.y[2 * b + 1]];
      const [w0, al] = [q.p[2 * b], q.p[2 * b + 1]];
      expect(out[2 * b]).toBe(om);
      expect(out[2 * b + 1]).toBe(-(w0 * w0 * Math.sin(th)) - al * om + q.u[b] * Math.cos(q.t[b]));
    }
    const y0 = new Float64Array(B * 2);
    c.initial(q.p, q.c, y0, B);
    for (let b = 0; b < B; b++) expect([y0[2 * b], y0[2 * b + 1]]).toEqual([q.c[b] * q.p[2 * b], 0]);
    const obs = new Float64Array(B);
    c.observe(q.t, q.y, q.p, q.u, q.c, obs, B);
    for (let b = 0; b < B; b++) expect(obs[b]).toBe(Math.sin(q.y[2 * b]) * q.p[2 * b + 1]);
  });

  it('has a Jacobian, VJP and JVP that agree with finite differences', () => {
    for (const B of [1, 4]) for (let seed = 1; seed < 6; seed++) checkDerivatives(c, B, seed);
  });

  it('knows the structural sparsity of its Jacobian', () => {
    expect(c.jacobianPattern).toEqual([
      [false, true],
      [true, true],
    ]);
  });

  it('differentiates initial values and observables', () => {
    const B = 2;
    const q = point(c, B, 9);
    const pBar = new Float64Array(B * 2);
    c.initialVjp(q.p, q.c, Float64Array.from([1, 5, 1, 5]), pBar, B);
    expect(Array.from(pBar)).toEqual([q.c[0], 0, q.c[1], 0]);
    const yBar = new Float64Array(B * 2);
    const pBar2 = new Float64Array(B * 2);
    c.observeVjp(q.t, q.y, q.p, q.u, q.c, Float64Array.from([1, 1]), yBar, pBar2, B);
    for (let b = 0; b < B; b++) {
      expect(yBar[2 * b]).toBeCloseTo(Math.cos(q.y[2 * b]) * q.p[2 * b + 1], 15);
      expect(pBar2[2 * b + 1]).toBeCloseTo(Math.sin(q.y[2 * b]), 15);
    }
  });

  it('rejects arrays that are too short, naming them', () => {
    const z = new Float64Array(1);
    expect(() => c.rhs(z, z, z, z, z, z, 1)).toThrow(/rhs: y has 1 values, fewer than 1 trajectories × 2/);
  });
});

describe('compiled hybrid model (chained networks)', () => {
  const { model, nets } = hybrid();
  const c = compileModel(model, { nets });
  it('has a Jacobian, VJP and JVP that agree with finite differences through both networks', () => {
    for (const B of [1, 3]) for (let seed = 11; seed < 15; seed++) checkDerivatives(c, B, seed);
  });

  it('accumulates the networks’ weight gradients in its VJP', () => {
    const B = 2;
    const q = point(c, B, 21);
    const w = Float64Array.from([0.3, -0.2, 0.5, 0.1]);
    const loss = () => {
      const out = new Float64Array(B * 2);
      c.rhs(q.t, q.y, q.p, q.u, q.c, out, B);
      return out.reduce((s, v, i) => s + v * w[i], 0);
    };
    for (const g of nets.gradW) g.fill(0);
    c.vjp(q.t, q.y, q.p, q.u, q.c, w, new Float64Array(B * 2), new Float64Array(B), B);
    for (let call = 0; call < 2; call++) {
      for (let i = 0; i < nets.W[call].length; i++) {
        const orig = nets.W[call][i];
        const h = 1e-5;
        nets.W[call][i] = orig + h;
        const up = loss();
        nets.W[call][i] = orig - h;
        const down = loss();
        nets.W[call][i] = orig;
        expect(nets.gradW[call][i]).toBeCloseTo((up - down) / (2 * h), 8);
      }
    }
  });

  it('differentiates observables through networks', () => {
    const B = 2;
    const q = point(c, B, 31);
    const h = (y: Float64Array) => {
      const out = new Float64Array(B);
      c.observe(q.t, y, q.p, q.u, q.c, out, B);
      return out;
    };
    const yBar = new Float64Array(B * 2);
    c.observeVjp(q.t, q.y, q.p, q.u, q.c, Float64Array.from([1, 1]), yBar, new Float64Array(B), B);
    for (let j = 0; j < 2 * B; j++) {
      const e = new Float64Array(2 * B);
      e[j] = 1;
      const d = richardsonVec((s) => h(q.y.map((v, i) => v + s * e[i])));
      expect(yBar[j]).toBeCloseTo(d[0] + d[1], 9);
    }
  });

  it('requires a network runtime', () => {
    expect(() => compileModel(model)).toThrow(
      /has neural networks \(F, G\).*compileModel\(model, \{ nets \}\)/,
    );
  });

  it('generated code uses the IR ops it was given', () => {
    expect(c.sources.rhs).toContain('rt.forward(0');
    expect(model.equations[0].op).toBe(Op.Sub);
  });
});

describe('compiled noise models', () => {
  const model = parseModel(`
    param k = 0.7
    param sa = 0.2
    param pb = 0.1
    state x = 1
    state y = 2
    d/dt x = -k*x
    d/dt y = k*x
    obs a = x ~ normal(sa)
    obs b = y ~ lognormal(pb*y + sa*x*x)
  `);
  const c = compileModel(model);
  const B = 3;
  const rng = testRng(5);
  const y = Float64Array.from({ length: B * 2 }, () => 0.5 + rng());
  const p = Float64Array.from({ length: B * 3 }, () => 0.1 + rng());
  const z = new Float64Array(B);
  const sigma = (yy: Float64Array, pp: Float64Array) => {
    const out = new Float64Array(B * 2);
    c.noise(z, yy, pp, z, z, out, B);
    return out;
  };

  it('evaluates σ of every observable, per trajectory', () => {
    const s = sigma(y, p);
    for (let b = 0; b < B; b++) {
      expect(s[2 * b]).toBe(p[3 * b + 1]);
      expect(s[2 * b + 1]).toBeCloseTo(p[3 * b + 2] * y[2 * b + 1] + p[3 * b + 1] * y[2 * b] ** 2, 15);
    }
  });

  it('has a VJP that agrees with finite differences in states and parameters', () => {
    const w = Float64Array.from({ length: B * 2 }, () => rng() - 0.5);
    const yBar = new Float64Array(B * 2);
    const pBar = new Float64Array(B * 3);
    c.noiseVjp(z, y, p, z, z, w, yBar, pBar, B);
    const dir = (n: number, j: number) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0));
    for (let j = 0; j < B * 2; j++) {
      const d = richardson((s) =>
        dot(
          w,
          sigma(
            y.map((v, i) => v + s * dir(B * 2, j)[i]),
            p,
          ),
        ),
      );
      expect(relErr(yBar[j], d)).toBeLessThan(1e-9);
    }
    for (let j = 0; j < B * 3; j++) {
      const d = richardson((s) =>
        dot(
          w,
          sigma(
            y,
            p.map((v, i) => v + s * dir(B * 3, j)[i]),
          ),
        ),
      );
      expect(relErr(pBar[j], d)).toBeLessThan(1e-9);
    }
  });
});
