/**
 * The discrete adjoint: the exact gradient of the computed solution, by running backwards
 * through the accepted steps of a recorded solve (reverse-mode differentiation of the solver
 * itself, with the step sizes held fixed as constants).
 *
 * A Runge–Kutta step y' = y + h·Σ bᵢkᵢ, kᵢ = f(t + cᵢh, Yᵢ), Yᵢ = y + h·Σ_{j≤i} aᵢⱼkⱼ, with
 * λ = ∂L/∂y' and Jᵢ = ∂f/∂y(Yᵢ), reverses stage by stage, i = s … 1:
 *
 *   gᵢ = h·bᵢ·λ + h·Σ_{l>i} a_{li}·Ȳ_l,   μᵢ = (I − h·aᵢᵢ·Jᵢᵀ)⁻¹·gᵢ,   Ȳᵢ = Jᵢᵀμᵢ,
 *   p̄ += (∂f/∂p)ᵀμᵢ,   ∂L/∂y = λ + Σᵢ Ȳᵢ.
 *
 * For an explicit stage (aᵢᵢ = 0) μᵢ = gᵢ. For a diagonally implicit stage this is the
 * implicit-function theorem applied to the stage equations Fᵢ = kᵢ − f(t + cᵢh, Yᵢ) = 0: the
 * adjoint system (∂F/∂k)ᵀμ = h·b⊗λ is block upper triangular with diagonal blocks
 * I − h·aᵢᵢ·Jᵢᵀ, and μᵢ is the total cotangent of kᵢ, its own stage included. Stages are
 * recomputed from the recorded step start states (see `RkStages`): implicit ones by Newton
 * iterations to rounding, so that the gradient is that of the exactly solved implicit scheme —
 * it differs from the derivative of the forward's truncated Newton iterations by about their
 * error, which the forward keeps below its tolerance (diffrax makes the same choice).
 * Rosenbrock methods are not supported: their exact discrete adjoint needs second derivatives
 * of f.
 *
 * All trajectories go backwards together, each through its own steps; rows whose steps are
 * exhausted drop out.
 *
 * At a state-dependent event the adjoint jumps by the transpose of the sensitivity jump (see
 * `eventJump.ts`): with ν = −(τ̄ + a⁻·f⁻ + λ⁺·(h_y·f⁻ + h_t − f⁺))/(g_y·f⁻ + g_t),
 * λ⁻ = h_yᵀλ⁺ + g_yᵀν and p̄ += h_pᵀλ⁺ + g_pᵀν. The steps on either side are reversed exactly
 * at their recorded sizes; the dependence of the step that ends at the event, and of the
 * steps after it, on the event time enters through f⁻ and f⁺ (the exact solution's slopes),
 * so at an event the result is the gradient of the computed solution up to the local error
 * of that step (see docs/ode.md).
 */
import { EventJump, requireEventHooks } from './eventJump.js';
import type { VectorField } from './field.js';
import { fixedStepAdjoint } from './fixedStepRk.js';
import type { Method } from './method.js';
import { RkStages } from './rkStages.js';
import type { Solution } from './solve.js';

/** Gradients of a scalar loss with respect to the initial states, parameters and doses. */
export interface AdjointGradients {
  /** ∂L/∂y0, [N·dim]. */
  readonly y0: Float64Array;
  /** ∂L/∂p, [N·nParams]. */
  readonly params: Float64Array;
  /** ∂L/∂amount of each bolus and ∂L/∂rate of each infusion, in the order of the solve's `doses`. */
  readonly doses: Float64Array;
  /**
   * ∂L/∂time of each dose: a bolus's time, an infusion's start (its duration held fixed, so
   * that its end moves too). The exact solution's derivative, evaluated with the method's
   * adjoint: accurate to about the tolerance, like gradients through events. A save at exactly
   * a dose time gives the derivative from the right (moving the dose later).
   */
  readonly doseTimes: Float64Array;
  /** ∂L/∂duration of each infusion (0 for a bolus). */
  readonly doseDurations: Float64Array;
}

