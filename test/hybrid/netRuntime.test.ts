/**
 * Networks on the tensor path inside compiled models: derivatives through the three phases
 * against finite differences, and the weights' gradients.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { compileModel } from '../../src/expr/compile.js';
import { ExprFactory } from '../../src/expr/ir.js';
import { type MlpArchitecture, Model } from '../../src/expr/model.js';
import { type DenseLayer, type NetWeights, TensorNetRuntime } from '../../src/hybrid/netRuntime.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { checkDerivatives, point } from '../support/model.js';

/** x' = −k·x + F.a, y' = G(F.b, y).c · x with F a tanh MLP and G a GELU MLP. */
function model(): Model {
  const f = new ExprFactory();
  const [x, y] = [f.state(0), f.state(1)];
  const k = f.param(0);
  const tanhArch: MlpArchitecture = { kind: 'mlp', hidden: [8], activation: 'tanh' };
  const geluArch: MlpArchitecture = { kind: 'mlp', hidden: [6, 5], activation: 'gelu' };
  const fIn = [x, f.mul(k, y)];
  const gIn = [f.netOut(0, 1), y];
  return new Model({
    name: 'hybrid',
    factory: f,
    params: [{ name: 'k', value: 0.7, lower: 0, upper: 10, scale: 'lin', fixed: false }],
    states: [
      { name: 'x', initial: f.constant(1) },
      { name: 'y', initial: f.constant(0) },
    ],
    inputs: [],
    covariates: [],
    derived: [],
    nets: [
      { name: 'F', inputs: fIn, outputs: ['a', 'b'], architecture: tanhArch },
      { name: 'G', inputs: gIn, outputs: ['c'], architecture: geluArch },
    ],
    calls: [
      { net: 0, inputs: fIn },
      { net: 1, inputs: gIn },
    ],
    equations: [f.add(f.neg(f.mul(k, x)), f.netOut(0, 0)), f.mul(f.netOut(1, 0), x)],
    observables: [],
    doses: [],
  });
}

describe('TensorNetRuntime', () => {
  const m = model();
  const weights = TensorNetRuntime.init(m, rngKey(3));
  const nets = new TensorNetRuntime(m, weights);
  const c = compileModel(m, { nets });

  it('gives Jacobian, VJP and JVP that agree with finite differences through MLPs', () => {
    for (const B of [1, 5]) for (let seed = 1; seed < 4; seed++) checkDerivatives(c, B, seed);
  });

  it('accumulates weight gradients equal to finite differences', () => {
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
    for (const name of ['F', 'G']) {
      weights[name].forEach((layer, li) => {
        for (const part of ['w', 'b'] as const) {
          const base = layer[part];
          for (const idx of [0, base.size - 1]) {
            const h = 1e-6;
            const shifted = (s: number): NetWeights => {
              const d = base.data.slice();
              d[idx] += s;
              const t = new Tensor(new NDArray(d, base.shape));
              const layers: DenseLayer[] = weights[name].map((l, j) => (j === li ? { ...l, [part]: t } : l));
              return { ...weights, [name]: layers };
            };
            const fd = (lossWith(shifted(h)) - lossWith(shifted(-h))) / (2 * h);
            expect(grads[name][li][part].data[idx]).toBeCloseTo(fd, 7);
          }
        }
      });
    }
  });

  it('validates weight shapes', () => {
    expect(() => new TensorNetRuntime(m, { ...weights, F: weights.F.slice(0, 1) })).toThrow(
      /"F" needs 2 layers, got 1/,
    );
  });
});
