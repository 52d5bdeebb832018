/**
 * Rosenbrock–Wanner (linearly implicit) methods for stiff problems: Rodas5P and Rodas4.
 *
 * One step of an s-stage method in the transformed form of Hairer & Wanner (Solving ODEs II,
 * IV.7, eq. 7.25), with J = ∂f/∂y(t₀, y₀) and W = I/(hγ) − J factorized once per step:
 *
 *   W·kᵢ = f(t₀ + cᵢh, y₀ + Σ_{j<i} aᵢⱼkⱼ) + dᵢ·h·∂f/∂t(t₀, y₀) + Σ_{j<i} (Cᵢⱼ/h)·kⱼ,
 *   y₁ = y₀ + Σ mᵢkᵢ,   error estimate y₁ − ŷ₁ = Σ eᵢkᵢ.
 *
 * Linear systems replace Newton iterations: no convergence test, s evaluations of f (two more
 * for ∂f/∂t, below), one Jacobian and one LU per step; a retry of a rejected step from the same
 * point reuses f(t₀, y₀) and J. The price is that J must be exact (accurate to the method's
 * order), which the compiled models provide symbolically. Memory: two dim×dim matrices (J and
 * its LU) and s + 8 vectors per trajectory.
 *
 * ∂f/∂t: a model depends on t through its time-varying inputs, and the vector field has no
 * time derivative, so it is computed by a one-sided second-order difference,
 * (−3f(t₀) + 4f(t₀ + δ) − f(t₀ + 2δ))/(2δ) with δ = ε^⅓·max(|t₀|, |h|) capped at h/2, which
 * costs two evaluations of f per step and looks only inside the step (never across a dose
 * time before t₀). With `autonomous: true` the term is dropped (∂f/∂t = 0): use it when f does
 * not depend on t.
 */

import type { VectorField } from './field.js';
import { Counters, Linearization } from './linearization.js';
import { luSolve } from './lu.js';
import type { Method, Stepper } from './method.js';
import { rejectUnknown } from './options.js';

type Arr = Float64Array;

/**
 * The coefficients of a Rosenbrock–Wanner method in transformed form (Hairer & Wanner IV.7):
 * stage i is evaluated at y₀ + Σ_{j<i} a[i][j]·kⱼ and time t₀ + c[i]·h and solves
 * (I/(hγ) − J)·kᵢ = f + d[i]·h·fₜ + Σ_{j<i} C[i][j]/h·kⱼ.
 */
export interface RosenbrockTableau {
  readonly name: string;
  /** Order of y₁. */
  readonly order: number;
  /** Order of the embedded solution ŷ₁ = y₁ − Σ eᵢkᵢ. */
  readonly embeddedOrder: number;
  /** The diagonal γ. */
  readonly gamma: number;
  /** a[i] has i entries (strictly lower triangle). */
  readonly a: readonly (readonly number[])[];
  /** C[i] has i entries (strictly lower triangle). */
  readonly C: readonly (readonly number[])[];
  /** Stage times. */
  readonly c: readonly number[];
  /** Coefficients of h·∂f/∂t (γᵢ = Σⱼ γᵢⱼ in Hairer & Wanner). */
  readonly d: readonly number[];
  /** Solution weights: y₁ = y₀ + Σ mᵢkᵢ. */
  readonly m: readonly number[];
  /** Error weights: y₁ − ŷ₁ = Σ eᵢkᵢ. */
  readonly e: readonly number[];
  /**
   * Dense output: rows H[r] of weights with K_r = Σᵢ H[r][i]·kᵢ, and
   * y(t₀ + θh) = (1 − θ)·y₀ + θ·(y₁ + (1 − θ)·(K₀ + θ·(K₁ + θ·(K₂ + …)))).
   */
  readonly H: readonly (readonly number[])[];
}

/**
 * The classical order conditions up to order 4 of a Rosenbrock method with weights b in
 * Hairer & Wanner's original variables (Table IV.7.1), with βᵢⱼ = αᵢⱼ + γᵢⱼ and βᵢ′ = Σ_{j<i} βᵢⱼ.
 * Returns the largest violation for orders ≤ `order`.
 */
