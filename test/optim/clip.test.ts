import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, clipByValue, globalNorm } from '../../src/optim/clip.js';
import { flat, t } from './helpers.js';

describe('clipping', () => {
  const params = { a: t([0, 0]), b: [t([0])] };

  it('by global norm: keeps the direction, caps the norm over all leaves', () => {
    const g = { a: t([3, 0]), b: [t([4])] };
    const r = clipByGlobalNorm(1).update(g, null, params);
    expect(flat(r.updates)).toEqual([0.6, 0, 0.8]);
    expect(globalNorm([t([3, 0]), t([4])])).toBe(5);
    // Below the cap: unchanged.
    expect(flat(clipByGlobalNorm(10).update(g, null, params).updates)).toEqual([3, 0, 4]);
  });

  it('global norm does not overflow and passes NaN through', () => {
    expect(globalNorm([t([1e200, 1e200])])).toBeCloseTo(Math.SQRT2 * 1e200, -185);
    const r = clipByGlobalNorm(1).update({ a: t([1e300, -1e300]), b: [t([0])] }, null, params);
    const u = flat(r.updates);
    expect(u[0]).toBeCloseTo(Math.SQRT1_2, 15);
    expect(u[1]).toBeCloseTo(-Math.SQRT1_2, 15);
    const nan = clipByGlobalNorm(1).update({ a: t([Number.NaN, 5]), b: [t([0])] }, null, params);
    expect(Number.isNaN(flat(nan.updates)[0])).toBe(true);
  });

  it('by value', () => {
    const r = clipByValue(2).update({ a: t([-5, 1.5]), b: [t([Number.POSITIVE_INFINITY])] }, null, params);
    expect(flat(r.updates)).toEqual([-2, 1.5, 2]);
    expect(() => clipByValue(0)).toThrow(/limit must be a finite number > 0, got 0/);
  });
});
