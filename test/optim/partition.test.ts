import { describe, expect, it } from 'vitest';
import type { Tree } from '../../src/autodiff/tree.js';
import { adam } from '../../src/optim/adam.js';
import { leafPaths } from '../../src/optim/leaves.js';
import { freeze, hybridParamLabel, maskedTransform, partition } from '../../src/optim/partition.js';
import { proximalGroupLasso } from '../../src/optim/proximal.js';
import { addDecayedWeights, scale, setToZero } from '../../src/optim/scale.js';
import { sgd } from '../../src/optim/sgd.js';
import { chain } from '../../src/optim/transform.js';
import { fill, flat, t } from './helpers.js';

/** A HybridParams-shaped tree: mech, two networks, shooting nodes. */
const params = {
  mech: t([0.1, 0.2]),
  nets: {
    F: [
      { w: t([1, 2, 3, 4, 5, 6], [3, 2]), b: t([0, 0, 0]) },
      { w: t([1, 1, 1], [1, 3]), b: t([0]) },
    ],
    G: [{ w: t([2, 2], [1, 2]), b: t([1]) }],
  },
  shooting: { s1: t([5, 6]) },
};
const N = flat(params).length;

describe('leaf paths', () => {
  it('are dotted with bracketed indices', () => {
    expect(leafPaths(params)).toEqual([
      'mech',
      'nets.F[0].w',
      'nets.F[0].b',
      'nets.F[1].w',
      'nets.F[1].b',
      'nets.G[0].w',
      'nets.G[0].b',
      'shooting.s1',
    ]);
    expect(leafPaths(t([1]))).toEqual(['']);
    expect(leafPaths([t([1]), { a: t([1]) }])).toEqual(['[0]', '[1].a']);
  });
});

describe('partition', () => {
  it('routes each leaf to its group with its own hyperparameters and state', () => {
    const opt = partition(hybridParamLabel, { mech: scale(10), nets: scale(-1), shooting: setToZero() });
    const g = fill(params, new Array(N).fill(1));
    const r = opt.update(g, opt.init(params), params);
    const u = r.updates as typeof params;
    expect(flat(u.mech)).toEqual([10, 10]);
    expect(flat(u.nets)).toEqual(new Array(flat(params.nets).length).fill(-1));
    expect(flat(u.shooting)).toEqual([0, 0]);
    expect(r.state.labels).toEqual(['mech', 'nets', 'nets', 'nets', 'nets', 'nets', 'nets', 'shooting']);
  });

  it('equals running each optimizer on its own leaves', () => {
    const opt = partition(hybridParamLabel, {
      mech: adam(1e-1),
      nets: sgd(1e-2, { momentum: 0.9 }),
      shooting: adam(1e-3),
    });
    const mechOnly = adam(1e-1);
    const netsOnly = sgd(1e-2, { momentum: 0.9 });
    let s = opt.init(params);
    let sm = mechOnly.init(params.mech);
    let sn = netsOnly.init(params.nets);
    for (let k = 0; k < 3; k++) {
      const g = fill(
        params,
        Array.from({ length: N }, (_, i) => Math.cos(i + k)),
      );
      const r = opt.update(g, s, params);
      const rm = mechOnly.update(g.mech, sm, params.mech);
      const rn = netsOnly.update(g.nets, sn, params.nets);
      const u = r.updates as typeof params;
      expect(flat(u.mech)).toEqual(flat(rm.updates));
      expect(flat(u.nets)).toEqual(flat(rn.updates));
      s = r.state;
      sm = rm.state;
      sn = rn.state;
    }
  });

  it('passes the context and keeps paths for path-based inner transforms', () => {
    const lasso = proximalGroupLasso(1, [{ path: 'nets.F[0].w', axis: 1 }], { lr: 1 });
    const opt = partition(hybridParamLabel, { mech: setToZero(), nets: lasso, shooting: setToZero() });
    const zero = fill(params, new Array(N).fill(0));
    // Threshold lr·s·λ·√3 with s = 0.1: column norms of F[0].w are √35 and √56, both above.
    const r = opt.update(zero, opt.init(params), params, { lrScale: 0.1 });
    const w = (r.updates as typeof params).nets.F[0].w;
    const c0 = Math.sqrt(1 + 9 + 25);
    expect(w.data[0]).toBeCloseTo(-(0.1 * Math.sqrt(3)) / c0, 15);
  });

  it('rejects a label with no transformation, naming leaf and labels', () => {
    const opt = partition(hybridParamLabel, { mech: adam(1e-2), nets: adam(1e-3) });
    expect(() => opt.init(params)).toThrow(
      /labelOf gave "shooting" for leaf "shooting.s1", but the transformations are labelled "mech", "nets"/,
    );
    expect(() => hybridParamLabel('other.x')).toThrow(/not in a HybridParams tree/);
    const bad = partition(() => 'x', { x: adam(1) });
    const s = bad.init(params);
    expect(() => bad.update({ a: t([1]) }, s, { a: t([1]) })).toThrow(/call init again/);
  });

  it('allows labels without leaves', () => {
    const opt = partition(hybridParamLabel, { mech: adam(1e-2), nets: adam(1e-3), shooting: adam(1) });
    const p: Tree = { mech: t([1]), nets: {}, shooting: {} };
    const r = opt.update({ mech: t([1]), nets: {}, shooting: {} }, opt.init(p), p);
    expect(flat(r.updates)[0]).toBeCloseTo(-1e-2, 8);
  });
});

describe('masks', () => {
  it('maskedTransform applies the inner transformation only where chosen', () => {
    const isWeight = (path: string): boolean => path.endsWith('.w');
    const opt = chain(maskedTransform(isWeight, addDecayedWeights(1)), scale(1));
    const g = fill(params, new Array(N).fill(0));
    const u = opt.update(g, opt.init(params), params).updates as typeof params;
    expect(flat(u.nets.F[0].w)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(flat(u.nets.F[0].b)).toEqual([0, 0, 0]);
    expect(flat(u.mech)).toEqual([0, 0]);
  });

  it('freeze zeroes the chosen leaves after the optimizer', () => {
    const opt = chain(
      adam(1e-2),
      freeze((path) => path === 'mech'),
    );
    const g = fill(params, new Array(N).fill(1));
    const u = opt.update(g, opt.init(params), params).updates as typeof params;
    expect(flat(u.mech)).toEqual([0, 0]);
    expect(flat(u.shooting).every((v) => Math.abs(v + 1e-2) < 1e-9)).toBe(true);
  });
});
