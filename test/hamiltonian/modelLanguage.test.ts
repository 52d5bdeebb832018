/**
 * Hamiltonian networks written in the model language with `grad(H.e, x)`: the compiled field
 * equals the standalone `hamiltonianNetwork` field for the same weights; its Jacobian, VJP,
 * JVP and weight gradients (which involve the Hessian of the MLP) agree with central finite
 * differences; the discrete adjoint's gradient of a trajectory loss with respect to the
 * weights agrees with finite differences of the solved loss; and a model trained on ideal
 * mass–spring data conserves its learned energy along rollouts.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { compileModel } from '../../src/expr/compile.js';
import type { Model } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { hamiltonianNetwork } from '../../src/hamiltonian/networks.js';
import { fittedModel, loadFittedModel } from '../../src/hybrid/artifact.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { type DenseLayer, type NetWeights, TensorNetRuntime } from '../../src/hybrid/netRuntime.js';
import { nullNetsModel } from '../../src/hybrid/nullNets.js';
import { hybridOptions } from '../../src/hybrid/solverSpec.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import { mechanisticOnly, withResidual } from '../../src/hybrid/variants.js';
import type { MlpParams } from '../../src/nn/mlp.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from '../hybrid/treeFd.js';
import { richardson } from '../support/fd.js';
import { checkDerivatives, point } from '../support/model.js';

const HNN = `
model hnn
param alpha = 0.3 in [0, 5]
state q = 1
state p = 0
net H(q, p) -> (e) : mlp(12, 12, ACT)
d/dt q =  grad(H.e, p)
d/dt p = -grad(H.e, q) - alpha * p
obs qo = q ~ normal(0.1)
obs po = p ~ normal(0.1)
`;

/** The weights of `hamiltonianNetwork`'s MLP ("0", "2", … layers) as a model network's layers. */
function asLayers(params: MlpParams): DenseLayer[] {
  return Object.keys(params)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => {
      const l = params[k];
      if (!('bias' in l)) throw new Error('expected biases');
      return { w: l.weight, b: l.bias };
    });
}

function runtime(m: Model, seed: number): TensorNetRuntime {
  return new TensorNetRuntime(m, TensorNetRuntime.init(m, rngKey(seed)));
}

describe('grad(H.e, x) in a model: the field', () => {
  it('equals the standalone hamiltonianNetwork field for the same weights (1 and 2 degrees of freedom)', () => {
    const cases = [
      {
        dof: 1,
        text: `
          state q = 0
          state p = 0
          net H(q, p) -> (e) : mlp(16, 16, tanh)
          d/dt q = grad(H.e, p)
          d/dt p = -grad(H.e, q)`,
      },
      {
        dof: 2,
        text: `
          state q1 = 0
          state q2 = 0
          state p1 = 0
          state p2 = 0
          net H(q1, q2, p1, p2) -> (e) : mlp(16, 16, tanh)
          d/dt q1 = grad(H.e, p1)
          d/dt q2 = grad(H.e, p2)
          d/dt p1 = -grad(H.e, q1)
          d/dt p2 = -grad(H.e, q2)`,
      },
    ];
    for (const { dof, text } of cases) {
      const hnn = hamiltonianNetwork({ dof, hidden: [16, 16] });
      const theta = hnn.init(rngKey(5));
      const m = parseModel(text);
      const c = compileModel(m, { nets: new TensorNetRuntime(m, { H: asLayers(theta) }) });
      const B = 7;
      const q = point(c, B, 3);
      const out = new Float64Array(B * 2 * dof);
      c.rhs(q.t, q.y, q.p, q.u, q.c, out, B);
      const want = hnn.field(theta, new Tensor(new NDArray(q.y.slice(), [B, 2 * dof]))).data;
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(want[i], 14);
    }
  });

  it('builds one gradient call per differentiated output and input list', () => {
    const m = parseModel(HNN.replace('ACT', 'tanh'));
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 0]);
    expect(m.calls[1].inputs).toEqual(m.calls[0].inputs);
  });
});

