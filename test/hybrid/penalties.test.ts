import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { objective } from '../../src/hybrid/objective.js';
import { groupLassoPenalty, groupWhere, l1Penalty, l2Penalty } from '../../src/hybrid/penalties.js';
import { l2Weights, type Regularizer } from '../../src/hybrid/regularizers.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { adam } from '../../src/optim/adam.js';
import { proximalL1 } from '../../src/optim/proximal.js';
import { chain } from '../../src/optim/transform.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { axpyTree, direction, expectDirectionalFd } from './treeFd.js';

const model = parseModel(`
  param k  = 0.5 in [0.01, 10] scale log
  param V  = 2 in [0.1, 100] scale log
  param s  = 0.1 fixed
  state x = 1
  net F(x) -> (a) : mlp(3, tanh)
  net G(x, t) -> (b) : mlp(2, 2, tanh)
  d/dt x = -k*x + F.a + G.b
  obs y = x / V ~ normal(s)
`);
const hm = new HybridModel(model, { method: dopri5(), controller: pid({ rtol: 1e-11, atol: 1e-12 }) });
/** A point away from 0 so |θ| and ‖θ_g‖ are smooth there. */
const params: HybridParams = axpyTree(hm.init(rngKey(1)), 1, direction(hm.init(), 7));

function penaltyAndGrad(reg: Regularizer, p: HybridParams): [number, HybridParams] {
  const [v, g] = valueAndGrad((q: HybridParams) => reg.penalty(q))(p);
  return [v.item(), g];
}

