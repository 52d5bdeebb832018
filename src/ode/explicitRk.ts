/**
 * The one engine behind every explicit Runge–Kutta method: it turns a {@link ButcherTableau}
 * into a {@link Method} whose stepper advances a batch of trajectories, each with its own time
 * and step size, evaluating the vector field once per stage for all listed rows together.
 *
 * Per step and row b (h = h[b], y = y[b]):
 *
 *   kᵢ = f(t + cᵢh, y + h·Σ_{j<i} aᵢⱼkⱼ),   y₁ = y + h·Σ bᵢkᵢ,   err = h·Σ (bᵢ − b̂ᵢ)kᵢ,
 *   y(t + θh) ≈ y + h·Σ bᵢ(θ)kᵢ  (dense output, over the extra stages too).
 *
 * Work saved, by the Stepper contract (y[b] changes only as y ← yNew after `accept`, or with
 * `reset(b)`):
 * - the first stage f(t, y) is kept across rejected attempts from the same point;
 * - FSAL methods (dopri5, tsit5, bosh3) take the next step's first stage from the last stage;
 * - an extra dense-output stage that is f(t + h, y₁) (c = 1 and a = b, as in vern7 and rk4's
 *   Hermite interpolant) is evaluated only when interpolating, and then becomes the next
 *   step's first stage.
 *
 * The counters count evaluations of f per trajectory. Nothing is allocated per step.
 */
import type { VectorField } from './field.js';
import type { ExplicitCoefficients, Method, StepCounters, Stepper } from './method.js';
import type { ButcherTableau } from './tableau.js';

type Arr = Float64Array;

/** Nonzero entries of a weight vector: indices and values, in increasing index order. */
interface Sparse {
  readonly idx: Int32Array;
  readonly val: Float64Array;
}

function sparse(w: readonly number[]): Sparse {
  const idx: number[] = [];
  const val: number[] = [];
  w.forEach((v, j) => {
    if (v !== 0) {
      idx.push(j);
      val.push(v);
    }
  });
  return { idx: Int32Array.from(idx), val: Float64Array.from(val) };
}

/**
 * An explicit Runge–Kutta method given by a Butcher tableau (final; build one with
 * {@link explicitRungeKutta}).
 */
export class ExplicitRungeKutta implements Method {
  readonly name: string;
  readonly order: number;
  readonly embeddedOrder: number;
  readonly stiff = false;
  /** Order of the dense output. */
  readonly denseOrder: number;
  readonly tableau: ButcherTableau;
  /** The coefficients for the discrete adjoint (the tableau itself). */
  readonly coefficients: ExplicitCoefficients;

  constructor(tableau: ButcherTableau) {
    if (new.target !== ExplicitRungeKutta) {
      throw new TypeError('ExplicitRungeKutta is final: wrap it in your own Method instead of subclassing');
    }
    this.name = tableau.name;
    this.order = tableau.order;
    this.embeddedOrder = tableau.embeddedOrder;
    this.denseOrder = tableau.interpolant.order;
    this.tableau = tableau;
    this.coefficients = tableau;
    Object.freeze(this);
  }

  create(field: VectorField, n: number): Stepper {
    return new ExplicitRkStepper(this.tableau, field, n);
  }
}

/**
 * The {@link Method} of an explicit Runge–Kutta tableau.
 *
 * @param tableau - a validated Butcher tableau (see {@link ButcherTableau}).
 * @returns a method for `solve`: order, embedded order and dense output from the tableau.
 * @example
 * ```ts
 * const ralston = explicitRungeKutta(
 *   new ButcherTableau({ name: 'ralston', c: [0, 2 / 3], a: [[], [2 / 3]], b: [1 / 4, 3 / 4], order: 2 }),
 * );
 * ralston.order; // 2
 * ```
 */
export function explicitRungeKutta(tableau: ButcherTableau): ExplicitRungeKutta {
  return new ExplicitRungeKutta(tableau);
}