function orderDefect(alpha: number[][], gam: number[][], b: number[], gamma: number, order: number): number {
  const s = b.length;
  const sum = (f: (i: number) => number): number => {
    let v = 0;
    for (let i = 0; i < s; i++) v += f(i);
    return v;
  };
  const cs = alpha.map((row) => row.reduce((x, y) => x + y, 0));
  const beta = alpha.map((row, i) => row.map((v, j) => (j < i ? v + gam[i][j] : 0)));
  const bp = beta.map((row) => row.reduce((x, y) => x + y, 0));
  const g = gamma;
  const conditions: [number, number, number][] = [
    [1, sum((i) => b[i]), 1],
    [2, sum((i) => b[i] * bp[i]), 0.5 - g],
    [3, sum((i) => b[i] * cs[i] ** 2), 1 / 3],
    [3, sum((i) => b[i] * sum((j) => beta[i][j] * bp[j])), 1 / 6 - g + g * g],
    [4, sum((i) => b[i] * cs[i] ** 3), 1 / 4],
    [4, sum((i) => b[i] * cs[i] * sum((j) => alpha[i][j] * bp[j])), 1 / 8 - g / 3],
    [4, sum((i) => b[i] * sum((j) => beta[i][j] * cs[j] ** 2)), 1 / 12 - g / 3],
    [
      4,
      sum((i) => b[i] * sum((j) => beta[i][j] * sum((k) => beta[j][k] * bp[k]))),
      1 / 24 - g / 2 + 1.5 * g * g - g ** 3,
    ],
  ];
  let worst = 0;
  for (const [p, value, target] of conditions) {
    if (p <= order) worst = Math.max(worst, Math.abs(value - target));
  }
  return worst;
}

/**
 * Validates a Rosenbrock tableau: shapes, and — back in Hairer & Wanner's original variables
 * (Γ = (I/γ − C)⁻¹, α = a·Γ, b = m·Γ) — that the rows of α sum to c, the rows of Γ to d, and
 * that y₁ and ŷ₁ satisfy the order conditions up to min(order, 4) and min(embeddedOrder, 4).
 *
 * @throws RangeError naming the failed check (a transcription error in the coefficients).
 */
export function checkRosenbrockTableau(t: RosenbrockTableau, tol = 1e-12): void {
  const s = t.c.length;
  const where = `Rosenbrock tableau ${t.name}`;
  const shape = (what: string, rows: readonly (readonly number[])[]) => {
    if (rows.length !== s) throw new RangeError(`${where}: ${what} has ${rows.length} rows, expected ${s}`);
    rows.forEach((row, i) => {
      if (row.length !== i)
        throw new RangeError(`${where}: ${what}[${i}] has ${row.length} entries, expected ${i}`);
    });
  };
  shape('a', t.a);
  shape('C', t.C);
  for (const [what, v] of [
    ['d', t.d],
    ['m', t.m],
    ['e', t.e],
  ] as const) {
    if (v.length !== s) throw new RangeError(`${where}: ${what} has ${v.length} entries, expected ${s}`);
  }
  t.H.forEach((row, r) => {
    if (row.length !== s) throw new RangeError(`${where}: H[${r}] has ${row.length} entries, expected ${s}`);
  });
  // Γ⁻¹ = I/γ − C is lower triangular: invert by forward substitution, column by column.
  const gi = (i: number, j: number) => (i === j ? 1 / t.gamma : j < i ? -t.C[i][j] : 0);
  const gam: number[][] = Array.from({ length: s }, () => new Array<number>(s).fill(0));
  for (let col = 0; col < s; col++) {
    for (let i = col; i < s; i++) {
      let v = i === col ? 1 : 0;
      for (let j = col; j < i; j++) v -= gi(i, j) * gam[j][col];
      gam[i][col] = v / gi(i, i);
    }
  }
  const times = (w: (j: number) => number) =>
    Array.from({ length: s }, (_, col) => {
      let v = 0;
      for (let j = 0; j < s; j++) v += w(j) * gam[j][col];
      return v;
    });
  const alpha = Array.from({ length: s }, (_, i) => times((j) => (j < i ? t.a[i][j] : 0)));
  for (let i = 0; i < s; i++) {
    const ci = alpha[i].reduce((x, y) => x + y, 0);
    const di = gam[i].reduce((x, y) => x + y, 0);
    if (Math.abs(ci - t.c[i]) > tol)
      throw new RangeError(`${where}: row ${i} of α sums to ${ci}, not c = ${t.c[i]}`);
    if (Math.abs(di - t.d[i]) > tol)
      throw new RangeError(`${where}: row ${i} of Γ sums to ${di}, not d = ${t.d[i]}`);
  }
  const b = times((j) => t.m[j]);
  const bHat = times((j) => t.m[j] - t.e[j]);
  const defect = orderDefect(alpha, gam, b, t.gamma, Math.min(t.order, 4));
  if (defect > tol) throw new RangeError(`${where}: the solution violates an order condition by ${defect}`);
  const defectHat = orderDefect(alpha, gam, bHat, t.gamma, Math.min(t.embeddedOrder, 4));
  if (defectHat > tol) {
    throw new RangeError(`${where}: the embedded solution violates an order condition by ${defectHat}`);
  }
}