/**
 * Backpropagates cotangents of the saved values through a solve recorded with
 * `recordForAdjoint: true`. `savedBar[b]` holds ∂L/∂(saved values of trajectory b), laid out
 * like `solution.ys[b]`; `eventTimesBar` (optional) holds ∂L/∂τ for each event time in
 * `solution.events` (e.g. a loss on the time a 'stop' event ends a trajectory).
 *
 * Dose gradients: ∂L/∂amount of each bolus and ∂L/∂rate of each infusion (exact for the computed
 * solution), and ∂L/∂time of each dose and ∂L/∂duration of each infusion (the exact solution's
 * derivatives evaluated with the discrete λ, to the tolerance; see {@link AdjointGradients}).
 *
 * Through state-dependent events (each with `conditionGradient`, and `actionJacobian` for a
 * state change): a value saved at the time of an event, such as the final state of a 'stop'
 * with `saveAt.final()`, is the state at the event and moves with it
 * (dy(τ)/dθ = s⁻ + f⁻·dτ/dθ); values saved at other times are at those fixed times.
 *
 * Works for explicit Runge–Kutta methods and for kvaerno5 (an ESDIRK method, for stiff
 * problems: each implicit stage costs a Jacobian, an LU and a transposed solve per step, plus
 * the Newton iterations that recompute it). Pass the method the solution was computed with.
 *
 * @throws TypeError when the method is a Rosenbrock method (rodas4, rodas5p: use kvaerno5, or
 *   forward sensitivities) or has no Runge–Kutta coefficients, or the solve was not recorded,
 *   or an event that happened lacks `conditionGradient` or `actionJacobian`.
 * @throws Error at a grazing event (the condition touches zero with zero rate).
 * @throws Error when an implicit stage of a recorded step cannot be re-solved (a method or
 *   parameters different from the solve's).
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
  eventTimesBar?: Float64Array,
): AdjointGradients {
  // A constant-step explicit solve from solve's fast path: reverse its flat record.
  const fast = fixedStepAdjoint(field, solution, method, params, savedBar, eventTimesBar);
  if (fast !== null) return fast;
  const records = solution.records;
  if (records === null) throw new TypeError('discreteAdjoint: solve with recordForAdjoint: true');
  const N = solution.n;
  const D = field.dim;
  const P = field.nParams;
  if (eventTimesBar !== undefined && eventTimesBar.length !== solution.events.length) {
    throw new RangeError(
      `discreteAdjoint: eventTimesBar has ${eventTimesBar.length} values for ${solution.events.length} events`,
    );
  }
  if (savedBar.length !== N)
    throw new RangeError(`discreteAdjoint: ${savedBar.length} cotangent lists for ${N} trajectories`);
  savedBar.forEach((g, b) => {
    if (g.length !== solution.ys[b].length) {
      throw new RangeError(
        `discreteAdjoint: trajectory ${b} has ${solution.ys[b].length} saved values, cotangent ${g.length}`,
      );
    }
  });
  const stages = RkStages.of(method, field, N);
  const { s, A, weights, live } = stages;
  const hasRates = records.some((r) => r.rates.length > 0);
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
  const events = new EventBoundaries(field, solution, params, savedBar, eventTimesBar, lambda, pBar);
  const states = new StartStates(field, solution, method, params);
  // Dose times: the exact solution's derivatives with the discrete λ at the boundary (after the
  // doses there, before its saves), as for events. Moving an infusion's start by δ (duration
  // fixed) removes r·δ·e_k at its start and adds it at its end: ∂L/∂time = r·(λ_k(end) − λ_k(start)),
  // ∂L/∂duration = r·λ_k(end); a bolus moved later leaves y⁺ − a·e_k on [τ, τ + δ):
  // ∂L/∂τ = λ·(f(τ, y⁺ − a·e_k) − f(τ, y⁺)), y⁺ the recorded state after the doses at τ.
  const doseTimes = new Float64Array(solution.doses.length);
  const doseDurations = new Float64Array(solution.doses.length);
  const slopes = new DoseSlopes(field, N, params);
  const yDosed = new Float64Array(D);
  const addDoseTimes = (b: number, step: number) => {
    const r = records[b];
    if (step >= nSteps[b]) return; // nothing after the end depends on a dose there
    const time = r.t[step];
    for (const inf of infusionsOf[b]) {
      const rate = (solution.doses[inf.index] as { rate: number }).rate;
      const l = lambda[b * D + inf.state];
      if (inf.start === time) doseTimes[inf.index] -= rate * l;
      if (inf.end === time) {
        doseTimes[inf.index] += rate * l;
        doseDurations[inf.index] += rate * l;
      }
    }
    let loaded = false;
    for (let j = dosePtr[b]; j >= 0 && r.doseStep[j] === step; j--) {
      const dose = solution.doses[r.doseIndex[j]];
      if (dose.kind !== 'bolus') continue;
      if (!loaded) states.get(b, step, yDosed, 0);
      loaded = true;
      const diff = slopes.undosed(b, time, time + r.h[step], yDosed, dose.state, dose.amount);
      let g = 0;
      for (let i = 0; i < D; i++) g += lambda[b * D + i] * diff[i];
      doseTimes[r.doseIndex[j]] += g;
    }
  };
  for (let b = 0; b < N; b++) {
    events.apply(b, nSteps[b], savePtr[b]);
    addDoseTimes(b, nSteps[b]);
    addDoses(b, nSteps[b]);
    addSaves(b, nSteps[b]);
  }

  const T = new Float64Array(N);
  const H = new Float64Array(N);
  const TEnd = new Float64Array(N);
  const Y = new Float64Array(N * D);
  const rates = new Float64Array(hasRates ? N * D : 0);
  const kBar = Array.from({ length: s }, () => new Float64Array(N * D));
  const yBarStage = new Float64Array(N * D);
  const rows = new Int32Array(N);
  const maxSteps = Math.max(0, ...nSteps);
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
      // Infusions add their (recorded) rates to f during the step.
      if (hasRates)
        for (let d = 0; d < D; d++) rates[b * D + d] = r.rates.length > 0 ? r.rates[m * D + d] : 0;
    }
    const rs = rows.subarray(0, n);
    if (field.beginStep !== undefined) {
      for (let q = 0; q < n; q++) TEnd[rs[q]] = T[rs[q]] + H[rs[q]];
      field.beginStep(T, TEnd, n, rs);
    }
    stages.compute(T, Y, H, params, hasRates ? rates : null, n, rs);
    // Reverse through the stages.
    for (let i = 0; i < s; i++) {
      for (let q = 0; q < n; q++) {
        const b = rs[q];
        for (let d = 0; d < D; d++) kBar[i][b * D + d] = H[b] * weights[i] * lambda[b * D + d];
      }
    }
    for (let i = s - 1; i >= 0; i--) {
      if (!live[i]) continue;
      // kBar[i] holds gᵢ; an implicit stage turns it into μᵢ = (I − h·aᵢᵢ·Jᵢᵀ)⁻¹·gᵢ.
      if (A[i * s + i] !== 0) stages.solveTransposed(i, T, H, params, kBar[i], n, rs);
      field.vjp(stages.stageTimes(i, T, H, n, rs), stages.Y[i], params, kBar[i], yBarStage, pBar, n, rs);
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
      const b = rs[q];
      events.apply(b, nSteps[b] - 1 - back, savePtr[b]);
      addDoseTimes(b, nSteps[b] - 1 - back);
      addDoses(b, nSteps[b] - 1 - back);
      addSaves(b, nSteps[b] - 1 - back);
    }
  }
  return { y0: lambda, params: pBar, doses: doseBar, doseTimes, doseDurations };
}

/** f(τ, y⁺ − a·e_k) − f(τ, y⁺) of one row, the field set up for the step [τ, tEnd]. */
class DoseSlopes {
  private readonly D: number;
  private readonly t: Float64Array;
  private readonly tEnd: Float64Array;
  private readonly y: Float64Array;
  private readonly out: Float64Array;
  private readonly diff: Float64Array;
  private readonly row = new Int32Array(1);

