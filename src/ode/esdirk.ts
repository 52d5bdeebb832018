/**
 * ESDIRK methods (explicit first stage, singly diagonally implicit Runge–Kutta) for stiff
 * problems: Kvaerno5.
 *
 * Stage i (i ≥ 2) solves for Zᵢ = h·kᵢ, the stage slope times h:
 *
 *   Zᵢ = h·f(t₀ + cᵢh, sᵢ + γZᵢ),   sᵢ = y₀ + Σ_{j<i} aᵢⱼZⱼ,
 *
 * by simplified Newton iterations (I − hγJ)·ΔZ = −(Z − h·f(t₀ + cᵢh, sᵢ + γZ)) with the
 * Jacobian J taken once at the step start and one LU per step (all stages share γ). A
 * stage converges when η·‖ΔZ‖ ≤ κ, with the contraction rate θ = ‖ΔZ_k‖/‖ΔZ_{k−1}‖ and
 * η = θ/(1 − θ) (Hairer & Wanner, Solving ODEs II, IV.8), in the weighted RMS norm with
 * weights atol + rtol·|y₀|. A rate θ ≥ 1, a rate too slow to converge within the iteration
 * limit, a non-finite value or a singular matrix fails the attempt: the error estimate is +∞
 * and the solve loop shrinks the step.
 *
 * The stage derivatives are used as Zᵢ/h (never re-evaluated as f(zᵢ), which would amplify
 * the Newton error of stiff components by ‖J‖); for a stiffly accurate method the last one is
 * f(t₁, y₁) and starts the next step (first same as last). Dense output is the cubic Hermite
 * interpolant of y₀, y₁ and these two slopes (order 3).
 */

import type { VectorField } from './field.js';
import { Counters, Linearization } from './linearization.js';
import { luSolve } from './lu.js';
import type { ImplicitCoefficients, Method, SolveTolerances, Stepper } from './method.js';
import { rejectUnknown } from './options.js';

type Arr = Float64Array;

/** The coefficients of an ESDIRK method with a predictor for the Newton starting values. */
export interface EsdirkTableau {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number;
  /** The diagonal γ of stages 2 … s. */
  readonly gamma: number;
  /** a[i] has i + 1 entries (lower triangle with the diagonal); a[0] = [0]. */
  readonly a: readonly (readonly number[])[];
  /** Solution weights. */
  readonly b: readonly number[];
  /** Embedded solution weights. */
  readonly bHat: readonly number[];
  /** Newton starting values Zᵢ⁰ = Σ_{j<i} pred[i][j]·Zⱼ (pred[i] has i entries). */
  readonly predictor: readonly (readonly number[])[];
}

/**
 * Validates an ESDIRK tableau: shapes, an explicit first stage, a constant diagonal, stiff
 * accuracy (b is the last row of a, which the stepper relies on), predictor
 * rows summing to 1, and the Runge–Kutta order conditions up to order min(order, 4) for b and
 * min(embeddedOrder, 4) for bHat (with cᵢ = Σⱼ aᵢⱼ).
 *
 * @throws RangeError naming the failed check (a transcription error in the coefficients).
 */
