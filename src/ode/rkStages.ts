/**
 * The stages of recorded Runge–Kutta steps, recomputed for the discrete adjoint: explicit
 * methods (a Butcher tableau) and diagonally implicit ones (DIRK/ESDIRK, e.g. Kvaerno5), for a
 * batch of trajectories, with preallocated buffers.
 *
 * A step of size h from (t, y) has stages Yᵢ = y + h·Σ_{j≤i} aᵢⱼkⱼ, kᵢ = f(t + cᵢh, Yᵢ) + r
 * (r: the infusion rates of the step) and y' = y + h·Σ bᵢkᵢ. An implicit stage (aᵢᵢ = γᵢ ≠ 0)
 * is re-solved by simplified Newton iterations (I − hγᵢJ₀)·Δk = f(t + cᵢh, Yᵢ) + r − kᵢ, with
 * J₀ = ∂f/∂y at the step start and the method's predictor as starting value (as the forward
 * stepper does), but iterated until the corrections stop shrinking — to rounding — instead of
 * to the forward's Newton tolerance. The stages are then those of the exactly solved scheme
 * (they differ from the forward's by the forward's Newton error, below its tolerance).
 */
import type { VectorField } from './field.js';
import { LU_OK, luFactor, luSolve, luSolveTransposed } from './lu.js';
import type { Method } from './method.js';

type Arr = Float64Array;

/** Most Newton iterations of a re-solved stage. */
const MAX_ITERATIONS = 50;
/**
 * A re-solved stage whose last correction, relative to the state, is above this was not
 * solved: the forward step cannot have converged there either.
 */
const CONVERGED = 1e-8;

/**
 * Flat coefficients of a Runge–Kutta method with an explicit or diagonally implicit tableau,
 * and buffers to recompute the stages of N trajectories' steps. Internal to the discrete
 * adjoint (not exported from the package index).
 */
export class RkStages {
  /** Number of stages. */
  readonly s: number;
  /** aᵢⱼ row-major s×s (j ≤ i; zero above the diagonal, and on it for explicit stages). */
  readonly A: Float64Array;
  readonly c: Float64Array;
  /** Solution weights bᵢ. */
  readonly weights: Float64Array;
  /** Whether stage i matters: it enters the solution or a stage that matters. */
  readonly live: readonly boolean[];
  /** Stage states Yᵢ, s × [N·dim]. */
  readonly Y: Arr[];
  /** Stage slopes kᵢ (infusion rates included), s × [N·dim]. */
  readonly K: Arr[];
  /** Stage times t + cᵢh of the last {@link stageTimes} call, [N]. */
  readonly ts: Arr;
  private readonly D: number;
  private readonly predictor: Float64Array;
  private readonly implicit: boolean;
  private readonly jac: Arr;
  private readonly lu: Arr;
  private readonly piv: Int32Array;
  private readonly base: Arr;
  private readonly fk: Arr;
  private readonly dk: Arr;
  private readonly iterating: Int32Array;
  private readonly prevDelta: Arr;
  private readonly delta: Arr;

  private constructor(
    private readonly field: VectorField,
    n: number,
    c: readonly number[],
    a: readonly (readonly number[])[],
    b: readonly number[],
    predictor: readonly (readonly number[])[] | null,
  ) {
    const s = b.length;
    const D = field.dim;
    this.s = s;
    this.D = D;
    this.A = new Float64Array(s * s);
    a.forEach((row, i) => {
      row.forEach((v, j) => {
        this.A[i * s + j] = v;
      });
    });
    this.c = Float64Array.from(c);
    this.weights = Float64Array.from(b);
    this.predictor = new Float64Array(s * s);
    predictor?.forEach((row, i) => {
      row.forEach((v, j) => {
        this.predictor[i * s + j] = v;
      });
    });
    const live = new Array<boolean>(s).fill(false);
    for (let i = s - 1; i >= 0; i--) {
      live[i] = this.weights[i] !== 0;
      for (let l = i + 1; l < s && !live[i]; l++) if (live[l] && this.A[l * s + i] !== 0) live[i] = true;
    }
    this.live = live;
    this.implicit = this.A.some((v, k) => v !== 0 && k % (s + 1) === 0);
    if (this.implicit && field.jac === undefined) {
      throw new TypeError(
        'discreteAdjoint: an implicit method needs the Jacobian, but the vector field has no jac',
      );
    }
    const vec = () => new Float64Array(n * D);
    this.Y = Array.from({ length: s }, vec);
    this.K = Array.from({ length: s }, vec);
    this.ts = new Float64Array(n);
    this.jac = new Float64Array(this.implicit ? n * D * D : 0);
    this.lu = new Float64Array(this.jac.length);
    this.piv = new Int32Array(this.implicit ? n * D : 0);
    this.base = this.implicit ? vec() : new Float64Array(0);
    this.fk = this.implicit ? vec() : new Float64Array(0);
    this.dk = this.implicit ? vec() : new Float64Array(0);
    this.iterating = new Int32Array(n);
    this.prevDelta = new Float64Array(n);
    this.delta = new Float64Array(n);
  }

