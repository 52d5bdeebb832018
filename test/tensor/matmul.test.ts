import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemm, gemmBatch, gemmPackedB, jsGemm, packB } from '../../src/tensor/gemm.js';
import { matmul } from '../../src/tensor/matmul.js';
import { fromNested, NDArray } from '../../src/tensor/ndarray.js';
import { gemmModuleBytes, wasmGemm, wasmGemmAvailable } from '../../src/tensor/wasmGemm.js';

type Gemm = typeof gemm;

const EPS = Number.EPSILON;

/** The textbook triple loop, summing p upwards: the reference every back end must match. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        const bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
        s += av * bv;
      }
      c[cOff + i * n + j] = accumulate ? c[cOff + i * n + j] + s : s;
    }
  }
}

/** Σ_p |op(A)[i,p]|·|op(B)[p,j]| + |C₀[i,j]|, the scale of the rounding error of entry (i, j). */
function errorScale(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c0: Float64Array,
  cOff: number,
  accumulate: boolean,
): Float64Array {
  const absA = a.map(Math.abs);
  const absB = b.map(Math.abs);
  const scale = new Float64Array(m * n);
  naiveGemm(transA, transB, m, n, k, absA, aOff, absB, bOff, scale, 0, false);
  if (accumulate) for (let i = 0; i < m * n; i++) scale[i] += Math.abs(c0[cOff + i]);
  return scale;
}

/** A small deterministic generator (64-bit LCG, top 53 bits) for test data. */
function lcg(seed: number): () => number {
  let state = BigInt(seed) & 0xffffffffffffffffn;
  return () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(state >> 11n) / 2 ** 53;
  };
}

function randomArray(length: number, next: () => number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = 2 * next() - 1;
  return out;
}

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  aOff: number;
  bOff: number;
  cOff: number;
  accumulate: boolean;
  seed: number;
}

/** Runs one case through `impl` and the reference; checks the error bound and the untouched margins. */
function checkCase(impl: Gemm, t: Case): void {
  const next = lcg(t.seed);
  const { transA, transB, m, n, k, aOff, bOff, cOff, accumulate } = t;
  // Arrays with margins on both sides of each block.
  const a = randomArray(aOff + m * k + 3, next);
  const b = randomArray(bOff + k * n + 2, next);
  const c0 = randomArray(cOff + m * n + 4, next);
  const aCopy = a.slice();
  const bCopy = b.slice();
  const got = c0.slice();
  const want = c0.slice();
  impl(transA, transB, m, n, k, a, aOff, b, bOff, got, cOff, accumulate);
  naiveGemm(transA, transB, m, n, k, a, aOff, b, bOff, want, cOff, accumulate);
  const scale = errorScale(transA, transB, m, n, k, a, aOff, b, bOff, c0, cOff, accumulate);
  // Standard bound for a sum of k + 1 products: (k + 1)·ε·Σ|terms| (summation order may differ).
  const bound = (k + 2) * EPS;
  for (let i = 0; i < m * n; i++) {
    const err = Math.abs(got[cOff + i] - want[cOff + i]);
    if (!(err <= bound * scale[i])) {
      throw new Error(`entry ${i}: got ${got[cOff + i]}, want ${want[cOff + i]} (${JSON.stringify(t)})`);
    }
  }
  for (let i = 0; i < cOff; i++) expect(got[i]).toBe(c0[i]);
  for (let i = cOff + m * n; i < got.length; i++) expect(got[i]).toBe(c0[i]);
  expect(a).toEqual(aCopy);
  expect(b).toEqual(bCopy);
}

/** Sizes 0…70, biased towards the edges of the 4×4 tiles and the degenerate 0 and 1. */
const extent = fc.oneof(
  fc.integer({ min: 0, max: 70 }),
  fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 25, 63, 64, 65),
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  transA: fc.boolean(),
  transB: fc.boolean(),
  m: extent,
  n: extent,
  k: extent,
  aOff: fc.integer({ min: 0, max: 5 }),
  bOff: fc.integer({ min: 0, max: 5 }),
  cOff: fc.integer({ min: 0, max: 5 }),
  accumulate: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** The back ends under test; the WebAssembly one only where the runtime has SIMD. */