export function checkEsdirkTableau(t: EsdirkTableau, tol = 1e-13): void {
  const s = t.a.length;
  const where = `ESDIRK tableau ${t.name}`;
  t.a.forEach((row, i) => {
    if (row.length !== i + 1)
      throw new RangeError(`${where}: a[${i}] has ${row.length} entries, expected ${i + 1}`);
    if (i === 0 ? row[0] !== 0 : row[i] !== t.gamma) {
      throw new RangeError(`${where}: diagonal entry ${i} is ${row[i]}, expected ${i === 0 ? 0 : t.gamma}`);
    }
  });
  if (t.b.length !== s || t.bHat.length !== s) throw new RangeError(`${where}: b and bHat need ${s} entries`);
  if (t.b.some((v, j) => v !== t.a[s - 1][j])) {
    throw new RangeError(`${where}: b must equal the last row of a (stiffly accurate: the last stage is y₁)`);
  }
  if (t.predictor.length !== s) throw new RangeError(`${where}: predictor needs ${s} rows`);
  t.predictor.forEach((row, i) => {
    if (row.length !== i)
      throw new RangeError(`${where}: predictor[${i}] has ${row.length} entries, expected ${i}`);
    const total = row.reduce((x, y) => x + y, 0);
    if (i > 0 && Math.abs(total - 1) > tol)
      throw new RangeError(`${where}: predictor[${i}] sums to ${total}, not 1`);
  });
  const A = (i: number, j: number) => (j <= i ? t.a[i][j] : 0);
  const c = t.a.map((row) => row.reduce((x, y) => x + y, 0));
  const sum = (f: (i: number) => number): number => {
    let v = 0;
    for (let i = 0; i < s; i++) v += f(i);
    return v;
  };
  const ac = c.map((_, i) => sum((j) => A(i, j) * c[j]));
  const conditions = (b: readonly number[]): [number, number, number][] => [
    [1, sum((i) => b[i]), 1],
    [2, sum((i) => b[i] * c[i]), 1 / 2],
    [3, sum((i) => b[i] * c[i] ** 2), 1 / 3],
    [3, sum((i) => b[i] * ac[i]), 1 / 6],
    [4, sum((i) => b[i] * c[i] ** 3), 1 / 4],
    [4, sum((i) => b[i] * c[i] * ac[i]), 1 / 8],
    [4, sum((i) => b[i] * sum((j) => A(i, j) * c[j] ** 2)), 1 / 12],
    [4, sum((i) => b[i] * sum((j) => A(i, j) * ac[j])), 1 / 24],
  ];
  for (const [what, b, order] of [
    ['solution', t.b, t.order],
    ['embedded solution', t.bHat, t.embeddedOrder],
  ] as const) {
    for (const [p, value, target] of conditions(b)) {
      if (p <= Math.min(order, 4) && Math.abs(value - target) > tol) {
        throw new RangeError(`${where}: the ${what} violates an order-${p} condition by ${value - target}`);
      }
    }
  }
}

/**
 * Kvaerno5 (A. Kværnø, "Singly diagonally implicit Runge–Kutta methods with an explicit first
 * stage", BIT 44 (2004) 489–502): order 5, embedded order 4, 7 stages, γ = 0.26, stiffly
 * accurate and L-stable. Coefficients as in diffrax's `Kvaerno5` and OrdinaryDiffEq.jl's
 * `Kvaerno5Tableau`; the predictors of stages 2–6 are OrdinaryDiffEq.jl's Hermite
 * extrapolations (with α₂₁ = 1, as diffrax corrects); stage 7 starts from Z₆, the slope at the
 * same time t₀ + h. (Literals are written in their shortest form that parses to the same float64
 * as the sources' 17-digit decimals.)
 */
const g = 0.26;
const kv6 = [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.6194303907248068, g];
const kv7 = [
  0.13659751177640292,
  0,
  -0.05496908796538376,
  -0.04118626728321046,
  0.629933048990164,
  0.06962479448202728,
  g,
];
export const KVAERNO5: EsdirkTableau = {
  name: 'kvaerno5',
  order: 5,
  embeddedOrder: 4,
  gamma: g,
  a: [
    [0],
    [g, g],
    [0.13, 0.8403332099679081, g],
    [0.22371961478320504, 0.476755323197997, -0.06470895363112615, g],
    [0.16648564323248322, 0.1045001884159172, 0.03631482272098715, -0.13090704451073998, g],
    kv6,
    kv7,
  ],
  b: kv7,
  bHat: [...kv6, 0],
  predictor: [
    [],
    [1],
    [-1.366025403784441, 2.3660254037844357],
    [-0.19650552613122207, 0.8113579546496623, 0.38514757148155954],
    [0.10375304369958693, 0.937994698066431, -0.04174774176601781, 0],
    [-0.17281112873898072, 0.6235784481025847, 0.5492326806363959, 0, 0],
    [0, 0, 0, 0, 0, 1],
  ],
};
checkEsdirkTableau(KVAERNO5);

/** Kvaerno5's coefficients for the discrete adjoint (the stage nodes as the stepper computes them). */
const KVAERNO5_COEFFICIENTS: ImplicitCoefficients = Object.freeze({
  c: stageNodes(KVAERNO5),
  a: KVAERNO5.a,
  b: KVAERNO5.b,
  predictor: KVAERNO5.predictor,
});

/** cᵢ = Σⱼ aᵢⱼ, summed left to right (the stepper and the discrete adjoint use the same floats). */
function stageNodes(t: EsdirkTableau): number[] {
  return t.a.map((row) => row.reduce((x, v) => x + v, 0));
}