/**
 * Rodas5P (Steinebach 2023): order 5, embedded order 4, 8 stages, stiffly accurate, L-stable,
 * with a stiff-aware dense output of order 4. Coefficients as in OrdinaryDiffEq.jl's
 * `Rodas5PTableau` (src/tableaus/rosenbrock_tableaus.jl), from G. Steinebach, "Construction of
 * Rosenbrock–Wanner method Rodas5P and numerical benchmarks within the Julia Differential
 * Equations package", BIT Numer. Math. 63, 27 (2023). The last three stages are evaluated at
 * t₀ + h at the running sums y₀ + Σ a₆ⱼkⱼ + k₆ (+ k₇); y₁ adds k₈, which is the error estimate.
 */
const a6 = [
  -7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946,
];
export const RODAS5P: RosenbrockTableau = {
  name: 'rodas5p',
  order: 5,
  embeddedOrder: 4,
  gamma: 0.21193756319429014,
  a: [
    [],
    [3.0],
    [2.849394379747939, 0.45842242204463923],
    [-6.954028509809101, 2.489845061869568, -10.358996098473584],
    [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641],
    a6,
    [...a6, 1],
    [...a6, 1, 1],
  ],
  C: [
    [],
    [-14.155112264123755],
    [-17.97296035885952, -2.859693295451294],
    [147.12150275711716, -1.41221402718213, 71.68940251302358],
    [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306],
    [24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471],
    [
      30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623,
      -28.087943162872662,
    ],
    [
      37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002,
      -54.66780262877968, -9.48861652309627,
    ],
  ],
  c: [0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1, 1, 1],
  d: [
    0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734, 2.325825639765069, 0,
    0, 0,
  ],
  m: [...a6, 1, 1, 1],
  e: [0, 0, 0, 0, 0, 0, 0, 1],
  H: [
    [
      25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204, 0.524948541321073,
      1.1241088310450404, 0.4272876194431874, -0.17202221070155493,
    ],
    [
      -9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796, 20.176138334709044,
      15.98066361424651, -6.789040303419874, -6.710236069923372,
    ],
    [
      11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643, -52.072871366152654,
      -59.78993625266729, -0.15582684282751913, 4.883087185713722,
    ],
  ],
};

/**
 * Rodas4 (Hairer & Wanner, Solving ODEs II, IV.7, with the coefficients of their RODAS code):
 * order 4, embedded order 3, 6 stages, stiffly accurate, L-stable, dense output of order 3.
 * Coefficients as in OrdinaryDiffEq.jl's `Rodas4Tableau`.
 */
const r4a5 = [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895];
export const RODAS4: RosenbrockTableau = {
  name: 'rodas4',
  order: 4,
  embeddedOrder: 3,
  gamma: 0.25,
  a: [
    [],
    [1.544],
    [0.9466785280815826, 0.2557011698983284],
    [3.314825187068521, 2.896124015972201, 0.9986419139977817],
    r4a5,
    [...r4a5, 1],
  ],
  C: [
    [],
    [-5.6688],
    [-2.430093356833875, -0.2063599157091915],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
  ],
  c: [0, 0.386, 0.21, 0.63, 1, 1],
  d: [0.25, -0.1043, 0.1035, -0.03620000000000023, 0, 0],
  m: [...r4a5, 1, 1],
  e: [0, 0, 0, 0, 0, 1],
  H: [
    [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0],
    [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0],
  ],
};

/** Options of {@link rodas5p} and {@link rodas4}. */
export interface RosenbrockOptions {
  /**
   * f does not depend on t: skip the finite difference for ∂f/∂t (default false). Systems
   * derived from f that do depend on t (the continuous adjoint's backward system) are solved
   * with the method's `nonAutonomous()` form instead.
   */
  autonomous?: boolean;
}

const ROSENBROCK_KEYS = ['autonomous'];

/** The cube root of machine epsilon: the step of a second-order finite difference. */
const FD_STEP = Math.cbrt(Number.EPSILON);

class RosenbrockStepper implements Stepper {
  readonly counters = new Counters();
  private readonly lin: Linearization;
  private readonly D: number;
  private readonly s: number;
  /** Stage increments kᵢ, s × [N·dim]. */
  private readonly k: Arr[];
  private readonly u: Arr;
  private readonly fu: Arr;
  private readonly ft: Arr;
  private readonly tStage: Arr;
  private readonly sigma: Arr;
  private readonly factorOk: Uint8Array;
  private readonly live: Int32Array;
  /** The last attempt's y₁ per row (for the dense output). */
  private readonly y1: Arr;
  /** Dense output of the last accepted step: y₀, y₁ and the K vectors. */
  private readonly denseY0: Arr;
  private readonly denseY1: Arr;
  private readonly denseK: Arr[];

