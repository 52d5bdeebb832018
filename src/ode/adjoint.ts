/**
 * The discrete adjoint: the exact gradient of the computed solution, by running backwards
 * through the accepted steps of a recorded solve (reverse-mode differentiation of the solver
 * itself, with the step sizes held fixed as constants).
 *
 * For an explicit Runge–Kutta step y' = y + h·Σ bᵢkᵢ, kᵢ = f(t + cᵢh, Yᵢ), Yᵢ = y + h·Σⱼ aᵢⱼkⱼ,
 * with λ = ∂L/∂y': k̄ᵢ = h·bᵢ·λ + h·Σ_{l>i} a_{li}·Ȳ_l, Ȳᵢ = (∂f/∂y)ᵀk̄ᵢ, p̄ += (∂f/∂p)ᵀk̄ᵢ, and
 * ∂L/∂y = λ + Σᵢ Ȳᵢ. Stages are recomputed from the recorded step start states.
 *
 * All trajectories go backwards together, each through its own steps; rows whose steps are
 * exhausted drop out.
 */
import type { VectorField } from './field.js';
import type { ExplicitCoefficients, Method } from './method.js';
import type { Solution } from './solve.js';

/** Gradients of a scalar loss with respect to the initial states, parameters and doses. */
export interface AdjointGradients {
  /** ∂L/∂y0, [N·dim]. */
  readonly y0: Float64Array;
  /** ∂L/∂p, [N·nParams]. */
  readonly params: Float64Array;
  /** ∂L/∂amount of each bolus and ∂L/∂rate of each infusion, in the order of the solve's `doses`. */
  readonly doses: Float64Array;
}

/**
 * Backpropagates cotangents of the saved values through a solve recorded with
 * `recordForAdjoint: true`. `savedBar[b]` holds ∂L/∂(saved values of trajectory b), laid out
 * like `solution.ys[b]`.
 *
 * @throws TypeError when the method is not an explicit Runge–Kutta method or the solve was
 *   not recorded.
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: dopri5(), t1: 2, saveat: saveAt.times(ts), params, recordForAdjoint: true });
 * const g = discreteAdjoint(field, sol, dopri5(), params, sol.ys.map((ys) => ys.map((v) => 2 * v)));
 * g.params; // ∂/∂p of Σ ys²
 * ```
 */