const wasmOnly: Gemm = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  if (!wasmGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate))
    throw new Error('wasm refused');
};
const jsOnly: Gemm = (transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate) => {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  jsGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
};
const backEnds: [string, Gemm][] = [
  ['gemm (dispatch)', gemm],
  ['JavaScript kernel', jsOnly],
];
if (wasmGemmAvailable()) backEnds.push(['WebAssembly kernel', wasmOnly]);

describe('gemm', () => {
  it('has a WebAssembly SIMD back end under 4 KB in this runtime', () => {
    expect(wasmGemmAvailable()).toBe(true);
    expect(gemmModuleBytes().length).toBeLessThan(4096);
  });

  it('computes the documented 2×2 example', () => {
    const c = new Float64Array(4);
    gemm(
      false,
      false,
      2,
      2,
      2,
      new Float64Array([1, 2, 3, 4]),
      0,
      new Float64Array([5, 6, 7, 8]),
      0,
      c,
      0,
      false,
    );
    expect([...c]).toEqual([19, 22, 43, 50]);
  });

  describe.each(backEnds)('%s', (_, impl) => {
    it('matches the naive product for random sizes, flags, offsets and accumulation', () => {
      fc.assert(
        fc.property(caseArb, (t) => checkCase(impl, t)),
        { numRuns: 300 },
      );
    });

    it('matches every flag combination on the MLP shapes', () => {
      for (const [m, k, n] of [
        [25, 64, 64],
        [64, 25, 64],
        [25, 2, 64],
        [25, 64, 2],
        [2, 25, 64],
        [64, 25, 2],
        [1, 1, 1],
        [1, 70, 1],
      ]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const accumulate of [false, true]) {
              checkCase(impl, {
                transA,
                transB,
                m,
                n,
                k,
                aOff: 1,
                bOff: 2,
                cOff: 3,
                accumulate,
                seed: m * n + k,
              });
            }
          }
        }
      }
    });

    it('handles blocks larger than the packing blocks (k > 256, m > 256)', () => {
      const cases: [number, number, number][] = [
        [5, 600, 6],
        [300, 20, 9],
        [260, 270, 12],
      ];
      for (const [m, k, n] of cases) {
        for (const transA of [false, true]) {
          for (const accumulate of [false, true]) {
            checkCase(impl, {
              transA,
              transB: !transA,
              m,
              n,
              k,
              aOff: 3,
              bOff: 0,
              cOff: 1,
              accumulate,
              seed: m + k,
            });
          }
        }
      }
    });

    it('propagates NaN and Inf exactly like the naive product (no zero is skipped)', () => {
      const next = lcg(7);
      for (const [m, k, n] of [
        [5, 3, 6],
        [25, 64, 64],
        [9, 9, 2],
      ]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const a = randomArray(m * k, next);
            const b = randomArray(k * n, next);
            // Zero rows and columns meet the specials, so 0·Inf = NaN must show.
            for (let p = 0; p < k; p++) a[transA ? p * m : p] = 0;
            a[transA ? m - 1 : (m - 1) * k] = Number.NaN;
            // op(B)[0, n−1] = +Inf and op(B)[k−1, 0] = −Inf.
            b[transB ? (n - 1) * k : n - 1] = Number.POSITIVE_INFINITY;
            b[transB ? k - 1 : (k - 1) * n] = Number.NEGATIVE_INFINITY;
            const got = new Float64Array(m * n);
            const want = new Float64Array(m * n);
            impl(transA, transB, m, n, k, a, 0, b, 0, got, 0, false);
            naiveGemm(transA, transB, m, n, k, a, 0, b, 0, want, 0, false);
            for (let i = 0; i < m * n; i++) {
              if (!Number.isFinite(want[i])) expect(got[i]).toBe(want[i]);
              else expect(got[i]).toBeCloseTo(want[i], 12);
            }
            // Row 0 of op(A) is zero and meets +Inf in column n−1 of op(B) (when k ≥ 1).
            expect(got[n - 1]).toBeNaN();
          }
        }
      }
    });

    it('propagates a NaN already in C when accumulating', () => {
      const c = new Float64Array([Number.NaN, 1, 2, 3]);
      impl(false, false, 2, 2, 3, new Float64Array(6), 0, new Float64Array(6), 0, c, 0, true);
      expect(c[0]).toBeNaN();
      expect([...c.slice(1)]).toEqual([1, 2, 3]);
    });
  });

  it('with k = 0 zeroes C, or leaves it unchanged when accumulating', () => {
    const c = new Float64Array([9, 1, 2, 3, 4, 5, 6, 9]);
    gemm(false, false, 2, 3, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 1, true);
    expect([...c]).toEqual([9, 1, 2, 3, 4, 5, 6, 9]);
    gemm(true, true, 2, 3, 0, new Float64Array(0), 0, new Float64Array(0), 0, c, 1, false);
    expect([...c]).toEqual([9, 0, 0, 0, 0, 0, 0, 9]);
  });

  it('with m = 0 or n = 0 touches nothing', () => {
    const c = new Float64Array([7, 7]);
    gemm(false, false, 0, 2, 3, new Float64Array(0), 0, new Float64Array(6), 0, c, 0, false);
    gemm(false, false, 2, 0, 3, new Float64Array(6), 0, new Float64Array(0), 0, c, 0, false);
    expect([...c]).toEqual([7, 7]);
  });

  it('rejects bad sizes and blocks that run past their arrays', () => {
    const x = new Float64Array(4);
    expect(() => gemm(false, false, -1, 2, 2, x, 0, x, 0, x, 0, false)).toThrow(/gemm: m = -1/);
    expect(() => gemm(false, false, 2, 2, 1.5, x, 0, x, 0, x, 0, false)).toThrow(/gemm: k = 1.5/);
    expect(() => gemm(false, false, 2, 2, 2, x, 1, x, 0, x, 0, false)).toThrow(
      /gemm: A needs 4 elements from offset 1 but its array has length 4/,
    );
    expect(() => gemm(false, false, 2, 3, 2, x, 0, new Float64Array(6), 0, x, 0, false)).toThrow(
      /gemm: C needs 6/,
    );
  });

  it('gemmBatch matches separate products, with shared and distinct operands', () => {
    const next = lcg(11);
    const [m, k, n] = [5, 7, 6];
    const a = randomArray(3 * m * k, next);
    const b = randomArray(2 * k * n, next);
    const aOffsets = [0, m * k, 2 * m * k, 0];
    const bOffsets = [0, 0, k * n, k * n];
    for (const [transA, transB] of [
      [false, false],
      [true, true],
    ]) {
      const c = new Float64Array(4 * m * n);
      gemmBatch(transA, transB, m, n, k, 4, a, aOffsets, b, bOffsets, c);
      const want = new Float64Array(4 * m * n);
      for (let t = 0; t < 4; t++)
        naiveGemm(transA, transB, m, n, k, a, aOffsets[t], b, bOffsets[t], want, t * m * n, false);
      for (let i = 0; i < c.length; i++) expect(c[i]).toBeCloseTo(want[i], 13);
    }
    expect(() => gemmBatch(false, false, m, n, k, 2, a, [0], b, [0, 0], new Float64Array(2 * m * n))).toThrow(
      /gemmBatch: 2 products/,
    );
  });
});