  constructor(
    private readonly field: VectorField,
    N: number,
    private readonly params: Float64Array,
  ) {
    const D = field.dim;
    this.D = D;
    this.t = new Float64Array(N);
    this.tEnd = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.out = new Float64Array(N * D);
    this.diff = new Float64Array(D);
  }

  undosed(
    b: number,
    tau: number,
    tEnd: number,
    yPlus: Float64Array,
    state: number,
    amount: number,
  ): Float64Array {
    const { D, field } = this;
    this.row[0] = b;
    this.t[b] = tau;
    this.tEnd[b] = tEnd;
    field.beginStep?.(this.t, this.tEnd, 1, this.row);
    for (let i = 0; i < D; i++) this.y[b * D + i] = yPlus[i];
    field.f(this.t, this.y, this.params, this.out, 1, this.row);
    for (let i = 0; i < D; i++) this.diff[i] = -this.out[b * D + i];
    this.y[b * D + state] -= amount;
    field.f(this.t, this.y, this.params, this.out, 1, this.row);
    for (let i = 0; i < D; i++) this.diff[i] += this.out[b * D + i];
    return this.diff;
  }
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
  private readonly h: Float64Array;
  private readonly tEnd: Float64Array;
  private readonly y: Float64Array;
  private readonly rates: Float64Array;
  private readonly row = new Int32Array(1);
  /** The stage engine for recomputing segments (created at the first one). */
  private stages: RkStages | null = null;

