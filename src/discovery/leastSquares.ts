/**
 * Dense (ridge) least squares by Householder QR with column pivoting, for the small, tall
 * library matrices of sparse regression: min_x ‖A·x − b‖² + α‖x‖², solved as the ordinary
 * problem on the stacked matrix [A; √α·I] so that the normal equations (which square the
 * condition number) are never formed.
 */

/** Options of {@link ridgeLeastSquares}. */
export interface RidgeLeastSquaresOptions {
  /** Ridge weight α ≥ 0 (default 0). */
  readonly alpha?: number;
  /**
   * The largest acceptable condition number of the (stacked) matrix, estimated as
   * ‖R‖_F·‖R⁻¹‖_F from its QR factor (default 1e12). Above it the solve throws instead of
   * returning coefficients dominated by rounding.
   */
  readonly maxCondition?: number;
  /** Column names for error messages (default `column j`). */
  readonly names?: readonly string[];
  /** Who is solving, for error messages (default `ridgeLeastSquares`). */
  readonly where?: string;
}

/** Result of {@link ridgeLeastSquares}. */
export interface RidgeLeastSquaresResult {
  /** X [p, k] row-major: column c solves the problem for the c-th right-hand side. */
  readonly x: Float64Array;
  /** The condition estimate ‖R‖_F·‖R⁻¹‖_F (≥ the 2-norm condition number, ≤ p times it). */
  readonly condition: number;
}

/**
 * Solves min_X ‖A·X − B‖_F² + α‖X‖_F² for A [m, p] and B [m, k] (row-major), i.e. each column
 * of X is the ridge solution x = (AᵀA + αI)⁻¹Aᵀb — computed from the QR factorization with
 * column pivoting (Businger–Golub) of [A; √α·I], Π the column permutation:
 *
 *   [A; √α I]·Π = Q·R,   x = Π·R⁻¹·(Qᵀ[b; 0])₁…ₚ.
 *
 * @throws RangeError when the problem is underdetermined (m < p with α = 0) or the condition
 *   estimate exceeds `maxCondition` — the message names the columns that are (nearly) linear
 *   combinations of the others and says how to fix it.
 * @example
 * ```ts
 * // Fit y = 1 + 2x on x = 0, 1, 2.
 * const A = Float64Array.from([1, 0, 1, 1, 1, 2]);
 * ridgeLeastSquares(A, 3, 2, Float64Array.from([1, 3, 5]), 1).x; // ≈ [1, 2]
 * ```
 */
