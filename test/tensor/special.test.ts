import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erf, erfc, portableLog } from '../../src/tensor/special.js';

// ---------------------------------------------------------------------------------------------
// An independent reference for erf and erfc: the Maclaurin series
//
//     erf(x) = (2/√π) Σₙ (−1)ⁿ x^(2n+1) / (n! (2n+1))
//
// summed exactly in binary fixed point (BigInt scaled by 2^P), with 2/√π from Machin's formula
// π = 16 atan(1/5) − 4 atan(1/239) and an integer square root. The alternating series cancels
// about x²·log₂e bits, and erfc(x) ≈ exp(−x²)/(x√π) needs as many again, so P = 2x²·log₂e + 160
// leaves more than 100 correct bits in every reference value used below.
// ---------------------------------------------------------------------------------------------

const view = new DataView(new ArrayBuffer(8));

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** |x| = m·2^e exactly. */
function decompose(x: number): { m: bigint; e: number } {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return biased === 0 ? { m, e: -1074 } : { m: m | (1n << 52n), e: biased - 1075 };
}

/** |x|·2^P, rounded toward zero. */
function toFixed(x: number, p: number): bigint {
  const { m, e } = decompose(x);
  const shift = e + p;
  return shift >= 0 ? m << BigInt(shift) : m >> BigInt(-shift);
}

/** The double nearest to r·2^−P (r > 0, result in the normal range). */
function fixedToDouble(r: bigint, p: number): number {
  let sh = bitLength(r) - 64;
  let m = r;
  if (sh > 0) {
    const sticky = (r & ((1n << BigInt(sh)) - 1n)) !== 0n ? 1n : 0n;
    m = (r >> BigInt(sh)) | sticky; // keeps round-to-nearest correct in Number(m)
  } else {
    sh = 0;
  }
  const ex = sh - p;
  const half = Math.trunc(ex / 2);
  return Number(m) * 2 ** half * 2 ** (ex - half);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** atan(1/k)·2^q by its Taylor series. */
function atanInverse(k: bigint, q: bigint): bigint {
  let term = (1n << q) / k;
  const k2 = k * k;
  let sum = 0n;
  for (let n = 0n; term !== 0n; n++) {
    const t = term / (2n * n + 1n);
    sum += n % 2n === 0n ? t : -t;
    term /= k2;
  }
  return sum;
}

const P_MAX = 2600;
const TWO_OVER_SQRT_PI_MAX: bigint = (() => {
  const q = BigInt(P_MAX + 64);
  const pi = 16n * atanInverse(5n, q) - 4n * atanInverse(239n, q); // π·2^q
  const sqrtPi = isqrt(pi << q); // √π·2^q
  return ((2n << (2n * q)) / sqrtPi) >> 64n; // 2/√π·2^P_MAX
})();

/** Working precision for x: enough for erfc(x) to more than 100 bits. */
function precisionFor(x: number): number {
  const needed = 2 * Math.ceil(x * x * Math.LOG2E) + 160;
  const forX = -decompose(x).e + 64; // so that x itself is exact
  const p = Math.max(needed, forX, 200);
  if (p > P_MAX) throw new Error(`reference: x = ${x} needs more than ${P_MAX} bits`);
  return p;
}

/** erf(|x|)·2^P for the precision P returned alongside. */
function erfReference(x: number): { r: bigint; p: number } {
  const p = precisionFor(Math.abs(x));
  const bp = BigInt(p);
  const xf = toFixed(Math.abs(x), p);
  const x2 = (xf * xf) >> bp;
  let term = xf; // x^(2n+1)/n!
  let sum = 0n;
  for (let n = 0n; term !== 0n; n++) {
    if (n > 0n) term = ((term * x2) >> bp) / n;
    const t = term / (2n * n + 1n);
    sum += n % 2n === 0n ? t : -t;
  }
  return { r: (sum * (TWO_OVER_SQRT_PI_MAX >> BigInt(P_MAX - p))) >> bp, p };
}

/** erfc(x)·2^P for x ≥ 0. */
function erfcReference(x: number): { r: bigint; p: number } {
  const { r, p } = erfReference(x);
  return { r: (1n << BigInt(p)) - r, p };
}

/** |got − ref| in units in the last place of ref (ref = r·2^−P > 0, normal range). */
function ulpError(got: number, r: bigint, p: number): number {
  const g = toFixed(got, p);
  const diff = g > r ? g - r : r - g;
  const ulpShift = bitLength(r) - 53; // ulp(ref) = 2^(ulpShift − P)
  return Number((diff << 20n) >> BigInt(ulpShift)) / 2 ** 20;
}

function erfUlpError(x: number): number {
  const { r, p } = erfReference(x);
  return ulpError(Math.abs(erf(x)), r, p);
}

function erfcUlpError(x: number): number {
  if (x >= 0) {
    const { r, p } = erfcReference(x);
    return ulpError(erfc(x), r, p);
  }
  const { r, p } = erfReference(x); // erfc(x) = 1 + erf(|x|) for x < 0
  return ulpError(erfc(x), (1n << BigInt(p)) + r, p);
}

// The switch-over points of the fdlibm approximations, and their neighbours.
function around(x: number): number[] {
  const up = x * (1 + 2 ** -52);
  const down = x * (1 - 2 ** -53);
  return [down, x, up];
}
const BREAKPOINTS = [2 ** -28, 0.25, 0.84375, 1.25, 1 / 0.35, 6].flatMap(around);

describe('reference implementation', () => {
  it('reproduces tabulated values of erf and erfc', () => {
    const tab: [number, number, boolean][] = [
      [0.5, 0.5204998778130465, false],
      [1, 0.8427007929497149, false],
      [2, 0.9953222650189527, false],
      [5, 1.5374597944280349e-12, true],
      [10, 2.088487583762545e-45, true],
    ];
    for (const [x, value, complement] of tab) {
      const { r, p } = complement ? erfcReference(x) : erfReference(x);
      expect(fixedToDouble(r, p)).toBe(value);
    }
  });
});

describe('erf', () => {
  // A dense sweep measured at most 0.75 ulp.
  it('is within 1 ulp of the high-precision series on [-6, 6]', () => {
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
        if (Math.abs(x) < 2 ** -1000) return; // subnormal results: see the next test
        expect(erfUlpError(x)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
    for (const x of BREAKPOINTS) expect(erfUlpError(x)).toBeLessThanOrEqual(1);
  });

  it('is accurate for tiny and subnormal arguments, where erf(x) ≈ 2x/√π', () => {
    for (const x of [1e-10, 2 ** -30, 1e-200, 3e-308, 1e-310, 5e-324]) {
      const expected = x * 1.1283791670955126; // relative error of the series' next term < 1e-20
      expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(Math.max(Math.abs(expected) * 2.3e-16, 5e-324));
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('rounds to ±1 from |x| = 6 on (1 − erf(6) ≈ 2e−17 is below half an ulp of 1)', () => {
    expect(erf(6)).toBe(1);
    expect(erf(27)).toBe(1);
    expect(erf(-6)).toBe(-1);
    expect(erf(5.9)).toBeLessThan(1);
  });

  it('handles −0, ±Infinity and NaN', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erf(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
  });

  it('is odd and nondecreasing', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (x, y) => {
        expect(Object.is(erf(-x), -erf(x))).toBe(true);
        if (x <= y) expect(erf(x)).toBeLessThanOrEqual(erf(y));
      }),
    );
  });
});

describe('erfc', () => {
  // fdlibm's erfc is not correctly rounded: a dense sweep measured at most 2.4 ulp (near x = 1.35).
  it('is within 3 ulp of the high-precision series on [-6, 6]', () => {
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
        expect(erfcUlpError(x)).toBeLessThanOrEqual(3);
      }),
      { numRuns: 400 },
    );
    for (const x of BREAKPOINTS) expect(erfcUlpError(x)).toBeLessThanOrEqual(3);
  });

  it('keeps relative accuracy in the right tail up to x = 26.5 (erfc ≈ 1e-307)', () => {
    fc.assert(
      fc.property(fc.double({ min: 6, max: 26.5, noNaN: true }), (x) => {
        expect(erfcUlpError(x)).toBeLessThanOrEqual(3);
      }),
      { numRuns: 150 },
    );
    for (const x of [10, 20, 26, 26.5]) expect(erfcUlpError(x)).toBeLessThanOrEqual(3);
  });

  it('underflows to 0 beyond 28 and saturates at 2 on the left', () => {
    expect(erfc(27)).toBeGreaterThan(0); // subnormal, ≈ 5.2e−319
    expect(erfc(28)).toBe(0);
    expect(erfc(1e300)).toBe(0);
    expect(erfc(-6)).toBe(2);
    expect(erfc(-100)).toBe(2);
  });

  it('handles ±0, ±Infinity and NaN', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(-0)).toBe(1);
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(erfc(Number.NaN)).toBeNaN();
  });

  it('satisfies erfc(−x) = 2 − erfc(x) and erf(x) + erfc(x) = 1 to rounding', () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (x) => {
        expect(Math.abs(erfc(-x) - (2 - erfc(x)))).toBeLessThanOrEqual(4.5e-16);
        expect(Math.abs(erf(x) + erfc(x) - 1)).toBeLessThanOrEqual(3.4e-16);
      }),
    );
  });
});