/** Options of {@link kvaerno5}. */
export interface EsdirkOptions {
  /** Relative tolerance of the Newton iterations' norm; use the controller's (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance of the Newton iterations' norm; use the controller's (default 1e-9). */
  atol?: number;
  /** Newton iterations stop when the estimated remaining error is ≤ kappa (default 0.01). */
  kappa?: number;
  /** Most Newton iterations per stage before the attempt fails (default 10). */
  maxIterations?: number;
}

const ESDIRK_KEYS = ['rtol', 'atol', 'kappa', 'maxIterations'];

class EsdirkStepper implements Stepper {
  readonly counters = new Counters();
  private readonly lin: Linearization;
  private readonly D: number;
  private readonly s: number;
  /** Stage times cᵢ = Σⱼ aᵢⱼ. */
  private readonly c: number[];
  /** Zᵢ = h·kᵢ, s × [N·dim]. */
  private readonly Z: Arr[];
  private readonly base: Arr;
  private readonly z: Arr;
  private readonly fz: Arr;
  private readonly dz: Arr;
  private readonly tStage: Arr;
  private readonly sigma: Arr;
  private readonly factorOk: Uint8Array;
  private readonly failed: Uint8Array;
  private readonly live: Int32Array;
  private readonly iterating: Int32Array;
  private readonly prevNorm: Arr;
  /** η = θ/(1 − θ) of each row's last converged stage (Hairer's FACCON). */
  private readonly eta: Arr;
  private readonly hLast: Arr;
  private readonly y1: Arr;
  private readonly slope1: Arr;
  private readonly denseY0: Arr;
  private readonly denseY1: Arr;
  private readonly denseZ0: Arr;
  private readonly denseZ1: Arr;
  private readonly kappa: number;

  constructor(
    private readonly field: VectorField,
    n: number,
    private readonly tab: EsdirkTableau,
    private readonly rtol: number,
    private readonly atol: number,
    kappa: number,
    private readonly maxIterations: number,
  ) {
    const D = field.dim;
    this.D = D;
    this.s = tab.a.length;
    this.c = stageNodes(tab);
    this.lin = new Linearization(field, n, this.counters);
    this.Z = Array.from({ length: this.s }, () => new Float64Array(n * D));
    const vec = () => new Float64Array(n * D);
    this.base = vec();
    this.z = vec();
    this.fz = vec();
    this.dz = vec();
    this.y1 = vec();
    this.slope1 = vec();
    this.denseY0 = vec();
    this.denseY1 = vec();
    this.denseZ0 = vec();
    this.denseZ1 = vec();
    this.tStage = new Float64Array(n);
    this.sigma = new Float64Array(n);
    this.factorOk = new Uint8Array(n);
    this.failed = new Uint8Array(n);
    this.live = new Int32Array(n);
    this.iterating = new Int32Array(n);
    this.prevNorm = new Float64Array(n);
    this.eta = new Float64Array(n).fill(1);
    this.hLast = new Float64Array(n);
    // Hairer's guard: a Newton tolerance below ~10 ulps of the solution cannot be met.
    this.kappa = rtol > 0 ? Math.max(kappa, (10 * Number.EPSILON) / rtol) : kappa;
  }

