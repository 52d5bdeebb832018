import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adam } from '../../src/optim/adam.js';
import { proximalGroupLasso, proximalL1 } from '../../src/optim/proximal.js';
import { scale, scaleByLearningRate } from '../../src/optim/scale.js';
import { exponentialDecaySchedule } from '../../src/optim/schedules.js';
import { sgd } from '../../src/optim/sgd.js';
import { chain } from '../../src/optim/transform.js';
import { applyUpdates, fill, flat, snapshot, t } from './helpers.js';

const softThreshold = (z: number, tau: number): number => Math.sign(z) * Math.max(Math.abs(z) - tau, 0);

describe('proximalL1', () => {
  it('equals the closed-form soft threshold after an SGD step, with exact zeros', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        (pv, gv, lambda, lrScale) => {
          const lr = 0.3;
          const params = { w: t(pv.slice(0, 4), [2, 2]), b: t(pv.slice(4)) };
          const grads = fill(params, gv);
          const opt = chain(sgd(lr), proximalL1(lambda, { lr }));
          const next = applyUpdates(params, opt.update(grads, opt.init(params), params, { lrScale }).updates);
          const got = flat(next);
          pv.forEach((p, i) => {
            const z = p - lr * lrScale * gv[i];
            const want = softThreshold(z, lr * lrScale * lambda);
            if (want === 0) expect(got[i] === 0).toBe(true);
            else
              expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(
                4 * Number.EPSILON * (Math.abs(p) + Math.abs(want)),
              );
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('thresholds with the schedule of the optimizer at the same step, only where chosen', () => {
    const lr = exponentialDecaySchedule(1, { rate: 0.5 });
    const params = { w: t([3, -0.2]), b: t([0.1]) };
    const opt = chain(scaleByLearningRate(lr), proximalL1(1, { lr, where: (path) => path === 'w' }));
    let p = params;
    let s = opt.init(p);
    const zero = { w: t([0, 0]), b: t([0]) };
    const ws: number[][] = [];
    for (let k = 0; k < 3; k++) {
      const r = opt.update(zero, s, p);
      p = applyUpdates(p, r.updates);
      s = r.state;
      ws.push(flat(p));
    }
    // Thresholds 1, 0.5, 0.25: w0 = 3 → 2 → 1.5 → 1.25; w1 = −0.2 → 0 exactly; b untouched.
    expect(ws).toEqual([
      [2, 0, 0.1],
      [1.5, 0, 0.1],
      [1.25, 0, 0.1],
    ]);
    expect(Object.is(ws[0][1], -0)).toBe(false);
  });

  it('gives exact zeros after Adam too, and keeps inputs unchanged', () => {
    const params = { w: t([1e-3, -2e-3, 0.5, 7]) };
    const grads = { w: t([0.1, -0.3, 0.2, -5]) };
    const lr = 1e-2;
    const opt = chain(adam(lr), proximalL1(0.5, { lr }));
    const s = opt.init(params);
    const before = snapshot([params, grads, s]);
    const r = opt.update(grads, s, params);
    expect(snapshot([params, grads, s])).toEqual(before);
    const next = flat(applyUpdates(params, r.updates));
    // Adam's first step is ≈ −lr·sign(g): z = (−9e-3, 8e-3, 0.49, 7.01), threshold 5e-3.
    expect(next[0]).toBeCloseTo(-4e-3, 8);
    expect(next[1]).toBeCloseTo(3e-3, 8);
    const zeroed = chain(adam(lr), proximalL1(1, { lr }));
    const z = flat(applyUpdates(params, zeroed.update(grads, zeroed.init(params), params).updates));
    expect(z[0] === 0 && z[1] === 0).toBe(true);
  });

  it('needs the learning rate', () => {
    expect(() => proximalL1(1, undefined as never)).toThrow(/pass the optimizer's learning rate/);
    expect(() => proximalL1(-1, { lr: 1 })).toThrow(/lambda must be a finite number ≥ 0/);
  });
});

describe('proximalGroupLasso', () => {
  // F[0].w is [out = 2, in = 3]: axis 1 gives one group per input (column).
  const params = {
    nets: { F: [{ w: t([1, 0.01, -2, 0.5, 0.02, 2], [2, 3]), b: t([0.3, -0.4]) }] },
  };
  const zero = fill(params, new Array(8).fill(0));

  it('zeros whole groups below the threshold and shrinks the others by the block soft threshold', () => {
    const lambda = 0.1;
    const lr = 1;
    const opt = chain(scale(1), proximalGroupLasso(lambda, [{ path: 'nets.F[0].w', axis: 1 }], { lr }));
    const next = applyUpdates(params, opt.update(zero, opt.init(params), params).updates);
    const w = flat(next.nets.F[0].w);
    // Column 1 = (0.01, 0.02): norm 0.0224 < τ√2 = 0.141 → exactly zero.
    expect(w[1] === 0 && w[4] === 0).toBe(true);
    // Column 0 = (1, 0.5): factor 1 − 0.1√2/‖·‖.
    const n0 = Math.hypot(1, 0.5);
    const k0 = 1 - (0.1 * Math.SQRT2) / n0;
    expect(w[0]).toBeCloseTo(k0 * 1, 15);
    expect(w[3]).toBeCloseTo(k0 * 0.5, 15);
    const n2 = Math.hypot(-2, 2);
    expect(w[5]).toBeCloseTo((1 - (0.1 * Math.SQRT2) / n2) * 2, 15);
    // Bias: in no group, passes through.
    expect(flat(next.nets.F[0].b)).toEqual([0.3, -0.4]);
  });

  it('joins slices of several leaves into one group (a hidden unit) and honours weights', () => {
    const unit = {
      members: [
        { path: 'nets.F[0].w', axis: 0 },
        { path: 'nets.F[0].b', axis: 0 },
      ],
      weight: 1,
    };
    // Unit 0 = (1, 0.01, −2, 0.3): norm 2.256; unit 1 = (0.5, 0.02, 2, −0.4): norm 2.101.
    const opt = chain(scale(1), proximalGroupLasso(2.2, [unit], { lr: 1 }));
    const next = applyUpdates(params, opt.update(zero, opt.init(params), params).updates);
    const w = flat(next.nets.F[0].w);
    const b = flat(next.nets.F[0].b);
    expect([w[3], w[4], w[5], b[1]].every((v) => v === 0)).toBe(true);
    const n0 = Math.hypot(1, 0.01, -2, 0.3);
    expect(b[0]).toBeCloseTo((1 - 2.2 / n0) * 0.3, 15);
  });

  it('with a whole leaf as the group and repeated steps drives a group to zero and keeps it there', () => {
    const p0 = { a: t([0.3, 0.4]), c: t([1]) };
    const opt = chain(sgd(0.1), proximalGroupLasso(1, [{ path: 'a' }], { lr: 0.1 }));
    let p = p0;
    let s = opt.init(p);
    for (let k = 0; k < 6; k++) {
      const r = opt.update({ a: t([0.01, -0.01]), c: t([0]) }, s, p);
      p = applyUpdates(p, r.updates);
      s = r.state;
    }
    expect(flat(p.a)).toEqual([0, 0]);
  });

  it('propagates NaN instead of zeroing a group', () => {
    const opt = proximalGroupLasso(1, [{ path: 'a' }], { lr: 1 });
    const p = { a: t([1, 2]) };
    const u = flat(opt.update({ a: t([Number.NaN, 0]) }, opt.init(p), p).updates);
    expect(u.every(Number.isNaN)).toBe(true);
  });

  it('explains bad groups', () => {
    const init = (groups: Parameters<typeof proximalGroupLasso>[1]) => () =>
      proximalGroupLasso(1, groups, { lr: 1 }).init(params);
    expect(init([{ path: 'nets.F[1].w', axis: 0 }])).toThrow(
      /names leaf "nets.F\[1\].w", which is not in the parameter tree; the leaves are "nets.F\[0\].w", "nets.F\[0\].b"/,
    );
    expect(init([{ path: 'nets.F[0].w', axis: 2 }])).toThrow(
      /axis 2 is out of range for leaf "nets.F\[0\].w" of shape \[2, 3\]/,
    );
    expect(
      init([
        {
          members: [
            { path: 'nets.F[0].w', axis: 1 },
            { path: 'nets.F[0].b', axis: 0 },
          ],
        },
      ]),
    ).toThrow(/different counts \(3 vs 2\)/);
    expect(
      init([
        { path: 'nets.F[0].w', axis: 0 },
        { path: 'nets.F[0].w', axis: -1 },
      ]),
    ).toThrow(/groups overlap/);
  });
});
