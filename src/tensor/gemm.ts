/**
 * General matrix multiply on contiguous row-major float64 blocks: the kernel under
 * {@link matmul} and under every dense layer's forward and backward pass.
 *
 * Two back ends compute the same thing:
 * - WebAssembly SIMD (`wasmGemm.ts`), used whenever the runtime supports it;
 * - the JavaScript kernel below, a packed, register-blocked (4×4) loop nest in the style of
 *   GotoBLAS (K. Goto and R. van de Geijn, "Anatomy of high-performance matrix
 *   multiplication", ACM TOMS 34(3), 2008), used where WebAssembly is missing.
 */
import { wasmGemm, wasmGemmBatch, wasmGemmPackedB, wasmPackB } from './wasmGemm.js';

/** Rows of a packed A panel / columns of a packed B panel (the 4×4 micro-tile). */
const MR = 4;
const NR = 4;
/** Depth of a packed block (a 4-wide panel is then 8 KiB, resident in L1). */
const KC = 256;
/** Rows of op(A) packed per block. */
const MC = 128;

/** Products with at most this many multiply–adds skip packing: a plain loop is faster. */
const TINY = 27;

/** Packing buffers, grown on demand and reused by every call. */
let packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(NR * KC);
/** One padded 4×4 tile for the ragged edges. */
const edgeTile = new Float64Array(MR * NR);

/**
 * Matrix product C = op(A)·op(B), or C += op(A)·op(B), on row-major blocks of float64 arrays:
 *
 *   C[i, j] (+)= Σ_{p<k} op(A)[i, p] · op(B)[p, j],   0 ≤ i < m, 0 ≤ j < n,
 *
 * where op(A) = A for `transA = false` (A stored as `[m, k]`) and op(A) = Aᵀ for
 * `transA = true` (A stored as `[k, m]`); likewise op(B) from B stored as `[k, n]` or, for
 * `transB`, as `[n, k]`. C is stored as `[m, n]`. Each block starts at its offset in its array.
 *
 * Runs on the WebAssembly SIMD kernel where the runtime has one (about 15–20 GFLOP/s on a
 * current x86-64 core at 25×64×64 and above), else on the JavaScript kernel (about 3–4
 * GFLOP/s); products of at most 27 multiply–adds use a plain loop, cheaper than either.
 *
 * Allocation-free in steady state: packing buffers and the WebAssembly memory are
 * module-level and grow on demand. (Exceptions, each a small view object and no data copy:
 * an A or B block smaller than a quarter of its array, or a C block accumulated into that is
 * not its whole array, reaches WebAssembly through a `subarray` view.)
 * The sum over p runs in increasing p with a separate multiply and add, as in the naive loop
 * (in blocks of 256 terms), and no term is skipped, so NaN and ±Inf propagate exactly as in
 * the naive product. With k = 0 the product is the zero matrix: C is zeroed, or left
 * unchanged when accumulating.
 *
 * @param transA - use Aᵀ (A stored `[k, m]`) instead of A (stored `[m, k]`)
 * @param transB - use Bᵀ (B stored `[n, k]`) instead of B (stored `[k, n]`)
 * @param m - rows of op(A) and of C
 * @param n - columns of op(B) and of C
 * @param k - the contracted extent: columns of op(A), rows of op(B)
 * @param a - array holding A from `aOff`
 * @param aOff - index of A's first element in `a`
 * @param b - array holding B from `bOff`
 * @param bOff - index of B's first element in `b`
 * @param c - array receiving C from `cOff`; must not overlap A or B
 * @param cOff - index of C's first element in `c`
 * @param accumulate - add the product to C instead of overwriting it
 * @throws RangeError when a size is not a non-negative integer or a block runs past its array.
 * @example
 * ```ts
 * // [[1, 2], [3, 4]] · [[5, 6], [7, 8]]
 * const c = new Float64Array(4);
 * gemm(false, false, 2, 2, 2, new Float64Array([1, 2, 3, 4]), 0, new Float64Array([5, 6, 7, 8]), 0, c, 0, false);
 * c; // Float64Array [19, 22, 43, 50]
 * ```
 */