export function discreteAdjoint(
  field: VectorField,
  solution: Solution,
  method: Method,
  params: Float64Array,
  savedBar: readonly Float64Array[],
): AdjointGradients {
  const coefficients = method.coefficients;
  if (coefficients === undefined) {
    throw new TypeError(`discreteAdjoint: ${method.name} is not an explicit Runge–Kutta method`);
  }
  const records = solution.records;
  if (records === null) throw new TypeError('discreteAdjoint: solve with recordForAdjoint: true');
  const N = solution.n;
  const D = field.dim;
  const P = field.nParams;
  if (savedBar.length !== N)
    throw new RangeError(`discreteAdjoint: ${savedBar.length} cotangent lists for ${N} trajectories`);
  savedBar.forEach((g, b) => {
    if (g.length !== solution.ys[b].length) {
      throw new RangeError(
        `discreteAdjoint: trajectory ${b} has ${solution.ys[b].length} saved values, cotangent ${g.length}`,
      );
    }
  });
  const s = coefficients.b.length;
  // Flat typed copies of the coefficients for the hot loops.
  const weights = Float64Array.from(coefficients.b);
  const c = Float64Array.from(coefficients.c);
  const A = new Float64Array(s * s);
  coefficients.a.forEach((row, i) => {
    row.forEach((v, j) => {
      A[i * s + j] = v;
    });
  });
  const hasRates = records.some((r) => r.rates.length > 0);
  // A stage matters if it enters the solution or a stage that matters.
  const live = new Array<boolean>(s).fill(false);
  for (let i = s - 1; i >= 0; i--) {
    live[i] = weights[i] !== 0;
    for (let l = i + 1; l < s && !live[i]; l++) if (live[l] && A[l * s + i] !== 0) live[i] = true;
  }
  const lambda = new Float64Array(N * D);
  const pBar = new Float64Array(N * P);
  const nSteps = records.map((r) => r.t.length);
  // Saves and doses are recorded in time order: walk them backwards with one pointer per row.
  const savePtr = Int32Array.from(records, (r) => r.saveStep.length - 1);
  const dosePtr = Int32Array.from(records, (r) => r.doseStep.length - 1);
  const addSaves = (b: number, step: number) => {
    const r = records[b];
    for (let j = savePtr[b]; j >= 0 && r.saveStep[j] === step; j = --savePtr[b]) {
      for (let i = 0; i < D; i++) lambda[b * D + i] += savedBar[b][j * D + i];
    }
  };
  const doseBar = new Float64Array(solution.doses.length);
  const infusionsOf: { index: number; start: number; end: number; state: number }[][] = Array.from(
    { length: N },
    () => [],
  );
  solution.doses.forEach((d, index) => {
    if (d.kind === 'infusion') {
      infusionsOf[d.trajectory].push({ index, start: d.time, end: d.time + d.duration, state: d.state });
    }
  });
  // Bolus amounts: y⁺ = y⁻ + a·e_state, so ∂L/∂a = λ⁺[state] (λ just after the dose).
  const doseStates = solution.doses.map((d) => d.state);
  const addDoses = (b: number, step: number) => {
    const r = records[b];
    for (let j = dosePtr[b]; j >= 0 && r.doseStep[j] === step; j = --dosePtr[b]) {
      doseBar[r.doseIndex[j]] += lambda[b * D + doseStates[r.doseIndex[j]]];
    }
  };
  for (let b = 0; b < N; b++) {
    addDoses(b, nSteps[b]);
    addSaves(b, nSteps[b]);
  }

  const T = new Float64Array(N);
  const Ts = new Float64Array(N);
  const H = new Float64Array(N);
  const TEnd = new Float64Array(N);
  const Y = new Float64Array(N * D);
  const stageY = Array.from({ length: s }, () => new Float64Array(N * D));
  const K = Array.from({ length: s }, () => new Float64Array(N * D));
  const kBar = Array.from({ length: s }, () => new Float64Array(N * D));
  const yBarStage = new Float64Array(N * D);
  const rows = new Int32Array(N);
  const maxSteps = Math.max(0, ...nSteps);
  const states = new StartStates(field, solution, coefficients, params);
  for (let back = 0; back < maxSteps; back++) {
    let n = 0;
    for (let b = 0; b < N; b++) {
      const m = nSteps[b] - 1 - back;
      if (m < 0) continue;
      rows[n++] = b;
      const r = records[b];
      T[b] = r.t[m];
      H[b] = r.h[m];
      states.get(b, m, Y, b * D);
    }
    const rs = rows.subarray(0, n);
    if (field.beginStep !== undefined) {
      for (let q = 0; q < n; q++) TEnd[rs[q]] = T[rs[q]] + H[rs[q]];
      field.beginStep(T, TEnd, n, rs);
    }
    // Recompute the stages.
    for (let i = 0; i < s; i++) {
      for (let q = 0; q < n; q++) {
        const b = rs[q];
        Ts[b] = T[b] + c[i] * H[b];
        const hb = H[b];
        const out = stageY[i];
        for (let d = 0; d < D; d++) {
          let v = Y[b * D + d];
          for (let j = 0; j < i; j++) {
            const aij = A[i * s + j];
            if (aij !== 0) v += hb * aij * K[j][b * D + d];
          }
          out[b * D + d] = v;
        }
      }
      if (!live[i]) continue;
      field.f(Ts, stageY[i], params, K[i], n, rs);
      // Infusions add their (recorded) rates to f during the step.
      for (let q = 0; hasRates && q < n; q++) {
        const b = rs[q];
        const r = records[b];
        if (r.rates.length === 0) continue;
        const m = nSteps[b] - 1 - back;
        for (let d = 0; d < D; d++) K[i][b * D + d] += r.rates[m * D + d];
      }
    }
    // Reverse through the stages.
    for (let i = 0; i < s; i++) {
      for (let q = 0; q < n; q++) {
        const b = rs[q];
        for (let d = 0; d < D; d++) kBar[i][b * D + d] = H[b] * weights[i] * lambda[b * D + d];
      }
    }
    for (let i = s - 1; i >= 0; i--) {
      if (!live[i]) continue;
      for (let q = 0; q < n; q++) Ts[rs[q]] = T[rs[q]] + c[i] * H[rs[q]];
      field.vjp(Ts, stageY[i], params, kBar[i], yBarStage, pBar, n, rs);
      for (let q = 0; q < n; q++) {
        const b = rs[q];
        const hb = H[b];
        for (let d = 0; d < D; d++) {
          const g = yBarStage[b * D + d];
          lambda[b * D + d] += g;
          for (let j = 0; j < i; j++) {
            const aij = A[i * s + j];
            if (aij !== 0) kBar[j][b * D + d] += hb * aij * g;
          }
        }
      }
    }
    // Infusion rates enter every stage of the steps they cover: ∂L/∂r = Σᵢ k̄ᵢ[state].
    for (let q = 0; hasRates && q < n; q++) {
      const b = rs[q];
      const mid = T[b] + 0.5 * H[b];
      for (const inf of infusionsOf[b]) {
        if (!(mid > inf.start && mid < inf.end)) continue;
        let g = 0;
        for (let i = 0; i < s; i++) g += kBar[i][b * D + inf.state];
        doseBar[inf.index] += g;
      }
    }
    for (let q = 0; q < n; q++) {
      addDoses(rs[q], nSteps[rs[q]] - 1 - back);
      addSaves(rs[q], nSteps[rs[q]] - 1 - back);
    }
  }
  return { y0: lambda, params: pBar, doses: doseBar };
}

