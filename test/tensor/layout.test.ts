import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  gather,
  inversePermutation,
  type PadMode,
  type Pads,
  pad,
  padAdjoint,
  permute,
  scatterAdd,
  slice,
  sliceAdjoint,
  split,
  where,
} from '../../src/tensor/layout.js';
import { fromNested, NDArray } from '../../src/tensor/ndarray.js';
import { type Shape, sizeOf, stridesOf } from '../../src/tensor/shape.js';

// ---- arbitraries and plain references ------------------------------------------------------

const shapeArb = (minRank = 0, maxRank = 4, maxExtent = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: maxExtent }), { minLength: minRank, maxLength: maxRank });

/** Finite values in [-8, 8]; fast-check favours 0, −0 and the bounds. */
const arrayOf = (shape: Shape): fc.Arbitrary<NDArray> => {
  const n = sizeOf(shape);
  return fc
    .float64Array({ min: -8, max: 8, noNaN: true, minLength: n, maxLength: n })
    .map((d) => new NDArray(d, shape));
};

/** Any doubles (NaN, ±Infinity, −0 included), for exact-copy checks. */
const rawArrayOf = (shape: Shape): fc.Arbitrary<NDArray> => {
  const n = sizeOf(shape);
  return fc.float64Array({ minLength: n, maxLength: n }).map((d) => new NDArray(d, shape));
};

function unravel(k: number, shape: Shape): number[] {
  const strides = stridesOf(shape);
  return shape.map((n, i) => Math.floor(k / strides[i]) % n);
}

function ravel(idx: readonly number[], shape: Shape): number {
  const strides = stridesOf(shape);
  let k = 0;
  for (let i = 0; i < idx.length; i++) k += idx[i] * strides[i];
  return k;
}

/** Exact equality of data, distinguishing −0 and comparing NaN as equal. */
function expectSameData(actual: Float64Array, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(
        `element ${i}: got ${Object.is(actual[i], -0) ? '-0' : actual[i]}, expected ${expected[i]}`,
      );
    }
  }
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

/** ⟨L x, y⟩ = Σ_k ⟨x_k, (Lᵀ y)_k⟩ to 1e-12 relative to Σ|terms|. */
function expectAdjoint(lx: NDArray, y: NDArray, xs: readonly NDArray[], ltys: readonly NDArray[]): void {
  const left = dot(lx, y);
  let right = 0;
  let scale = left.scale;
  xs.forEach((x, k) => {
    const d = dot(x, ltys[k]);
    right += d.value;
    scale = Math.max(scale, d.scale);
  });
  // Products in the subnormal range round with an absolute error of up to MIN_VALUE each.
  const floor = (lx.size + xs.reduce((n, x) => n + x.size, 0)) * Number.MIN_VALUE;
  expect(Math.abs(left.value - right)).toBeLessThanOrEqual(1e-12 * scale + floor);
}

function expectUnchanged(x: NDArray, run: () => void): void {
  const before = x.data.slice();
  const shape = x.shape.slice();
  run();
  expectSameData(x.data, before);
  expect(x.shape).toEqual(shape);
}

// ---- permute -------------------------------------------------------------------------------

const permuteCase = shapeArb().chain((shape) =>
  fc.tuple(
    rawArrayOf(shape),
    fc.shuffledSubarray(
      shape.map((_, i) => i),
      { minLength: shape.length, maxLength: shape.length },
    ),
  ),
);

