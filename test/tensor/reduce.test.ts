import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromNested, NDArray } from '../../src/tensor/ndarray.js';
import { broadcastTo, max, min, sum, sumTo } from '../../src/tensor/reduce.js';
import { type Shape, sizeOf, stridesOf } from '../../src/tensor/shape.js';

// ---- arbitraries and plain references ------------------------------------------------------

const shapeArb = (maxRank = 4, maxExtent = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: maxExtent }), { maxLength: maxRank });

/** Finite values in [-8, 8] (fast-check biases towards 0, −0 and the bounds). */
const finiteData = (n: number): fc.Arbitrary<Float64Array> =>
  fc.float64Array({ min: -8, max: 8, noNaN: true, minLength: n, maxLength: n });

/** Any doubles, NaN and ±Infinity included. */
const anyData = (n: number): fc.Arbitrary<Float64Array> => fc.float64Array({ minLength: n, maxLength: n });

const arrayOf = (shape: Shape, data = finiteData): fc.Arbitrary<NDArray> =>
  data(sizeOf(shape)).map((d) => new NDArray(d, shape));

/** A shape, an array of it and a subset of its axes (as given: maybe negative, maybe undefined). */
const reductionCase = (data = finiteData) =>
  shapeArb().chain((shape) =>
    fc.tuple(
      arrayOf(shape, data),
      fc.option(
        fc.subarray(shape.map((_, i) => i)).map((axes) => axes.map((a) => (a % 2 ? a - shape.length : a))),
        {
          nil: undefined,
        },
      ),
      fc.boolean(),
    ),
  );

/** Multi-index of flat position `k` in `shape`. */
function unravel(k: number, shape: Shape): number[] {
  const strides = stridesOf(shape);
  return shape.map((n, i) => Math.floor(k / strides[i]) % n);
}

/** For each output element, the list of input values it reduces, by brute force. */
function groups(
  x: NDArray,
  axes: readonly number[] | undefined,
  keepdims: boolean,
): { shape: number[]; vals: number[][] } {
  const r = x.rank;
  const red = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + r : a)));
  const shape: number[] = [];
  for (let i = 0; i < r; i++) {
    if (!red.has(i)) shape.push(x.shape[i]);
    else if (keepdims) shape.push(1);
  }
  const vals: number[][] = Array.from({ length: sizeOf(shape) }, () => []);
  const outStrides = stridesOf(shape);
  for (let k = 0; k < x.size; k++) {
    const idx = unravel(k, x.shape);
    const outIdx: number[] = [];
    for (let i = 0; i < r; i++) {
      if (!red.has(i)) outIdx.push(idx[i]);
      else if (keepdims) outIdx.push(0);
    }
    let flat = 0;
    for (let i = 0; i < outIdx.length; i++) flat += outIdx[i] * outStrides[i];
    vals[flat].push(x.data[k]);
  }
  return { shape, vals };
}

function dot(a: NDArray, b: NDArray): { value: number; scale: number } {
  expect(a.shape).toEqual(b.shape);
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.size; i++) {
    value += a.data[i] * b.data[i];
    scale += Math.abs(a.data[i] * b.data[i]);
  }
  return { value, scale };
}

/** ⟨L x, y⟩ = ⟨x, Lᵀ y⟩ to 1e-12 relative to Σ|terms|. */
function expectAdjoint(lx: NDArray, y: NDArray, x: NDArray, lty: NDArray): void {
  const left = dot(lx, y);
  const right = dot(x, lty);
  const scale = Math.max(left.scale, right.scale);
  // Products in the subnormal range round with an absolute error of up to MIN_VALUE each.
  const floor = (lx.size + x.size) * Number.MIN_VALUE;
  expect(Math.abs(left.value - right.value)).toBeLessThanOrEqual(1e-12 * scale + floor);
}

// ---- sum / max / min -------------------------------------------------------------------------