describe('grad(H.e, x) in a model: derivatives against finite differences', () => {
  for (const act of ['tanh', 'softplus', 'sigmoid']) {
    it(`Jacobian (the Hessian of H), VJP and JVP of an HNN with friction, ${act}`, () => {
      const m = parseModel(HNN.replace('ACT', act));
      const c = compileModel(m, { nets: runtime(m, 1) });
      for (const B of [1, 4]) for (let seed = 1; seed < 4; seed++) checkDerivatives(c, B, seed);
    });
  }

  it('through input expressions, a known Hamiltonian plus a learned one, and an explicit call', () => {
    const m = parseModel(`
      param k = 1.5
      param m = 0.8
      state q = 1
      state p = 0
      let v = p / m
      net H(q, v) -> (e, f) : mlp(8, tanh)
      d/dt q = v + grad(H.f, v)
      d/dt p = -k*q - grad(H.e, q) + 0.1 * grad(H(2*q, v).e, v) + H.f
    `);
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 1, 0, 0]);
    const c = compileModel(m, { nets: runtime(m, 2) });
    for (const B of [1, 3]) for (let seed = 1; seed < 4; seed++) checkDerivatives(c, B, seed);
  });

  it('accumulates weight gradients of the VJP equal to finite differences (second order in the weights)', () => {
    const m = parseModel(HNN.replace('ACT', 'tanh'));
    const weights = TensorNetRuntime.init(m, rngKey(4));
    const nets = new TensorNetRuntime(m, weights);
    const c = compileModel(m, { nets });
    const B = 3;
    const q = point(c, B, 7);
    const w = Float64Array.from({ length: B * 2 }, (_, i) => Math.sin(i + 1));
    const lossWith = (ws: NetWeights) => {
      const cc = compileModel(m, { nets: new TensorNetRuntime(m, ws) });
      const out = new Float64Array(B * 2);
      cc.rhs(q.t, q.y, q.p, q.u, q.c, out, B);
      return out.reduce((s, v, i) => s + v * w[i], 0);
    };
    nets.zeroGradients();
    c.vjp(q.t, q.y, q.p, q.u, q.c, w, new Float64Array(B * 2), new Float64Array(B), B);
    const grads = nets.gradients();
    weights.H.forEach((layer, li) => {
      for (const part of ['w', 'b'] as const) {
        const base = layer[part];
        for (let idx = 0; idx < base.size; idx += 5) {
          const h = 1e-5;
          const shifted = (s: number): NetWeights => {
            const d = base.data.slice();
            d[idx] += s;
            const t = new Tensor(new NDArray(d, base.shape));
            return { H: weights.H.map((l, j) => (j === li ? { ...l, [part]: t } : l)) };
          };
          const fd = (lossWith(shifted(h)) - lossWith(shifted(-h))) / (2 * h);
          expect(Math.abs(grads.H[li][part].data[idx] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
        }
      }
    });
  });
});

describe('grad(H.e, x) in a model: gradients through the solver', () => {
  it('the discrete adjoint gradient of a trajectory loss w.r.t. weights and α equals finite differences', () => {
    const m = parseModel(HNN.replace('ACT', 'tanh'));
    const hm = new HybridModel(m, { method: dopri5(), controller: pid({ rtol: 1e-11, atol: 1e-12 }) });
    const params = hm.init(rngKey(6));
    const times = Float64Array.of(0.3, 0.7, 1.2, 2);
    const subjects: Subject[] = [0, 1].map((i) => ({
      id: `s${i}`,
      times,
      observations: Float64Array.from({ length: times.length * 2 }, (_, k) => Math.cos(k + i)),
      y0: Float64Array.of(0.8 - 0.5 * i, 0.3 * i),
    }));
    const ev = hm.evaluate(params, subjects, { loss: 'mse' });
    expect(ev.failure).toBeNull();
    expectDirectionalFd(
      (x: HybridParams) => hm.evaluate(x, subjects, { loss: 'mse', gradient: false }).value,
      ev.gradient!,
      params,
      [1, 2, 3],
      1e-6,
    );
  });
});