/** Distance in representable doubles between two positive finite numbers. */
function ulpDistance(a: number, b: number): number {
  view.setFloat64(0, a);
  const ia = view.getBigUint64(0);
  view.setFloat64(0, b);
  const ib = view.getBigUint64(0);
  return Number(ia > ib ? ia - ib : ib - ia);
}

describe('portableLog', () => {
  it('agrees with Math.log to within 1 ulp across the positive doubles, subnormals included', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), (x) => {
        const got = portableLog(x);
        const want = Math.log(x);
        if (want === 0) expect(got).toBe(0);
        else expect(ulpDistance(Math.abs(got), Math.abs(want))).toBeLessThanOrEqual(1);
        expect(Math.sign(got)).toBe(Math.sign(want));
      }),
      { numRuns: 5000 },
    );
  });

  it('is within 1 ulp of Math.log on (0, 1], where the samplers use it', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -60, max: 1, noNaN: true }), (x) => {
        const want = Math.log(x);
        if (want === 0) expect(portableLog(x)).toBe(0);
        else expect(ulpDistance(-portableLog(x), -want)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact at powers of two to within the rounding of k·ln 2', () => {
    for (let k = -1074; k <= 1023; k += 7) {
      expect(Math.abs(portableLog(2 ** k) - k * Math.LN2)).toBeLessThanOrEqual(
        Math.abs(k * Math.LN2) * 2.3e-16,
      );
    }
    expect(portableLog(1)).toBe(0);
    expect(portableLog(Math.E)).toBe(1);
  });

  it('handles 0, negatives, Infinity and NaN', () => {
    expect(portableLog(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(portableLog(-0)).toBe(Number.NEGATIVE_INFINITY);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Number.NEGATIVE_INFINITY)).toBeNaN();
    expect(portableLog(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(portableLog(Number.NaN)).toBeNaN();
  });
});
