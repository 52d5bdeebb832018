import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sigmoidScalar, unary } from '../../src/tensor/elementwise.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { encodeModule, FunctionBuilder, I32 } from '../../src/tensor/wasmAssembler.js';
import {
  elementwiseModuleBytes,
  wasmElementwiseAvailable,
  wasmExp,
  wasmSigmoid,
  wasmTanh,
  wasmTanhBackward,
} from '../../src/tensor/wasmElementwise.js';

// ---------------------------------------------------------------------------------------------
// Bit-level helpers
// ---------------------------------------------------------------------------------------------

const view = new DataView(new ArrayBuffer(8));

function bitsOf(x: number): bigint {
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

function fromBits(b: bigint): number {
  view.setBigUint64(0, BigInt.asUintN(64, b));
  return view.getFloat64(0);
}

/** Position of x on the line of doubles (monotonic, −0 and +0 adjacent at 0 and −1). */
function ordinal(x: number): bigint {
  const b = BigInt.asIntN(64, bitsOf(x));
  return b < 0n ? -(b & 0x7fffffffffffffffn) - 1n : b;
}

/** Number of doubles from a to b (0 when bit-identical; NaN only matches NaN). */
function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const d = ordinal(a) - ordinal(b);
  return Number(d < 0n ? -d : d);
}

/** Bitwise equality, treating every NaN as equal. */
function sameDouble(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** A small deterministic generator (64-bit LCG, top 53 bits) for test data. */
function lcg(seed: number): () => number {
  let state = BigInt(seed) & 0xffffffffffffffffn;
  return () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(state >> 11n) / 2 ** 53;
  };
}

type Kernel = (x: Float64Array, out: Float64Array) => boolean;

function apply(kernel: Kernel, x: readonly number[] | Float64Array): Float64Array {
  const input = Float64Array.from(x);
  const out = new Float64Array(input.length);
  if (!kernel(input, out)) throw new Error('WebAssembly SIMD unavailable');
  return out;
}

const tanhOf = (x: readonly number[] | Float64Array): Float64Array => apply(wasmTanh, x);
const expOf = (x: readonly number[] | Float64Array): Float64Array => apply(wasmExp, x);
const sigmoidOf = (x: readonly number[] | Float64Array): Float64Array => apply(wasmSigmoid, x);

// ---------------------------------------------------------------------------------------------
// An independent reference: tanh x = (e^{2x} − 1)/(e^{2x} + 1) in binary fixed point (BigInt
// scaled by 2^Q), e^{y} by its Taylor series at y/2^s < 2^−8 followed by s squarings. With
// Q = P + 64 guard bits and P ≥ 200 + (bits below x's leading one), more than 150 bits of the
// result are correct for 2^−60 ≤ x ≤ 30.
// ---------------------------------------------------------------------------------------------

/** |x| = m·2^e exactly. */
function decompose(x: number): { m: bigint; e: number } {
  const b = bitsOf(Math.abs(x));
  const biased = Number(b >> 52n);
  const m = b & ((1n << 52n) - 1n);
  return biased === 0 ? { m, e: -1074 } : { m: m | (1n << 52n), e: biased - 1075 };
}

/** |x|·2^P (exact when e + P ≥ 0). */
function toFixed(x: number, p: number): bigint {
  const { m, e } = decompose(x);
  const shift = e + p;
  return shift >= 0 ? m << BigInt(shift) : m >> BigInt(-shift);
}

/** e^{y·2^−q}·2^q for y ≥ 0. */
function expFixed(y: bigint, q: number): bigint {
  const bq = BigInt(q);
  const one = 1n << bq;
  const s = Math.max(0, bitLength(y) - (q - 8));
  const yr = y >> BigInt(s);
  let sum = one;
  let term = one;
  for (let n = 1n; term !== 0n; n++) {
    term = ((term * yr) >> bq) / n;
    sum += term;
  }
  for (let i = 0; i < s; i++) sum = (sum * sum) >> bq;
  return sum;
}

/** |tanh x| ≥ 0 in ulps of error of `got` against the fixed-point reference (x ≠ 0). */
function tanhUlpError(x: number, got: number): number {
  const p = 200 + Math.max(0, -Math.floor(Math.log2(Math.abs(x))));
  const q = p + 64;
  const bq = BigInt(q);
  const e2x = expFixed(toFixed(2 * Math.abs(x), q), q);
  const one = 1n << bq;
  const r = ((e2x - one) << BigInt(p)) / (e2x + one); // |tanh x|·2^P
  const g = toFixed(got, p);
  const diff = g > r ? g - r : r - g;
  const ulpShift = bitLength(r) - 53; // ulp(tanh x) = 2^(ulpShift − P) in the normal range
  return Number((diff << 20n) >> BigInt(ulpShift)) / 2 ** 20;
}