  attempt(t: Arr, y: Arr, p: Arr, h: Arr, yNew: Arr, err: Arr, n: number, rows: Int32Array): void {
    const { D, s, tab, lin, Z } = this;
    lin.prepare(t, y, p, n, rows);
    for (let q = 0; q < n; q++) this.sigma[rows[q]] = 1 / (h[rows[q]] * tab.gamma);
    lin.factor(this.sigma, n, rows, this.factorOk);
    let nLive = 0;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      this.failed[b] = this.factorOk[b] === 1 ? 0 : 1;
      if (this.failed[b] === 0) this.live[nLive++] = b;
      this.hLast[b] = h[b];
      // Stage 1 is explicit: Z₁ = h·f(t₀, y₀).
      for (let x = b * D; x < (b + 1) * D; x++) Z[0][x] = h[b] * lin.f0[x];
    }
    for (let i = 1; i < s && nLive > 0; i++) {
      this.solveStage(i, t, p, h, nLive);
      // Drop the rows whose Newton iteration failed.
      let kept = 0;
      for (let q = 0; q < nLive; q++) if (this.failed[this.live[q]] === 0) this.live[kept++] = this.live[q];
      nLive = kept;
    }
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      let ok = this.failed[b] === 0;
      for (let x = b * D; ok && x < (b + 1) * D; x++) {
        let v = y[x];
        let e = 0;
        for (let j = 0; j < s; j++) {
          v += tab.b[j] * Z[j][x];
          e += (tab.b[j] - tab.bHat[j]) * Z[j][x];
        }
        yNew[x] = v;
        err[x] = e;
        this.y1[x] = v;
        if (!(Number.isFinite(v) && Number.isFinite(e))) ok = false;
      }
      if (!ok) {
        // A failed attempt: y₁ = y₀ and an infinite error, so the solve loop shrinks the step.
        for (let x = b * D; x < (b + 1) * D; x++) {
          yNew[x] = y[x];
          err[x] = Number.POSITIVE_INFINITY;
        }
        this.failed[b] = 1;
      }
    }
  }

  /** Simplified Newton iterations for stage i of the live rows; marks rows that fail. */
  private solveStage(i: number, t: Arr, p: Arr, h: Arr, nLive: number): void {
    const { D, tab, lin, Z, base, z, fz, dz } = this;
    const gamma = tab.gamma;
    const ai = tab.a[i];
    const pred = tab.predictor[i];
    const Zi = Z[i];
    const y0 = lin.y0;
    const c = this.c[i];
    for (let q = 0; q < nLive; q++) {
      const b = this.live[q];
      this.tStage[b] = t[b] + c * h[b];
      for (let x = b * D; x < (b + 1) * D; x++) {
        let v = y0[x];
        let z0 = 0;
        for (let j = 0; j < i; j++) {
          v += ai[j] * Z[j][x];
          z0 += pred[j] * Z[j][x];
        }
        base[x] = v;
        Zi[x] = z0;
      }
      this.iterating[q] = b;
    }
    let nIter = nLive;
    for (let k = 0; k < this.maxIterations && nIter > 0; k++) {
      const rows = this.iterating.subarray(0, nIter);
      for (let q = 0; q < nIter; q++) {
        const b = rows[q];
        for (let x = b * D; x < (b + 1) * D; x++) z[x] = base[x] + gamma * Zi[x];
      }
      this.field.f(this.tStage, z, p, fz, nIter, rows);
      this.counters.nfev += nIter;
      let still = 0;
      for (let q = 0; q < nIter; q++) {
        const b = rows[q];
        const hb = h[b];
        // (σI − J)·ΔZ = −G/(hγ) is (I − hγJ)·ΔZ = −G with σ = 1/(hγ).
        const scale = this.sigma[b];
        for (let x = b * D; x < (b + 1) * D; x++) dz[x] = (hb * fz[x] - Zi[x]) * scale;
        luSolve(lin.lu, b * D * D, D, lin.piv, b * D, dz, b * D);
        let sq = 0;
        for (let x = b * D; x < (b + 1) * D; x++) {
          Zi[x] += dz[x];
          const r = dz[x] / (this.atol + this.rtol * Math.abs(y0[x]));
          sq += r * r;
        }
        const norm = Math.sqrt(sq / D);
        const verdict = this.judge(b, k, norm);
        if (verdict === 0) rows[still++] = b;
        else if (verdict < 0) this.failed[b] = 1;
      }
      nIter = still;
    }
    // Rows still iterating at the limit fail.
    for (let q = 0; q < nIter; q++) this.failed[this.iterating[q]] = 1;
  }

  /**
   * The convergence test after Newton iteration k of row b with correction norm ‖ΔZ‖:
   * 1 converged, 0 go on, −1 failed (diverging, too slow, or not finite).
   */
  private judge(b: number, k: number, norm: number): number {
    if (!Number.isFinite(norm)) return -1;
    if (norm === 0) return 1;
    let eta: number;
    if (k === 0) {
      eta = Math.max(this.eta[b], Number.EPSILON) ** 0.8;
    } else {
      const theta = norm / this.prevNorm[b];
      if (theta >= 1) return -1;
      eta = theta / (1 - theta);
      // The error left after the remaining iterations, if the rate holds, would still be too big.
      const left = this.maxIterations - 1 - k;
      if (left > 0 && (theta ** left / (1 - theta)) * norm > this.kappa) return -1;
    }
    this.prevNorm[b] = norm;
    if (eta * norm <= this.kappa) {
      this.eta[b] = eta;
      return 1;
    }
    return 0;
  }

  accept(n: number, rows: Int32Array): void {
    const { D, s, Z, lin } = this;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const inv = 1 / this.hLast[b];
      for (let x = b * D; x < (b + 1) * D; x++) {
        this.denseY0[x] = lin.y0[x];
        this.denseY1[x] = this.y1[x];
        this.denseZ0[x] = Z[0][x];
        this.denseZ1[x] = Z[s - 1][x];
        this.slope1[x] = Z[s - 1][x] * inv;
      }
      // Stiffly accurate: the last stage is y₁ and Zₛ/h its slope, the next step's first stage.
      lin.advance(b, this.y1, this.slope1);
    }
  }

  interpolate(b: number, theta: number, out: Arr, offset: number): void {
    const { D } = this;
    const th1 = 1 - theta;
    for (let i = 0; i < D; i++) {
      const x = b * D + i;
      const y0 = this.denseY0[x];
      const y1 = this.denseY1[x];
      // Cubic Hermite: (1−θ)y₀ + θy₁ + θ(θ−1)((1−2θ)(y₁−y₀) + (θ−1)·h·f₀ + θ·h·f₁).
      out[offset + i] =
        th1 * y0 +
        theta * y1 +
        theta *
          (theta - 1) *
          ((1 - 2 * theta) * (y1 - y0) + (theta - 1) * this.denseZ0[x] + theta * this.denseZ1[x]);
    }
  }

  reset(b: number): void {
    this.lin.forget(b);
  }
}

