import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { pkTwoCompartmentModel } from '../../src/models/index.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { maxRelErr, richardson, testRng } from '../support/fd.js';

const tight = pid({ rtol: 1e-11, atol: 1e-12 });

/** Random unit-scale direction over every leaf of a tree. */
function direction(params: HybridParams, seed: number): HybridParams {
  const rng = testRng(seed);
  return treeUnflatten(
    params,
    treeLeaves(params).map(
      (t) =>
        new Tensor(
          new NDArray(
            Float64Array.from(t.data, () => rng() - 0.5),
            t.shape,
          ),
        ),
    ),
  );
}

function axpyTree(x: HybridParams, s: number, d: HybridParams): HybridParams {
  const dl = treeLeaves(d);
  return treeUnflatten(
    x,
    treeLeaves(x).map(
      (t, i) =>
        new Tensor(
          new NDArray(
            t.data.map((v, j) => v + s * dl[i].data[j]),
            t.shape,
          ),
        ),
    ),
  );
}

function dotTree(a: HybridParams, b: HybridParams): number {
  const bl = treeLeaves(b);
  return treeLeaves(a).reduce((s, t, i) => s + t.data.reduce((u, v, j) => u + v * bl[i].data[j], 0), 0);
}

/** Directional derivative of the loss by finite differences vs the gradient's projection. */
function checkDirectional(
  hm: HybridModel,
  params: HybridParams,
  subjects: Subject[],
  opts: object,
  seed: number,
) {
  const ev = hm.evaluate(params, subjects, opts);
  expect(ev.failure).toBeNull();
  const d = direction(params, seed);
  const fd = richardson(
    (s) => hm.evaluate(axpyTree(params, s, d), subjects, { ...opts, gradient: false }).value,
    1e-4,
  );
  const an = dotTree(ev.gradient!, d);
  return { an, fd };
}

const pkSubjects = (): Subject[] => {
  const times = Float64Array.of(0.5, 1, 2, 4, 6, 8, 12, 16, 24);
  const obs = (scale: number) =>
    Float64Array.from(times, (t, i) => (i === 3 ? Number.NaN : scale * (1 + 0.3 * Math.sin(t))));
  return [
    {
      id: 'a',
      times,
      observations: obs(2),
      doses: [
        { time: 0, route: 'oral', amount: 100 },
        { time: 12, route: 'oral', amount: 80 },
      ],
    },
    {
      id: 'b',
      times,
      observations: obs(1.5),
      doses: [{ time: 1, route: 'iv', rate: 50, duration: 2 }],
    },
  ];
};

describe('HybridModel: mechanistic PK with doses', () => {
  const model = pkTwoCompartmentModel();
  it('gives the NLL gradient of the adjoint, equal to finite differences and to forward sensitivities', () => {
    const adj = new HybridModel(model, { method: dopri5(), controller: tight });
    const fwd = new HybridModel(model, { method: dopri5(), controller: tight, sensitivity: 'forward' });
    const params = adj.init();
    const subjects = pkSubjects();
    const ga = adj.evaluate(params, subjects, { loss: 'nll' });
    const gf = fwd.evaluate(params, subjects, { loss: 'nll' });
    expect(ga.count).toBe(16); // 2 subjects × 9 times, one missing each
    expect(maxRelErr(ga.gradient!.mech.data, gf.gradient!.mech.data)).toBeLessThan(1e-7);
    for (let seed = 1; seed <= 3; seed++) {
      const { an, fd } = checkDirectional(adj, params, subjects, { loss: 'nll' }, seed);
      expect(Math.abs(an - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    }
  });

  it('masks missing values and cuts at the horizon', () => {
    const hm = new HybridModel(model, { method: dopri5(), controller: tight });
    const params = hm.init();
    const subjects = pkSubjects();
    expect(hm.evaluate(params, subjects, { horizon: 3, gradient: false }).count).toBe(6);
    const full = hm.evaluate(params, subjects, { gradient: false });
    const pred = hm.predict(params, subjects);
    let sum = 0;
    let n = 0;
    subjects.forEach((s, b) => {
      s.observations.forEach((y, j) => {
        if (Number.isNaN(y)) return;
        sum += (y - pred[b].observables[j]) ** 2;
        n++;
      });
    });
    expect(full.value).toBeCloseTo(sum / n, 12);
  });

  it('explains bad data', () => {
    const hm = new HybridModel(model);
    const params = hm.init();
    const s = pkSubjects()[0];
    expect(() => hm.evaluate(params, [{ ...s, doses: [{ time: 0, route: 'mouth', amount: 1 }] }])).toThrow(
      /unknown dose route "mouth"; use one of oral, iv/,
    );
    expect(() => hm.evaluate(params, [{ ...s, doses: [{ time: 0, route: 'iv', amount: 1 }] }])).toThrow(
      /route "iv" is declared as an infusion/,
    );
    expect(() => hm.evaluate(params, [{ ...s, observations: Float64Array.of(1) }])).toThrow(
      /1 observed values for 9 times × 1 observables/,
    );
  });
});

describe('HybridModel: neural closure', () => {
  const model = parseModel(`
    param w0 = 1.2 in [0, inf] scale log
    state th = 0.5
    state om = 0
    net F(th, om) -> (a) : mlp(8, tanh)
    d/dt th = om
    d/dt om = -w0^2 * sin(th) + F.a
    obs angle = th ~ normal(0.05)
    obs speed = om ~ normal(0.05)
  `);
  const subjects: Subject[] = [0.3, -0.6, 0.9].map((th0, i) => {
    const times = Float64Array.from({ length: 8 }, (_, k) => 0.25 * (k + 1));
    return {
      id: `s${i}`,
      times,
      y0: Float64Array.of(th0, 0.1 * i),
      observations: Float64Array.from({ length: 16 }, (_, j) => Math.cos(0.7 * j + i) * 0.5),
    };
  });

  it('differentiates through the network weights (adjoint vs finite differences)', () => {
    const hm = new HybridModel(model, { method: dopri5(), controller: tight });
    const params = hm.init(rngKey(3));
    for (let seed = 1; seed <= 3; seed++) {
      const { an, fd } = checkDirectional(hm, params, subjects, {}, seed);
      expect(Math.abs(an - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    }
  });

  it('differentiates multiple shooting: nodes, continuity penalty and parameters', () => {
    const hm = new HybridModel(model, { method: dopri5(), controller: tight });
    const base = hm.init(rngKey(3));
    const nodes = hm.initShooting(base, subjects, 3);
    expect(nodes.s0.shape).toEqual([2, 2]);
    // Nodes from a simulation: the continuity penalty starts at (numerically) zero.
    const params = { ...base, shooting: nodes };
    const opts = { shooting: { segments: 3, weight: 10 } };
    const ev = hm.evaluate(params, subjects, opts);
    const plain = hm.evaluate(base, subjects);
    expect(ev.value).toBeCloseTo(plain.value, 8);
    const moved = {
      ...params,
      shooting: {
        ...nodes,
        s1: new Tensor(
          new NDArray(
            nodes.s1.data.map((v) => v + 0.1),
            [2, 2],
          ),
        ),
      },
    };
    for (let seed = 4; seed <= 6; seed++) {
      const { an, fd } = checkDirectional(hm, moved, subjects, opts, seed);
      expect(Math.abs(an - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    }
  });

  it('refuses forward sensitivities for networks', () => {
    expect(() => new HybridModel(model, { sensitivity: 'forward' })).toThrow(/use sensitivity: 'adjoint'/);
  });
});