describe('packB / gemmPackedB', () => {
  it('gives the same bits as gemm with the unpacked B (property, incl. k > 256)', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(0, 0, 0, 300), (t, extraK) => {
        const { transA, transB, m, n, aOff, bOff, cOff, accumulate, seed } = t;
        const k = t.k + extraK;
        const next = lcg(seed);
        const a = randomArray(aOff + m * k, next);
        const b = randomArray(bOff + k * n, next);
        const c0 = randomArray(cOff + m * n + 3, next);
        const want = c0.slice();
        gemm(transA, transB, m, n, k, a, aOff, b, bOff, want, cOff, accumulate);
        const packed = packB(transB, n, k, b, bOff);
        b.fill(Number.NaN); // the packed copy must not depend on b any more
        const got = c0.slice();
        gemmPackedB(transA, m, a, aOff, packed, got, cOff, accumulate);
        for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return false;
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the same bits while many packed factors cycle through the resident region', () => {
    // 40 factors of 64×64 (4096 doubles each) overflow the 131072-double resident region
    // several times over; each product must still use its own factor.
    const next = lcg(11);
    const a = randomArray(25 * 64, next);
    const bs = Array.from({ length: 40 }, () => randomArray(64 * 64, next));
    const packs = bs.map((b) => packB(true, 64, 64, b, 0));
    for (let round = 0; round < 3; round++) {
      for (const [i, packed] of packs.entries()) {
        const want = new Float64Array(25 * 64);
        gemm(false, true, 25, 64, 64, a, 0, bs[i], 0, want, 0, false);
        const got = new Float64Array(25 * 64);
        gemmPackedB(false, 25, a, 0, packed, got, 0, false);
        expect(
          got.every((g, j) => Object.is(g, want[j])),
          `factor ${i}, round ${round}`,
        ).toBe(true);
      }
    }
  });
});

