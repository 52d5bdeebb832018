import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold1d, fold2d, unfold1d, unfold2d } from '../../src/tensor/conv.js';
import { type PadMode, pad } from '../../src/tensor/layout.js';
import { fromNested, NDArray } from '../../src/tensor/ndarray.js';
import { type Shape, sizeOf } from '../../src/tensor/shape.js';

// ---- helpers -------------------------------------------------------------------------------

const arrayOf = (shape: Shape): fc.Arbitrary<NDArray> => {
  const n = sizeOf(shape);
  return fc
    .float64Array({ min: -8, max: 8, noNaN: true, minLength: n, maxLength: n })
    .map((d) => new NDArray(d, shape));
};

function expectAdjoint(lx: NDArray, y: NDArray, x: NDArray, lty: NDArray): void {
  expect(lx.shape).toEqual(y.shape);
  expect(x.shape).toEqual(lty.shape);
  let left = 0;
  let right = 0;
  let scale = 0;
  for (let i = 0; i < lx.size; i++) {
    left += lx.data[i] * y.data[i];
    scale += Math.abs(lx.data[i] * y.data[i]);
  }
  for (let i = 0; i < x.size; i++) right += x.data[i] * lty.data[i];
  // Products in the subnormal range round with an absolute error of up to MIN_VALUE each.
  const floor = (lx.size + x.size) * Number.MIN_VALUE;
  expect(Math.abs(left - right)).toBeLessThanOrEqual(1e-12 * scale + floor);
}

function expectClose(actual: NDArray, expected: Float64Array, scale: Float64Array): void {
  expect(actual.size).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    // the same sums in the same order; the floor covers products that round in the subnormal range
    expect(Math.abs(actual.data[i] - expected[i])).toBeLessThanOrEqual(
      1e-12 * scale[i] + 64 * Number.MIN_VALUE,
    );
  }
}

/** Source index of padded position `i` (already shifted by `before`) on an axis of extent `n`, or −1 for zero. */
function padIndex(j: number, n: number, mode: PadMode): number {
  if (j >= 0 && j < n) return j;
  if (mode === 'zero') return -1;
  if (mode === 'periodic') return ((j % n) + n) % n;
  return j < 0 ? 0 : n - 1;
}

const modeArb = fc.constantFrom<PadMode>('zero', 'periodic', 'replicate');

/** Kernel, stride, dilation, pads and an input length long enough for the dilated kernel. */
const axisArb = fc
  .record({
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    d: fc.integer({ min: 1, max: 3 }),
    before: fc.integer({ min: 0, max: 3 }),
    after: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ k, s, d, before, after, extra }) => {
    const span = d * (k - 1) + 1;
    const len = Math.max(1, span - before - after) + extra;
    const out = Math.floor((len + before + after - span) / s) + 1;
    return { k, s, d, before, after, len, out };
  });

// ---- 1-d -----------------------------------------------------------------------------------