/**
 * The start state of any recorded step: read directly when every state was stored, else
 * recomputed forward from the nearest earlier checkpoint (one trajectory at a time, the
 * segment kept until the reverse pass leaves it).
 */
class StartStates {
  private readonly D: number;
  private readonly N: number;
  /** Per trajectory: the first step of the cached segment, and its states. */
  private readonly segFrom: Int32Array;
  private readonly segY: Float64Array[];
  private readonly t: Float64Array;
  private readonly tEnd: Float64Array;
  private readonly y: Float64Array;
  private readonly stageY: Float64Array[];
  private readonly K: Float64Array[];
  private readonly row = new Int32Array(1);

  constructor(
    private readonly field: VectorField,
    private readonly solution: Solution,
    private readonly coefficients: ExplicitCoefficients,
    private readonly params: Float64Array,
  ) {
    this.D = field.dim;
    this.N = solution.n;
    this.segFrom = new Int32Array(this.N).fill(-1);
    this.segY = Array.from({ length: this.N }, () => new Float64Array(0));
    this.t = new Float64Array(this.N);
    this.tEnd = new Float64Array(this.N);
    this.y = new Float64Array(this.N * this.D);
    const s = coefficients.b.length;
    this.stageY = Array.from({ length: s }, () => new Float64Array(this.N * this.D));
    this.K = Array.from({ length: s }, () => new Float64Array(this.N * this.D));
  }

  get(b: number, m: number, out: Float64Array, offset: number): void {
    const D = this.D;
    const r = this.solution.records![b];
    if (r.checkpointSteps.length === 0) {
      for (let i = 0; i < D; i++) out[offset + i] = r.y[m * D + i];
      return;
    }
    const from = this.segFrom[b];
    if (from < 0 || m < from || m >= from + this.segY[b].length / D) this.recompute(b, m);
    const k = m - this.segFrom[b];
    for (let i = 0; i < D; i++) out[offset + i] = this.segY[b][k * D + i];
  }

  /** Recomputes the start states from the checkpoint at or before step m up to step m. */
  private recompute(b: number, m: number): void {
    const D = this.D;
    const r = this.solution.records![b];
    let c = r.checkpointSteps.length - 1;
    while (c > 0 && r.checkpointSteps[c] > m) c--;
    const from = r.checkpointSteps[c];
    const seg = new Float64Array((m - from + 1) * D);
    for (let i = 0; i < D; i++) seg[i] = r.y[c * D + i];
    const { a, b: w, c: nodes } = this.coefficients;
    const s = w.length;
    this.row[0] = b;
    const doses = this.solution.doses;
    for (let j = from; j < m; j++) {
      const h = r.h[j];
      for (let i = 0; i < D; i++) this.y[b * D + i] = seg[(j - from) * D + i];
      if (this.field.beginStep !== undefined) {
        this.t[b] = r.t[j];
        this.tEnd[b] = r.t[j] + h;
        this.field.beginStep(this.t, this.tEnd, 1, this.row);
      }
      for (let st = 0; st < s; st++) {
        for (let d = 0; d < D; d++) {
          let v = this.y[b * D + d];
          for (let q = 0; q < st; q++) {
            const aij = a[st][q];
            if (aij !== 0) v += h * aij * this.K[q][b * D + d];
          }
          this.stageY[st][b * D + d] = v;
        }
        this.t[b] = r.t[j] + nodes[st] * h;
        this.field.f(this.t, this.stageY[st], this.params, this.K[st], 1, this.row);
        if (r.rates.length > 0) for (let d = 0; d < D; d++) this.K[st][b * D + d] += r.rates[j * D + d];
      }
      const o = (j + 1 - from) * D;
      for (let d = 0; d < D; d++) {
        let v = this.y[b * D + d];
        for (let st = 0; st < s; st++) if (w[st] !== 0) v += h * w[st] * this.K[st][b * D + d];
        seg[o + d] = v;
      }
      // Boluses given after step j (the recorded start state of step j + 1 is post-dose).
      for (let k = 0; k < r.doseStep.length; k++) {
        if (r.doseStep[k] !== j + 1) continue;
        const dose = doses[r.doseIndex[k]];
        if (dose.kind === 'bolus') seg[o + dose.state] += dose.amount;
      }
    }
    this.segFrom[b] = from;
    this.segY[b] = seg;
  }
}