/** matmul by the definition, one batch entry at a time, with explicit broadcasting. */
function naiveMatmul(a: NDArray, b: NDArray, transA: boolean, transB: boolean): NDArray {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const padA = [...new Array<number>(rank - batchA.length).fill(1), ...batchA];
  const padB = [...new Array<number>(rank - batchB.length).fill(1), ...batchB];
  const batch = padA.map((d, i) => (d === 1 ? padB[i] : d));
  const count = batch.reduce((x, y) => x * y, 1);
  const out = new Float64Array(count * m * n);
  for (let t = 0; t < count; t++) {
    // Multi-index of t in `batch`, then the flat matrix index in each operand.
    let rest = t;
    let ia = 0;
    let ib = 0;
    let strideA = 1;
    let strideB = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      ia += (padA[d] === 1 ? 0 : idx) * strideA;
      ib += (padB[d] === 1 ? 0 : idx) * strideB;
      strideA *= padA[d];
      strideB *= padB[d];
    }
    naiveGemm(transA, transB, m, n, k, a.data, ia * ar * ac, b.data, ib * br * bc, out, t * m * n, false);
  }
  return new NDArray(out, [...batch, m, n]);
}

function randomNDArray(shape: number[], next: () => number): NDArray {
  return new NDArray(
    randomArray(
      shape.reduce((x, y) => x * y, 1),
      next,
    ),
    shape,
  );
}