  constructor(
    private readonly field: VectorField,
    n: number,
    private readonly tab: RosenbrockTableau,
    private readonly autonomous: boolean,
  ) {
    const D = field.dim;
    this.D = D;
    this.s = tab.c.length;
    this.lin = new Linearization(field, n, this.counters);
    this.k = Array.from({ length: this.s }, () => new Float64Array(n * D));
    this.u = new Float64Array(n * D);
    this.fu = new Float64Array(n * D);
    this.ft = new Float64Array(n * D);
    this.tStage = new Float64Array(n);
    this.sigma = new Float64Array(n);
    this.factorOk = new Uint8Array(n);
    this.live = new Int32Array(n);
    this.y1 = new Float64Array(n * D);
    this.denseY0 = new Float64Array(n * D);
    this.denseY1 = new Float64Array(n * D);
    this.denseK = tab.H.map(() => new Float64Array(n * D));
  }

  attempt(t: Arr, y: Arr, p: Arr, h: Arr, yNew: Arr, err: Arr, n: number, rows: Int32Array): void {
    const { D, s, tab, lin, k, u, fu, ft } = this;
    lin.prepare(t, y, p, n, rows);
    for (let q = 0; q < n; q++) this.sigma[rows[q]] = 1 / (h[rows[q]] * tab.gamma);
    lin.factor(this.sigma, n, rows, this.factorOk);
    // Rows with a singular W fail this attempt; the others go on.
    let nLive = 0;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      if (this.factorOk[b] === 1) this.live[nLive++] = b;
      else this.fail(b, y, yNew, err);
    }
    if (nLive === 0) return;
    const live = this.live.subarray(0, nLive);
    if (!this.autonomous) this.timeDerivative(t, y, p, h, nLive, live);

    for (let i = 0; i < s; i++) {
      const ki = k[i];
      const ai = tab.a[i];
      const Ci = tab.C[i];
      const di = tab.d[i];
      // f at the stage point (stage 0 is the step start, already known).
      let fi = lin.f0;
      if (i > 0) {
        for (let q = 0; q < nLive; q++) {
          const b = live[q];
          this.tStage[b] = t[b] + tab.c[i] * h[b];
          for (let x = b * D; x < (b + 1) * D; x++) {
            let v = y[x];
            for (let j = 0; j < i; j++) v += ai[j] * k[j][x];
            u[x] = v;
          }
        }
        this.field.f(this.tStage, u, p, fu, nLive, live);
        this.counters.nfev += nLive;
        fi = fu;
      }
      // Right-hand side f + dᵢ·h·fₜ + Σ Cᵢⱼ/h·kⱼ, then kᵢ = W⁻¹·rhs.
      for (let q = 0; q < nLive; q++) {
        const b = live[q];
        const hb = h[b];
        const dh = this.autonomous ? 0 : di * hb;
        for (let x = b * D; x < (b + 1) * D; x++) {
          let v = fi[x];
          if (dh !== 0) v += dh * ft[x];
          let c = 0;
          for (let j = 0; j < i; j++) c += Ci[j] * k[j][x];
          ki[x] = v + c / hb;
        }
        luSolve(lin.lu, b * D * D, D, lin.piv, b * D, ki, b * D);
      }
    }