describe('unfold1d / fold1d', () => {
  it('unfold1d follows cols[n, c·K + k, l] = x[n, c, l·s + k·d]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), axisArb, (n, c, ax) => {
        const len = ax.len + ax.before + ax.after;
        const x = new NDArray(
          Float64Array.from({ length: n * c * len }, (_, i) => i + 0.5),
          [n, c, len],
        );
        const cols = unfold1d(x, ax.k, ax.s, ax.d);
        expect(cols.shape).toEqual([n, c * ax.k, ax.out]);
        for (let b = 0; b < n; b++)
          for (let ch = 0; ch < c; ch++)
            for (let k = 0; k < ax.k; k++)
              for (let l = 0; l < ax.out; l++) {
                expect(cols.data[(b * c * ax.k + ch * ax.k + k) * ax.out + l]).toBe(
                  x.data[(b * c + ch) * len + l * ax.s + k * ax.d],
                );
              }
      }),
    );
  });

  it('are adjoint: ⟨unfold1d(x), g⟩ = ⟨x, fold1d(g)⟩', () => {
    const caseArb = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), axisArb)
      .chain(([n, c, ax]) =>
        fc.tuple(
          fc.constant(ax),
          arrayOf([n, c, ax.len + ax.before + ax.after]),
          arrayOf([n, c * ax.k, ax.out]),
        ),
      );
    fc.assert(
      fc.property(caseArb, ([ax, x, g]) => {
        expectAdjoint(unfold1d(x, ax.k, ax.s, ax.d), g, x, fold1d(g, x.shape, ax.k, ax.s, ax.d));
      }),
    );
  });

  it('conv1d as pad + unfold + matmul equals a direct cross-correlation', () => {
    const caseArb = fc
      .tuple(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        axisArb,
        modeArb,
      )
      .chain(([n, c, o, ax, mode]) =>
        fc.tuple(fc.constant(ax), fc.constant(mode), arrayOf([n, c, ax.len]), arrayOf([o, c, ax.k])),
      );
    fc.assert(
      fc.property(caseArb, ([ax, mode, x, w]) => {
        const [n, c, len] = x.shape;
        const o = w.shape[0];
        const k = ax.k;
        // via im2col
        const cols = unfold1d(
          pad(
            x,
            [
              [0, 0],
              [0, 0],
              [ax.before, ax.after],
            ],
            mode,
          ),
          k,
          ax.s,
          ax.d,
        );
        const lOut = cols.shape[2];
        expect(lOut).toBe(ax.out);
        const y = new Float64Array(n * o * lOut);
        for (let b = 0; b < n; b++)
          for (let oo = 0; oo < o; oo++)
            for (let t = 0; t < lOut; t++) {
              let s = 0;
              for (let r = 0; r < c * k; r++)
                s += w.data[oo * c * k + r] * cols.data[(b * c * k + r) * lOut + t];
              y[(b * o + oo) * lOut + t] = s;
            }
        // direct
        const ref = new Float64Array(n * o * lOut);
        const scale = new Float64Array(n * o * lOut);
        for (let b = 0; b < n; b++)
          for (let oo = 0; oo < o; oo++)
            for (let t = 0; t < lOut; t++) {
              let s = 0;
              let a = 0;
              for (let ch = 0; ch < c; ch++)
                for (let kk = 0; kk < k; kk++) {
                  const src = padIndex(t * ax.s + kk * ax.d - ax.before, len, mode);
                  const v = src < 0 ? 0 : x.data[(b * c + ch) * len + src];
                  s += w.data[(oo * c + ch) * k + kk] * v;
                  a += Math.abs(w.data[(oo * c + ch) * k + kk] * v);
                }
              ref[(b * o + oo) * lOut + t] = s;
              scale[(b * o + oo) * lOut + t] = a;
            }
        expectClose(new NDArray(y, [n, o, lOut]), ref, scale);
      }),
    );
  });

  it('fold1d adds overlapping windows', () => {
    expect(
      fold1d(
        fromNested([
          [
            [1, 1, 1],
            [1, 1, 1],
          ],
        ]),
        [1, 1, 4],
        2,
      ).toNested(),
    ).toEqual([[[1, 2, 2, 1]]]);
    expect(unfold1d(fromNested([[[1, 2, 3, 4]]]), 2).toNested()).toEqual([
      [
        [1, 2, 3],
        [2, 3, 4],
      ],
    ]);
  });

  it('preserves −0 and does not modify its input', () => {
    const x = fromNested([[[-0, 1, -0]]]);
    const before = x.data.slice();
    const cols = unfold1d(x, 2);
    expect(Object.is(cols.data[0], -0)).toBe(true);
    expect(Object.is(cols.data[3], -0)).toBe(true);
    expect(x.data).toEqual(before);
  });

  it('rejects bad arguments with messages that name the operation and shapes', () => {
    const x = NDArray.zeros([1, 2, 5]);
    expect(() => unfold1d(NDArray.zeros([2, 5]), 2)).toThrow(
      /unfold1d: input shape \[2, 5\] must be \[N, C, L\]/,
    );
    expect(() => unfold1d(x, 0)).toThrow(/unfold1d: kernel 0 must be a positive integer/);
    expect(() => unfold1d(x, 2, 1.5)).toThrow(/unfold1d: stride 1.5 must be a positive integer/);
    expect(() => unfold1d(x, 3, 1, 3)).toThrow(
      /unfold1d: length 5 of input \[1, 2, 5\] is shorter than the dilated kernel \(7 = dilation 3/,
    );
    expect(() => fold1d(NDArray.zeros([1, 4, 3]), [1, 2, 5], 2)).toThrow(
      /fold1d: columns have shape \[1, 4, 3\] but unfolding \[1, 2, 5\] with these parameters gives \[1, 4, 4\]/,
    );
    expect(() => fold1d(NDArray.zeros([1, 4, 4]), [1, 2, -5], 2)).toThrow(/fold1d: shape \[1, 2, -5\]/);
  });
});