  constructor(
    private readonly field: VectorField,
    private readonly solution: Solution,
    private readonly method: Method,
    private readonly params: Float64Array,
  ) {
    this.D = field.dim;
    this.N = solution.n;
    this.segFrom = new Int32Array(this.N).fill(-1);
    this.segY = Array.from({ length: this.N }, () => new Float64Array(0));
    this.t = new Float64Array(this.N);
    this.h = new Float64Array(this.N);
    this.tEnd = new Float64Array(this.N);
    this.y = new Float64Array(this.N * this.D);
    this.rates = new Float64Array(this.N * this.D);
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
    this.stages ??= RkStages.of(this.method, this.field, this.N);
    const stages = this.stages;
    const { s, weights, K } = stages;
    this.row[0] = b;
    const hasRates = r.rates.length > 0;
    const doses = this.solution.doses;
    for (let j = from; j < m; j++) {
      const h = r.h[j];
      this.t[b] = r.t[j];
      this.h[b] = h;
      for (let i = 0; i < D; i++) this.y[b * D + i] = seg[(j - from) * D + i];
      if (hasRates) for (let i = 0; i < D; i++) this.rates[b * D + i] = r.rates[j * D + i];
      if (this.field.beginStep !== undefined) {
        this.tEnd[b] = r.t[j] + h;
        this.field.beginStep(this.t, this.tEnd, 1, this.row);
      }
      stages.compute(this.t, this.y, this.h, this.params, hasRates ? this.rates : null, 1, this.row);
      const o = (j + 1 - from) * D;
      for (let d = 0; d < D; d++) {
        let v = this.y[b * D + d];
        for (let st = 0; st < s; st++) if (weights[st] !== 0) v += h * weights[st] * K[st][b * D + d];
        seg[o + d] = v;
      }
      // Boluses given after step j (the recorded start state of step j + 1 is post-dose).
      for (let k = 0; k < r.doseStep.length; k++) {
        if (r.doseStep[k] !== j + 1) continue;
        const dose = doses[r.doseIndex[k]];
        if (dose.kind === 'bolus') seg[o + dose.state] += dose.amount;
      }
      // An event after step j: the start of step j + 1 is the recorded state after it.
      const e = r.eventStep.indexOf(j + 1);
      if (e >= 0) for (let d = 0; d < D; d++) seg[o + d] = r.eventAfter[e * D + d];
    }
    this.segFrom[b] = from;
    this.segY[b] = seg;
  }
}

/**
 * The reverse of the state-dependent events of a recorded solve, applied at step boundaries:
 * λ⁺ (the adjoint of the state after the event) becomes λ⁻ (before it), and p̄ grows by the
 * event's parameter terms (see `eventJump.ts`).
 */