/**
 * Kvaerno5: a fifth-order L-stable ESDIRK method with a fourth-order error estimate (Kværnø
 * 2004), solved by simplified Newton iterations with one Jacobian and one LU per step. Dense
 * output is cubic Hermite (order 3; the method has no dense output of its own).
 *
 * Pass the controller's tolerances as `rtol`/`atol`: they scale the Newton convergence test.
 *
 * The stiff method with a discrete adjoint: it publishes its coefficients
 * (`implicitCoefficients`), and `discreteAdjoint` reverses its steps by the implicit-function
 * theorem on the stage equations, (I − hγJᵢᵀ)·μᵢ = gᵢ per stage — the gradient of the exactly
 * solved scheme.
 *
 * Warning: stage 3 is evaluated at t₀ + 1.23·h, past the end of the step, so f must be smooth
 * a little beyond each step — mind input discontinuities (doses), or prefer {@link rodas5p},
 * whose stages all lie in [t₀, t₀ + h].
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, {
 *   method: kvaerno5({ rtol: 1e-6, atol: 1e-10 }),
 *   t1: 40,
 *   controller: pid({ rtol: 1e-6, atol: 1e-10 }),
 * });
 * ```
 */
export function kvaerno5(options: EsdirkOptions = {}): Method {
  rejectUnknown('kvaerno5', options, ESDIRK_KEYS);
  const rtolOption = options.rtol;
  const atolOption = options.atol;
  const rtol = rtolOption ?? 1e-6;
  const atol = atolOption ?? 1e-9;
  const kappa = options.kappa ?? 0.01;
  const maxIterations = options.maxIterations ?? 10;
  if (!(rtol >= 0 && atol >= 0 && rtol + atol > 0)) {
    throw new RangeError(`kvaerno5: need rtol ≥ 0, atol ≥ 0, not both zero (got ${rtol}, ${atol})`);
  }
  if (!(kappa > 0 && kappa < 1)) throw new RangeError(`kvaerno5: kappa must lie in (0, 1), got ${kappa}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new RangeError(`kvaerno5: maxIterations must be a positive integer, got ${maxIterations}`);
  }
  return {
    name: KVAERNO5.name,
    order: KVAERNO5.order,
    embeddedOrder: KVAERNO5.embeddedOrder,
    stiff: true,
    implicitCoefficients: KVAERNO5_COEFFICIENTS,
    create(field: VectorField, n: number, tolerances?: SolveTolerances): Stepper {
      if (field.jac === undefined) {
        throw new TypeError('kvaerno5: the vector field has no jac; stiff methods need the Jacobian ∂f/∂y');
      }
      // Tolerances given to kvaerno5 win; otherwise the solve's controller's are used.
      const r = rtolOption ?? tolerances?.rtol ?? rtol;
      const controllerAtol = tolerances?.atol;
      const a =
        atolOption ??
        (controllerAtol === undefined
          ? atol
          : typeof controllerAtol === 'number'
            ? controllerAtol
            : Math.min(...controllerAtol));
      return new EsdirkStepper(field, n, KVAERNO5, r, a, kappa, maxIterations);
    },
  };
}
