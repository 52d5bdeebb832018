/**
 * The optimizers against their recurrences written out independently here, element by
 * element, over several steps with varying gradients; chain, context and purity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tree } from '../../src/autodiff/tree.js';
import type { Optimizer } from '../../src/hybrid/trainer.js';
import { adam, adamw, scaleByAdam } from '../../src/optim/adam.js';
import { clipByGlobalNorm } from '../../src/optim/clip.js';
import { rmsprop } from '../../src/optim/rmsprop.js';
import { addDecayedWeights, scale, scaleByLearningRate, setToZero } from '../../src/optim/scale.js';
import { cosineDecaySchedule } from '../../src/optim/schedules.js';
import { sgd, trace } from '../../src/optim/sgd.js';
import { applyUpdates as apply, chain, type GradientTransformation } from '../../src/optim/transform.js';
import { applyUpdates, fill, flat, snapshot, t } from './helpers.js';

const p0 = { w: t([0.5, -1.5, 2, 0.25], [2, 2]), b: [t([0.1]), t([-3, 4])] };
const n = 7;
/** Gradient k: different signs and scales per entry and step. */
const gradAt = (k: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.7 * k + 0.2) * 10 ** ((i % 3) - 1));

/** Runs `opt` for `steps` steps from p0 with gradAt(k), returning the parameters after each step. */
function run(opt: GradientTransformation<unknown>, steps: number, lrScale?: number): number[][] {
  let params: Tree = p0;
  let state = opt.init(params);
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    const r = opt.update(fill(p0, gradAt(k)), state, params, lrScale === undefined ? undefined : { lrScale });
    params = applyUpdates(params, r.updates);
    state = r.state;
    out.push(flat(params));
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][], rel = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, k) => {
    row.forEach((v, i) => {
      const e = expected[k][i];
      expect(Math.abs(v - e)).toBeLessThanOrEqual(rel * Math.max(Math.abs(e), 1e-300));
    });
  });
}