export function gemm(
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
  checkGemmArguments(m, n, k, a, aOff, b, bOff, c, cOff);
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  if (m * n * k <= TINY) tinyGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
  else if (!wasmGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate)) {
    jsGemm(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
  }
}

/**
 * A batch of products C_t = op(A_t)·op(B_t) for t = 0 … count−1, where A_t starts at
 * `a[aOffsets[t]]`, B_t at `b[bOffsets[t]]`, and C_t at `c[t·m·n]`; `c` holds exactly the
 * `count·m·n` results. Shapes and flags are as in {@link gemm}. Used by {@link matmul} for
 * stacked and broadcast operands: each array crosses into WebAssembly memory once.
 *
 * @throws RangeError when a size is not a non-negative integer or a block runs past its array.
 * @example
 * ```ts
 * // Two 1×1 products: [2]·[3] and [4]·[3] (B is shared).
 * const c = new Float64Array(2);
 * gemmBatch(false, false, 1, 1, 1, 2, new Float64Array([2, 4]), [0, 1], new Float64Array([3]), [0, 0], c);
 * c; // Float64Array [6, 12]
 * ```
 */
export function gemmBatch(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  count: number,
  a: Float64Array,
  aOffsets: readonly number[],
  b: Float64Array,
  bOffsets: readonly number[],
  c: Float64Array,
): void {
  checkCount('count', count);
  if (aOffsets.length !== count || bOffsets.length !== count || c.length !== count * m * n) {
    throw new RangeError(
      `gemmBatch: ${count} products of ${m}×${n} need ${count} offsets for A and for B and ${count * m * n} ` +
        `outputs, got ${aOffsets.length}, ${bOffsets.length} and ${c.length}`,
    );
  }
  for (let t = 0; t < count; t++) checkGemmArguments(m, n, k, a, aOffsets[t], b, bOffsets[t], c, t * m * n);
  if (count === 0 || m === 0 || n === 0) return;
  if (k === 0) {
    c.fill(0);
    return;
  }
  if (m * n * k > TINY && wasmGemmBatch(transA, transB, m, n, k, count, a, aOffsets, b, bOffsets, c)) return;
  for (let t = 0; t < count; t++)
    gemm(transA, transB, m, n, k, a, aOffsets[t], b, bOffsets[t], c, t * m * n, false);
}

/**
 * A right-hand factor op(B) [k, n] prepared once for many products {@link gemmPackedB}
 * op(A)·op(B) with the same B: a compact copy of B and, where WebAssembly runs, B already
 * packed into the micro-kernel's panels, so that each product skips packing and copying B.
 */
export interface PackedB {
  readonly transB: boolean;
  readonly n: number;
  readonly k: number;
  /** B itself, compact ([k, n], or [n, k] for `transB`). */
  readonly b: Float64Array;
  /** The WebAssembly panels, or null where that back end is unavailable. */
  readonly panels: Float64Array | null;
}

/**
 * Prepares op(B) [k, n] (B stored from `bOff` as in {@link gemm}) for {@link gemmPackedB}.
 * The copy is taken now: later changes to `b` are not seen.
 *
 * @example
 * ```ts
 * const W = new Float64Array([1, 2, 3, 4, 5, 6]); // [3, 2] weights, used as Wᵀ
 * const pw = packB(true, 3, 2, W, 0);
 * const y = new Float64Array(3);
 * gemmPackedB(false, 1, new Float64Array([1, 1]), 0, pw, y, 0, false);
 * y; // Float64Array [3, 7, 11]
 * ```
 */
export function packB(transB: boolean, n: number, k: number, b: Float64Array, bOff: number): PackedB {
  checkGemmArguments(1, n, k, new Float64Array(k), 0, b, bOff, new Float64Array(n), 0);
  const compact = b.slice(bOff, bOff + k * n);
  const panels = n > 0 && k > 0 ? wasmPackB(transB, n, k, compact, 0) : null;
  return { transB, n, k, b: compact, panels };
}