    for (let q = 0; q < nLive; q++) {
      const b = live[q];
      let finite = true;
      for (let x = b * D; x < (b + 1) * D; x++) {
        let v = y[x];
        let e = 0;
        for (let j = 0; j < s; j++) {
          v += tab.m[j] * k[j][x];
          e += tab.e[j] * k[j][x];
        }
        yNew[x] = v;
        err[x] = e;
        this.y1[x] = v;
        if (!(Number.isFinite(v) && Number.isFinite(e))) finite = false;
      }
      if (!finite) this.fail(b, y, yNew, err);
    }
  }

  /** ft[b] ≈ ∂f/∂t(t[b], y[b]) by (−3f(t) + 4f(t + δ) − f(t + 2δ))/(2δ). */
  private timeDerivative(t: Arr, y: Arr, p: Arr, h: Arr, n: number, rows: Int32Array): void {
    const { D, fu, ft } = this;
    const f0 = this.lin.f0;
    const delta = this.sigma; // reused: W is already factorized
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const hb = h[b];
      const step = Math.min(FD_STEP * Math.max(Math.abs(t[b]), Math.abs(hb)), Math.abs(hb) / 2);
      delta[b] = hb < 0 ? -step : step;
      this.tStage[b] = t[b] + delta[b];
    }
    this.field.f(this.tStage, y, p, fu, n, rows);
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      // Differences first, so that an f without t gives exactly zero.
      for (let x = b * D; x < (b + 1) * D; x++) ft[x] = 4 * (fu[x] - f0[x]);
      this.tStage[b] = t[b] + 2 * delta[b];
    }
    this.field.f(this.tStage, y, p, fu, n, rows);
    this.counters.nfev += 2 * n;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const inv = 1 / (2 * delta[b]);
      for (let x = b * D; x < (b + 1) * D; x++) ft[x] = (ft[x] - (fu[x] - f0[x])) * inv;
    }
  }

  /** A failed attempt: y₁ = y₀ and an infinite error, so the solve loop shrinks the step. */
  private fail(b: number, y: Arr, yNew: Arr, err: Arr): void {
    for (let x = b * this.D; x < (b + 1) * this.D; x++) {
      yNew[x] = y[x];
      err[x] = Number.POSITIVE_INFINITY;
    }
  }

  accept(n: number, rows: Int32Array): void {
    const { D, s, tab, k, lin } = this;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      for (let x = b * D; x < (b + 1) * D; x++) {
        this.denseY0[x] = lin.y0[x];
        this.denseY1[x] = this.y1[x];
      }
      for (let r = 0; r < tab.H.length; r++) {
        const Hr = tab.H[r];
        const K = this.denseK[r];
        for (let x = b * D; x < (b + 1) * D; x++) {
          let v = 0;
          for (let j = 0; j < s; j++) v += Hr[j] * k[j][x];
          K[x] = v;
        }
      }
      // The next step starts at a new point: nothing of this one is reused.
      lin.forget(b);
    }
  }

  interpolate(b: number, theta: number, out: Arr, offset: number): void {
    const { D } = this;
    const R = this.denseK.length;
    const th1 = 1 - theta;
    for (let i = 0; i < D; i++) {
      const x = b * D + i;
      let inner = this.denseK[R - 1][x];
      for (let r = R - 2; r >= 0; r--) inner = this.denseK[r][x] + theta * inner;
      out[offset + i] = th1 * this.denseY0[x] + theta * (this.denseY1[x] + th1 * inner);
    }
  }

  reset(b: number): void {
    this.lin.forget(b);
  }
}

function rosenbrockMethod(tab: RosenbrockTableau, options: RosenbrockOptions, who: string): Method {
  rejectUnknown(who, options, ROSENBROCK_KEYS);
  const autonomous = options.autonomous ?? false;
  const method: Method = {
    name: tab.name,
    order: tab.order,
    embeddedOrder: tab.embeddedOrder,
    stiff: true,
    create(field: VectorField, n: number): Stepper {
      if (field.jac === undefined) {
        throw new TypeError(`${who}: the vector field has no jac; stiff methods need the Jacobian ∂f/∂y`);
      }
      return new RosenbrockStepper(field, n, tab, autonomous);
    },
  };
  return autonomous ? { ...method, nonAutonomous: () => rosenbrockMethod(tab, {}, who) } : method;
}

checkRosenbrockTableau(RODAS5P);
checkRosenbrockTableau(RODAS4);

/**
 * Rodas5P: a fifth-order L-stable Rosenbrock–Wanner method with a fourth-order error estimate
 * and a fourth-order dense output (Steinebach 2023). The default choice for stiff problems at
 * moderate to tight tolerances; 8 evaluations of f (10 unless `autonomous`), one Jacobian and
 * one LU per step, and no Newton iterations. Needs an exact Jacobian (`field.jac`).
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: rodas5p(), t1: 40, controller: pid({ rtol: 1e-6, atol: 1e-10 }) });
 * ```
 */
export function rodas5p(options: RosenbrockOptions = {}): Method {
  return rosenbrockMethod(RODAS5P, options, 'rodas5p');
}

/**
 * Rodas4: the fourth-order L-stable Rosenbrock–Wanner method of Hairer & Wanner with a
 * third-order error estimate and a third-order dense output; 6 evaluations of f (8 unless
 * `autonomous`), one Jacobian and one LU per step. Prefer {@link rodas5p} unless tolerances
 * are loose.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: rodas4({ autonomous: true }), t1: 40 });
 * ```
 */
export function rodas4(options: RosenbrockOptions = {}): Method {
  return rosenbrockMethod(RODAS4, options, 'rodas4');
}
