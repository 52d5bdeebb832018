/**
 * Networks in initial values ("ML first" initial states): allowed when their inputs are
 * static (parameters, covariates, numbers, outputs of such networks), rejected otherwise
 * with the position; compiled initial values and their VJP (through the network weights)
 * equal direct evaluation and finite differences.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { compileModel } from '../../src/expr/compile.js';
import { ModelError } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { applyMlp, TensorNetRuntime } from '../../src/hybrid/netRuntime.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { richardson } from '../support/fd.js';
import { errorOf } from '../support/syntax.js';

const text = `
  param A0 = 50 in [0, 1000]
  covariate WT = 70
  covariate AGE = 40
  net E(WT/70, AGE/40) -> (a, b) : mlp(5, tanh)
  net G(E.a, A0) -> (g) : mlp(3, tanh)
  let start = A0 * exp(E.a)
  state gut = start
  state central = G.g + 0.5 * E(AGE/40, WT/70).b
  state x = 1
  net F(x, t) -> (f) : mlp(3, tanh)
  d/dt gut = -gut
  d/dt central = gut - central + F.f
  d/dt x = -x
  obs c = central ~ normal(1)
`;

describe('networks in initial values', () => {
  const m = parseModel(text);
  const weights = TensorNetRuntime.init(m, rngKey(4));
  const nets = new TensorNetRuntime(m, weights);
  const c = compileModel(m, { nets });
  const B = 3;
  const p = Float64Array.from({ length: B }, (_, b) => 40 + 5 * b);
  const cov = Float64Array.from({ length: 2 * B }, (_, i) => (i % 2 === 0 ? 60 + 10 * i : 30 + 3 * i));

  it('parse when the networks are static and evaluate like the networks themselves', () => {
    const y0 = new Float64Array(B * 3);
    c.initial(p, cov, y0, B);
    const arch = m.nets[0].architecture;
    for (let b = 0; b < B; b++) {
      const wt = cov[2 * b];
      const age = cov[2 * b + 1];
      const e = applyMlp(
        weights.E,
        arch,
        new Tensor(new NDArray(Float64Array.of(wt / 70, age / 40), [1, 2])),
      ).data;
      const e2 = applyMlp(
        weights.E,
        arch,
        new Tensor(new NDArray(Float64Array.of(age / 40, wt / 70), [1, 2])),
      ).data;
      const g = applyMlp(
        weights.G,
        m.nets[1].architecture,
        new Tensor(new NDArray(Float64Array.of(e[0], p[b]), [1, 2])),
      ).data;
      expect(y0[b * 3]).toBeCloseTo(p[b] * Math.exp(e[0]), 12);
      expect(y0[b * 3 + 1]).toBeCloseTo(g[0] + 0.5 * e2[1], 12);
      expect(y0[b * 3 + 2]).toBe(1);
    }
  });

  it('have a VJP equal to finite differences in the parameters and the network weights', () => {
    const y0Bar = Float64Array.from({ length: B * 3 }, (_, i) => Math.sin(i + 1));
    const pBar = new Float64Array(B);
    nets.setWeights(weights);
    nets.zeroGradients();
    c.initialVjp(p, cov, y0Bar, pBar, B);
    const value = (pp: Float64Array) => {
      const y = new Float64Array(B * 3);
      c.initial(pp, cov, y, B);
      return y.reduce((s, v, i) => s + v * y0Bar[i], 0);
    };
    for (let b = 0; b < B; b++) {
      const fd = richardson((h) => {
        const q = p.slice();
        q[b] += h;
        return value(q);
      }, 1e-3);
      expect(pBar[b]).toBeCloseTo(fd, 7);
    }
    const grads = nets.gradients();
    for (const name of ['E', 'G']) {
      const layer = weights[name][0];
      for (const j of [0, 3]) {
        const fd = richardson((h) => {
          const w = layer.w.data.slice();
          w[j] += h;
          const moved = {
            ...weights,
            [name]: [{ w: new Tensor(new NDArray(w, layer.w.shape)), b: layer.b }, ...weights[name].slice(1)],
          };
          nets.setWeights(moved);
          return value(p);
        }, 1e-4);
        nets.setWeights(weights);
        expect(grads[name][0].w.data[j]).toBeCloseTo(fd, 7);
      }
    }
    // F (a network of states and time) gets no gradient from the initial values.
    expect(grads.F[0].w.data.every((v) => v === 0)).toBe(true);
  });

  it('on a subset of rows give the rows of the full batch', () => {
    const full = new Float64Array(B * 3);
    c.initial(p, cov, full, B);
    const some = new Float64Array(B * 3).fill(-7);
    c.initial(p, cov, some, 1, Int32Array.of(2));
    expect(Array.from(some.subarray(6, 9))).toEqual(Array.from(full.subarray(6, 9)));
    expect(some[0]).toBe(-7);
  });

  it('are rejected, at the use, when a network depends on states, inputs or t', () => {
    const direct = 'state x = 0\nnet F(x) -> (a) : mlp(tanh)\nstate y = F.a\nd/dt x = 0\nd/dt y = 0';
    const e1 = errorOf(direct);
    expect(e1.message).toMatch(/state "y" depends on network "F", whose inputs depend on state "x"/);
    expect(e1.loc).toEqual({ line: 3, column: 11 });
    const viaLet = 'input u\nnet F(2*u) -> (a) : mlp(tanh)\nlet r = F.a + 1\nstate y = r\nd/dt y = 0';
    const e2 = errorOf(viaLet);
    expect(e2.message).toMatch(/network "F", whose inputs depend on input "u"/);
    expect(e2.loc?.line).toBe(4);
    const chained =
      'covariate W = 1\nnet F(t) -> (a) : mlp(tanh)\nnet G(W, F.a) -> (b) : mlp(tanh)\nstate y = G.b\nd/dt y = 0';
    expect(errorOf(chained).message).toMatch(/network "G", whose inputs depend on the time t/);
    expect(errorOf(chained)).toBeInstanceOf(ModelError);
  });
});