/**
 * C (+)= op(A)·op(B) for a B prepared by {@link packB}: the same results, bit for bit, as
 * {@link gemm} with the original B.
 *
 * @throws RangeError when a size is not a non-negative integer or a block runs past its array.
 * @example
 * ```ts
 * const pw = packB(false, 2, 2, new Float64Array([5, 6, 7, 8]), 0);
 * const c = new Float64Array(4);
 * gemmPackedB(false, 2, new Float64Array([1, 2, 3, 4]), 0, pw, c, 0, false);
 * c; // Float64Array [19, 22, 43, 50]
 * ```
 */
export function gemmPackedB(
  transA: boolean,
  m: number,
  a: Float64Array,
  aOff: number,
  packed: PackedB,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  const { n, k, transB, b, panels } = packed;
  if (panels !== null && m * n * k > TINY) {
    checkGemmArguments(m, n, k, a, aOff, b, 0, c, cOff);
    if (wasmGemmPackedB(transA, m, n, k, a, aOff, panels, c, cOff, accumulate)) return;
  }
  gemm(transA, transB, m, n, k, a, aOff, b, 0, c, cOff, accumulate);
}

function checkGemmArguments(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
): void {
  checkCount('m', m);
  checkCount('n', n);
  checkCount('k', k);
  checkBlock('A', a, aOff, m * k, m, n, k);
  checkBlock('B', b, bOff, k * n, m, n, k);
  checkBlock('C', c, cOff, m * n, m, n, k);
}

function checkCount(label: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`gemm: ${label} = ${value} must be a non-negative integer`);
  }
}

function checkBlock(
  label: string,
  arr: Float64Array,
  off: number,
  size: number,
  m: number,
  n: number,
  k: number,
): void {
  if (!Number.isInteger(off) || off < 0) {
    throw new RangeError(`gemm: the offset of ${label} (${off}) must be a non-negative integer`);
  }
  if (off + size > arr.length) {
    throw new RangeError(
      `gemm: ${label} needs ${size} elements from offset ${off} but its array has length ${arr.length} ` +
        `(m = ${m}, n = ${n}, k = ${k})`,
    );
  }
}

/** Direct dot products, for products too small to repay packing (m·n·k ≤ {@link TINY}). */
function tinyGemm(
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
  const aRs = transA ? 1 : k;
  const aCs = transA ? m : 1;
  const bRs = transB ? 1 : n;
  const bCs = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aOff + i * aRs + p * aCs] * b[bOff + p * bRs + j * bCs];
      const at = cOff + i * n + j;
      c[at] = accumulate ? c[at] + s : s;
    }
  }
}

/**
 * The pure JavaScript back end of {@link gemm} (same arguments and contract, already
 * validated, m, n, k ≥ 1). Exported for tests and for runtimes without WebAssembly.
 */
