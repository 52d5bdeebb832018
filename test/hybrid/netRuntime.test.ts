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

/** x' = −P.k·x + u with P a parameter network of the covariate `weight` and parameter s. */
function paramNetModel(): Model {
  const f = new ExprFactory();
  const x = f.state(0);
  const pIn = [f.covariate(0), f.mul(f.param(0), f.constant(0.5))];
  return new Model({
    name: 'paramnet',
    factory: f,
    params: [{ name: 's', value: 1, lower: -10, upper: 10, scale: 'lin', fixed: false }],
    states: [{ name: 'x', initial: f.constant(1) }],
    inputs: [{ name: 'u', interpolation: 'step' }],
    covariates: [{ name: 'weight', defaultValue: 70 }],
    derived: [],
    nets: [
      {
        name: 'P',
        inputs: pIn,
        outputs: ['k'],
        architecture: { kind: 'mlp', hidden: [4], activation: 'tanh' },
      },
    ],
    calls: [{ net: 0, inputs: pIn }],
    equations: [f.add(f.neg(f.mul(f.netOut(0, 0), x)), f.input(0))],
    observables: [],
    doses: [],
  });
}

describe('parameter networks (per-subject, cached)', () => {
  const m = paramNetModel();
  const inner = new TensorNetRuntime(m, TensorNetRuntime.init(m, rngKey(9)));
  let forwards = 0;
  const counting = {
    forward: (...a: Parameters<TensorNetRuntime['forward']>) => {
      forwards++;
      inner.forward(...a);
    },
    backward: inner.backward.bind(inner),
    jacobian: inner.jacobian.bind(inner),
    get version() {
      return inner.version;
    },
  };
  const c = compileModel(m, { nets: counting });

  it('evaluates a parameter network once per subject, again when p, c or the weights change', () => {
    const q = point(c, 4, 1);
    const out = new Float64Array(4);
    forwards = 0;
    for (let i = 0; i < 5; i++)
      c.rhs(
        q.t.map((v) => v + i),
        q.y,
        q.p,
        q.u,
        q.c,
        out,
        4,
      );
    expect(forwards).toBe(1);
    const first = out.slice();
    const p2 = q.p.slice();
    p2[2] += 0.1;
    c.rhs(q.t, q.y, p2, q.u, q.c, out, 4);
    expect(forwards).toBe(2);
    expect(out[2]).not.toBe(first[2]);
    inner.setWeights(TensorNetRuntime.init(m, rngKey(10)));
    c.rhs(q.t, q.y, p2, q.u, q.c, out, 4);
    expect(forwards).toBe(3);
  });

  it('differentiates through the cached network to parameters', () => {
    for (const B of [1, 3]) for (let seed = 1; seed < 4; seed++) checkDerivatives(c, B, seed);
  });
});

describe('evaluating a subset of rows', () => {
  it('gives the full-batch results on the listed rows and leaves the others alone', () => {
    for (const m of [model(), paramNetModel()]) {
      const nets = new TensorNetRuntime(m, TensorNetRuntime.init(m, rngKey(2)));
      const c = compileModel(m, { nets });
      const N = 6;
      const q = point(c, N, 4);
      const full = new Float64Array(N * c.dim);
      c.rhs(q.t, q.y, q.p, q.u, q.c, full, N);
      const rows = Int32Array.from([4, 1, 5]);
      const part = new Float64Array(N * c.dim).fill(7);
      c.rhs(q.t, q.y, q.p, q.u, q.c, part, rows.length, rows);
      for (let b = 0; b < N; b++) {
        for (let i = 0; i < c.dim; i++) {
          const want = rows.includes(b) ? full[b * c.dim + i] : 7;
          expect(part[b * c.dim + i]).toBe(want);
        }
      }
      // VJP on the subset equals the full VJP on those rows.
      const w = Float64Array.from({ length: N * c.dim }, (_, i) => Math.cos(i));
      const yb = new Float64Array(N * c.dim);
      const pb = new Float64Array(N * c.nParams);
      c.vjp(q.t, q.y, q.p, q.u, q.c, w, yb, pb, N);
      const yb2 = new Float64Array(N * c.dim);
      const pb2 = new Float64Array(N * c.nParams);
      c.vjp(q.t, q.y, q.p, q.u, q.c, w, yb2, pb2, rows.length, rows);
      for (const b of rows) {
        for (let i = 0; i < c.dim; i++) expect(yb2[b * c.dim + i]).toBeCloseTo(yb[b * c.dim + i], 14);
        for (let k = 0; k < c.nParams; k++)
          expect(pb2[b * c.nParams + k]).toBeCloseTo(pb[b * c.nParams + k], 14);
      }
    }
  });

  it('rejects negative rows', () => {
    const m = model();
    const c = compileModel(m, { nets: new TensorNetRuntime(m, TensorNetRuntime.init(m, rngKey(2))) });
    const z = new Float64Array(4);
    expect(() => c.rhs(z, z, z, z, z, z, 1, Int32Array.from([-1]))).toThrow(
      /row -1 at position 0 is negative/,
    );
  });
});