/** Error of `got` in ulps of e^x (the subnormal spacing 2^−1074 below 2^−1022), |x| ≤ 745. */
function expUlpError(x: number, got: number): number {
  const q = 256;
  const e = expFixed(toFixed(Math.abs(x), q), q); // e^|x|·2^q
  // e^x·2^p with at least 200 significant bits either way.
  const p = x >= 0 ? q : q + Math.ceil(1.45 * Math.abs(x)) + 200;
  const r = x >= 0 ? e : (1n << BigInt(p + q)) / e;
  const g = toFixed(got, p);
  const diff = g > r ? g - r : r - g;
  const ulpShift = Math.max(bitLength(r) - 53, p - 1074);
  return Number((diff << 20n) >> BigInt(ulpShift)) / 2 ** 20;
}

// ---------------------------------------------------------------------------------------------
// The kernel's algorithm written as a scalar JavaScript function, operation for operation
// (JavaScript arithmetic is IEEE double without contraction, like WebAssembly's), so the
// WebAssembly results must match it bit for bit.
// ---------------------------------------------------------------------------------------------

const CEPHES_P = [-0.9643991794250523, -99.28772310019185, -1614.6876844170845];
const CEPHES_Q = [112.81167849163293, 2235.4883906010045, 4844.063053251255];
const FDLIBM_EXP_P = [
  0.16666666666666602, -0.0027777777777015593, 0.00006613756321437934, -0.0000016533902205465252,
  4.1381367970572385e-8,
];
const SHIFTER = 6755399441055744 + 1023;
const HALF_LN2_HI = 0.6931471803691238 / 2;
const HALF_LN2_LO = 1.9082149292705877e-10 / 2;