describe('grad(H.e, x) in a model: model variants and static networks', () => {
  it('keeps gradient calls through withResidual, and drops them with their network (mechanisticOnly, nullNetsModel)', () => {
    const m = parseModel(HNN.replace('ACT', 'tanh'));
    const r = withResidual(m);
    expect(r.calls.map((c) => c.gradOf)).toEqual([undefined, undefined, 0]);
    const weights = TensorNetRuntime.init(r, rngKey(3));
    const c0 = compileModel(m, { nets: new TensorNetRuntime(m, { H: weights.H }) });
    const c1 = compileModel(r, { nets: new TensorNetRuntime(r, weights) });
    const q = point(c0, 3, 2);
    const [a, b] = [new Float64Array(6), new Float64Array(6)];
    c0.rhs(q.t, q.y, q.p, q.u, q.c, a, 3);
    c1.rhs(q.t, q.y, q.p, q.u, q.c, b, 3);
    expect(Array.from(b)).toEqual(Array.from(a));
    for (const off of [mechanisticOnly(m), nullNetsModel(m)]) {
      const out = new Float64Array(2);
      const co = compileModel(off, off.nets.length > 0 ? { nets: runtime(off, 1) } : {});
      co.rhs(
        new Float64Array(1),
        Float64Array.of(0.5, 2),
        Float64Array.of(0.3),
        new Float64Array(0),
        new Float64Array(0),
        out,
        1,
      );
      expect(Array.from(out)).toEqual([0, -0.6]);
    }
  });

  it('differentiates the initial value of a static network gradient (grad of a parameter network)', () => {
    const m = parseModel(`
      param a = 0.4
      param s = 1.2
      state q = grad(P.k, a)
      net P(a, s) -> (k) : mlp(6, tanh)
      d/dt q = -s * q
    `);
    const nets = runtime(m, 5);
    const c = compileModel(m, { nets });
    const none = new Float64Array(0);
    const y0At = (p: Float64Array) => {
      const y0 = new Float64Array(1);
      c.initial(p, none, y0, 1);
      return y0;
    };
    const p0 = Float64Array.of(0.4, 1.2);
    const pBar = new Float64Array(2);
    c.initialVjp(p0, none, Float64Array.of(1), pBar, 1);
    for (let k = 0; k < 2; k++) {
      const fd = richardson((h) => y0At(p0.map((v, j) => (j === k ? v + h : v)))[0]);
      expect(Math.abs(pBar[k] - fd)).toBeLessThan(1e-9 * Math.max(1, Math.abs(fd)));
    }
    expect(Math.abs(pBar[0])).toBeGreaterThan(1e-6); // the second derivative ∂²P/∂a² is not 0
  });
});