  /**
   * The stage engine of a method for N trajectories of a field.
   *
   * @throws TypeError when the method publishes no Runge–Kutta coefficients: Rosenbrock methods
   *   (rodas4, rodas5p), whose exact discrete adjoint would need second derivatives of f.
   */
  static of(method: Method, field: VectorField, n: number): RkStages {
    const explicit = method.coefficients;
    if (explicit !== undefined) return new RkStages(field, n, explicit.c, explicit.a, explicit.b, null);
    const implicit = method.implicitCoefficients;
    if (implicit !== undefined) {
      return new RkStages(field, n, implicit.c, implicit.a, implicit.b, implicit.predictor);
    }
    throw new TypeError(
      method.stiff
        ? `discreteAdjoint: ${method.name} has no discrete adjoint (reversing a Rosenbrock method exactly ` +
            'needs second derivatives of f); for gradients of a stiff problem solve with method: kvaerno5(), ' +
            `or use forwardSensitivities with ${method.name}`
        : `discreteAdjoint: ${method.name} publishes no Runge–Kutta coefficients; use an explicit Runge–Kutta method ` +
            '(tsit5(), dopri5(), vern7(), …) or kvaerno5()',
    );
  }

  /** Sets ts[b] = t[b] + cᵢ·h[b] for the listed rows and returns ts. */
  stageTimes(i: number, t: Arr, h: Arr, n: number, rows: Int32Array): Arr {
    const ci = this.c[i];
    for (let q = 0; q < n; q++) this.ts[rows[q]] = t[rows[q]] + ci * h[rows[q]];
    return this.ts;
  }

  /**
   * Recomputes the stages Yᵢ and kᵢ of the listed rows' steps of size h[b] from (t[b], y[b])
   * (only the live stages), with infusion rates `rates` [N·dim] added to f when given. The
   * caller has called `field.beginStep` for the step.
   *
   * @throws Error when an implicit stage cannot be re-solved (the iteration diverges or stalls
   *   far from convergence), which a step the forward solve accepted should never do.
   */
  compute(t: Arr, y: Arr, h: Arr, p: Arr, rates: Arr | null, n: number, rows: Int32Array): void {
    const { s, D, A, Y, K } = this;
    let factoredGamma = 0;
    if (this.implicit) {
      const jac = this.field.jac;
      if (jac === undefined) throw new TypeError('discreteAdjoint: the vector field has no jac');
      jac.call(this.field, t, y, p, this.jac, n, rows);
    }
    for (let i = 0; i < s; i++) {
      if (!this.live[i]) continue;
      const gamma = A[i * s + i];
      const Yi = Y[i];
      const out = gamma === 0 ? Yi : this.base;
      for (let q = 0; q < n; q++) {
        const b = rows[q];
        const hb = h[b];
        for (let x = b * D; x < (b + 1) * D; x++) {
          if (!this.implicit && i > 0) {
            // An explicit method's stage state with the forward stepper's arithmetic,
            // y + h·(Σⱼ aᵢⱼkⱼ) summed from 0 in the order of j: the very states of the solve.
            let acc = 0;
            for (let j = 0; j < i; j++) {
              const aij = A[i * s + j];
              if (aij !== 0) acc += aij * K[j][x];
            }
            out[x] = y[x] + hb * acc;
            continue;
          }
          let v = y[x];
          for (let j = 0; j < i; j++) {
            const aij = A[i * s + j];
            if (aij !== 0) v += hb * aij * K[j][x];
          }
          out[x] = v;
        }
      }
      const ts = this.stageTimes(i, t, h, n, rows);
      if (gamma === 0) {
        this.field.f(ts, Yi, p, K[i], n, rows);
        if (rates !== null) addRates(K[i], rates, D, n, rows);
        continue;
      }
      if (gamma !== factoredGamma) {
        this.factor(gamma, t, h, n, rows);
        factoredGamma = gamma;
      }
      this.solveStage(i, t, y, h, p, rates, n, rows);
    }
  }