// ---- 2-d -----------------------------------------------------------------------------------

describe('unfold2d / fold2d', () => {
  it('orders rows (c, i, j) with j fastest, matching PyTorch [O, C, kh, kw] weights', () => {
    const x = fromNested([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
    ]);
    expect(unfold2d(x, [2, 2]).toNested()).toEqual([
      [
        [1, 2],
        [2, 3],
        [4, 5],
        [5, 6],
      ],
    ]);
    const ones = NDArray.full([1, 4, 2], 1);
    expect(fold2d(ones, [1, 1, 2, 3], [2, 2]).toNested()).toEqual([
      [
        [
          [1, 2, 1],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('unfold2d follows cols[n, (c·kh + i)·kw + j, p·Wout + q] = x[n, c, p·sh + i·dh, q·sw + j·dw]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        axisArb,
        axisArb,
        (n, c, ay, ax) => {
          const h = ay.len + ay.before + ay.after;
          const w = ax.len + ax.before + ax.after;
          const x = new NDArray(
            Float64Array.from({ length: n * c * h * w }, (_, i) => i - 7.25),
            [n, c, h, w],
          );
          const cols = unfold2d(x, [ay.k, ax.k], [ay.s, ax.s], [ay.d, ax.d]);
          const rows = c * ay.k * ax.k;
          expect(cols.shape).toEqual([n, rows, ay.out * ax.out]);
          for (let b = 0; b < n; b++)
            for (let ch = 0; ch < c; ch++)
              for (let i = 0; i < ay.k; i++)
                for (let j = 0; j < ax.k; j++)
                  for (let p = 0; p < ay.out; p++)
                    for (let q = 0; q < ax.out; q++) {
                      const row = (ch * ay.k + i) * ax.k + j;
                      const got = cols.data[(b * rows + row) * ay.out * ax.out + p * ax.out + q];
                      const want = x.data[((b * c + ch) * h + p * ay.s + i * ay.d) * w + q * ax.s + j * ax.d];
                      expect(got).toBe(want);
                    }
        },
      ),
    );
  });

  it('are adjoint: ⟨unfold2d(x), g⟩ = ⟨x, fold2d(g)⟩', () => {
    const caseArb = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), axisArb, axisArb)
      .chain(([n, c, ay, ax]) => {
        const h = ay.len + ay.before + ay.after;
        const w = ax.len + ax.before + ax.after;
        return fc.tuple(
          fc.constant([ay, ax] as const),
          arrayOf([n, c, h, w]),
          arrayOf([n, c * ay.k * ax.k, ay.out * ax.out]),
        );
      });
    fc.assert(
      fc.property(caseArb, ([[ay, ax], x, g]) => {
        const k = [ay.k, ax.k] as const;
        const s = [ay.s, ax.s] as const;
        const d = [ay.d, ax.d] as const;
        expectAdjoint(unfold2d(x, k, s, d), g, x, fold2d(g, x.shape, k, s, d));
      }),
    );
  });

  it('conv2d as pad + unfold + matmul equals a direct cross-correlation', () => {
    const caseArb = fc
      .tuple(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        axisArb,
        axisArb,
        modeArb,
      )
      .chain(([n, c, o, ay, ax, mode]) =>
        fc.tuple(
          fc.constant([ay, ax] as const),
          fc.constant(mode),
          arrayOf([n, c, ay.len, ax.len]),
          arrayOf([o, c, ay.k, ax.k]),
        ),
      );
    fc.assert(
      fc.property(caseArb, ([[ay, ax], mode, x, wt]) => {
        const [n, c, h, w] = x.shape;
        const o = wt.shape[0];
        const [kh, kw] = [ay.k, ax.k];
        const xp = pad(
          x,
          [
            [0, 0],
            [0, 0],
            [ay.before, ay.after],
            [ax.before, ax.after],
          ],
          mode,
        );
        const cols = unfold2d(xp, [kh, kw], [ay.s, ax.s], [ay.d, ax.d]);
        const rows = c * kh * kw;
        const hw = ay.out * ax.out;
        expect(cols.shape).toEqual([n, rows, hw]);
        // naive matmul: [O, C·kh·kw] × [C·kh·kw, Hout·Wout] per batch entry
        const y = new Float64Array(n * o * hw);
        for (let b = 0; b < n; b++)
          for (let oo = 0; oo < o; oo++)
            for (let t = 0; t < hw; t++) {
              let s = 0;
              for (let r = 0; r < rows; r++) s += wt.data[oo * rows + r] * cols.data[(b * rows + r) * hw + t];
              y[(b * o + oo) * hw + t] = s;
            }
        // direct cross-correlation on the unpadded input, padding applied by index mapping
        const ref = new Float64Array(n * o * hw);
        const scale = new Float64Array(n * o * hw);
        for (let b = 0; b < n; b++)
          for (let oo = 0; oo < o; oo++)
            for (let p = 0; p < ay.out; p++)
              for (let q = 0; q < ax.out; q++) {
                let s = 0;
                let a = 0;
                for (let ch = 0; ch < c; ch++)
                  for (let i = 0; i < kh; i++)
                    for (let j = 0; j < kw; j++) {
                      const yy = padIndex(p * ay.s + i * ay.d - ay.before, h, mode);
                      const xx = padIndex(q * ax.s + j * ax.d - ax.before, w, mode);
                      const v = yy < 0 || xx < 0 ? 0 : x.data[((b * c + ch) * h + yy) * w + xx];
                      const wv = wt.data[((oo * c + ch) * kh + i) * kw + j];
                      s += wv * v;
                      a += Math.abs(wv * v);
                    }
                ref[(b * o + oo) * hw + p * ax.out + q] = s;
                scale[(b * o + oo) * hw + p * ax.out + q] = a;
              }
        expectClose(new NDArray(y, [n, o, hw]), ref, scale);
      }),
    );
  });

  it('rejects bad arguments with messages that name the operation and shapes', () => {
    const x = NDArray.zeros([1, 1, 4, 5]);
    expect(() => unfold2d(NDArray.zeros([1, 4, 5]), [2, 2])).toThrow(
      /unfold2d: input shape \[1, 4, 5\] must be \[N, C, H, W\]/,
    );
    expect(() => unfold2d(x, [2, 0])).toThrow(/unfold2d: kernel width 0 must be a positive integer/);
    expect(() => unfold2d(x, [2, 2], [0, 1])).toThrow(/unfold2d: stride height 0/);
    expect(() => unfold2d(x, [3, 3], [1, 1], [2, 1])).toThrow(
      /unfold2d: height 4 of input \[1, 1, 4, 5\] is shorter than the dilated kernel \(5/,
    );
    expect(() => fold2d(NDArray.zeros([1, 4, 11]), [1, 1, 4, 5], [2, 2])).toThrow(
      /fold2d: columns have shape \[1, 4, 11\] but unfolding \[1, 1, 4, 5\] with these parameters gives \[1, 4, 12\]/,
    );
  });
});