class EventBoundaries {
  private readonly D: number;
  private readonly P: number;
  private readonly jump: EventJump;
  /** Per trajectory, the next event to reverse (counting down), and the events' indices in `solution.events`. */
  private readonly ptr: Int32Array;
  private readonly global: number[][];
  private readonly t: Float64Array;
  private readonly tEnd: Float64Array;
  private readonly y: Float64Array;
  private readonly out: Float64Array;
  private readonly row = new Int32Array(1);
  private readonly before: Float64Array;
  private readonly saved: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    private readonly field: VectorField,
    private readonly solution: Solution,
    private readonly params: Float64Array,
    private readonly savedBar: readonly Float64Array[],
    private readonly timesBar: Float64Array | undefined,
    private readonly lambda: Float64Array,
    private readonly pBar: Float64Array,
  ) {
    const N = solution.n;
    const D = field.dim;
    this.D = D;
    this.P = field.nParams;
    const records = solution.records!;
    this.ptr = Int32Array.from(records, (r) => r.eventStep.length - 1);
    this.global = Array.from({ length: N }, () => []);
    solution.events.forEach((e, i) => {
      this.global[e.trajectory].push(i);
    });
    records.forEach((r, b) => {
      r.eventIndex.forEach((e, k) => {
        const spec = solution.eventSpecs[e];
        if (spec === undefined) {
          throw new RangeError(
            `discreteAdjoint: the solution records event ${e}, but has no specification for it`,
          );
        }
        requireEventHooks('discreteAdjoint', spec, e, ` (trajectory ${b}, t = ${r.eventTime[k]})`);
      });
    });
    this.jump = new EventJump(D, this.P);
    this.t = new Float64Array(N);
    this.tEnd = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.out = new Float64Array(N * D);
    this.before = new Float64Array(D);
    this.saved = new Float64Array(D);
    this.scratch = new Float64Array(D);
  }

  /**
   * Reverses the event (if any) of trajectory b at boundary j (after step j − 1); `savePtr` is
   * the trajectory's last save not yet added to λ (the saves at the event come next).
   */
  apply(b: number, j: number, savePtr: number): void {
    const k = this.ptr[b];
    const r = this.solution.records![b];
    if (k < 0 || r.eventStep[k] !== j) return;
    this.ptr[b]--;
    const { D, P, jump } = this;
    const tau = r.eventTime[k];
    for (let i = 0; i < D; i++) this.before[i] = r.eventBefore[k * D + i];
    const spec = this.solution.eventSpecs[r.eventIndex[k]];
    jump.derivatives(spec, tau, this.before, 0, this.params, b * P);
    // f⁻ from the left (the step that ends at τ), f⁺ from the right (the step after it).
    this.slope(b, r.t[j - 1], tau, j - 1, r.eventBefore, k, jump.fMinus);
    if (j < r.t.length) this.slope(b, r.t[j], r.t[j] + r.h[j], j, r.eventAfter, k, jump.fPlus);
    else jump.fPlus.fill(0);
    const speed = jump.speed(`discreteAdjoint: event ${r.eventIndex[k]} of trajectory ${b} at t = ${tau}`);
    // The cotangent of the saves made at the event (before its action).
    let anySaved = false;
    this.saved.fill(0);
    for (let s = savePtr; s >= 0 && r.saveStep[s] === j; s--) {
      anySaved = true;
      for (let i = 0; i < D; i++) this.saved[i] += this.savedBar[b][s * D + i];
    }
    const tauBar = this.timesBar === undefined ? 0 : this.timesBar[this.global[b][k]];
    jump.reverse(
      speed,
      this.lambda,
      b * D,
      anySaved ? this.saved : null,
      0,
      tauBar,
      this.pBar,
      b * P,
      this.scratch,
    );
  }

  /** out = f(τ, y) (+ the infusion rates of step m) on the side of τ inside [tStart, tEnd]. */
  private slope(
    b: number,
    tStart: number,
    tEnd: number,
    m: number,
    ys: readonly number[],
    k: number,
    out: Float64Array,
  ): void {
    const { D, field } = this;
    const tau = this.solution.records![b].eventTime[k];
    this.row[0] = b;
    this.t[b] = tStart;
    this.tEnd[b] = tEnd;
    field.beginStep?.(this.t, this.tEnd, 1, this.row);
    this.t[b] = tau;
    for (let i = 0; i < D; i++) this.y[b * D + i] = ys[k * D + i];
    field.f(this.t, this.y, this.params, this.out, 1, this.row);
    const rates = this.solution.records![b].rates;
    for (let i = 0; i < D; i++) out[i] = this.out[b * D + i] + (rates.length > 0 ? rates[m * D + i] : 0);
  }
}