export function jsGemm(
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
  const np = Math.ceil(n / NR) * NR;
  const kcMax = Math.min(k, KC);
  if (packedB.length < np * kcMax) packedB = new Float64Array(np * kcMax);
  if (packedA.length < Math.min(Math.ceil(m / MR) * MR, MC) * kcMax) {
    packedA = new Float64Array(Math.min(Math.ceil(m / MR) * MR, MC) * kcMax);
  }
  const pa = packedA;
  const pb = packedB;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    const acc = accumulate || pc > 0;
    if (transB) packRowsOfStored(b, bOff + pc, k, n, kc, pb);
    else packColumnsOfStored(b, bOff + pc * n, n, n, kc, pb);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = Math.min(MC, m - ic);
      if (transA) packColumnsOfStored(a, aOff + pc * m + ic, m, mc, kc, pa);
      else packRowsOfStored(a, aOff + ic * k + pc, k, mc, kc, pa);
      for (let jr = 0; jr < n; jr += NR) {
        const nr = Math.min(NR, n - jr);
        const ib = jr * kc;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          const co = cOff + (ic + ir) * n + jr;
          if (mr === MR && nr === NR) {
            kernel4x4(kc, pa, ir * kc, pb, ib, c, co, n, acc);
          } else {
            kernel4x4(kc, pa, ir * kc, pb, ib, edgeTile, 0, NR, false);
            for (let i = 0; i < mr; i++) {
              for (let j = 0; j < nr; j++) {
                const t = edgeTile[i * NR + j];
                c[co + i * n + j] = acc ? c[co + i * n + j] + t : t;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Packs `count` stored rows (row r starts at `src[off + r·ld]`), taking `kc` consecutive
 * entries of each, into 4-row panels: `dst[(t·kc + p)·4 + r'] = row 4t + r', entry p`, zero
 * for rows past `count`. Serves A (not transposed) and B (transposed).
 */
function packRowsOfStored(
  src: Float64Array,
  off: number,
  ld: number,
  count: number,
  kc: number,
  dst: Float64Array,
): void {
  let t = 0;
  for (let r = 0; r < count; r += 4) {
    const rows = Math.min(4, count - r);
    const r0 = off + r * ld;
    if (rows === 4) {
      const r1 = r0 + ld;
      const r2 = r1 + ld;
      const r3 = r2 + ld;
      for (let p = 0; p < kc; p++) {
        dst[t] = src[r0 + p];
        dst[t + 1] = src[r1 + p];
        dst[t + 2] = src[r2 + p];
        dst[t + 3] = src[r3 + p];
        t += 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < 4; i++) dst[t + i] = i < rows ? src[r0 + i * ld + p] : 0;
        t += 4;
      }
    }
  }
}

/**
 * Packs `count` consecutive stored columns (column q of stored row p at
 * `src[off + p·ld + q]`), over `kc` stored rows, into 4-column panels:
 * `dst[(t·kc + p)·4 + q'] = column 4t + q', row p`, zero past `count`. Serves A (transposed)
 * and B (not transposed).
 */
function packColumnsOfStored(
  src: Float64Array,
  off: number,
  ld: number,
  count: number,
  kc: number,
  dst: Float64Array,
): void {
  let t = 0;
  for (let q = 0; q < count; q += 4) {
    const cols = Math.min(4, count - q);
    let s = off + q;
    if (cols === 4) {
      for (let p = 0; p < kc; p++) {
        dst[t] = src[s];
        dst[t + 1] = src[s + 1];
        dst[t + 2] = src[s + 2];
        dst[t + 3] = src[s + 3];
        t += 4;
        s += ld;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < 4; i++) dst[t + i] = i < cols ? src[s + i] : 0;
        t += 4;
        s += ld;
      }
    }
  }
}

/**
 * The 4×4 micro-kernel: C[0:4, 0:4] (+)= Σ_p pa[ia + 4p + i] · pb[ib + 4p + j], with the 16
 * sums in locals (V8 keeps them in the 16 XMM registers together with the loads).
 */
function kernel4x4(
  kc: number,
  pa: Float64Array,
  ia: number,
  pb: Float64Array,
  ib: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ia];
    const a1 = pa[ia + 1];
    const a2 = pa[ia + 2];
    const a3 = pa[ia + 3];
    const b0 = pb[ib];
    const b1 = pb[ib + 1];
    const b2 = pb[ib + 2];
    const b3 = pb[ib + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
    ia += 4;
    ib += 4;
  }
  const r0 = cOff;
  const r1 = r0 + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (accumulate) {
    c00 += c[r0];
    c01 += c[r0 + 1];
    c02 += c[r0 + 2];
    c03 += c[r0 + 3];
    c10 += c[r1];
    c11 += c[r1 + 1];
    c12 += c[r1 + 2];
    c13 += c[r1 + 3];
    c20 += c[r2];
    c21 += c[r2 + 1];
    c22 += c[r2 + 2];
    c23 += c[r2 + 3];
    c30 += c[r3];
    c31 += c[r3 + 1];
    c32 += c[r3 + 2];
    c33 += c[r3 + 3];
  }
  c[r0] = c00;
  c[r0 + 1] = c01;
  c[r0 + 2] = c02;
  c[r0 + 3] = c03;
  c[r1] = c10;
  c[r1 + 1] = c11;
  c[r1 + 2] = c12;
  c[r1 + 3] = c13;
  c[r2] = c20;
  c[r2 + 1] = c21;
  c[r2 + 2] = c22;
  c[r2 + 3] = c23;
  c[r3] = c30;
  c[r3 + 1] = c31;
  c[r3 + 2] = c32;
  c[r3 + 3] = c33;
}