class ExplicitRkStepper implements Stepper {
  readonly counters: StepCounters = { nfev: 0, njev: 0, nlu: 0 };
  private readonly name: string;
  private readonly field: VectorField;
  private readonly N: number;
  private readonly D: number;
  /** Main stages s, all stages S (with the dense output's extra stages). */
  private readonly s: number;
  private readonly S: number;
  private readonly fsal: boolean;
  private readonly c: Float64Array;
  /** Row i of a (all S stages), nonzeros only. */
  private readonly aRows: readonly Sparse[];
  private readonly bSparse: Sparse;
  private readonly eSparse: Sparse | null;
  /** Dense output coefficients dᵢₖ, [S·K] row-major, and the degree K. */
  private readonly d: Float64Array;
  private readonly K: number;
  /** Index of an extra stage that is f(t + h, y₁), or −1. */
  private readonly endSlope: number;
  /** Which stages the dense output reads. */
  private readonly denseStages: Int32Array;

  // Trial step: stage derivatives k[i] ([N·D] each; k[0] = f(t, y)), scratch, step start.
  private readonly k: Float64Array[];
  private readonly yStage: Float64Array;
  private readonly tStage: Float64Array;
  private readonly yStart: Float64Array;
  private readonly tStart: Float64Array;
  private readonly hStart: Float64Array;
  /** k[0][b] holds f(t[b], y[b]) for the current point of row b. */
  private readonly k0Valid: Uint8Array;
  private readonly rowsNeed: Int32Array;

  // Last accepted step, for the dense output.
  private readonly yAcc: Float64Array;
  private readonly tAcc: Float64Array;
  private readonly hAcc: Float64Array;
  private readonly kAcc: Float64Array[];
  private readonly hasStep: Uint8Array;
  private readonly extrasDone: Uint8Array;
  /** Row b has been accepted and neither attempted again nor reset since. */
  private readonly fresh: Uint8Array;
  private readonly theta: Float64Array;
  private readonly oneRow = new Int32Array(1);
  private p: Float64Array | null = null;

  constructor(tableau: ButcherTableau, field: VectorField, n: number) {
    const where = `${tableau.name}: create`;
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`${where}: ${n} trajectories; need a positive integer`);
    if (!Number.isInteger(field.dim) || field.dim < 1) {
      throw new RangeError(`${where}: field.dim ${field.dim} must be a positive integer`);
    }
    const s = tableau.stages;
    const extra = tableau.interpolant.extraStages;
    const S = s + extra.length;
    const N = n;
    const D = field.dim;
    this.name = tableau.name;
    this.field = field;
    this.N = N;
    this.D = D;
    this.s = s;
    this.S = S;
    this.fsal = tableau.fsal;
    this.c = Float64Array.from([...tableau.c, ...extra.map((e) => e.c)]);
    this.aRows = [...tableau.a, ...extra.map((e) => e.a)].map(sparse);
    this.bSparse = sparse(tableau.b);
    this.eSparse = tableau.errorWeights === null ? null : sparse(tableau.errorWeights);
    const weights = tableau.interpolant.weights;
    const K = weights[0].length;
    this.K = K;
    this.d = new Float64Array(S * K);
    weights.forEach((row, i) => {
      row.forEach((v, k) => {
        this.d[i * K + k] = v;
      });
    });
    let endSlope = -1;
    extra.forEach((e, j) => {
      const isEnd = e.c === 1 && e.a.every((v, i) => v === (i < s ? tableau.b[i] : 0));
      if (isEnd && endSlope < 0) endSlope = s + j;
    });
    this.endSlope = endSlope;
    // The dense output reads the extra stages, the stages with a nonzero weight in b or b(θ),
    // and those the extra stages use.
    const used = new Array<boolean>(S).fill(false);
    for (let i = S - 1; i >= 0; i--) {
      used[i] = i >= s || weights[i].some((v) => v !== 0) || tableau.b[i] !== 0;
      for (let l = Math.max(i + 1, s); l < S && !used[i]; l++) {
        if (used[l] && this.aRows[l].idx.includes(i)) used[i] = true;
      }
    }
    this.denseStages = Int32Array.from(used.flatMap((u, i) => (u ? [i] : [])));