describe('grad(H.e, x) in a model: fitted-model files', () => {
  it('reload to bit-identical predictions', () => {
    const text = HNN.replace('ACT', 'tanh');
    const spec = { method: 'dopri5', rtol: 1e-8, atol: 1e-10 } as const;
    const hm = new HybridModel(parseModel(text), hybridOptions(spec));
    const params = hm.init(rngKey(4));
    const doc = fittedModel(hm, params, {
      text,
      solver: spec,
      seed: 4,
      createdAt: '2026-11-23T00:00:00.000Z',
      data: { fingerprint: 'abc', subjects: 1 },
    });
    const { model, params: back } = loadFittedModel(JSON.parse(JSON.stringify(doc)), 'hnn.json');
    const subjects: Subject[] = [
      {
        id: 's',
        times: Float64Array.of(0.5, 1, 2),
        observations: new Float64Array(6).fill(Number.NaN),
        y0: Float64Array.of(0.7, -0.2),
      },
    ];
    const a = hm.predict(params, subjects)[0].observables;
    const b = model.predict(back, subjects)[0].observables;
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('grad(H.e, x) in a model: stiff solvers', () => {
  it('rodas5p (which uses the Jacobian, i.e. the Hessian of H) follows the dopri5 trajectory', () => {
    const m = parseModel(HNN.replace('ACT', 'tanh'));
    const c = compileModel(m, { nets: runtime(m, 8) });
    const field = modelField(c, { n: 2 });
    const y0 = Float64Array.of(1, 0, -0.5, 0.7);
    const p = Float64Array.of(0.3, 0.3);
    const opts = { t1: 3, params: p, controller: pid({ rtol: 1e-10, atol: 1e-12 }) };
    const a = solve(field, y0, { ...opts, method: dopri5() });
    const b = solve(field, y0, { ...opts, method: rodas5p() });
    expect(b.stats.njev).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect(Math.abs(a.yFinal[i] - b.yFinal[i])).toBeLessThan(1e-7);
  });
});

describe('grad(H.e, x) in a model: training', () => {
  it('a model-language HNN trained on ideal mass–spring data conserves its learned energy along rollouts', () => {
    const m = parseModel(`
      state q = 1
      state p = 0
      net H(q, p) -> (e) : mlp(16, 16, tanh)
      d/dt q = grad(H.e, p)
      d/dt p = -grad(H.e, q)
      obs qo = q ~ normal(0.1)
      obs po = p ~ normal(0.1)
    `);
    // Ideal mass–spring (H = (q² + p²)/2): q = r cos(t + φ), p = −r sin(t + φ).
    const times = Float64Array.from({ length: 8 }, (_, k) => 0.25 * (k + 1));
    const subjects: Subject[] = [0, 1, 2, 3, 4, 5].map((i) => {
      const r = 0.6 + 0.15 * i;
      const phi = 1.1 * i;
      const observations = new Float64Array(times.length * 2);
      times.forEach((t, k) => {
        observations[2 * k] = r * Math.cos(t + phi);
        observations[2 * k + 1] = -r * Math.sin(t + phi);
      });
      return { id: `s${i}`, times, observations, y0: Float64Array.of(r * Math.cos(phi), -r * Math.sin(phi)) };
    });
    const hm = new HybridModel(m, { method: dopri5(), controller: pid({ rtol: 1e-6, atol: 1e-8 }) });
    const start = hm.init(rngKey(11));
    const before = hm.evaluate(start, subjects, { loss: 'mse', gradient: false }).value;
    const result = train(hm, start, subjects, { optimizer: adam(1e-2), epochs: 300, loss: 'mse', seed: 0 });
    const after = hm.evaluate(result.params, subjects, { loss: 'mse', gradient: false }).value;
    expect(after).toBeLessThan(before / 500);

    // Rollouts of the learned field from new initial states, at a tight tolerance: H_θ is
    // constant along them to about the tolerance (the flow of a symplectic gradient conserves
    // its Hamiltonian; Runge–Kutta keeps it to the local error).
    const nets = new TensorNetRuntime(m, result.params.nets);
    const c = compileModel(m, { nets });
    const y0 = Float64Array.of(1.1, 0, 0.4, 0.5, -0.7, 0.2);
    const sampleTimes = Float64Array.from({ length: 41 }, (_, k) => 0.25 * k);
    const sol = solve(modelField(c, { n: 3 }), y0, {
      method: dopri5(),
      t1: 10,
      controller: pid({ rtol: 1e-11, atol: 1e-12 }),
      saveat: saveAt.times(sampleTimes),
    });
    const T = sampleTimes.length;
    const energy = new Float64Array(3 * T);
    const states = new Float64Array(3 * T * 2);
    sol.ys.forEach((ys, b) => {
      states.set(ys, b * T * 2);
    });
    nets.forward(0, states, 3 * T, energy);
    let drift = 0;
    let spread = 0;
    for (let b = 0; b < 3; b++) {
      const e0 = energy[b * T];
      for (let k = 0; k < T; k++) drift = Math.max(drift, Math.abs(energy[b * T + k] - e0));
      spread = Math.max(spread, Math.abs(energy[b * T] - energy[0]));
    }
    expect(drift).toBeLessThan(1e-9);
    expect(spread).toBeGreaterThan(1e-3); // H_θ is not a constant function
  });
});
