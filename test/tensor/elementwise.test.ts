import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BinaryOp,
  binary,
  sigmoidScalar,
  softplusScalar,
  type UnaryOp,
  unary,
} from '../../src/tensor/elementwise.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { broadcastShapes, sizeOf, stridesOf } from '../../src/tensor/shape.js';
import { erf } from '../../src/tensor/special.js';

const ref: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: Math.max,
  minimum: Math.min,
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

/** Broadcasting by the definition: index each operand with its own shape, modulo extent 1. */
function naiveBinary(op: BinaryOp, x: NDArray, y: NDArray): NDArray {
  const shape = broadcastShapes(x.shape, y.shape, op);
  const out = new Float64Array(sizeOf(shape));
  const os = stridesOf(shape);
  const read = (a: NDArray, idx: number[]): number => {
    const off = shape.length - a.shape.length;
    const st = stridesOf(a.shape);
    let k = 0;
    for (let i = 0; i < a.shape.length; i++) k += (a.shape[i] === 1 ? 0 : idx[i + off]) * st[i];
    return a.data[k];
  };
  for (let f = 0; f < out.length; f++) {
    const idx = os.map((s, i) => Math.floor(f / s) % shape[i]);
    out[f] = ref[op](read(x, idx), read(y, idx));
  }
  return new NDArray(out, shape);
}

const valueArb = fc.oneof(
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(0, -0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

/** A pair of broadcastable shapes and their data. */
const pairArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((full) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.boolean(),
    )
    .chain(([drop, ones, swap]) => {
      const other = full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
      const [sa, sb] = swap ? [other, full] : [full, other];
      return fc.tuple(
        fc.array(valueArb, { minLength: sizeOf(sa), maxLength: sizeOf(sa) }),
        fc.array(valueArb, { minLength: sizeOf(sb), maxLength: sizeOf(sb) }),
        fc.constant(sa),
        fc.constant(sb),
      );
    }),
);

describe('binary kernels', () => {
  for (const op of Object.keys(ref) as BinaryOp[]) {
    it(`${op} equals the definition under broadcasting, bit for bit`, () => {
      fc.assert(
        fc.property(pairArb, ([da, db, sa, sb]) => {
          const x = new NDArray(Float64Array.from(da), sa);
          const y = new NDArray(Float64Array.from(db), sb);
          const got = binary(op, x, y);
          const want = naiveBinary(op, x, y);
          expect(got.shape).toEqual(want.shape);
          // Object.is distinguishes −0 and treats NaN as equal to NaN.
          got.data.forEach((v, i) => {
            expect(Object.is(v, want.data[i])).toBe(true);
          });
        }),
        { numRuns: 60 },
      );
    });
  }

  it('names the operation and both shapes when they do not broadcast', () => {
    expect(() => binary('mul', NDArray.zeros([2, 3]), NDArray.zeros([4]))).toThrow(
      'mul: shapes [2, 3] and [4] do not broadcast (axis -1 has extents 3 and 4',
    );
  });

  it('handles empty arrays', () => {
    expect(binary('add', NDArray.zeros([0, 3]), NDArray.zeros([3])).shape).toEqual([0, 3]);
  });
});

describe('unary kernels', () => {
  const refs: Record<UnaryOp, (x: number) => number> = {
    neg: (x) => -x,
    abs: Math.abs,
    sign: Math.sign,
    exp: Math.exp,
    expm1: Math.expm1,
    log: Math.log,
    log1p: Math.log1p,
    sqrt: Math.sqrt,
    square: (x) => x * x,
    reciprocal: (x) => 1 / x,
    sin: Math.sin,
    cos: Math.cos,
    tan: Math.tan,
    tanh: Math.tanh,
    sigmoid: sigmoidScalar,
    softplus: softplusScalar,
    relu: (x) => Math.max(x, 0),
    // 1 + erf(x/√2) cancels for x ≪ 0; the tail is checked separately below.
    gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
    silu: (x) => x * sigmoidScalar(x),
    elu: (x) => (x > 0 ? x : Math.expm1(x)),
    erf,
  };
  for (const op of Object.keys(refs) as UnaryOp[]) {
    it(`${op} matches its scalar definition`, () => {
      fc.assert(
        fc.property(fc.array(valueArb, { maxLength: 20 }), (vals) => {
          const got = unary(op, new NDArray(Float64Array.from(vals), [vals.length]));
          vals.forEach((v, i) => {
            const want = refs[op](v);
            const g = got.data[i];
            if (Number.isNaN(want)) expect(Number.isNaN(g)).toBe(true);
            else if (!Number.isFinite(want) || want === 0)
              expect(Object.is(g, want) || g === want).toBe(true);
            else expect(Math.abs(g - want) / Math.abs(want)).toBeLessThan(op === 'gelu' ? 1e-9 : 1e-15);
          });
        }),
        { numRuns: 40 },
      );
    });
  }

  it('sigmoid and softplus are stable in both tails', () => {
    expect(sigmoidScalar(-800)).toBe(0);
    expect(sigmoidScalar(800)).toBe(1);
    expect(sigmoidScalar(-40)).toBeCloseTo(Math.exp(-40), 30);
    expect(softplusScalar(800)).toBe(800);
    expect(softplusScalar(-800)).toBe(0);
    expect(softplusScalar(-40) / Math.exp(-40)).toBeCloseTo(1, 14);
  });

  it('gelu keeps its tiny negative tail (erfc form, no cancellation)', () => {
    const x = -10;
    const g = unary('gelu', new NDArray(new Float64Array([x]), [1])).data[0];
    // x·Φ(x) with Φ(−10) = 7.6198530241604696e-24
    expect(g / (x * 7.6198530241604696e-24)).toBeCloseTo(1, 12);
  });
});