    const ND = N * D;
    this.k = Array.from({ length: s }, () => new Float64Array(ND));
    this.yStage = new Float64Array(ND);
    this.tStage = new Float64Array(N);
    this.yStart = new Float64Array(ND);
    this.tStart = new Float64Array(N);
    this.hStart = new Float64Array(N);
    this.k0Valid = new Uint8Array(N);
    this.rowsNeed = new Int32Array(N);
    this.yAcc = new Float64Array(ND);
    this.tAcc = new Float64Array(N);
    this.hAcc = new Float64Array(N);
    this.kAcc = Array.from({ length: S }, (_, i) => (used[i] ? new Float64Array(ND) : new Float64Array(0)));
    this.hasStep = new Uint8Array(N);
    this.extrasDone = new Uint8Array(N);
    this.fresh = new Uint8Array(N);
    this.theta = new Float64Array(S);
  }

  attempt(t: Arr, y: Arr, p: Arr, h: Arr, yNew: Arr, err: Arr, n: number, rows: Int32Array): void {
    const { N, D, s, k } = this;
    const ND = N * D;
    if (t.length !== N || h.length !== N || y.length !== ND || yNew.length !== ND || err.length !== ND) {
      throw new RangeError(
        `${this.name} attempt: expected t, h of length ${N} and y, yNew, err of length ${ND} ` +
          `(got ${t.length}, ${h.length}, ${y.length}, ${yNew.length}, ${err.length})`,
      );
    }
    this.p = p;
    // Stage 0: f(t, y), unless already known for this point.
    let m = 0;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const o = b * D;
      for (let i = 0; i < D; i++) this.yStart[o + i] = y[o + i];
      this.tStart[b] = t[b];
      this.hStart[b] = h[b];
      this.fresh[b] = 0;
      if (this.k0Valid[b] === 0) this.rowsNeed[m++] = b;
    }
    if (m > 0) {
      this.field.f(t, y, p, k[0], m, m === n ? rows : this.rowsNeed);
      this.counters.nfev += m;
      for (let q = 0; q < m; q++) this.k0Valid[this.rowsNeed[q]] = 1;
    }
    // Stages 1 … s − 1; an FSAL method's last stage input is y₁ itself.
    for (let i = 1; i < s; i++) {
      const input = this.fsal && i === s - 1 ? yNew : this.yStage;
      this.stageInputs(i, t, y, h, k, input, n, rows);
      this.field.f(this.tStage, input, p, k[i], n, rows);
      this.counters.nfev += n;
    }
    if (!this.fsal) this.combine(this.bSparse, y, h, k, yNew, n, rows);
    const e = this.eSparse;
    if (e === null) {
      for (let q = 0; q < n; q++) err.fill(0, rows[q] * D, rows[q] * D + D);
    } else {
      for (let q = 0; q < n; q++) {
        const b = rows[q];
        const hb = h[b];
        for (let i = 0; i < D; i++) {
          const o = b * D + i;
          let acc = 0;
          for (let r = 0; r < e.idx.length; r++) acc += e.val[r] * k[e.idx[r]][o];
          err[o] = hb * acc;
        }
      }
    }
  }

  accept(n: number, rows: Int32Array): void {
    const { D, s, k } = this;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const o = b * D;
      this.tAcc[b] = this.tStart[b];
      this.hAcc[b] = this.hStart[b];
      for (let i = 0; i < D; i++) this.yAcc[o + i] = this.yStart[o + i];
      for (let r = 0; r < this.denseStages.length; r++) {
        const i = this.denseStages[r];
        if (i >= s) break;
        const from = k[i];
        const to = this.kAcc[i];
        for (let j = 0; j < D; j++) to[o + j] = from[o + j];
      }
      this.hasStep[b] = 1;
      this.extrasDone[b] = 0;
      this.fresh[b] = 1;
      if (this.fsal) {
        const last = k[s - 1];
        const first = k[0];
        for (let j = 0; j < D; j++) first[o + j] = last[o + j];
        this.k0Valid[b] = 1;
      } else {
        this.k0Valid[b] = 0;
      }
    }
  }

  interpolate(b: number, theta: number, out: Arr, offset: number): void {
    const { D, S, K } = this;
    if (!(b >= 0 && b < this.N && this.hasStep[b] === 1)) {
      throw new RangeError(
        `${this.name} interpolate: trajectory ${b} has no accepted step to interpolate on`,
      );
    }
    if (!Number.isFinite(theta)) {
      throw new RangeError(`${this.name} interpolate: θ = ${theta} must be finite (in [0, 1])`);
    }
    const o = b * D;
    const hb = this.hAcc[b];
    if (theta === 1) {
      // Exactly y₁: the same sum, in the same order, as the step.
      const w = this.bSparse;
      for (let i = 0; i < D; i++) {
        let acc = 0;
        for (let r = 0; r < w.idx.length; r++) acc += w.val[r] * this.kAcc[w.idx[r]][o + i];
        out[offset + i] = this.yAcc[o + i] + hb * acc;
      }
      return;
    }
    if (S > this.s && this.extrasDone[b] === 0) this.extraStages(b);
    const w = this.theta;
    for (let i = 0; i < S; i++) {
      let v = 0;
      for (let q = K - 1; q >= 0; q--) v = (v + this.d[i * K + q]) * theta;
      w[i] = v;
    }
    for (let i = 0; i < D; i++) {
      let acc = 0;
      for (let r = 0; r < this.denseStages.length; r++) {
        const j = this.denseStages[r];
        if (w[j] !== 0) acc += w[j] * this.kAcc[j][o + i];
      }
      out[offset + i] = this.yAcc[o + i] + hb * acc;
    }
  }

  reset(b: number): void {
    this.k0Valid[b] = 0;
    this.fresh[b] = 0;
  }

  /** Evaluates the dense output's extra stages on row b's accepted step (one row at a time). */
  private extraStages(b: number): void {
    const { D, s, S } = this;
    const p = this.p!;
    const o = b * D;
    const hb = this.hAcc[b];
    this.oneRow[0] = b;
    for (let e = s; e < S; e++) {
      const a = this.aRows[e];
      this.tStage[b] = this.tAcc[b] + this.c[e] * hb;
      for (let i = 0; i < D; i++) {
        let acc = 0;
        for (let r = 0; r < a.idx.length; r++) acc += a.val[r] * this.kAcc[a.idx[r]][o + i];
        this.yStage[o + i] = this.yAcc[o + i] + hb * acc;
      }
      this.field.f(this.tStage, this.yStage, p, this.kAcc[e], 1, this.oneRow);
      this.counters.nfev += 1;
      if (e === this.endSlope && this.fresh[b] === 1 && this.k0Valid[b] === 0) {
        // f(t + h, y₁) is the next step's first stage.
        const first = this.k[0];
        const from = this.kAcc[e];
        for (let i = 0; i < D; i++) first[o + i] = from[o + i];
        this.k0Valid[b] = 1;
      }
    }
    this.extrasDone[b] = 1;
  }

  /** tStage and `input` for stage i: t + cᵢh and y + h·Σⱼ aᵢⱼkⱼ. */
  private stageInputs(
    i: number,
    t: Arr,
    y: Arr,
    h: Arr,
    k: Arr[],
    input: Arr,
    n: number,
    rows: Int32Array,
  ): void {
    const ci = this.c[i];
    for (let q = 0; q < n; q++) this.tStage[rows[q]] = t[rows[q]] + ci * h[rows[q]];
    this.combine(this.aRows[i], y, h, k, input, n, rows);
  }

  /** out = y + h·Σⱼ wⱼkⱼ on the listed rows. */
  private combine(w: Sparse, y: Arr, h: Arr, k: Arr[], out: Arr, n: number, rows: Int32Array): void {
    const D = this.D;
    const { idx, val } = w;
    const m = idx.length;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      const hb = h[b];
      for (let i = 0; i < D; i++) {
        const o = b * D + i;
        let acc = 0;
        for (let r = 0; r < m; r++) acc += val[r] * k[idx[r]][o];
        out[o] = y[o] + hb * acc;
      }
    }
  }
}