describe('sum', () => {
  it('matches a brute-force sum for any shape, axes and keepdims', () => {
    fc.assert(
      fc.property(reductionCase(), ([x, axes, keepdims]) => {
        const before = x.data.slice();
        const y = sum(x, axes, keepdims);
        const ref = groups(x, axes, keepdims);
        expect(y.shape).toEqual(ref.shape);
        ref.vals.forEach((vs, i) => {
          const exact = vs.reduce((s, v) => s + v, 0);
          const bound = vs.reduce((s, v) => s + Math.abs(v), 0);
          expect(Math.abs(y.data[i] - exact)).toBeLessThanOrEqual(1e-14 * bound);
        });
        expect(x.data).toEqual(before);
      }),
    );
  });

  it('reduces the leading axis, the last axis and all axes of a [25, 64] array', () => {
    const x = new NDArray(
      Float64Array.from({ length: 25 * 64 }, (_, k) => (k % 7) - 3 + k / 1000),
      [25, 64],
    );
    const cols = sum(x, 0);
    const rows = sum(x, -1, true);
    const all = sum(x);
    expect(cols.shape).toEqual([64]);
    expect(rows.shape).toEqual([25, 1]);
    expect(all.shape).toEqual([]);
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let i = 0; i < 25; i++) s += x.data[i * 64 + j];
      expect(cols.data[j]).toBe(s);
    }
    for (let i = 0; i < 25; i++) {
      let s = 0;
      for (let j = 0; j < 64; j++) s += x.data[i * 64 + j];
      expect(rows.data[i]).toBe(s);
    }
    expect(all.data[0]).toBeCloseTo(
      x.data.reduce((s, v) => s + v, 0),
      10,
    );
  });

  it('sums an empty axis to 0 and keeps −0 when every term is −0', () => {
    expect(sum(NDArray.zeros([3, 0]), 1).toNested()).toEqual([0, 0, 0]);
    expect(Object.is(sum(NDArray.zeros([0])).data[0], 0)).toBe(true);
    expect(Object.is(sum(fromNested([-0, -0])).data[0], -0)).toBe(true);
    expect(Object.is(sum(fromNested([-0, 0])).data[0], 0)).toBe(true);
    expect(sum(NDArray.scalar(5)).toNested()).toBe(5);
    expect(sum(fromNested([[1, 2]]), []).toNested()).toEqual([[1, 2]]);
  });

  it('is adjoint to broadcasting the kept cotangent back', () => {
    fc.assert(
      fc.property(
        reductionCase().chain(([x, axes]) =>
          fc.tuple(fc.constant(x), fc.constant(axes), arrayOf(sum(x, axes, true).shape)),
        ),
        ([x, axes, g]) => {
          expectAdjoint(sum(x, axes, true), g, x, broadcastTo(g, x.shape));
        },
      ),
    );
  });
});

describe('max and min', () => {
  it('match Math.max / Math.min on every slice exactly (NaN, ±Infinity and ±0 included)', () => {
    fc.assert(
      fc.property(reductionCase(anyData), ([x, axes, keepdims]) => {
        const ref = groups(x, axes, keepdims);
        const hi = max(x, axes, keepdims);
        const lo = min(x, axes, keepdims);
        expect(hi.shape).toEqual(ref.shape);
        expect(lo.shape).toEqual(ref.shape);
        ref.vals.forEach((vs, i) => {
          expect(Object.is(hi.data[i], Math.max(...vs))).toBe(true);
          expect(Object.is(lo.data[i], Math.min(...vs))).toBe(true);
        });
      }),
    );
  });

  it('propagate NaN wherever it sits in the slice', () => {
    const x = fromNested([
      [Number.NaN, 1, 2],
      [3, Number.NaN, 4],
      [5, 6, Number.NaN],
      [7, 8, 9],
    ]);
    expect(max(x, 1).toNested()).toEqual([Number.NaN, Number.NaN, Number.NaN, 9]);
    expect(min(x, 1).toNested()).toEqual([Number.NaN, Number.NaN, Number.NaN, 7]);
    expect(max(x, 0).toNested()).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(min(x).toNested()).toBeNaN();
  });

  it('give −Infinity / +Infinity over an empty axis', () => {
    expect(max(NDArray.zeros([2, 0]), 1).toNested()).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(min(NDArray.zeros([0, 2]), 0).toNested()).toEqual([
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
    expect(max(NDArray.zeros([0])).toNested()).toBe(Number.NEGATIVE_INFINITY);
  });

  it('order signed zeros as Math.max / Math.min do', () => {
    expect(Object.is(max(fromNested([-0, 0])).data[0], 0)).toBe(true);
    expect(Object.is(max(fromNested([0, -0])).data[0], 0)).toBe(true);
    expect(Object.is(min(fromNested([0, -0])).data[0], -0)).toBe(true);
    expect(Object.is(min(fromNested([[0], [-0]]), 0).data[0], -0)).toBe(true);
  });
});

describe('reduction errors', () => {
  const x = NDArray.zeros([2, 3]);
  it('name the operation and the bad axis', () => {
    expect(() => sum(x, 2)).toThrow(/sum: axis 2 is out of range for an array of rank 2/);
    expect(() => max(x, [0, -2])).toThrow(/max: axis 0 is listed twice/);
    expect(() => min(x, 0.5)).toThrow(RangeError);
  });
});

// ---- broadcastTo / sumTo -------------------------------------------------------------------

/** A target shape and a shape that broadcasts to it (leading axes dropped, some extents set to 1). */
const broadcastPair = shapeArb().chain((big) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: big.length }),
      fc.array(fc.boolean(), { minLength: big.length, maxLength: big.length }),
    )
    .map(([drop, ones]) => ({ big, small: big.slice(drop).map((n, i) => (ones[i + drop] ? 1 : n)) })),
);

