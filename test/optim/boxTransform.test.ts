import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boxTransform } from '../../src/optim/boxTransform.js';

const cases = [
  { lower: -Infinity, upper: Infinity, kind: 'identity' },
  { lower: 2, upper: Infinity, kind: 'lowerSoftplus' },
  { lower: 2, upper: Infinity, kind: 'lowerLog', oneSided: 'log' },
  { lower: -Infinity, upper: -1, kind: 'upperSoftplus' },
  { lower: -Infinity, upper: -1, kind: 'upperLog', oneSided: 'log' },
  { lower: -3, upper: 5, kind: 'scaledSigmoid' },
  { lower: 0, upper: 1e-6, kind: 'scaledSigmoid' },
] as const;

describe('boxTransform', () => {
  for (const c of cases) {
    const tr = boxTransform(c.lower, c.upper, 'oneSided' in c ? { oneSided: c.oneSided } : {});

    it(`${c.kind} on [${c.lower}, ${c.upper}]: inside the bounds, increasing, inverse, derivative`, () => {
      expect(tr.kind).toBe(c.kind);
      fc.assert(
        fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (z) => {
          const x = tr.forward(z);
          expect(x).toBeGreaterThanOrEqual(c.lower);
          expect(x).toBeLessThanOrEqual(c.upper);
          if (x > c.lower && x < c.upper) {
            // Round trip to a few ulps of the scale of x − bound over the derivative.
            const back = tr.inverse(x);
            const tol = (1e-15 * Math.max(Math.abs(x), 1)) / tr.derivative(z) + 1e-12 * Math.abs(z);
            expect(Math.abs(back - z)).toBeLessThanOrEqual(tol);
          }
          // Derivative against a central difference.
          const h = 1e-5;
          const fd = (tr.forward(z + h) - tr.forward(z - h)) / (2 * h);
          const d = tr.derivative(z);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(Math.abs(fd - d)).toBeLessThanOrEqual(
            1e-7 * Math.max(d, 1e-300) + 1e-9 * Math.max(Math.abs(tr.forward(z)), 1),
          );
        }),
        { numRuns: 200 },
      );
    });
  }

  it('has the documented values', () => {
    const s = boxTransform(0, 1);
    expect(s.forward(0)).toBe(0.5);
    expect(s.inverse(0.5)).toBe(0);
    expect(s.derivative(0)).toBe(0.25);
    expect(boxTransform(0, Infinity).forward(0)).toBeCloseTo(Math.LN2, 16);
    expect(boxTransform(0, Infinity).inverse(Math.LN2)).toBeCloseTo(0, 15);
    expect(boxTransform(0, Infinity, { oneSided: 'log' }).inverse(3)).toBe(Math.log(3));
    // Far from the bound softplus is the identity shifted by the bound.
    expect(boxTransform(2, Infinity).forward(50)).toBe(52);
    expect(boxTransform(2, Infinity).inverse(2 + 4e-16)).toBeCloseTo(Math.log(2 + 4e-16 - 2), 12);
  });

  it('keeps precision near both bounds of an interval', () => {
    const s = boxTransform(0, 1);
    const sig = Math.exp(-30) / (1 + Math.exp(-30));
    // Near the lower bound: full relative precision; near the upper: to the spacing of doubles at 1.
    expect(Math.abs(s.forward(-30) - sig)).toBeLessThanOrEqual(2 * Number.EPSILON * sig);
    expect(Math.abs(s.forward(30) - (1 - sig))).toBeLessThanOrEqual(Number.EPSILON / 2);
    const u = boxTransform(-1, 0);
    expect(Math.abs(u.forward(30) + sig)).toBeLessThanOrEqual(2 * Number.EPSILON * sig);
    expect(s.inverse(1 - 1e-12)).toBeCloseTo(Math.log((1 - 1e-12) / 1e-12), 3);
  });

  it('explains bad bounds and values outside them', () => {
    expect(() => boxTransform(1, 1)).toThrow(/need lower < upper/);
    expect(() => boxTransform(Infinity, Infinity)).toThrow(/need lower < upper/);
    expect(() => boxTransform(Number.NaN, 1)).toThrow(/need lower < upper/);
    expect(() => boxTransform(0, 1).inverse(1)).toThrow(/inverse\(1\) is outside the open interval \(0, 1\)/);
    expect(() => boxTransform(0, 1, { oneSided: 'exp' } as never)).toThrow(
      /oneSided must be 'softplus' or 'log'/,
    );
    expect(() => boxTransform(-1e308, 1e308)).toThrow(/overflows/);
  });
});