describe('permute', () => {
  it('puts axis perm[i] of x at axis i, copying exactly', () => {
    fc.assert(
      fc.property(permuteCase, ([x, perm]) => {
        let y = x;
        expectUnchanged(x, () => {
          y = permute(x, perm);
        });
        expect(y.shape).toEqual(perm.map((a) => x.shape[a]));
        const ref = new Float64Array(y.size);
        for (let k = 0; k < y.size; k++) {
          const out = unravel(k, y.shape);
          const src = new Array<number>(x.rank);
          perm.forEach((a, i) => {
            src[a] = out[i];
          });
          ref[k] = x.data[ravel(src, x.shape)];
        }
        expectSameData(y.data, ref);
      }),
    );
  });

  it('has the inverse permutation as adjoint and inverse', () => {
    fc.assert(
      fc.property(
        permuteCase.chain(([x, perm]) =>
          fc.tuple(arrayOf(x.shape), fc.constant(perm), arrayOf(perm.map((a) => x.shape[a]))),
        ),
        ([x, perm, g]) => {
          const inv = inversePermutation(perm);
          expectAdjoint(permute(x, perm), g, [x], [permute(g, inv)]);
          expectSameData(permute(permute(x, perm), inv).data, x.data);
        },
      ),
    );
  });

  it('transposes a matrix and keeps −0', () => {
    expect(
      permute(
        fromNested([
          [1, -0, 3],
          [4, 5, 6],
        ]),
        [1, 0],
      ).toNested(),
    ).toEqual([
      [1, 4],
      [-0, 5],
      [3, 6],
    ]);
    expect(Object.is(permute(fromNested([[1, -0]]), [1, 0]).data[1], -0)).toBe(true);
  });

  it('rejects invalid permutations', () => {
    const x = NDArray.zeros([2, 3, 4]);
    expect(() => permute(x, [0, 1])).toThrow(
      /permute: permutation \[0, 1\] has 2 entries for an array of shape \[2, 3, 4\]/,
    );
    expect(() => permute(x, [0, 1, 1])).toThrow(
      /permute: \[0, 1, 1\] is not a permutation of 0…2.*entry 1 is repeated/,
    );
    expect(() => permute(x, [0, 1, 3])).toThrow(/entry 3 is out of range/);
    expect(() => permute(x, [0, 1, -1])).toThrow(/entry -1 is out of range/);
    expect(() => inversePermutation([1, 1])).toThrow(/inversePermutation: \[1, 1\] is not a permutation/);
  });
});

// ---- slice ---------------------------------------------------------------------------------

/** A shape and valid starts/stops/steps for it. */
const sliceCase = shapeArb().chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.tuple(
      ...shape.map((n) =>
        fc
          .integer({ min: 0, max: n })
          .chain((a) =>
            fc.tuple(fc.constant(a), fc.integer({ min: a, max: n }), fc.integer({ min: 1, max: 3 })),
          ),
      ),
    ),
  ),
);

describe('slice and sliceAdjoint', () => {
  it('slice reads x[start + k·step] on every axis, exactly', () => {
    fc.assert(
      fc.property(
        sliceCase.chain(([shape, b]) => fc.tuple(rawArrayOf(shape), fc.constant(b))),
        ([x, bounds]) => {
          const starts = bounds.map((b) => b[0]);
          const stops = bounds.map((b) => b[1]);
          const steps = bounds.map((b) => b[2]);
          let y = x;
          expectUnchanged(x, () => {
            y = slice(x, starts, stops, steps);
          });
          expect(y.shape).toEqual(bounds.map(([a, b, s]) => Math.ceil((b - a) / s)));
          const ref = new Float64Array(y.size);
          for (let k = 0; k < y.size; k++) {
            const idx = unravel(k, y.shape).map((i, ax) => starts[ax] + i * steps[ax]);
            ref[k] = x.data[ravel(idx, x.shape)];
          }
          expectSameData(y.data, ref);
        },
      ),
    );
  });

  it('sliceAdjoint is the adjoint of slice', () => {
    fc.assert(
      fc.property(
        sliceCase.chain(([shape, b]) =>
          fc.tuple(arrayOf(shape), fc.constant(b), arrayOf(b.map(([a, e, s]) => Math.ceil((e - a) / s)))),
        ),
        ([x, bounds, g]) => {
          const starts = bounds.map((b) => b[0]);
          const stops = bounds.map((b) => b[1]);
          const steps = bounds.map((b) => b[2]);
          const back = sliceAdjoint(g, x.shape, starts, stops, steps);
          expectAdjoint(slice(x, starts, stops, steps), g, [x], [back]);
          // and it is a right inverse: slicing the embedding gives g back
          expectSameData(slice(back, starts, stops, steps).data, g.data);
        },
      ),
    );
  });

  it('defaults steps to 1, handles empty ranges and keeps −0', () => {
    const x = fromNested([
      [1, 2, 3],
      [4, -0, 6],
    ]);
    expect(slice(x, [1, 1], [2, 3]).toNested()).toEqual([[-0, 6]]);
    expect(Object.is(slice(x, [1, 1], [2, 2]).data[0], -0)).toBe(true);
    expect(slice(x, [1, 3], [1, 3]).shape).toEqual([0, 0]);
    expect(sliceAdjoint(fromNested([1, 2]), [5], [1], [5], [2]).toNested()).toEqual([0, 1, 0, 2, 0]);
    expect(Object.is(sliceAdjoint(fromNested([-0]), [2], [0], [1]).data[0], -0)).toBe(true);
    expect(slice(NDArray.scalar(3), [], []).toNested()).toBe(3);
  });

  it('rejects bad bounds without clamping', () => {
    const x = NDArray.zeros([2, 3]);
    expect(() => slice(x, [0, 0], [2, 4])).toThrow(
      /slice: range 0:4 on axis 1 of shape \[2, 3\] is out of bounds \(need integers 0 ≤ start ≤ stop ≤ 3/,
    );
    expect(() => slice(x, [-1, 0], [2, 3])).toThrow(/slice: range -1:2 on axis 0/);
    expect(() => slice(x, [2, 0], [1, 3])).toThrow(/slice: range 2:1 on axis 0/);
    expect(() => slice(x, [0, 0], [2, 3], [1, 0])).toThrow(
      /slice: step 0 on axis 1 must be a positive integer/,
    );
    expect(() => slice(x, [0], [2, 3])).toThrow(
      /slice: starts \[0\] has 1 entries; an array of shape \[2, 3\] needs 2/,
    );
    expect(() => sliceAdjoint(NDArray.zeros([2]), [5], [0], [5], [2])).toThrow(
      /sliceAdjoint: g has shape \[2\] but the slice of \[5\] has shape \[3\]/,
    );
  });
});

// ---- concat / split ------------------------------------------------------------------------

/** 1–3 arrays that agree on every axis but `axis`. */
const concatCase = shapeArb(1).chain((shape) =>
  fc
    .integer({ min: 0, max: shape.length - 1 })
    .chain((axis) =>
      fc
        .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 })
        .chain((sizes) =>
          fc.tuple(
            fc.constant(axis),
            fc.tuple(...sizes.map((s) => rawArrayOf(shape.map((n, i) => (i === axis ? s : n))))),
          ),
        ),
    ),
);

