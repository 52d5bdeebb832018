import { describe, expect, it } from 'vitest';
import {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecaySchedule,
  joinSchedules,
  learningRateAt,
  linearSchedule,
  piecewiseConstantSchedule,
  piecewiseLinearSchedule,
  stepDecaySchedule,
  warmup,
} from '../../src/optim/schedules.js';
import { sgd } from '../../src/optim/sgd.js';
import { flat, t } from './helpers.js';

const at = (s: (k: number) => number, ks: number[]): number[] => ks.map(s);

describe('schedules', () => {
  it('constant', () => {
    expect(at(constantSchedule(0.3), [0, 1, 1000])).toEqual([0.3, 0.3, 0.3]);
  });

  it('step decay (StepLR)', () => {
    expect(at(stepDecaySchedule(1, { stepSize: 3, gamma: 0.5 }), [0, 2, 3, 5, 6, 9])).toEqual([
      1, 1, 0.5, 0.5, 0.25, 0.125,
    ]);
    expect(stepDecaySchedule(2, { stepSize: 1 })(2)).toBeCloseTo(0.02, 16);
  });

  it('exponential decay: continuous, staircase, floor', () => {
    const s = exponentialDecaySchedule(2, { rate: 0.25, transitionSteps: 2 });
    expect(s(0)).toBe(2);
    expect(s(1)).toBeCloseTo(1, 15);
    expect(s(4)).toBeCloseTo(0.125, 15);
    const st = exponentialDecaySchedule(2, { rate: 0.25, transitionSteps: 2, staircase: true });
    expect(at(st, [0, 1, 2, 3])).toEqual([2, 2, 0.5, 0.5]);
    const fl = exponentialDecaySchedule(1, { rate: 0.5, final: 0.2 });
    expect(at(fl, [0, 1, 2, 3, 100])).toEqual([1, 0.5, 0.25, 0.2, 0.2]);
  });

  it('cosine decay to a final value', () => {
    const s = cosineDecaySchedule(1, { decaySteps: 10, final: 0.1 });
    expect(s(0)).toBe(1);
    expect(s(5)).toBeCloseTo(0.55, 15);
    expect(s(10)).toBe(0.1);
    expect(s(50)).toBe(0.1);
    for (let k = 0; k < 10; k++) {
      expect(s(k)).toBeCloseTo(0.1 + (0.9 * (1 + Math.cos((Math.PI * k) / 10))) / 2, 15);
      expect(s(k + 1)).toBeLessThan(s(k));
    }
  });

  it('warm-up joined to cosine decay', () => {
    const s = warmup(4, cosineDecaySchedule(1e-3, { decaySteps: 10 }), { from: 1e-4 });
    expect(s(0)).toBe(1e-4);
    expect(s(2)).toBeCloseTo(5.5e-4, 18);
    expect(s(4)).toBe(1e-3);
    expect(s(9)).toBeCloseTo(5e-4, 18);
    expect(s(14)).toBe(0);
    expect(warmup(10, constantSchedule(1))(5)).toBe(0.5);
  });

  it('join, piecewise constant, piecewise linear, linear', () => {
    const j = joinSchedules([constantSchedule(1), linearSchedule(2, 0, 4), constantSchedule(7)], [2, 6]);
    expect(at(j, [0, 1, 2, 3, 5, 6, 100])).toEqual([1, 1, 2, 1.5, 0.5, 7, 7]);
    expect(at(piecewiseConstantSchedule([10, 20], [3, 2, 1]), [0, 9, 10, 19, 20, 99])).toEqual([
      3, 3, 2, 2, 1, 1,
    ]);
    const pl = piecewiseLinearSchedule([0, 10, 20], [0, 1, 0.5]);
    expect(at(pl, [0, 5, 10, 15, 20, 30])).toEqual([0, 0.5, 1, 0.75, 0.5, 0.5]);
  });

  it('drive an optimizer: the k-th update uses schedule(k)', () => {
    const s = stepDecaySchedule(1, { stepSize: 1, gamma: 0.5 });
    const opt = sgd(s);
    const p = { x: t([0]) };
    let state = opt.init(p);
    const steps: number[] = [];
    for (let k = 0; k < 4; k++) {
      const r = opt.update({ x: t([1]) }, state, p);
      steps.push(-flat(r.updates)[0]);
      state = r.state;
    }
    expect(steps).toEqual([1, 0.5, 0.25, 0.125]);
  });

  it('reject bad arguments', () => {
    expect(() => stepDecaySchedule(1, { stepSize: 0 })).toThrow(/stepSize must be an integer ≥ 1, got 0/);
    expect(() => cosineDecaySchedule(-1, { decaySteps: 10 })).toThrow(/init must be a finite number ≥ 0/);
    expect(() => joinSchedules([constantSchedule(1)], [3])).toThrow(/1 schedules need 0 boundaries, got 1/);
    expect(() => piecewiseConstantSchedule([5, 3], [1, 2, 3])).toThrow(/boundaries must increase/);
    expect(() => piecewiseLinearSchedule([1, 2], [1, 2])).toThrow(/first step must be 0/);
    expect(() => learningRateAt('x', () => -1, 3)).toThrow(/schedule gave -1 at step 3/);
  });
});