function modelTanh(x: number): number {
  const [p0, p1, p2] = CEPHES_P.map((c) => -c);
  const [q0, q1, q2] = CEPHES_Q;
  const [h0, h1, h2, h3, h4] = FDLIBM_EXP_P.map((c, j) => c * 2 ** (2 * j + 1));
  const abs = Math.abs(x);
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmin(abs, 20)
  const a = 20 < abs ? 20 : abs;
  const small = a < 0.625;
  const aSmall = small ? a : 0;
  const z = aSmall * aSmall;
  let num = aSmall * z * ((p0 * z + p1) * z + p2);
  let den = ((z + q0) * z + q1) * z + (small ? q2 : 0);
  const kShifted = a * (2 * Math.LOG2E) + SHIFTER;
  const k = kShifted - SHIFTER;
  const hr = a - k * HALF_LN2_HI - k * HALF_LN2_LO;
  const s = hr * hr;
  const s2 = s * s;
  const t1 = (h1 * s + h0 + (h4 * s2 + (h3 * s + h2)) * s2) * s + 1;
  const w = t1 - hr;
  num = num + (small ? 0 : w + w);
  const scale = fromBits(bitsOf(kShifted) << 52n);
  const m = scale * (t1 + hr) + w;
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmax(m, den)
  den = m < den ? den : m;
  const result = (small ? aSmall : 1) - num / den;
  return bitsOf(x) >> 63n === 1n ? -result : result;
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

function modelExp(x: number): number {
  const [p1, p2, p3, p4, p5] = FDLIBM_EXP_P;
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmin(x, 709.79)
  let v = 709.79 < x ? 709.79 : x;
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmax(v, −745.2)
  v = v < -745.2 ? -745.2 : v;
  const kShifted = v * Math.LOG2E + SHIFTER;
  const k = kShifted - SHIFTER;
  const hi = v - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const t2 = t * t;
  const c = r - t * (p2 * t + p1 + (p5 * t2 + (p4 * t + p3)) * t2);
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmax, then f64x2.pmin
  let k1 = kShifted < SHIFTER - 1021 ? SHIFTER - 1021 : kShifted;
  // biome-ignore lint/complexity/useMathMinMax: as above
  k1 = SHIFTER + 1023 < k1 ? SHIFTER + 1023 : k1;
  const scale1 = fromBits(bitsOf(k1) << 52n);
  const scale2 = fromBits(bitsOf(kShifted - k1 + SHIFTER) << 52n);
  return y * scale1 * scale2;
}

function modelSigmoid(x: number): number {
  const t = modelExp(fromBits(bitsOf(x) | (1n << 63n))); // e^{−|x|}
  const oneOrZero = x < 0 ? 0 : 1;
  // biome-ignore lint/complexity/useMathMinMax: spells out f64x2.pmax(t, oneOrZero)
  const num = t < oneOrZero ? oneOrZero : t;
  return num / (1 + t);
}

const anyDouble = fc.double({ noDefaultInfinity: false, noNaN: false });
/** Doubles spread over every magnitude tanh distinguishes, both signs. */
const tanhArgument = fc.oneof(
  anyDouble,
  fc.double({ min: -25, max: 25, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.constantFrom(0, -0, 0.625, -0.625, 19.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

/** The slice of the WebAssembly JS API the tests use (the project compiles without DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

function wasm(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('no WebAssembly here');
  return api;
}

const available = wasmElementwiseAvailable();

describe('wasmTanh', () => {
  it('is available on Node 20 (WebAssembly SIMD) and the module validates', () => {
    expect(available).toBe(true);
    expect(wasm().validate(elementwiseModuleBytes())).toBe(true);
  });

  it.runIf(available)('matches its scalar model bit for bit', () => {
    fc.assert(
      fc.property(fc.array(tanhArgument, { maxLength: 67 }), (xs) => {
        const got = tanhOf(xs);
        xs.forEach((x, i) => {
          if (!sameDouble(got[i], modelTanh(x))) throw new Error(`x = ${x}: ${got[i]} ≠ ${modelTanh(x)}`);
        });
      }),
      { numRuns: 300 },
    );
  });

  it.runIf(available)('matches its scalar model bit for bit on a dense sample of [−25, 25]', () => {
    const next = lcg(7);
    const xs = Float64Array.from({ length: 50000 }, (_, i) =>
      i % 2 === 0 ? 50 * next() - 25 : 2 * next() - 1,
    );
    const got = tanhOf(xs);
    let mismatches = 0;
    xs.forEach((x, i) => {
      if (!sameDouble(got[i], modelTanh(x))) mismatches++;
    });
    expect(mismatches).toBe(0);
  });

  // Measured: at most 1.28 ulp over 400 000 points (with mpmath), just above 0.625; under
  // 0.8 ulp below 0.625 and under 0.6 ulp above 2. (V8's Math.tanh reaches 1.95 ulp.)
  it.runIf(available)('is within 1.5 ulp of a high-precision reference from 2⁻⁶⁰ to 30', () => {
    const next = lcg(11);
    const xs: number[] = [];
    for (let i = 0; i < 160; i++) xs.push(2 ** (-60 + 65 * next())); // every magnitude
    for (let i = 0; i < 160; i++) xs.push(0.625 + 0.75 * next()); // the least accurate stretch
    // Either side of the branch switch, and where k (2|x| ≈ k·ln2) changes, |r| is largest.
    for (const c of [0.625, ...Array.from({ length: 56 }, (_, k) => ((k + 0.5) * Math.LN2) / 2)]) {
      xs.push(c, c * (1 - 2 ** -52), c * (1 + 2 ** -52), c * (1 - 1e-9), c * (1 + 1e-9));
    }
    xs.push(0.6380888953976802); // the largest error of a 400 000-point sweep against mpmath: 1.28 ulp
    const signed = xs.map((x, i) => (i % 2 === 0 ? x : -x));
    const got = tanhOf(signed);
    let worst = 0;
    signed.forEach((x, i) => {
      worst = Math.max(worst, tanhUlpError(x, got[i]));
    });
    expect(worst).toBeLessThanOrEqual(1.5);
  });

  it.runIf(available)('keeps the sign of zero, maps ±∞ to ±1 and NaN to NaN', () => {
    const got = tanhOf([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -Number.NaN]);
    expect(Object.is(got[0], 0)).toBe(true);
    expect(Object.is(got[1], -0)).toBe(true);
    expect(got[2]).toBe(1);
    expect(got[3]).toBe(-1);
    expect(Number.isNaN(got[4])).toBe(true);
    expect(Number.isNaN(got[5])).toBe(true);
  });

  it.runIf(available)('returns x itself for |x| < 2⁻²⁸, subnormals included', () => {
    const tiny = [
      2 ** -28 * (1 - 2 ** -53),
      2 ** -29,
      1e-10,
      1e-100,
      1e-300,
      2.2250738585072014e-308,
      5e-324,
      1e-310,
    ];
    const xs = [...tiny, ...tiny.map((x) => -x)];
    const got = tanhOf(xs);
    xs.forEach((x, i) => {
      expect(Object.is(got[i], x)).toBe(true);
    });
  });

  it.runIf(available)('returns exactly ±1 for |x| > 19.1', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 19.1, max: Number.MAX_VALUE, noNaN: true }),
        fc.boolean(),
        (x, negative) => {
          const v = negative ? -x : x;
          expect(tanhOf([v])[0]).toBe(negative ? -1 : 1);
        },
      ),
    );
  });

  it.runIf(available)('is odd, monotonic and bounded by 1 (checked on sorted samples)', () => {
    const next = lcg(5);
    const xs = Array.from({ length: 4001 }, () => 30 * (2 * next() - 1)).sort((p, q) => p - q);
    const pos = tanhOf(xs);
    const neg = tanhOf(xs.map((x) => -x));
    for (let i = 0; i < xs.length; i++) {
      expect(Object.is(neg[i], -pos[i])).toBe(true);
      expect(Math.abs(pos[i])).toBeLessThanOrEqual(1);
      if (i > 0) expect(pos[i]).toBeGreaterThanOrEqual(pos[i - 1]);
    }
  });

  // Both are within 2 ulp of the exact value (this kernel 1.3, V8's Math.tanh 1.95), so they
  // can differ by 3; in practice at most 2 was seen.
  it.runIf(available)('agrees with the Math.tanh loop within 3 ulp on arrays of any length', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(tanhArgument, { maxLength: 9 }),
          fc.array(tanhArgument, { minLength: 10, maxLength: 300 }),
          fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 1500, maxLength: 2100 }),
        ),
        (xs) => {
          const got = tanhOf(xs);
          xs.forEach((x, i) => {
            expect(ulpDistance(got[i], Math.tanh(x))).toBeLessThanOrEqual(3);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it.runIf(available)('gives each element the same result whatever its array, offset or length', () => {
    fc.assert(
      fc.property(
        fc.array(tanhArgument, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        (xs, i0, i1, pad) => {
          const whole = tanhOf(xs);
          const start = i0 % xs.length;
          const end = start + (i1 % (xs.length - start)) + 1;
          // The same values at another byte offset of another buffer.
          const buffer = new Float64Array(pad + xs.length);
          buffer.set(xs, pad);
          const part = buffer.subarray(pad + start, pad + end);
          const out = new Float64Array(end - start);
          expect(wasmTanh(part, out)).toBe(true);
          for (let i = start; i < end; i++) expect(sameDouble(out[i - start], whole[i])).toBe(true);
          // One element at a time.
          for (let i = start; i < end; i++) expect(sameDouble(tanhOf([xs[i]])[0], whole[i])).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.runIf(available)('handles arrays longer than one chunk, in place', () => {
    const next = lcg(3);
    const n = 2 * 8192 + 5;
    const x = Float64Array.from({ length: n }, () => 40 * next() - 20);
    const expected = x.map(modelTanh);
    expect(wasmTanh(x, x)).toBe(true); // out may alias x
    for (let i = 0; i < n; i++) expect(sameDouble(x[i], expected[i])).toBe(true);
    expect(tanhOf([]).length).toBe(0);
  });

  it('rejects an output of the wrong length', () => {
    expect(() => wasmTanh(new Float64Array(3), new Float64Array(2))).toThrow(/wasmTanh: .*equal length/);
    expect(() => wasmExp(new Float64Array(3), new Float64Array(4))).toThrow(/wasmExp: .*equal length/);
    expect(() => wasmSigmoid(new Float64Array(0), new Float64Array(1))).toThrow(
      /wasmSigmoid: .*equal length/,
    );
  });
});

const expArgument = fc.oneof(
  anyDouble,
  fc.double({ min: -750, max: 750, noNaN: true }),
  fc.double({ min: -3, max: 3, noNaN: true }),
  fc.constantFrom(0, -0, 709.79, -745.2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

describe('wasmExp', () => {
  it.runIf(available)('matches its scalar model bit for bit', () => {
    const next = lcg(17);
    const dense = Float64Array.from({ length: 30000 }, (_, i) =>
      i % 2 === 0 ? 1500 * next() - 750 : 4 * next() - 2,
    );
    const got = expOf(dense);
    let mismatches = 0;
    dense.forEach((x, i) => {
      if (!sameDouble(got[i], modelExp(x))) mismatches++;
    });
    expect(mismatches).toBe(0);
    fc.assert(
      fc.property(fc.array(expArgument, { maxLength: 41 }), (xs) => {
        const out = expOf(xs);
        xs.forEach((x, i) => {
          expect(sameDouble(out[i], modelExp(x))).toBe(true);
        });
      }),
    );
  });

  // Measured: at most 0.83 ulp (mpmath, 150 000 points), like fdlibm's < 1 ulp.
  it.runIf(available)('is within 1 ulp of a high-precision reference, subnormal results included', () => {
    const next = lcg(23);
    const xs: number[] = [];
    for (let i = 0; i < 150; i++) xs.push(1454 * next() - 745); // the whole finite range
    for (let i = 0; i < 150; i++) xs.push(4 * next() - 2);
    for (let i = 0; i < 40; i++) xs.push(-708.5 - 36.6 * next()); // subnormal results
    // Where k changes (x ≈ (k + ½)·ln2), |r| is largest.
    for (let k = -8; k < 8; k++)
      xs.push((k + 0.5) * Math.LN2 * (1 - 2 ** -52), (k + 0.5) * Math.LN2 * (1 + 2 ** -52));
    xs.push(1.738605372099585); // the largest error of a sweep against mpmath: 0.83 ulp
    const got = expOf(xs);
    let worst = 0;
    xs.forEach((x, i) => {
      worst = Math.max(worst, expUlpError(x, got[i]));
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it.runIf(available)('handles ±0, ±∞, NaN, overflow and underflow like Math.exp', () => {
    const xs = [
      0,
      -0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      709.782712893384, // the largest finite result
      709.7827128933841, // overflows
      1e300,
      -745.1332191019411, // the smallest subnormal, 2^−1074
      -745.1332191019412, // rounds to 0
      -1e300,
      -720,
      5e-324,
      -5e-324,
    ];
    const got = expOf(xs);
    xs.forEach((x, i) => {
      expect(sameDouble(got[i], Math.exp(x)), `exp(${x})`).toBe(true);
    });
  });

  // Both are within 1 ulp of the exact value; they differ in about 2 results in 10 000.
  it.runIf(available)('agrees with Math.exp within 1 ulp', () => {
    fc.assert(
      fc.property(fc.array(expArgument, { maxLength: 200 }), (xs) => {
        const got = expOf(xs);
        xs.forEach((x, i) => {
          expect(ulpDistance(got[i], Math.exp(x))).toBeLessThanOrEqual(1);
        });
      }),
    );
  });
});

describe('wasmSigmoid', () => {
  it.runIf(available)('matches its scalar model bit for bit', () => {
    fc.assert(
      fc.property(fc.array(expArgument, { maxLength: 41 }), (xs) => {
        const out = sigmoidOf(xs);
        xs.forEach((x, i) => {
          expect(sameDouble(out[i], modelSigmoid(x))).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  // The same formulas as sigmoidScalar with an exp that differs from Math.exp in 2 results in
  // 10 000 by 1 ulp: they differ in 1 result in 10 000, by at most 2 ulp.
  it.runIf(available)('agrees with sigmoidScalar within 2 ulp, and is exact at the ends', () => {
    fc.assert(
      fc.property(fc.array(expArgument, { maxLength: 200 }), (xs) => {
        const got = sigmoidOf(xs);
        xs.forEach((x, i) => {
          expect(ulpDistance(got[i], sigmoidScalar(x))).toBeLessThanOrEqual(2);
        });
      }),
    );
    const got = sigmoidOf([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 40, -800]);
    expect(Array.from(got.subarray(0, 4))).toEqual([0.5, 0.5, 1, 0]);
    expect(Number.isNaN(got[4])).toBe(true);
    expect(got[5]).toBe(1);
    expect(got[6]).toBe(0);
  });

  it.runIf(available)('satisfies σ(x) + σ(−x) = 1 to rounding', () => {
    const next = lcg(29);
    const xs = Array.from({ length: 2000 }, () => 60 * next() - 30);
    const pos = sigmoidOf(xs);
    const neg = sigmoidOf(xs.map((x) => -x));
    xs.forEach((_, i) => {
      expect(Math.abs(pos[i] + neg[i] - 1)).toBeLessThanOrEqual(4 * Number.EPSILON);
    });
  });
});

describe('wasmTanhBackward', () => {
  const special = [0, -0, 1, -1, 0.5, Number.NaN, Infinity, -Infinity, 1e-300, 2 ** -1074, 1e300];
  it('gives the bits of the JavaScript g * (1 - h * h), on any length and leaves g past n alone (property)', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(...special), fc.double({ min: -1, max: 1 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value), { minLength: 0, maxLength: 40 }),
        fc.nat(3),
        (pairs, extra) => {
          const n = pairs.length;
          const g = Float64Array.from([...pairs.map(([a]) => a), ...new Array<number>(extra).fill(7)]);
          const h = Float64Array.from([...pairs.map(([, b]) => b), ...new Array<number>(extra).fill(0.5)]);
          const want = g.slice();
          for (let i = 0; i < n; i++) want[i] = want[i] * (1 - h[i] * h[i]);
          if (!wasmTanhBackward(g, h, n)) return false;
          return want.every((w, i) => Object.is(w, g[i]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('works across chunks (n > 8192)', () => {
    const n = 20_001;
    const g = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const h = Float64Array.from({ length: n }, (_, i) => Math.tanh(Math.cos(3 * i)));
    const want = g.map((x, i) => x * (1 - h[i] * h[i]));
    expect(wasmTanhBackward(g, h, n)).toBe(true);
    expect(Array.from(g)).toEqual(Array.from(want));
  });

  it('rejects arrays shorter than n', () => {
    expect(() => wasmTanhBackward(new Float64Array(2), new Float64Array(3), 3)).toThrow(
      /wasmTanhBackward: n = 3 but g has length 2/,
    );
  });
});

describe('unary', () => {
  const cases = [
    { op: 'tanh', min: 8, kernel: tanhOf, scalar: Math.tanh },
    { op: 'exp', min: 16, kernel: expOf, scalar: Math.exp },
    { op: 'sigmoid', min: 16, kernel: sigmoidOf, scalar: sigmoidScalar },
  ] as const;
  for (const { op, min, kernel, scalar } of cases) {
    it.runIf(available)(`'${op}' uses the kernel from ${min} elements and the scalar loop below`, () => {
      fc.assert(
        fc.property(fc.array(tanhArgument, { maxLength: 40 }), (xs) => {
          const got = unary(op, new NDArray(Float64Array.from(xs), [xs.length])).data;
          const expected = xs.length >= min ? kernel(xs) : Float64Array.from(xs, scalar);
          xs.forEach((_, i) => {
            expect(sameDouble(got[i], expected[i])).toBe(true);
          });
        }),
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The assembler's SIMD instructions, each run on random lanes against its specification
// (WebAssembly Core Specification 2.0, §4.3) written in JavaScript.
// ---------------------------------------------------------------------------------------------

type Emit = (f: FunctionBuilder) => void;

/**
 * One instruction under test: it reads `arity` vectors (0–3) and leaves one vector, or, with
 * `store: false`, stores its own result at the address in local 1.
 */
interface OpCase {
  name: string;
  arity: 0 | 1 | 2 | 3;
  emit: Emit;
  store?: false;
  /** Expected output lanes as raw 64-bit patterns. */
  expect: (a: bigint[], b: bigint[], c: bigint[]) => bigint[];
}

const lanewise =
  (op: (x: number, y: number) => number) =>
  (a: bigint[], b: bigint[]): bigint[] =>
    a.map((ai, i) => bitsOf(op(fromBits(ai), fromBits(b[i]))));
const unaryLanes =
  (op: (x: number) => number) =>
  (a: bigint[]): bigint[] =>
    a.map((ai) => bitsOf(op(fromBits(ai))));
const compare =
  (op: (x: number, y: number) => boolean) =>
  (a: bigint[], b: bigint[]): bigint[] =>
    a.map((ai, i) => (op(fromBits(ai), fromBits(b[i])) ? 0xffffffffffffffffn : 0n));
const bitwise =
  (op: (x: bigint, y: bigint) => bigint) =>
  (a: bigint[], b: bigint[]): bigint[] =>
    a.map((ai, i) => BigInt.asUintN(64, op(ai, b[i])));
/** Stores the i32 test result on the stack as both lanes (1 or 0). */
const storeFlag = (f: FunctionBuilder): void => {
  f.ifElse(
    () => f.get(1).i64x2Const(1n).v128Store(0),
    () => f.get(1).i64x2Const(0n).v128Store(0),
  );
};

/** IEEE minimum/maximum as WebAssembly defines them: NaN wins, −0 < +0. */
const wasmMin = (x: number, y: number): number =>
  Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.min(x, y);
const wasmMax = (x: number, y: number): number =>
  Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.max(x, y);

/** Pseudo-minimum and pseudo-maximum (§4.3.3 fpmin, fpmax): a plain comparison, NaN keeps x. */
// biome-ignore lint/complexity/useMathMinMax: the definition, not Math.min (which differs for NaN)
const pmin = (x: number, y: number): number => (y < x ? y : x);
// biome-ignore lint/complexity/useMathMinMax: the definition, not Math.max (which differs for NaN)
const pmax = (x: number, y: number): number => (x < y ? y : x);

/** Round to nearest, ties to even, keeping the sign of zero. */
function nearest(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 52) return x;
  const f = Math.floor(x);
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 ? (bitsOf(x) >> 63n === 1n ? -0 : 0) : r;
}

const SIGN_BIT = 1n << 63n;

const opCases: OpCase[] = [
  { name: 'f64x2.add', arity: 2, emit: (f) => f.f64x2Add(), expect: lanewise((x, y) => x + y) },
  { name: 'f64x2.sub', arity: 2, emit: (f) => f.f64x2Sub(), expect: lanewise((x, y) => x - y) },
  { name: 'f64x2.mul', arity: 2, emit: (f) => f.f64x2Mul(), expect: lanewise((x, y) => x * y) },
  { name: 'f64x2.div', arity: 2, emit: (f) => f.f64x2Div(), expect: lanewise((x, y) => x / y) },
  { name: 'f64x2.min', arity: 2, emit: (f) => f.f64x2Min(), expect: lanewise(wasmMin) },
  { name: 'f64x2.max', arity: 2, emit: (f) => f.f64x2Max(), expect: lanewise(wasmMax) },
  { name: 'f64x2.pmin', arity: 2, emit: (f) => f.f64x2Pmin(), expect: lanewise(pmin) },
  { name: 'f64x2.pmax', arity: 2, emit: (f) => f.f64x2Pmax(), expect: lanewise(pmax) },
  { name: 'f64x2.sqrt', arity: 1, emit: (f) => f.f64x2Sqrt(), expect: unaryLanes(Math.sqrt) },
  { name: 'f64x2.ceil', arity: 1, emit: (f) => f.f64x2Ceil(), expect: unaryLanes(Math.ceil) },
  { name: 'f64x2.floor', arity: 1, emit: (f) => f.f64x2Floor(), expect: unaryLanes(Math.floor) },
  { name: 'f64x2.trunc', arity: 1, emit: (f) => f.f64x2Trunc(), expect: unaryLanes(Math.trunc) },
  { name: 'f64x2.nearest', arity: 1, emit: (f) => f.f64x2Nearest(), expect: unaryLanes(nearest) },
  { name: 'f64x2.eq', arity: 2, emit: (f) => f.f64x2Eq(), expect: compare((x, y) => x === y) },
  { name: 'f64x2.ne', arity: 2, emit: (f) => f.f64x2Ne(), expect: compare((x, y) => x !== y) },
  { name: 'f64x2.lt', arity: 2, emit: (f) => f.f64x2Lt(), expect: compare((x, y) => x < y) },
  { name: 'f64x2.gt', arity: 2, emit: (f) => f.f64x2Gt(), expect: compare((x, y) => x > y) },
  { name: 'f64x2.le', arity: 2, emit: (f) => f.f64x2Le(), expect: compare((x, y) => x <= y) },
  { name: 'f64x2.ge', arity: 2, emit: (f) => f.f64x2Ge(), expect: compare((x, y) => x >= y) },
  // abs and neg act on the sign bit alone, NaN payloads included.
  { name: 'f64x2.abs', arity: 1, emit: (f) => f.f64x2Abs(), expect: (a) => a.map((x) => x & ~SIGN_BIT) },
  { name: 'f64x2.neg', arity: 1, emit: (f) => f.f64x2Neg(), expect: (a) => a.map((x) => x ^ SIGN_BIT) },
  { name: 'v128.and', arity: 2, emit: (f) => f.v128And(), expect: bitwise((x, y) => x & y) },
  { name: 'v128.or', arity: 2, emit: (f) => f.v128Or(), expect: bitwise((x, y) => x | y) },
  { name: 'v128.xor', arity: 2, emit: (f) => f.v128Xor(), expect: bitwise((x, y) => x ^ y) },
  { name: 'v128.andnot', arity: 2, emit: (f) => f.v128Andnot(), expect: bitwise((x, y) => x & ~y) },
  {
    name: 'v128.not',
    arity: 1,
    emit: (f) => f.v128Not(),
    expect: (a) => a.map((x) => BigInt.asUintN(64, ~x)),
  },
  {
    name: 'v128.bitselect',
    arity: 3,
    emit: (f) => f.v128Bitselect(),
    expect: (a, b, c) => a.map((x, i) => BigInt.asUintN(64, (x & c[i]) | (b[i] & ~c[i]))),
  },
  { name: 'i64x2.add', arity: 2, emit: (f) => f.i64x2Add(), expect: bitwise((x, y) => x + y) },
  { name: 'i64x2.sub', arity: 2, emit: (f) => f.i64x2Sub(), expect: bitwise((x, y) => x - y) },
  {
    name: 'i64x2.shl',
    arity: 1,
    emit: (f) => f.i32(37).i64x2Shl(),
    expect: (a) => a.map((x) => BigInt.asUintN(64, x << 37n)),
  },
  {
    name: 'i64x2.shl, count taken mod 64',
    arity: 1,
    emit: (f) => f.i32(64 + 3).i64x2Shl(),
    expect: (a) => a.map((x) => BigInt.asUintN(64, x << 3n)),
  },
  {
    name: 'i64x2.shr_s',
    arity: 1,
    emit: (f) => f.i32(37).i64x2ShrS(),
    expect: (a) => a.map((x) => BigInt.asUintN(64, BigInt.asIntN(64, x) >> 37n)),
  },
  {
    name: 'i64x2.shr_u',
    arity: 1,
    emit: (f) => f.i32(37).i64x2ShrU(),
    expect: (a) => a.map((x) => x >> 37n),
  },
  {
    name: 'v128.any_true',
    arity: 1,
    store: false,
    emit: (f) => storeFlag(f.v128AnyTrue()),
    expect: (a) => (a.some((x) => x !== 0n) ? [1n, 1n] : [0n, 0n]),
  },
  {
    name: 'i64x2.all_true',
    arity: 1,
    store: false,
    emit: (f) => storeFlag(f.i64x2AllTrue()),
    expect: (a) => (a.every((x) => x !== 0n) ? [1n, 1n] : [0n, 0n]),
  },
  {
    name: 'v128.const from f64 lanes',
    arity: 0,
    emit: (f) => f.f64x2Const(-1.5, 2 ** -1074),
    expect: () => [bitsOf(-1.5), 1n],
  },
  {
    name: 'v128.const, f64 splat',
    arity: 0,
    emit: (f) => f.f64x2Const(0.1),
    expect: () => [bitsOf(0.1), bitsOf(0.1)],
  },
  {
    name: 'v128.const from i64 lanes',
    arity: 0,
    emit: (f) => f.i64x2Const(-2n, 0x7ff8000000000001n),
    expect: () => [0xfffffffffffffffen, 0x7ff8000000000001n],
  },
];

/** Results that are floating-point NaN may carry any NaN payload (§4.3.3). */
function payloadFree(name: string): boolean {
  return /^f64x2\.(add|sub|mul|div|min|max|pmin|pmax|sqrt|ceil|floor|trunc|nearest)$/.test(name);
}

interface OpModule {
  run: ((src: number, dst: number) => void)[];
  heap: BigUint64Array;
}

/**
 * `case_<i>(src, dst)`: reads `arity` vectors from src, src + 16, src + 32, runs the case's
 * instructions and stores the resulting vector at dst.
 */
function opModule(): OpModule {
  const functions = opCases.map((c, i) => {
    const f = new FunctionBuilder(`case_${i}`, [I32, I32]);
    if (c.store !== false) f.get(1);
    for (let k = 0; k < c.arity; k++) f.get(0).v128Load(16 * k);
    c.emit(f);
    if (c.store !== false) f.v128Store(0);
    return f;
  });
  const api = wasm();
  const { exports } = new api.Instance(new api.Module(encodeModule(functions, 1)), {});
  const run = opCases.map((_, i) => {
    const fn = exports[`case_${i}`];
    if (typeof fn !== 'function') throw new Error(`case_${i} is not exported`);
    return (src: number, dst: number): void => {
      fn(src, dst);
    };
  });
  const memory = exports.memory;
  const buffer = typeof memory === 'object' && memory !== null && 'buffer' in memory ? memory.buffer : null;
  if (!(buffer instanceof ArrayBuffer)) throw new Error('memory is not exported');
  return { run, heap: new BigUint64Array(buffer) };
}

/** Lane values: specials, random doubles, and raw bit patterns (NaN payloads, integers). */
const laneArb = fc.oneof(
  anyDouble.map(bitsOf),
  fc.constantFrom(0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1, -1, 2 ** 52 + 1, Number.MIN_VALUE).map(bitsOf),
  fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
);
const vectorArb = fc.tuple(laneArb, laneArb);

describe('wasmAssembler SIMD instructions', () => {
  it.runIf(available)('compute what the specification says, lane by lane', () => {
    const { run, heap } = opModule();
    opCases.forEach((c, i) => {
      fc.assert(
        fc.property(fc.tuple(vectorArb, vectorArb, vectorArb), ([a, b, m]) => {
          heap.set([...a, ...b, ...m], 0);
          run[i](0, 64);
          const want = c.expect(a, b, m);
          for (let lane = 0; lane < 2; lane++) {
            const got = heap[8 + lane];
            if (payloadFree(c.name) && Number.isNaN(fromBits(want[lane]))) {
              expect(Number.isNaN(fromBits(got)), `${c.name} lane ${lane}`).toBe(true);
            } else {
              expect(got, `${c.name} lane ${lane}`).toBe(want[lane]);
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  it('encodes f64x2.add and f64x2.mul as before (LEB128 of 240 and 242 after 0xfd)', () => {
    const f = new FunctionBuilder('k', [I32]);
    f.get(0).get(0).v128Load(0).get(0).v128Load(16).f64x2Mul().get(0).v128Load(32).f64x2Add().v128Store(48);
    const hex = Array.from(encodeModule([f], 1), (b) => b.toString(16).padStart(2, '0')).join('');
    expect(hex).toContain('fdf201');
    expect(hex).toContain('fdf001');
  });
});

describe('test helpers', () => {
  it('ulpDistance counts the doubles between, across zero', () => {
    expect(ulpDistance(0, -0)).toBe(1);
    expect(ulpDistance(1, 1 + 2 ** -52)).toBe(1);
    expect(ulpDistance(Number.MIN_VALUE, -Number.MIN_VALUE)).toBe(3);
  });

  it('the reference is exact at tanh(ln 3 / 2) = 1/2', () => {
    // e^{ln 3} = 3, so tanh = 2/4; the double nearest ln(3)/2 gives a value within 1e-16.
    expect(tanhUlpError(Math.log(3) / 2, 0.5)).toBeLessThan(1);
  });
});