describe('matmul', () => {
  it('computes the documented examples', () => {
    const a = fromNested([
      [1, 2],
      [3, 4],
    ]);
    const b = fromNested([
      [5, 6],
      [7, 8],
    ]);
    expect(matmul(a, b).toNested()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(matmul(a, b, true).toNested()).toEqual([
      [26, 30],
      [38, 44],
    ]);
    expect(matmul(NDArray.zeros([10, 2, 3]), NDArray.zeros([3, 4])).shape).toEqual([10, 2, 4]);
  });

  const shapePairs: [number[], number[]][] = [
    [
      [3, 4],
      [4, 5],
    ], // plain
    [
      [6, 3, 4],
      [4, 5],
    ], // B shared: folded into one product
    [
      [3, 4],
      [6, 4, 5],
    ], // A shared
    [
      [6, 3, 4],
      [6, 4, 5],
    ], // stacked
    [
      [2, 1, 3, 4],
      [5, 4, 5],
    ], // broadcast both ways → [2, 5]
    [
      [1, 3, 4],
      [1, 1, 4, 5],
    ], // batch of ones
    [
      [3, 2, 3, 4],
      [3, 1, 4, 5],
    ], // broadcast inner batch axis
    [
      [0, 3, 4],
      [4, 5],
    ], // empty batch
    [
      [2, 3, 0],
      [2, 0, 5],
    ], // empty contraction → zeros
    [
      [2, 25, 64],
      [64, 64],
    ], // MLP-sized, shared weights
  ];

  describe.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transA = %s, transB = %s', (transA, transB) => {
    it.each(shapePairs)('%j × %j matches the definition', (sa, sb) => {
      const next = lcg(sa.length * 31 + sb.length);
      // Shapes above are of op(A), op(B); store the transposed operands transposed.
      const swap = (s: number[], t: boolean): number[] =>
        t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s;
      const a = randomNDArray(swap(sa, transA), next);
      const b = randomNDArray(swap(sb, transB), next);
      const got = matmul(a, b, transA, transB);
      const want = naiveMatmul(a, b, transA, transB);
      expect(got.shape).toEqual(want.shape);
      for (let i = 0; i < got.size; i++) expect(got.data[i]).toBeCloseTo(want.data[i], 12);
    });
  });

  it('matches the definition on random broadcast shapes (property)', () => {
    // A batch shape, from which each operand drops leading axes and turns some extents into 1.
    const axis = fc.record({
      extent: fc.integer({ min: 1, max: 3 }),
      oneInA: fc.boolean(),
      oneInB: fc.boolean(),
    });
    const small = fc.integer({ min: 0, max: 19 });
    fc.assert(
      fc.property(
        fc.array(axis, { maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.tuple(small, small, small),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (axes, dropA, dropB, [m, k, n], transA, transB, seed) => {
          const batchA = axes.slice(dropA).map((x) => (x.oneInA ? 1 : x.extent));
          const batchB = axes.slice(dropB).map((x) => (x.oneInB ? 1 : x.extent));
          const next = lcg(seed);
          const a = randomNDArray([...batchA, ...(transA ? [k, m] : [m, k])], next);
          const b = randomNDArray([...batchB, ...(transB ? [n, k] : [k, n])], next);
          const got = matmul(a, b, transA, transB);
          const want = naiveMatmul(a, b, transA, transB);
          expect(got.shape).toEqual(want.shape);
          for (let i = 0; i < got.size; i++) {
            expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual((k + 1) * EPS * k);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names both shapes and the flags when the contracted extents differ', () => {
    const a = NDArray.zeros([2, 3]);
    const b = NDArray.zeros([4, 5]);
    expect(() => matmul(a, b)).toThrow(RangeError);
    expect(() => matmul(a, b)).toThrow(
      'matmul: cannot multiply [2, 3] and [4, 5] (transA = false, transB = false): op(A) is 2×3 and op(B) is 4×5, ' +
        'and the contracted extents 3 and 4 must be equal',
    );
    expect(() => matmul(NDArray.zeros([2, 3]), NDArray.zeros([5, 3]))).toThrow(
      /\[2, 3\] and \[5, 3\] .*op\(B\) would fit with transB = true/,
    );
    expect(() => matmul(NDArray.zeros([3, 2]), NDArray.zeros([3, 5]), false, false)).toThrow(
      /op\(A\) would fit with transA = true/,
    );
    expect(() => matmul(NDArray.zeros([7, 2, 3]), NDArray.zeros([7, 2, 3]), true, true)).toThrow(
      /\[7, 2, 3\] and \[7, 2, 3\] \(transA = true, transB = true\)/,
    );
  });

  it('rejects operands of rank below 2 and batch shapes that do not broadcast', () => {
    expect(() => matmul(NDArray.zeros([3]), NDArray.zeros([3, 2]))).toThrow(
      /matmul: cannot multiply \[3\] and \[3, 2\] .*rank ≥ 2.*reshape/,
    );
    expect(() => matmul(NDArray.zeros([2, 3, 4]), NDArray.zeros([5, 4, 2]))).toThrow(
      /matmul: cannot multiply \[2, 3, 4\] and \[5, 4, 2\] .*batch shapes \[2\] and \[5\] do not broadcast/,
    );
  });
});