describe('sgd', () => {
  it('plain: p ← p − η g', () => {
    const p = flat(p0);
    const want = [0, 1, 2, 3].map((k) => {
      const g = gradAt(k);
      for (let i = 0; i < n; i++) p[i] -= 0.1 * g[i];
      return p.slice();
    });
    expectClose(run(sgd(0.1), 4), want);
  });

  it('momentum with dampening, Nesterov, weight decay', () => {
    for (const nesterov of [false, true]) {
      const mu = 0.8;
      const d = nesterov ? 0 : 0.25;
      const lam = 0.05;
      const p = flat(p0);
      const b = new Array<number>(n).fill(0);
      const want = [0, 1, 2, 3, 4].map((k) => {
        const g = gradAt(k);
        for (let i = 0; i < n; i++) {
          const gi = g[i] + lam * p[i];
          b[i] = k === 0 ? gi : mu * b[i] + (1 - d) * gi;
          p[i] -= 0.05 * (nesterov ? gi + mu * b[i] : b[i]);
        }
        return p.slice();
      });
      expectClose(run(sgd(0.05, { momentum: mu, dampening: d, nesterov, weightDecay: lam }), 5), want);
    }
  });

  it('rejects Nesterov without momentum and unknown options', () => {
    expect(() => sgd(0.1, { nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    expect(() => sgd(0.1, { momentun: 0.9 } as never)).toThrow(/unknown option "momentun"/);
    expect(() => sgd(-0.1)).toThrow(/learning rate must be a finite number ≥ 0/);
  });
});

describe('adam / adamw', () => {
  const adamRef = (opts: {
    lr: (k: number) => number;
    b1: number;
    b2: number;
    eps: number;
    l2?: number;
    decoupled?: number;
    amsgrad?: boolean;
  }) => {
    const p = flat(p0);
    const m = new Array<number>(n).fill(0);
    const v = new Array<number>(n).fill(0);
    const vmax = new Array<number>(n).fill(0);
    return [0, 1, 2, 3, 4].map((k) => {
      const g = gradAt(k);
      const step = k + 1;
      const lr = opts.lr(k);
      for (let i = 0; i < n; i++) {
        const gi = g[i] + (opts.l2 ?? 0) * p[i];
        m[i] = opts.b1 * m[i] + (1 - opts.b1) * gi;
        v[i] = opts.b2 * v[i] + (1 - opts.b2) * gi * gi;
        vmax[i] = Math.max(vmax[i], v[i]);
        const mhat = m[i] / (1 - opts.b1 ** step);
        const vhat = (opts.amsgrad ? vmax[i] : v[i]) / (1 - opts.b2 ** step);
        p[i] = p[i] - lr * (opts.decoupled ?? 0) * p[i] - (lr * mhat) / (Math.sqrt(vhat) + opts.eps);
      }
      return p.slice();
    });
  };

  it('adam with defaults', () => {
    expectClose(run(adam(1e-2), 5), adamRef({ lr: () => 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8 }), 1e-13);
  });

  it('adam with L2, AMSGrad, a schedule and lrScale', () => {
    const sched = cosineDecaySchedule(0.1, { decaySteps: 4, final: 0.01 });
    const got = run(adam(sched, { b1: 0.5, b2: 0.9, eps: 1e-3, weightDecay: 0.2, amsgrad: true }), 5, 0.5);
    const want = adamRef({ lr: (k) => 0.5 * sched(k), b1: 0.5, b2: 0.9, eps: 1e-3, l2: 0.2, amsgrad: true });
    expectClose(got, want, 1e-13);
  });

  it('adamw decays decoupled from the moments', () => {
    const want = adamRef({ lr: () => 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, decoupled: 0.3 });
    expectClose(run(adamw(1e-2, { weightDecay: 0.3 }), 5), want, 1e-13);
    // Default weight decay 0.01 (PyTorch).
    const want2 = adamRef({ lr: () => 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, decoupled: 0.01 });
    expectClose(run(adamw(1e-2), 5), want2, 1e-13);
  });

  it('is built from its blocks', () => {
    const blocks = chain(scaleByAdam({ b1: 0.7 }), scaleByLearningRate(1e-2));
    expectClose(run(blocks, 4), run(adam(1e-2, { b1: 0.7 }), 4), 0);
  });

  it('first step is ±lr·g/(|g| + ε/…) ≈ −lr·sign(g)', () => {
    const r = adam(1e-3).update(fill(p0, gradAt(0)), adam(1e-3).init(p0), p0);
    flat(r.updates).forEach((u, i) => {
      expect(Math.abs(u + 1e-3 * Math.sign(gradAt(0)[i]))).toBeLessThan(1e-3 * 1e-6);
    });
  });

  it('rejects bad hyperparameters with the name and range', () => {
    expect(() => adam(1e-3, { b1: 1 })).toThrow(/b1 must be a number in \[0, 1\), got 1/);
    expect(() => adam(1e-3, { beta1: 0.9 } as never)).toThrow(/unknown option "beta1"/);
    expect(() => adamw(Number.NaN)).toThrow(/learning rate/);
  });
});

describe('rmsprop', () => {
  it('centred with momentum and weight decay', () => {
    const a = 0.9;
    const eps = 1e-6;
    const mu = 0.7;
    const lam = 0.1;
    const p = flat(p0);
    const sq = new Array<number>(n).fill(0);
    const ga = new Array<number>(n).fill(0);
    const buf = new Array<number>(n).fill(0);
    const want = [0, 1, 2, 3].map((k) => {
      const g = gradAt(k);
      for (let i = 0; i < n; i++) {
        const gi = g[i] + lam * p[i];
        sq[i] = a * sq[i] + (1 - a) * gi * gi;
        ga[i] = a * ga[i] + (1 - a) * gi;
        buf[i] = mu * buf[i] + gi / (Math.sqrt(sq[i] - ga[i] * ga[i]) + eps);
        p[i] -= 0.01 * buf[i];
      }
      return p.slice();
    });
    expectClose(
      run(rmsprop(0.01, { alpha: a, eps, momentum: mu, centered: true, weightDecay: lam }), 4),
      want,
      1e-13,
    );
  });
});

describe('blocks and chain', () => {
  it('scale, addDecayedWeights, setToZero, trace', () => {
    const g = fill(p0, gradAt(0));
    expect(flat(scale(-2).update(g, null, p0).updates)).toEqual(gradAt(0).map((v) => -2 * v));
    expect(flat(addDecayedWeights(0.5).update(g, null, p0).updates)).toEqual(
      gradAt(0).map((v, i) => v + 0.5 * flat(p0)[i]),
    );
    expect(flat(setToZero().update(g, null, p0).updates)).toEqual(new Array(n).fill(0));
    const tr = trace({ momentum: 0.5 });
    const s1 = tr.update(g, tr.init(p0), p0);
    const s2 = tr.update(g, s1.state, p0);
    expect(flat(s2.updates)).toEqual(gradAt(0).map((v) => 0.5 * v + v));
  });

  it('chain passes updates along and the context to every member', () => {
    const lr = scaleByLearningRate(0.1);
    const opt = chain(clipByGlobalNorm(1), lr);
    const g = fill(p0, gradAt(0));
    const norm = Math.hypot(...gradAt(0));
    const r = opt.update(g, opt.init(p0), p0, { lrScale: 0.25 });
    flat(r.updates).forEach((u, i) => {
      expect(u).toBeCloseTo((-0.1 * 0.25 * gradAt(0)[i]) / norm, 15);
    });
    expect(r.state[1]).toEqual({ count: 1 });
  });

  it('lrScale multiplies every learning rate: sgd, adam, adamw, rmsprop', () => {
    const makers: ((lr: number) => GradientTransformation<unknown>)[] = [
      (lr) => sgd(lr, { momentum: 0.9 }),
      (lr) => adam(lr),
      (lr) => adamw(lr, { weightDecay: 0.1 }),
      (lr) => rmsprop(lr, { momentum: 0.5 }),
    ];
    for (const make of makers) {
      const opt = make(0.02);
      const half = make(0.01);
      let ps = opt.init(p0);
      let hs = half.init(p0);
      for (let k = 0; k < 3; k++) {
        const g = fill(p0, gradAt(k));
        const a = opt.update(g, ps, p0, { lrScale: 0.5 });
        const b = half.update(g, hs, p0);
        flat(a.updates).forEach((u, i) => {
          expect(Math.abs(u - flat(b.updates)[i])).toBeLessThanOrEqual(1e-15 * Math.abs(u));
        });
        ps = a.state;
        hs = b.state;
      }
    }
  });

  it('rejects a bad lrScale, bad schedule values and mismatched trees', () => {
    const opt = sgd(0.1);
    const s = opt.init(p0);
    expect(() => opt.update(p0, s, p0, { lrScale: -1 })).toThrow(/lrScale must be a finite number ≥ 0/);
    const bad = sgd(() => Number.NaN);
    expect(() => bad.update(p0, bad.init(p0), p0)).toThrow(/schedule gave NaN at step 0/);
    expect(() => opt.update({ w: t([1]) }, s, p0)).toThrow(
      /gradient tree has 1 leaves but the parameter tree has 3/,
    );
    expect(() => chain(adam as never)).toThrow(/did you pass the factory/);
    const a = adam(0.1);
    expect(() => a.update({ x: t([1]) }, a.init(p0), { x: t([1]) })).toThrow(/call init again/);
    const one = { x: t([1, 2]) };
    expect(() => a.update({ x: t([1]) }, a.init(one), { x: t([1]) })).toThrow(
      /made by init for leaf 0 with 2 values but update got 1/,
    );
  });

  it('applyUpdates adds leaf by leaf into a new tree', () => {
    const u = fill(
      p0,
      flat(p0).map((v, i) => (i === 2 ? -v : 1)),
    );
    const before = snapshot(p0);
    const next = apply(p0, u);
    expect(snapshot(p0)).toEqual(before);
    expect(next.w.shape).toEqual([2, 2]);
    expect(flat(next)).toEqual(flat(p0).map((v, i) => (i === 2 ? 0 : v + 1)));
    expect(() => apply(p0, { w: t([1]) })).toThrow(/applyUpdates: the update tree has 1 leaves/);
  });

  it('is an Optimizer for the trainer', () => {
    const opts: Optimizer<unknown>[] = [
      adam(1e-3),
      adamw(1e-3),
      sgd(1e-2, { momentum: 0.9 }),
      rmsprop(1e-3),
      chain(clipByGlobalNorm(1), adam(1e-3)),
    ];
    expect(opts.length).toBe(5);
  });
});

describe('purity', () => {
  const arbValues = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: n, maxLength: n });
  const optimizers: [string, () => GradientTransformation<unknown>][] = [
    ['sgd', () => sgd(0.1, { momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
    ['adam', () => adam(1e-2, { amsgrad: true, weightDecay: 0.1 })],
    ['adamw', () => adamw(1e-2)],
    ['rmsprop', () => rmsprop(1e-2, { centered: true, momentum: 0.5 })],
    ['clip+adam', () => chain(clipByGlobalNorm(1), adam(1e-3))],
  ];
  for (const [name, make] of optimizers) {
    it(`${name}: update leaves grads, state and params unchanged and is deterministic`, () => {
      fc.assert(
        fc.property(arbValues, arbValues, arbValues, (pv, g1, g2) => {
          const opt = make();
          const params = fill(p0, pv);
          const s0 = opt.init(params);
          const s1 = opt.update(fill(p0, g1), s0, params).state;
          const grads = fill(p0, g2);
          const before = snapshot([grads, s1, params]);
          const a = opt.update(grads, s1, params);
          const b = opt.update(grads, s1, params);
          expect(snapshot([grads, s1, params])).toEqual(before);
          expect(flat(a.updates)).toEqual(flat(b.updates));
          expect(snapshot(a.state)).toEqual(snapshot(b.state));
        }),
        { numRuns: 50 },
      );
    });
  }
});