export function ridgeLeastSquares(
  A: Float64Array,
  m: number,
  p: number,
  B: Float64Array,
  k: number,
  options: RidgeLeastSquaresOptions = {},
): RidgeLeastSquaresResult {
  const where = options.where ?? 'ridgeLeastSquares';
  const alpha = options.alpha ?? 0;
  const maxCondition = options.maxCondition ?? 1e12;
  const name = (j: number) => (options.names === undefined ? `column ${j}` : `"${options.names[j]}"`);
  if (!(alpha >= 0) || !Number.isFinite(alpha))
    throw new RangeError(`${where}: alpha must be finite and ≥ 0, got ${alpha}`);
  if (A.length !== m * p) throw new RangeError(`${where}: A has ${A.length} entries, expected ${m}·${p}`);
  if (B.length !== m * k) throw new RangeError(`${where}: B has ${B.length} entries, expected ${m}·${k}`);
  if (p === 0) return { x: new Float64Array(0), condition: 1 };
  if (alpha === 0 && m < p) {
    throw new RangeError(
      `${where}: ${m} samples for ${p} terms is underdetermined; give at least ${p} samples, use fewer terms (lower degree), or pass alpha > 0 (ridge)`,
    );
  }
  const rows = alpha > 0 ? m + p : m;
  // Column-major copies: M[j·rows + i] and Y[c·rows + i].
  const M = new Float64Array(rows * p);
  for (let i = 0; i < m; i++) for (let j = 0; j < p; j++) M[j * rows + i] = A[i * p + j];
  if (alpha > 0) for (let j = 0; j < p; j++) M[j * rows + m + j] = Math.sqrt(alpha);
  const Y = new Float64Array(rows * k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) Y[c * rows + i] = B[i * k + c];
  const perm = Int32Array.from({ length: p }, (_, j) => j);
  const diag = new Float64Array(p);

  for (let s = 0; s < p; s++) {
    // Pivot: the remaining column with the largest norm below row s.
    let best = s;
    let bestNorm = -1;
    for (let j = s; j < p; j++) {
      let q = 0;
      for (let i = s; i < rows; i++) q += M[j * rows + i] ** 2;
      if (q > bestNorm) {
        bestNorm = q;
        best = j;
      }
    }
    if (best !== s) {
      for (let i = 0; i < rows; i++) {
        const tmp = M[s * rows + i];
        M[s * rows + i] = M[best * rows + i];
        M[best * rows + i] = tmp;
      }
      const tp = perm[s];
      perm[s] = perm[best];
      perm[best] = tp;
    }
    // Householder reflection H = I − β·v·vᵀ mapping column s (rows s…) to (r_ss, 0, …, 0).
    const norm = Math.sqrt(bestNorm);
    const col = s * rows;
    if (norm === 0) {
      diag[s] = 0;
      continue;
    }
    const x0 = M[col + s];
    const r = x0 >= 0 ? -norm : norm;
    const v0 = x0 - r;
    // v = (v0, M[col+s+1 …]); vᵀv = v0² + (norm² − x0²).
    const vtv = v0 * v0 + (bestNorm - x0 * x0);
    diag[s] = r;
    if (vtv > 0) {
      const beta = 2 / vtv;
      const apply = (target: Float64Array, base: number) => {
        let dot = v0 * target[base + s];
        for (let i = s + 1; i < rows; i++) dot += M[col + i] * target[base + i];
        const f = beta * dot;
        target[base + s] -= f * v0;
        for (let i = s + 1; i < rows; i++) target[base + i] -= f * M[col + i];
      };
      for (let j = s + 1; j < p; j++) apply(M, j * rows);
      for (let c = 0; c < k; c++) apply(Y, c * rows);
    }
    M[col + s] = r;
  }

  // R (upper p×p): R[i][j] = M[j·rows + i] for i < j, R[j][j] = diag[j].
  const Rinv = new Float64Array(p * p);
  let rNorm2 = 0;
  let singular = false;
  for (let j = 0; j < p; j++) {
    rNorm2 += diag[j] ** 2;
    for (let i = 0; i < j; i++) rNorm2 += M[j * rows + i] ** 2;
    if (diag[j] === 0 || !Number.isFinite(diag[j])) singular = true;
  }
  let condition = Number.POSITIVE_INFINITY;
  if (!singular) {
    // R⁻¹ column by column (upper triangular back substitution).
    for (let c = 0; c < p; c++) {
      for (let i = c; i >= 0; i--) {
        let s = i === c ? 1 : 0;
        for (let j = i + 1; j <= c; j++) s -= M[j * rows + i] * Rinv[j * p + c];
        Rinv[i * p + c] = s / diag[i];
      }
    }
    let inv2 = 0;
    for (let i = 0; i < p * p; i++) inv2 += Rinv[i] ** 2;
    condition = Math.sqrt(rNorm2 * inv2);
  }
  if (!(condition <= maxCondition)) {
    const r0 = Math.abs(diag[0]);
    const smallest = Math.min(...Array.from(diag, Math.abs));
    const bad: string[] = [];
    for (let s = 0; s < p; s++)
      if (Math.abs(diag[s]) <= Math.max(10 * smallest, r0 * 1e-14)) bad.push(name(perm[s]));
    throw new RangeError(
      `${where}: the matrix is ill-conditioned (condition number ≈ ${condition.toExponential(1)} > ${maxCondition.toExponential(0)}): ` +
        `${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} (nearly) a linear combination of the other columns on these samples; ` +
        'remove such terms (lower the degree), add samples that vary more, or pass alpha > 0 (ridge)',
    );
  }
  const x = new Float64Array(p * k);
  const z = new Float64Array(p);
  for (let c = 0; c < k; c++) {
    // Back substitution R·z = (Qᵀb)₁…ₚ, then x = Π·z.
    for (let i = p - 1; i >= 0; i--) {
      let s = Y[c * rows + i];
      for (let j = i + 1; j < p; j++) s -= M[j * rows + i] * z[j];
      z[i] = s / diag[i];
    }
    for (let i = 0; i < p; i++) x[perm[i] * k + c] = z[i];
  }
  return { x, condition };
}