describe('concat and split', () => {
  it('concat places each input at its offset along the axis, exactly', () => {
    fc.assert(
      fc.property(concatCase, ([axis, xs]) => {
        const y = concat(xs, axis - xs[0].rank);
        const total = xs.reduce((s, x) => s + x.shape[axis], 0);
        expect(y.shape).toEqual(xs[0].shape.map((n, i) => (i === axis ? total : n)));
        const ref = new Float64Array(y.size);
        for (let k = 0; k < y.size; k++) {
          const idx = unravel(k, y.shape);
          let part = 0;
          while (idx[axis] >= xs[part].shape[axis]) idx[axis] -= xs[part++].shape[axis];
          ref[k] = xs[part].data[ravel(idx, xs[part].shape)];
        }
        expectSameData(y.data, ref);
        // split undoes concat
        const parts = split(
          y,
          xs.map((x) => x.shape[axis]),
          axis,
        );
        parts.forEach((p, i) => {
          expect(p.shape).toEqual(xs[i].shape);
          expectSameData(p.data, xs[i].data);
        });
      }),
    );
  });

  it('split (slices along the axis) is the adjoint of concat', () => {
    fc.assert(
      fc.property(
        concatCase.chain(([axis, xs]) => {
          const total = xs.reduce((s, x) => s + x.shape[axis], 0);
          return fc.tuple(
            fc.constant(axis),
            fc.tuple(...xs.map((x) => arrayOf(x.shape))),
            arrayOf(xs[0].shape.map((n, i) => (i === axis ? total : n))),
          );
        }),
        ([axis, xs, g]) => {
          const sizes = xs.map((x) => x.shape[axis]);
          expectAdjoint(concat(xs, axis), g, xs, split(g, sizes, axis));
          // each piece of split equals the corresponding slice
          let at = 0;
          split(g, sizes, axis).forEach((piece, k) => {
            const starts = g.shape.map((_, i) => (i === axis ? at : 0));
            const stops = g.shape.map((n, i) => (i === axis ? at + sizes[k] : n));
            expectSameData(piece.data, slice(g, starts, stops).data);
            at += sizes[k];
          });
        },
      ),
    );
  });

  it('keeps −0 and rejects mismatched shapes', () => {
    const y = concat([fromNested([[-0]]), fromNested([[1]])], 1);
    expect(Object.is(y.data[0], -0)).toBe(true);
    expect(() => concat([], 0)).toThrow(/concat: needs at least one array/);
    expect(() => concat([NDArray.zeros([2, 3]), NDArray.zeros([3, 3])], 1)).toThrow(
      /concat: array 1 has shape \[3, 3\], array 0 has \[2, 3\]; along axis 1/,
    );
    expect(() => concat([NDArray.zeros([2, 3]), NDArray.zeros([2])], 0)).toThrow(
      /concat: array 1 has shape \[2\]/,
    );
    expect(() => concat([NDArray.zeros([2])], 1)).toThrow(/concat: axis 1 is out of range/);
    expect(() => split(NDArray.zeros([5]), [2, 2], 0)).toThrow(
      /split: sizes \[2, 2\] sum to 4 but axis 0 of shape \[5\] has extent 5/,
    );
    expect(() => split(NDArray.zeros([5]), [6, -1], 0)).toThrow(
      /split: size -1 must be a non-negative integer/,
    );
  });
});

