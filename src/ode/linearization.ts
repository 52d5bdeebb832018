/**
 * What the stiff steppers (Rosenbrock, ESDIRK) share: the vector field's value and Jacobian at
 * the start of a step, f(t₀, y₀) and J = ∂f/∂y(t₀, y₀), per trajectory, and the iteration
 * matrix W = σ·I − J factorized by rows.
 *
 * f₀ and J are kept while a row retries the same step with a smaller h (the same t₀, y₀ and
 * parameters), so a rejected step costs no new Jacobian. A row's start state and parameters are
 * compared bitwise with the cached ones at every attempt, so a cache can only be reused for the
 * very same point; {@link Linearization.forget} drops a row's cache explicitly.
 */
import type { VectorField } from './field.js';
import { LU_OK, luFactor } from './lu.js';
import type { StepCounters } from './method.js';

type Arr = Float64Array;

function sameSlice(a: Arr, b: Arr, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length; i++) {
    // Bitwise for finite values; NaN never matches, so a NaN state is always re-evaluated.
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Mutable work counters of a stepper. */
export class Counters implements StepCounters {
  nfev = 0;
  njev = 0;
  nlu = 0;
}

/**
 * Per-trajectory f(t₀, y₀), ∂f/∂y(t₀, y₀) and the factorized iteration matrix σI − J for N
 * trajectories of a vector field with a Jacobian.
 */
export class Linearization {
  /** f(t₀, y₀), [N·dim]. */
  readonly f0: Arr;
  /** ∂f/∂y(t₀, y₀), row-major dim×dim per trajectory, [N·dim²]. */
  readonly jac: Arr;
  /** LU factors of σ·I − J, [N·dim²]. */
  readonly lu: Arr;
  /** Pivots of `lu`, [N·dim]. */
  readonly piv: Int32Array;
  /** The start state of each row's current step, [N·dim] (a copy). */
  readonly y0: Arr;
  private readonly t0: Arr;
  private readonly p0: Arr;
  private readonly f0Valid: Uint8Array;
  private readonly jacValid: Uint8Array;
  private readonly needF: Int32Array;
  private readonly needJ: Int32Array;

  constructor(
    private readonly field: VectorField,
    n: number,
    private readonly counters: Counters,
  ) {
    const D = field.dim;
    this.f0 = new Float64Array(n * D);
    this.jac = new Float64Array(n * D * D);
    this.lu = new Float64Array(n * D * D);
    this.piv = new Int32Array(n * D);
    this.y0 = new Float64Array(n * D);
    this.t0 = new Float64Array(n).fill(Number.NaN);
    this.p0 = new Float64Array(n * field.nParams);
    this.f0Valid = new Uint8Array(n);
    this.jacValid = new Uint8Array(n);
    this.needF = new Int32Array(n);
    this.needJ = new Int32Array(n);
  }

  /**
   * Makes f0 and jac current at (t[b], y[b], p[b]) for the listed rows, evaluating f and the
   * Jacobian only for rows whose cache does not match.
   */
  prepare(t: Arr, y: Arr, p: Arr, n: number, rows: Int32Array): void {
    const D = this.field.dim;
    const P = this.field.nParams;
    let nf = 0;
    let nj = 0;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      if (!(sameSlice(y, this.y0, b * D, D) && sameSlice(p, this.p0, b * P, P))) {
        this.f0Valid[b] = 0;
        this.jacValid[b] = 0;
        for (let i = b * D; i < (b + 1) * D; i++) this.y0[i] = y[i];
        for (let i = b * P; i < (b + 1) * P; i++) this.p0[i] = p[i];
      }
      if (t[b] !== this.t0[b]) {
        this.jacValid[b] = 0;
        this.t0[b] = t[b];
      }
      if (this.f0Valid[b] === 0) this.needF[nf++] = b;
      if (this.jacValid[b] === 0) this.needJ[nj++] = b;
    }
    if (nf > 0) {
      this.field.f(t, y, p, this.f0, nf, this.needF.subarray(0, nf));
      this.counters.nfev += nf;
      for (let q = 0; q < nf; q++) this.f0Valid[this.needF[q]] = 1;
    }
    if (nj > 0) {
      const jac = this.field.jac;
      if (jac === undefined) throw new TypeError('stiff stepper: the vector field has no jac');
      jac.call(this.field, t, y, p, this.jac, nj, this.needJ.subarray(0, nj));
      this.counters.njev += nj;
      for (let q = 0; q < nj; q++) this.jacValid[this.needJ[q]] = 1;
    }
  }

  /**
   * Factorizes lu[b] = sigma[b]·I − jac[b] for the listed rows.
   *
   * @returns in `ok[b]`: 1 when the factorization succeeded, 0 when the matrix is singular or
   *   not finite.
   */
  factor(sigma: Arr, n: number, rows: Int32Array, ok: Uint8Array): void {
    const D = this.field.dim;
    const DD = D * D;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const off = b * DD;
      for (let i = off; i < off + DD; i++) this.lu[i] = -this.jac[i];
      for (let i = 0; i < D; i++) this.lu[off + i * D + i] += sigma[b];
      ok[b] = luFactor(this.lu, off, D, this.piv, b * D) === LU_OK ? 1 : 0;
    }
    this.counters.nlu += n;
  }

  /**
   * Row b moved to the end of its accepted step, where the stepper knows f(t₁, y₁) without
   * evaluating it (first same as last): stores y₁ as the new start and f₁ as its f0.
   */
  advance(b: number, y1: Arr, f1: Arr): void {
    const D = this.field.dim;
    for (let i = b * D; i < (b + 1) * D; i++) {
      this.y0[i] = y1[i];
      this.f0[i] = f1[i];
    }
    this.f0Valid[b] = 1;
    this.jacValid[b] = 0;
  }

  /** Drops row b's cached f0 and Jacobian. */
  forget(b: number): void {
    this.f0Valid[b] = 0;
    this.jacValid[b] = 0;
  }
}
