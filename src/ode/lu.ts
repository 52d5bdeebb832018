/**
 * Dense LU factorization with partial pivoting for many small matrices: one D×D matrix per
 * trajectory (D up to a few hundred), factorized in place, as stiff solvers need for their
 * iteration matrices W = σI − J.
 *
 * A matrix is stored row-major in a slice of a Float64Array. After {@link luFactor} the slice
 * holds L (unit lower triangle, below the diagonal) and U (upper triangle, with the diagonal),
 * with P·A = L·U, and the pivot slice holds LAPACK-style interchanges: at step k row k was
 * swapped with row piv[k] (0-based, piv[k] ≥ k).
 *
 * Failure is a status, not an exception, so that a solver can shrink its step and retry.
 */

type Arr = Float64Array;

/** Status of a successful factorization. */
export const LU_OK = 0;

/**
 * Factorizes the d×d row-major matrix a[offset … offset + d²) in place (Doolittle, right-looking,
 * partial pivoting): P·A = L·U. Rows whose multiplier is zero are skipped, so banded or sparse
 * matrices cost less than d³/3 multiply–adds.
 *
 * @returns {@link LU_OK} (0) on success; k + 1 (LAPACK's `info`) when the pivot of column k is
 *   exactly zero (the matrix is singular); −1 when the matrix has a NaN or infinite entry or a
 *   pivot overflows. On failure the slice holds a partial factorization and must not be used.
 * @example
 * ```ts
 * const a = new Float64Array([0, 2, 1, 1]); // [[0, 2], [1, 1]]: needs a row swap
 * const piv = new Int32Array(2);
 * luFactor(a, 0, 2, piv, 0); // 0
 * const x = new Float64Array([2, 3]);
 * luSolve(a, 0, 2, piv, 0, x, 0); // x = [2, 1]
 * ```
 */
export function luFactor(a: Arr, offset: number, d: number, piv: Int32Array, pivOffset: number): number {
  const end = offset + d * d;
  for (let i = offset; i < end; i++) {
    if (!Number.isFinite(a[i])) return -1;
  }
  for (let k = 0; k < d; k++) {
    const rowK = offset + k * d;
    // The largest entry of column k on or below the diagonal.
    let p = k;
    let largest = Math.abs(a[rowK + k]);
    for (let i = k + 1; i < d; i++) {
      const v = Math.abs(a[offset + i * d + k]);
      if (v > largest) {
        largest = v;
        p = i;
      }
    }
    piv[pivOffset + k] = p;
    if (largest === 0) return k + 1;
    if (!Number.isFinite(largest)) return -1;
    if (p !== k) {
      const rowP = offset + p * d;
      for (let j = 0; j < d; j++) {
        const tmp = a[rowK + j];
        a[rowK + j] = a[rowP + j];
        a[rowP + j] = tmp;
      }
    }
    const pivot = a[rowK + k];
    for (let i = k + 1; i < d; i++) {
      const rowI = offset + i * d;
      const l = a[rowI + k] / pivot;
      a[rowI + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < d; j++) a[rowI + j] -= l * a[rowK + j];
    }
  }
  return LU_OK;
}

/**
 * Solves A·x = b with a factorization from {@link luFactor}, in place: `nrhs` right-hand sides
 * stored one after another (each d values) from b[bOffset] are overwritten by the solutions.
 * Applies the row interchanges, then forward substitution with L and back substitution with U.
 *
 * @example
 * ```ts
 * const a = new Float64Array([4, 3, 6, 3]); // [[4, 3], [6, 3]]
 * const piv = new Int32Array(2);
 * luFactor(a, 0, 2, piv, 0);
 * // Two right-hand sides e₁ and e₂: x becomes the two columns of A⁻¹, one after the other.
 * const x = new Float64Array([1, 0, 0, 1]);
 * luSolve(a, 0, 2, piv, 0, x, 0, 2); // x = [-0.5, 1, 0.5, -0.6666…]
 * ```
 */
export function luSolve(
  lu: Arr,
  offset: number,
  d: number,
  piv: Int32Array,
  pivOffset: number,
  b: Arr,
  bOffset: number,
  nrhs = 1,
): void {
  for (let r = 0; r < nrhs; r++) {
    const x = bOffset + r * d;
    for (let k = 0; k < d; k++) {
      const p = piv[pivOffset + k];
      if (p !== k) {
        const tmp = b[x + k];
        b[x + k] = b[x + p];
        b[x + p] = tmp;
      }
    }
    // L·z = P·b (unit diagonal).
    for (let i = 1; i < d; i++) {
      const row = offset + i * d;
      let s = b[x + i];
      for (let j = 0; j < i; j++) s -= lu[row + j] * b[x + j];
      b[x + i] = s;
    }
    // U·x = z.
    for (let i = d - 1; i >= 0; i--) {
      const row = offset + i * d;
      let s = b[x + i];
      for (let j = i + 1; j < d; j++) s -= lu[row + j] * b[x + j];
      b[x + i] = s / lu[row + i];
    }
  }
}