  /** LU of I − h·γ·J₀ for the listed rows, into `lu` (J₀ is kept for other diagonals). */
  private factor(gamma: number, t: Arr, h: Arr, n: number, rows: Int32Array): void {
    const { D, lu } = this;
    const DD = D * D;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const off = b * DD;
      const hg = h[b] * gamma;
      for (let k = off; k < off + DD; k++) lu[k] = -hg * this.jac[k];
      for (let k = 0; k < D; k++) lu[off + k * D + k] += 1;
      if (luFactor(lu, off, D, this.piv, b * D) !== LU_OK) {
        throw new Error(
          `discreteAdjoint: the Newton matrix I − hγJ of the step at t = ${t[b]} (trajectory ${b}) is singular`,
        );
      }
    }
  }

  /** Simplified Newton iterations for implicit stage i of the listed rows, to rounding. */
  private solveStage(
    i: number,
    t: Arr,
    y: Arr,
    h: Arr,
    p: Arr,
    rates: Arr | null,
    n: number,
    rows: Int32Array,
  ): void {
    const { s, D, A, Y, K, base, fk, dk } = this;
    const gamma = A[i * s + i];
    const Yi = Y[i];
    const Ki = K[i];
    const lu = this.lu;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      for (let x = b * D; x < (b + 1) * D; x++) {
        let v = 0;
        for (let j = 0; j < i; j++) {
          const pij = this.predictor[i * s + j];
          if (pij !== 0) v += pij * K[j][x];
        }
        Ki[x] = v;
      }
      this.iterating[q] = b;
      this.prevDelta[b] = Number.POSITIVE_INFINITY;
    }
    let nIter = n;
    for (let k = 0; k < MAX_ITERATIONS && nIter > 0; k++) {
      const it = this.iterating.subarray(0, nIter);
      for (let q = 0; q < nIter; q++) {
        const b = it[q];
        const hg = h[b] * gamma;
        for (let x = b * D; x < (b + 1) * D; x++) Yi[x] = base[x] + hg * Ki[x];
      }
      this.field.f(this.stageTimes(i, t, h, nIter, it), Yi, p, fk, nIter, it);
      if (rates !== null) addRates(fk, rates, D, nIter, it);
      let still = 0;
      for (let q = 0; q < nIter; q++) {
        const b = it[q];
        for (let x = b * D; x < (b + 1) * D; x++) dk[x] = fk[x] - Ki[x];
        luSolve(lu, b * D * D, D, this.piv, b * D, dk, b * D);
        const hg = h[b] * gamma;
        let floor = 0;
        for (let x = b * D; x < (b + 1) * D; x++) floor = Math.max(floor, Math.abs(y[x]));
        floor = floor * Number.EPSILON + Number.MIN_VALUE;
        // δ = maxₓ |hγ·Δkₓ| / (max(|y₀ₓ|, |Yᵢₓ|) + ε·‖y₀‖∞): the change of the stage state.
        let delta = 0;
        for (let x = b * D; x < (b + 1) * D; x++) {
          Ki[x] += dk[x];
          const scale = Math.max(Math.abs(y[x]), Math.abs(Yi[x])) + floor;
          delta = Math.max(delta, Math.abs(hg * dk[x]) / scale);
        }
        if (!Number.isFinite(delta)) {
          throw new Error(
            `discreteAdjoint: re-solving stage ${i + 1} of the step at t = ${t[b]} (trajectory ${b}) gave a non-finite value`,
          );
        }
        this.delta[b] = delta;
        // Done at rounding, or when the corrections stop shrinking (rounding noise).
        const done = delta <= 2 * Number.EPSILON || delta >= this.prevDelta[b];
        this.prevDelta[b] = delta;
        if (!done) it[still++] = b;
      }
      nIter = still;
    }
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      if (!(this.delta[b] <= CONVERGED)) {
        throw new Error(
          `discreteAdjoint: stage ${i + 1} of the step at t = ${t[b]} (trajectory ${b}) could not be re-solved ` +
            `(last relative Newton correction ${this.delta[b]}); was the solution recorded with this method and parameters?`,
        );
      }
      const hg = h[b] * gamma;
      for (let x = b * D; x < (b + 1) * D; x++) Yi[x] = base[x] + hg * Ki[x];
    }
  }

  /**
   * The reverse of implicit stage i: overwrites g[b] (the cotangent gᵢ reaching kᵢ from the
   * solution and the later stages) with μᵢ = (I − hγᵢJᵢᵀ)⁻¹·gᵢ, Jᵢ = ∂f/∂y(t + cᵢh, Yᵢ), the
   * total cotangent of kᵢ (its own stage included). Needs the stages from {@link compute}.
   */
  solveTransposed(i: number, t: Arr, h: Arr, p: Arr, g: Arr, n: number, rows: Int32Array): void {
    const { s, D } = this;
    const gamma = this.A[i * s + i];
    const jac = this.field.jac;
    if (jac === undefined) throw new TypeError('discreteAdjoint: the vector field has no jac');
    const J = this.jac;
    jac.call(this.field, this.stageTimes(i, t, h, n, rows), this.Y[i], p, J, n, rows);
    const DD = D * D;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const off = b * DD;
      const hg = h[b] * gamma;
      for (let k = off; k < off + DD; k++) J[k] *= -hg;
      for (let k = 0; k < D; k++) J[off + k * D + k] += 1;
      if (luFactor(J, off, D, this.piv, b * D) !== LU_OK) {
        throw new Error(
          `discreteAdjoint: I − hγJ at stage ${i + 1} of the step at t = ${t[b]} (trajectory ${b}) is singular`,
        );
      }
      luSolveTransposed(J, off, D, this.piv, b * D, g, b * D);
    }
  }
}

function addRates(out: Arr, rates: Arr, D: number, n: number, rows: Int32Array): void {
  for (let q = 0; q < n; q++) {
    const b = rows[q];
    for (let x = b * D; x < (b + 1) * D; x++) out[x] += rates[x];
  }
}