// ---- gather / scatterAdd -------------------------------------------------------------------

const gatherCase = shapeArb(1).chain((shape) =>
  fc
    .integer({ min: 0, max: shape.length - 1 })
    .chain((axis) =>
      fc.tuple(
        rawArrayOf(shape),
        fc.constant(axis),
        shape[axis] === 0
          ? fc.constant(new Int32Array(0))
          : fc
              .array(fc.integer({ min: 0, max: shape[axis] - 1 }), { maxLength: 6 })
              .map((a) => Int32Array.from(a)),
      ),
    ),
);

describe('gather and scatterAdd', () => {
  it('gather selects entries along the axis (repeats allowed), exactly', () => {
    fc.assert(
      fc.property(gatherCase, ([x, axis, indices]) => {
        let y = x;
        expectUnchanged(x, () => {
          y = gather(x, indices, axis);
        });
        expect(y.shape).toEqual(x.shape.map((n, i) => (i === axis ? indices.length : n)));
        const ref = new Float64Array(y.size);
        for (let k = 0; k < y.size; k++) {
          const idx = unravel(k, y.shape);
          idx[axis] = indices[idx[axis]];
          ref[k] = x.data[ravel(idx, x.shape)];
        }
        expectSameData(y.data, ref);
      }),
    );
  });

  it('scatterAdd is the adjoint of gather and accumulates repeated indices', () => {
    fc.assert(
      fc.property(
        gatherCase.chain(([x, axis, indices]) =>
          fc.tuple(
            arrayOf(x.shape),
            fc.constant(axis),
            fc.constant(indices),
            arrayOf(x.shape.map((n, i) => (i === axis ? indices.length : n))),
          ),
        ),
        ([x, axis, indices, v]) => {
          const s = scatterAdd(x.shape, indices, v, axis - x.rank);
          expectAdjoint(gather(x, indices, axis), v, [x], [s]);
          // reference: plain accumulation
          const ref = new Float64Array(x.size);
          for (let k = 0; k < v.size; k++) {
            const idx = unravel(k, v.shape);
            idx[axis] = indices[idx[axis]];
            ref[ravel(idx, x.shape)] += v.data[k];
          }
          expectSameData(s.data, ref);
        },
      ),
    );
  });

  it('works on the documented examples and keeps −0', () => {
    const x = fromNested([
      [1, 2, 3],
      [4, 5, -0],
    ]);
    expect(gather(x, Int32Array.of(2, 0, 2), 1).toNested()).toEqual([
      [3, 1, 3],
      [-0, 4, -0],
    ]);
    expect(Object.is(gather(x, Int32Array.of(2), 1).data[1], -0)).toBe(true);
    expect(gather(x, new Int32Array(0), 0).shape).toEqual([0, 3]);
    expect(scatterAdd([3], Int32Array.of(2, 0, 2), fromNested([1, 2, 3]), 0).toNested()).toEqual([2, 0, 4]);
  });

  it('names the index position and value when an index is out of range', () => {
    const x = NDArray.zeros([2, 5]);
    expect(() => gather(x, Int32Array.of(0, 4, 5), 1)).toThrow(
      /gather: indices\[2\] = 5 is out of range for axis 1 of shape \[2, 5\] \(need 0 ≤ index < 5\)/,
    );
    expect(() => gather(x, Int32Array.of(-1), 0)).toThrow(
      /gather: indices\[0\] = -1 is out of range for axis 0/,
    );
    expect(() => gather(x, Int32Array.of(0), 2)).toThrow(/gather: axis 2 is out of range/);
    expect(() => scatterAdd([2, 5], Int32Array.of(7), NDArray.zeros([2, 1]), 1)).toThrow(
      /scatterAdd: indices\[0\] = 7 is out of range for axis 1 of shape \[2, 5\]/,
    );
    expect(() => scatterAdd([2, 5], Int32Array.of(1, 2), NDArray.zeros([2, 1]), 1)).toThrow(
      /scatterAdd: values have shape \[2, 1\] but 2 indices along axis 1 of \[2, 5\] need shape \[2, 2\]/,
    );
  });
});