/**
 * Solves Aᵀ·x = b with a factorization P·A = L·U from {@link luFactor}, in place (one
 * right-hand side of d values at b[bOffset]), as adjoints need: Aᵀ = Uᵀ·Lᵀ·P, so forward
 * substitution with Uᵀ, back substitution with Lᵀ (unit diagonal), then x = Pᵀ·w (the row
 * interchanges undone in reverse order).
 *
 * @example
 * ```ts
 * const a = new Float64Array([0, 2, 1, 1]); // A = [[0, 2], [1, 1]], Aᵀ = [[0, 1], [2, 1]]
 * const piv = new Int32Array(2);
 * luFactor(a, 0, 2, piv, 0);
 * const x = new Float64Array([1, 4]);
 * luSolveTransposed(a, 0, 2, piv, 0, x, 0); // x = [1.5, 1]: Aᵀ·x = [1, 4]
 * ```
 */
export function luSolveTransposed(
  lu: Arr,
  offset: number,
  d: number,
  piv: Int32Array,
  pivOffset: number,
  b: Arr,
  bOffset: number,
): void {
  const x = bOffset;
  // Uᵀ·z = b: Uᵀ is lower triangular with U's diagonal; column i of U is row i of Uᵀ.
  for (let i = 0; i < d; i++) {
    let s = b[x + i];
    for (let j = 0; j < i; j++) s -= lu[offset + j * d + i] * b[x + j];
    b[x + i] = s / lu[offset + i * d + i];
  }
  // Lᵀ·w = z: Lᵀ is unit upper triangular.
  for (let i = d - 2; i >= 0; i--) {
    let s = b[x + i];
    for (let j = i + 1; j < d; j++) s -= lu[offset + j * d + i] * b[x + j];
    b[x + i] = s;
  }
  // x = Pᵀ·w: P = P_{d−1}···P₀, so Pᵀ applies the interchanges last to first.
  for (let k = d - 1; k >= 0; k--) {
    const p = piv[pivOffset + k];
    if (p !== k) {
      const tmp = b[x + k];
      b[x + k] = b[x + p];
      b[x + p] = tmp;
    }
  }
}

/**
 * Factorizes the matrices of the listed rows of a batch: row b's matrix is a[b·d² … (b+1)·d²),
 * its pivots piv[b·d … (b+1)·d), and its status (see {@link luFactor}) goes to status[b].
 * `rows` null means rows 0 … n−1. Unlisted rows are untouched.
 *
 * @returns the number of listed rows whose factorization failed.
 * @example
 * ```ts
 * // Three 2×2 matrices; factorize rows 0 and 2 only.
 * const w = new Float64Array([2, 0, 0, 2, 9, 9, 9, 9, 1, 2, 2, 4]);
 * const piv = new Int32Array(6);
 * const status = new Int32Array(3);
 * luFactorBatch(w, 2, piv, 2, new Int32Array([0, 2]), status); // 1: row 2 is singular
 * status; // [0, 0, 2]
 * ```
 */
export function luFactorBatch(
  a: Arr,
  d: number,
  piv: Int32Array,
  n: number,
  rows: Int32Array | null,
  status: Int32Array,
): number {
  let failed = 0;
  for (let q = 0; q < n; q++) {
    const b = rows === null ? q : rows[q];
    const s = luFactor(a, b * d * d, d, piv, b * d);
    status[b] = s;
    if (s !== LU_OK) failed++;
  }
  return failed;
}

/**
 * Solves the listed rows' systems in place: x[b·d … (b+1)·d) ← A_b⁻¹·x[b·d …), with row b's
 * factorization from {@link luFactorBatch}. Unlisted rows are untouched.
 *
 * @example
 * ```ts
 * const w = new Float64Array([2, 0, 0, 2, 0, 1, 1, 0]); // 2I and a permutation
 * const piv = new Int32Array(4);
 * luFactorBatch(w, 2, piv, 2, null, new Int32Array(2));
 * const x = new Float64Array([2, 4, 5, 7]);
 * luSolveBatch(w, 2, piv, x, 2, null); // x = [1, 2, 7, 5]
 * ```
 */
export function luSolveBatch(
  lu: Arr,
  d: number,
  piv: Int32Array,
  x: Arr,
  n: number,
  rows: Int32Array | null,
): void {
  for (let q = 0; q < n; q++) {
    const b = rows === null ? q : rows[q];
    luSolve(lu, b * d * d, d, piv, b * d, x, b * d);
  }
}
