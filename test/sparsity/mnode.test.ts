import { describe, expect, it } from 'vitest';
import { add, mul } from '../../src/autodiff/ops/binary.js';
import { Tensor, tensor } from '../../src/autodiff/tensor.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { condense, structureGraph } from '../../src/sparsity/graph.js';
import {
  type ForecastSet,
  forecastMse,
  forecastTensors,
  type MnodeParams,
  mnode,
  networkSquaredNorm,
  subsetForecast,
} from '../../src/sparsity/mnode.js';
import { rngKey } from '../../src/tensor/random.js';

/** A small random forecast set: 2 observed states? one observed, two inputs. */
function randomSet(n: number, hist: number, horizon: number, seed: number): ForecastSet {
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const nObs = 1;
  const nIn = 2;
  return {
    observed: ['y'],
    inputs: ['u1', 'u2'],
    n,
    historyLength: hist,
    horizon,
    history: Float64Array.from({ length: n * hist * (nObs + nIn) }, r),
    future: Float64Array.from({ length: n * horizon * nIn }, r),
    target: Float64Array.from({ length: n * horizon * nObs }, r),
  };
}

const graph = condense(
  structureGraph({
    states: ['a', 'b', 'c', 'y'],
    inputs: ['u1', 'u2'],
    edges: [
      ['u1', 'a'],
      ['a', 'b'],
      ['b', 'a'],
      ['u2', 'c'],
      ['c', 'y'],
      ['b', 'y'],
      ['y', 'y'],
    ],
    observed: ['y'],
  }),
);

describe('mnode', () => {
  const model = mnode(graph, ['y'], { hidden: [5], encoderHidden: 4, substeps: 2, dt: 0.5 });
  const set = randomSet(3, 4, 3, 7);
  const batch = forecastTensors(set);

  it('lays out super-nodes and forecasts [n, horizon, nObs]', () => {
    expect(model.nodes.map((n) => n.name)).toEqual(['a+b', 'c', 'y']);
    expect(model.stateDim).toBe(4);
    // a+b reads u1 and itself (two columns, one edge weight).
    expect(Array.from(model.nodes[0].columnEdge)).toEqual([0, 1, 1]);
    const p = model.init(rngKey(1));
    expect(model.forecast(p, batch).shape).toEqual([3, 3, 1]);
  });

  it('gradients of MSE + λ2‖θ‖² match central finite differences', () => {
    const base = model.init(rngKey(2));
    // Perturb edge weights away from 1 so that their gradients are generic.
    const params: MnodeParams = {
      ...base,
      w: base.w.map((w, i) =>
        tensor(
          w.data.map((x, j) => x + 0.1 * (i + 1) - 0.05 * j),
          w.shape,
        ),
      ),
    };
    const loss = (p: MnodeParams) =>
      add(forecastMse(model.forecast(p, batch), batch), mul(networkSquaredNorm(p), 0.01));
    const [, g] = valueAndGrad(loss)(params);
    const leaves = treeLeaves(params);
    const gl = treeLeaves(g);
    const eps = 1e-6;
    let checked = 0;
    leaves.forEach((leaf, li) => {
      const stride = Math.max(1, Math.floor(leaf.size / 3));
      for (let j = 0; j < leaf.size; j += stride) {
        const at = (delta: number) => {
          const d = leaf.data.slice();
          d[j] += delta;
          const moved = leaves.map((l, k) => (k === li ? tensor(d, l.shape) : l));
          return loss(treeUnflatten(params, moved)).item();
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        expect(gl[li].data[j]).toBeCloseTo(fd, 6);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(20);
  });

  it('a zero edge weight cuts the edge: the forecast no longer depends on its source', () => {
    const p = model.init(rngKey(3));
    const c = model.nodes.findIndex((n) => n.name === 'c');
    const wC = p.w[c].data.slice();
    wC[model.nodes[c].incoming.findIndex((e) => e.from === 'u2')] = 0;
    const y = model.nodes.findIndex((n) => n.name === 'y');
    const wY = p.w[y].data.slice();
    const cut: MnodeParams = { ...p, w: p.w.map((w, i) => (i === c ? tensor(wC, w.shape) : w)) };
    const moved = { ...set, future: set.future.map((v, i) => (i % 2 === 1 ? v + 5 : v)) };
    const base = cut.w[y].data;
    expect(Array.from(base)).toEqual(Array.from(wY));
    // With u2 → c cut, changing u2 in the future changes nothing in the forecast.
    const a = model.forecast(cut, forecastTensors(set)).data;
    const b = model.forecast(cut, forecastTensors(moved)).data;
    expect(Array.from(b)).toEqual(Array.from(a));
    // With the edge present it does.
    const a2 = model.forecast(p, forecastTensors(set)).data;
    const b2 = model.forecast(p, forecastTensors(moved)).data;
    expect(Array.from(b2)).not.toEqual(Array.from(a2));
  });

  it('RK4 gradients match finite differences too', () => {
    const rk = mnode(graph, ['y'], { hidden: [3], encoderHidden: 3, method: 'rk4', dt: 0.5 });
    const params = rk.init(rngKey(4));
    const loss = (p: MnodeParams) => forecastMse(rk.forecast(p, batch), batch);
    const [, g] = valueAndGrad(loss)(params);
    const leaves = treeLeaves(params);
    const gl = treeLeaves(g);
    const eps = 1e-6;
    leaves.forEach((leaf, li) => {
      const j = leaf.size - 1;
      const at = (delta: number) => {
        const d = leaf.data.slice();
        d[j] += delta;
        return loss(
          treeUnflatten(
            params,
            leaves.map((l, k) => (k === li ? tensor(d, l.shape) : l)),
          ),
        ).item();
      };
      expect(gl[li].data[j]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 6);
    });
  });

  it('Euler converges at order 1 and RK4 at order 4 in the step', () => {
    const base = { hidden: [4], encoderHidden: 3, dt: 1 };
    const p = mnode(graph, ['y'], base).init(rngKey(6));
    // Larger dynamics so that the discretization error is well above rounding.
    const big: MnodeParams = {
      ...p,
      f: p.f.map((f) => {
        const last = f['2'] as { weight: Tensor; bias: Tensor };
        return {
          ...f,
          '2': {
            weight: tensor(
              last.weight.data.map((x) => 20 * x),
              last.weight.shape,
            ),
            bias: last.bias,
          },
        };
      }),
    };
    const run = (method: 'euler' | 'rk4', substeps: number) =>
      mnode(graph, ['y'], { ...base, method, substeps }).forecast(big, batch).data;
    const ref = run('rk4', 256);
    const err = (y: Float64Array) => Math.max(...y.map((v, i) => Math.abs(v - ref[i])));
    const orderOf = (method: 'euler' | 'rk4', s: number) =>
      Math.log2(err(run(method, s)) / err(run(method, 2 * s)));
    expect(orderOf('euler', 16)).toBeCloseTo(1, 0);
    expect(orderOf('rk4', 4)).toBeCloseTo(4, 0);
  });

  it('subsets windows and rejects unknown options', () => {
    const sub = subsetForecast(set, [2, 0]);
    expect(sub.n).toBe(2);
    expect(Array.from(sub.target.subarray(0, 3))).toEqual(Array.from(set.target.subarray(6, 9)));
    // @ts-expect-error unknown option
    expect(() => mnode(graph, ['y'], { hiden: [3] })).toThrow(/unknown option "hiden"/);
    expect(() => mnode(graph, ['q'])).toThrow(/observed state "q"/);
    expect(batch.history).toBeInstanceOf(Tensor);
  });
});