// ---- where ---------------------------------------------------------------------------------

/** Three shapes that broadcast together: a full shape and two derived ones per operand. */
const whereCase = shapeArb(0, 3, 3).chain((full) => {
  const derived = fc
    .tuple(
      fc.integer({ min: 0, max: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
    )
    .map(([drop, ones]) => full.slice(drop).map((n, i) => (ones[i + drop] ? 1 : n)));
  return fc.tuple(fc.constant(full), derived, derived, derived).chain(([f, cs, as, bs]) =>
    fc.tuple(
      fc.constant(f),
      fc
        .array(fc.constantFrom(0, -0, 1, -2, Number.NaN), { minLength: sizeOf(cs), maxLength: sizeOf(cs) })
        .map((d) => new NDArray(Float64Array.from(d), cs)),
      rawArrayOf(as),
      rawArrayOf(bs),
    ),
  );
});

describe('where', () => {
  it('takes a where cond ≠ 0 (NaN counts as non-zero) and b elsewhere, broadcasting all three', () => {
    fc.assert(
      fc.property(whereCase, ([, cond, a, b]) => {
        const y = where(cond, a, b);
        const rank = Math.max(cond.rank, a.rank, b.rank);
        const shape = new Array<number>(rank).fill(1);
        for (const s of [cond.shape, a.shape, b.shape]) {
          s.forEach((n, i) => {
            const j = i + rank - s.length;
            if (n !== 1) shape[j] = n;
          });
        }
        expect(y.shape).toEqual(shape);
        const read = (x: NDArray, idx: number[]): number =>
          x.data[
            ravel(
              x.shape.map((n, i) => (n === 1 ? 0 : idx[i + rank - x.rank])),
              x.shape,
            )
          ];
        const ref = new Float64Array(y.size);
        for (let k = 0; k < y.size; k++) {
          const idx = unravel(k, shape);
          ref[k] = read(cond, idx) !== 0 ? read(a, idx) : read(b, idx);
        }
        expectSameData(y.data, ref);
      }),
    );
  });

  it('handles the common cases', () => {
    expect(where(fromNested([1, 0, 1]), fromNested([1, 2, 3]), NDArray.scalar(0)).toNested()).toEqual([
      1, 0, 3,
    ]);
    expect(where(fromNested([[1], [0]]), fromNested([1, 2]), fromNested([[7], [8]])).toNested()).toEqual([
      [1, 2],
      [8, 8],
    ]);
    expect(where(fromNested([Number.NaN, -0]), NDArray.scalar(1), NDArray.scalar(2)).toNested()).toEqual([
      1, 2,
    ]);
  });

  it('rejects shapes that do not broadcast', () => {
    expect(() => where(NDArray.zeros([2]), NDArray.zeros([3]), NDArray.zeros([1]))).toThrow(
      /where: shapes \[2\] and \[3\] do not broadcast/,
    );
  });
});

// ---- pad -----------------------------------------------------------------------------------

const modes: PadMode[] = ['zero', 'periodic', 'replicate'];

/** Source index of padded index `i` on an axis of extent `n`, or −1 for a zero. */
function padSource(i: number, before: number, n: number, mode: PadMode): number {
  const j = i - before;
  if (j >= 0 && j < n) return j;
  if (mode === 'zero') return -1;
  if (mode === 'periodic') return ((j % n) + n) % n;
  return j < 0 ? 0 : n - 1;
}

/** A shape, pads (up to 6 per side, more than the extent) and a mode that is valid for them. */
const padCase = shapeArb(0, 3).chain((shape) =>
  fc
    .tuple(
      fc.constant(shape),
      fc.tuple(...shape.map(() => fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })))),
      fc.constantFrom(...modes),
    )
    .map(([s, pads, mode]) => {
      // periodic and replicate cannot pad an empty axis
      const p: [number, number][] = pads.map(([b, a], i) =>
        mode !== 'zero' && s[i] === 0 ? [0, 0] : [b, a],
      );
      return { shape: s, pads: p, mode };
    }),
);