describe('broadcastTo and sumTo', () => {
  it('broadcastTo reads x at the broadcast index', () => {
    fc.assert(
      fc.property(
        broadcastPair.chain(({ big, small }) => fc.tuple(fc.constant(big), arrayOf(small))),
        ([big, x]) => {
          const y = broadcastTo(x, big);
          expect(y.shape).toEqual(big);
          const off = big.length - x.rank;
          const xs = stridesOf(x.shape);
          for (let k = 0; k < y.size; k++) {
            const idx = unravel(k, big);
            let src = 0;
            for (let i = 0; i < x.rank; i++) src += (x.shape[i] === 1 ? 0 : idx[i + off]) * xs[i];
            expect(Object.is(y.data[k], x.data[src])).toBe(true);
          }
        },
      ),
    );
  });

  it('sumTo equals summing the broadcast axes', () => {
    fc.assert(
      fc.property(
        broadcastPair.chain(({ big, small }) => fc.tuple(fc.constant(small), arrayOf(big))),
        ([small, g]) => {
          const y = sumTo(g, small);
          expect(y.shape).toEqual(small);
          const off = g.rank - small.length;
          const axes = g.shape
            .map((_, i) => i)
            .filter((i) => i < off || (small[i - off] === 1 && g.shape[i] !== 1));
          const ref = sum(g, axes, true);
          expect(Array.from(y.data)).toEqual(Array.from(ref.data));
        },
      ),
    );
  });

  it('are adjoint: ⟨broadcastTo(x, s), g⟩ = ⟨x, sumTo(g, x.shape)⟩', () => {
    fc.assert(
      fc.property(
        broadcastPair.chain(({ big, small }) => fc.tuple(arrayOf(small), arrayOf(big))),
        ([x, g]) => {
          expectAdjoint(broadcastTo(x, g.shape), g, x, sumTo(g, x.shape));
        },
      ),
    );
  });

  it('copy when the shapes are equal and never alias the input', () => {
    const x = fromNested([
      [1, -0],
      [3, 4],
    ]);
    const b = broadcastTo(x, [2, 2]);
    const s = sumTo(x, [2, 2]);
    expect(b.data).not.toBe(x.data);
    expect(s.data).not.toBe(x.data);
    expect(Object.is(b.data[1], -0)).toBe(true);
    expect(Object.is(s.data[1], -0)).toBe(true);
    const target = [2, 2];
    const t = sumTo(x, target);
    target[0] = 5;
    expect(t.shape).toEqual([2, 2]);
  });

  it('handle the common bias shapes', () => {
    const bias = fromNested([1, 2, 3]);
    expect(broadcastTo(bias, [2, 3]).toNested()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(broadcastTo(NDArray.scalar(7), [2]).toNested()).toEqual([7, 7]);
    expect(
      sumTo(
        fromNested([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [],
      ).toNested(),
    ).toBe(21);
    expect(sumTo(NDArray.zeros([0, 3]), [1, 3]).toNested()).toEqual([[0, 0, 0]]);
  });

  it('reject shapes that do not broadcast, naming both shapes and the axis', () => {
    expect(() => broadcastTo(NDArray.zeros([2, 3]), [4, 3])).toThrow(
      /broadcastTo: cannot broadcast \[2, 3\] to \[4, 3\]: axis -2 has extent 2/,
    );
    expect(() => broadcastTo(NDArray.zeros([2, 3]), [3])).toThrow(
      /broadcastTo: .*rank 2, more than the target's 1/,
    );
    expect(() => sumTo(NDArray.zeros([4, 3]), [2, 3])).toThrow(
      /sumTo: cannot sum \[4, 3\] to \[2, 3\]: axis -2/,
    );
    expect(() => sumTo(NDArray.zeros([3]), [1, 3])).toThrow(/sumTo: .*rank 2/);
    expect(() => broadcastTo(NDArray.zeros([2]), [-1])).toThrow(/broadcastTo: shape \[-1\]/);
  });
});