describe('parameter-group penalties', () => {
  it('equal their closed forms on each kind of group', () => {
    const z = params.mech.data;
    const l2k = l2Penalty(hm, { mech: ['k'] }, 0.3);
    expect(penaltyAndGrad(l2k, params)[0]).toBeCloseTo(0.3 * z[0] ** 2, 14);
    const l2c = l2Penalty(hm, { mech: ['*'] }, 0.3, { center: 'default' });
    const z0 = [Math.log(0.5), Math.log(2)];
    expect(penaltyAndGrad(l2c, params)[0]).toBeCloseTo(0.3 * ((z[0] - z0[0]) ** 2 + (z[1] - z0[1]) ** 2), 14);
    const w = params.nets.G[1].w.data;
    const l1 = l1Penalty(hm, { net: 'G', layer: 1 }, 2);
    expect(penaltyAndGrad(l1, params)[0]).toBeCloseTo(2 * w.reduce((a, v) => a + Math.abs(v), 0), 13);
    const all = treeLeaves(params.nets.F).reduce((a, t) => a + t.data.reduce((b, v) => b + v * v, 0), 0);
    expect(penaltyAndGrad(l2Penalty(hm, { net: 'F', biases: true }, 1), params)[0]).toBeCloseTo(all, 13);
    // { net } without biases equals the existing l2Weights restricted to that network.
    const onlyWeights = params.nets.F.reduce((a, l) => a + l.w.data.reduce((b, v) => b + v * v, 0), 0);
    expect(penaltyAndGrad(l2Penalty(hm, { net: 'F' }, 1), params)[0]).toBeCloseTo(onlyWeights, 13);
    const both = penaltyAndGrad(l2Penalty(hm, [{ net: 'F' }, { net: 'G' }], 1), params)[0];
    expect(both).toBeCloseTo(penaltyAndGrad(l2Weights(1), params)[0], 12);
    const gl = groupLassoPenalty(hm, [{ path: 'nets.F[0].w' }, [{ mech: ['k'] }, { mech: ['V'] }]], 0.5);
    const nF = Math.hypot(...params.nets.F[0].w.data);
    const nM = Math.hypot(z[0], z[1]);
    expect(penaltyAndGrad(gl, params)[0]).toBeCloseTo(0.5 * (Math.sqrt(3) * nF + Math.sqrt(2) * nM), 10); // ε = 1e-12 per group
  });

  it('have gradients equal to finite differences', () => {
    const regs = [
      l2Penalty(hm, { mech: ['V'] }, 0.7, { center: 'default' }),
      l1Penalty(hm, [{ net: 'G', layer: 0, biases: true }, { mech: ['k'] }], 0.2),
      groupLassoPenalty(hm, [{ net: 'F' }, { net: 'G', layer: -1 }, { mech: ['*'] }], 0.4),
    ];
    for (const reg of regs) {
      const [, g] = penaltyAndGrad(reg, params);
      expectDirectionalFd((p) => penaltyAndGrad(reg, p)[0], g, params, [1, 2, 3], 1e-8);
    }
  });

  it('have a finite zero gradient on a group that is exactly zero', () => {
    const zeroed: HybridParams = {
      ...params,
      nets: {
        ...params.nets,
        F: params.nets.F.map((l) => ({ w: new Tensor(NDArray.zeros(l.w.shape)), b: l.b })),
      },
    };
    const [, g] = penaltyAndGrad(groupLassoPenalty(hm, [{ net: 'F' }], 1), zeroed);
    for (const l of g.nets.F) for (const v of l.w.data) expect(v).toBe(0);
  });

  it('compose with the data loss in the objective (sum of values and gradients)', () => {
    const subjects: Subject[] = [
      { id: 'a', times: Float64Array.of(0.5, 1, 2), observations: Float64Array.of(0.3, 0.25, 0.2) },
    ];
    const regs = [l2Penalty(hm, { net: 'F' }, 0.1), l1Penalty(hm, { mech: ['k'] }, 0.05)];
    const plain = objective(hm, params, subjects, { loss: 'mse' });
    const withRegs = objective(hm, params, subjects, { loss: 'mse', regularizers: regs });
    const extra = regs.reduce((a, r) => a + penaltyAndGrad(r, params)[0], 0);
    expect(withRegs.value).toBeCloseTo(plain.value + extra, 12);
    expectDirectionalFd(
      (p) => objective(hm, p, subjects, { loss: 'mse', regularizers: regs }).value,
      withRegs.gradient!,
      params,
      [4, 5],
      1e-6,
    );
  });

  it('select the same leaves for the optimizer (proximal L1 zeros only that group)', () => {
    const where = groupWhere(hm, { net: 'G', layer: 0 });
    const lr = 0.1;
    const opt = chain(adam(lr), proximalL1(100, { lr, where }));
    const zeroGrad = axpyTree(params, -1, params);
    const { updates } = opt.update(zeroGrad, opt.init(params), params);
    const next = axpyTree(params, 1, treeUnflatten(params, treeLeaves(updates)));
    for (const v of next.nets.G[0].w.data) expect(v).toBe(0);
    expect(next.nets.G[1].w.data).toEqual(params.nets.G[1].w.data);
    expect(next.nets.F[0].w.data).toEqual(params.nets.F[0].w.data);
  });

  it('explain unknown or unusable groups', () => {
    expect(() => l2Penalty(hm, { mech: ['kk'] }, 1)).toThrow(/unknown parameter "kk".*k, V/);
    expect(() => l2Penalty(hm, { mech: ['s'] }, 1)).toThrow(/"s" is fixed/);
    expect(() => l1Penalty(hm, { net: 'H' }, 1)).toThrow(/unknown network "H".*F, G/);
    expect(() => l1Penalty(hm, { net: 'G', layer: 3 }, 1)).toThrow(/has 3 layers.*layer 3/);
    expect(() => l1Penalty(hm, { path: 'nets.F[9].w' }, 1)).toThrow(/not a leaf.*"nets.F\[0\].w"/);
    expect(() => l1Penalty(hm, { net: 'F' }, -1)).toThrow(/λ must be a finite number ≥ 0/);
    expect(() => groupWhere(hm, { mech: ['k'] })).toThrow(/cannot be chosen leaf by leaf/);
    expect(() => groupLassoPenalty(hm, [{ net: 'F' }], 1, { weights: [1, 2] })).toThrow(
      /one weight per group/,
    );
  });
});