describe('pad and padAdjoint', () => {
  it('pad fills the border by the mode, exactly', () => {
    fc.assert(
      fc.property(
        padCase.chain((c) => fc.tuple(fc.constant(c), rawArrayOf(c.shape))),
        ([{ pads, mode }, x]) => {
          let y = x;
          expectUnchanged(x, () => {
            y = pad(x, pads, mode);
          });
          expect(y.shape).toEqual(x.shape.map((n, i) => n + pads[i][0] + pads[i][1]));
          const ref = new Float64Array(y.size);
          for (let k = 0; k < y.size; k++) {
            const idx = unravel(k, y.shape).map((i, a) => padSource(i, pads[a][0], x.shape[a], mode));
            ref[k] = idx.some((i) => i < 0) ? 0 : x.data[ravel(idx, x.shape)];
          }
          expectSameData(y.data, ref);
        },
      ),
    );
  });

  it('padAdjoint is the adjoint of pad for every mode', () => {
    fc.assert(
      fc.property(
        padCase.chain((c) =>
          fc.tuple(
            fc.constant(c),
            arrayOf(c.shape),
            arrayOf(c.shape.map((n, i) => n + c.pads[i][0] + c.pads[i][1])),
          ),
        ),
        ([{ pads, mode }, x, g]) => {
          expectAdjoint(pad(x, pads, mode), g, [x], [padAdjoint(g, x.shape, pads, mode)]);
        },
      ),
    );
  });

  it('matches the documented examples, including pads longer than the axis', () => {
    const x = fromNested([1, 2, 3]);
    expect(pad(x, [[2, 1]], 'zero').toNested()).toEqual([0, 0, 1, 2, 3, 0]);
    expect(pad(x, [[2, 1]], 'periodic').toNested()).toEqual([2, 3, 1, 2, 3, 1]);
    expect(pad(x, [[2, 1]], 'replicate').toNested()).toEqual([1, 1, 1, 2, 3, 3]);
    expect(pad(x, [[5, 4]], 'periodic').toNested()).toEqual([2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
    expect(pad(x, [[4, 4]], 'replicate').toNested()).toEqual([1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3]);
    expect(padAdjoint(fromNested([1, 1, 1, 1, 1, 1]), [3], [[2, 1]], 'replicate').toNested()).toEqual([
      3, 1, 2,
    ]);
    expect(padAdjoint(fromNested([1, 1, 1, 1, 1, 1]), [3], [[2, 1]], 'periodic').toNested()).toEqual([
      2, 2, 2,
    ]);
    expect(pad(NDArray.zeros([0]), [[1, 2]], 'zero').toNested()).toEqual([0, 0, 0]);
    expect(pad(NDArray.scalar(4), [], 'replicate').toNested()).toBe(4);
    expect(
      pad(
        fromNested([
          [1, 2],
          [3, 4],
        ]),
        [
          [1, 0],
          [0, 1],
        ],
        'periodic',
      ).toNested(),
    ).toEqual([
      [3, 4, 3],
      [1, 2, 1],
      [3, 4, 3],
    ]);
  });

  it('rejects invalid pads and modes', () => {
    const x = NDArray.zeros([2, 3]);
    expect(() => pad(x, [[1, 1]], 'zero')).toThrow(
      /pad: 1 \[before, after\] pairs given for an array of shape \[2, 3\]; it needs one per axis \(2\)/,
    );
    expect(() =>
      pad(
        x,
        [
          [0, 0],
          [-1, 0],
        ],
        'zero',
      ),
    ).toThrow(/pad: pads on axis 1 are \[-1, 0\]; need \[before, after\], non-negative integers/);
    expect(() =>
      pad(
        NDArray.zeros([2, 0]),
        [
          [0, 0],
          [1, 0],
        ],
        'replicate',
      ),
    ).toThrow(/pad: cannot pad the empty axis 1 of shape \[2, 0\] in 'replicate' mode/);
    expect(() => pad(NDArray.zeros([0]), [[0, 1]], 'periodic')).toThrow(/pad: cannot pad the empty axis 0/);
    const badMode: string = 'reflect';
    expect(() =>
      pad(
        x,
        [
          [0, 0],
          [0, 0],
        ],
        badMode as PadMode,
      ),
    ).toThrow(/pad: unknown mode 'reflect'; use 'zero', 'periodic' or 'replicate'/);
    expect(() =>
      padAdjoint(
        NDArray.zeros([2, 3]),
        [2, 3],
        [
          [0, 0],
          [1, 0],
        ] satisfies Pads,
        'zero',
      ),
    ).toThrow(/padAdjoint: g has shape \[2, 3\] but padding \[2, 3\] gives \[2, 4\]/);
  });
});
