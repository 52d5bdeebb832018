/**
 * The interface between the solve loop and an integration method. A method (a Butcher
 * tableau, a Rosenbrock method, an ESDIRK method…) creates a {@link Stepper} for a vector
 * field and a number of trajectories; the solve loop owns time, step sizes, acceptance and
 * saving, and asks the stepper to attempt steps for the rows still running.
 */
import type { VectorField } from './field.js';

type Arr = Float64Array;

/** Work counters of a stepper, summed over all trajectories. */
export interface StepCounters {
  /** Evaluations of f, counted per trajectory. */
  nfev: number;
  /** Evaluations of the Jacobian, per trajectory. */
  njev: number;
  /** LU factorizations, per trajectory. */
  nlu: number;
}

/**
 * Per-solve state of a method for N trajectories. All arrays are full-size ([N] or [N·dim])
 * and indexed by trajectory; calls work on the `n` listed `rows` only.
 */
export interface Stepper {
  readonly counters: StepCounters;
  /**
   * Attempts one step of size h[b] from (t[b], y[b]) for each listed row b: writes the
   * candidate yNew[b] and the embedded error estimate err[b] (per component, unscaled:
   * yNew − ŷ). Methods without an embedded estimate write zeros.
   */
  attempt(t: Arr, y: Arr, p: Arr, h: Arr, yNew: Arr, err: Arr, n: number, rows: Int32Array): void;
  /**
   * The listed rows' last attempts were accepted (the solve loop then sets t ← t + h and
   * y ← yNew); a method keeps what it reuses (first-same-as-last stages) and what its dense
   * output needs.
   */
  accept(n: number, rows: Int32Array): void;
  /**
   * Dense output on row b's last accepted step [t, t + h]: writes y(t + θ·h) for θ ∈ [0, 1]
   * to out[offset … offset + dim).
   */
  interpolate(b: number, theta: number, out: Arr, offset: number): void;
  /** The solve loop changed y[b] outside a step (a bolus dose, an event): forget cached stages. */
  reset(b: number): void;
}

/** The error tolerances of an adaptive solve. */
export interface SolveTolerances {
  readonly rtol: number;
  readonly atol: number | Float64Array;
}

/** The coefficients of an explicit Runge–Kutta method (what the discrete adjoint needs). */
export interface ExplicitCoefficients {
  /** Stage nodes cᵢ. */
  readonly c: readonly number[];
  /** Strictly lower-triangular stage weights a[i][j], j < i. */
  readonly a: readonly (readonly number[])[];
  /** Solution weights bᵢ. */
  readonly b: readonly number[];
}

/**
 * The coefficients of a diagonally implicit Runge–Kutta method (DIRK, SDIRK, ESDIRK), what the
 * discrete adjoint needs to recompute and reverse its steps: stages
 * Yᵢ = y + h·Σ_{j≤i} aᵢⱼkⱼ, kᵢ = f(t + cᵢh, Yᵢ), and y' = y + h·Σ bᵢkᵢ.
 */
export interface ImplicitCoefficients {
  /** Stage nodes cᵢ (the row sums of a). */
  readonly c: readonly number[];
  /** Lower-triangular stage weights with the diagonal: a[i] has i + 1 entries, a[i][i] = γᵢ. */
  readonly a: readonly (readonly number[])[];
  /** Solution weights bᵢ. */
  readonly b: readonly number[];
  /**
   * Starting values of the Newton iteration of each implicit stage: kᵢ⁰ = Σ_{j<i} predictor[i][j]·kⱼ
   * (predictor[i] has i entries; rows of explicit stages are ignored).
   */
  readonly predictor: readonly (readonly number[])[];
}

/** An integration method: its orders, whether it is meant for stiff problems, and a factory. */
export interface Method {
  /** Name for messages and benchmarks, e.g. `'dopri5'`. */
  readonly name: string;
  /** Order of the propagated solution. */
  readonly order: number;
  /** Order of the embedded solution used for the error estimate (0 = none: fixed steps only). */
  readonly embeddedOrder: number;
  /** Order of the dense output, if known (used to sample it for `saveAt.dense()`; default 4). */
  readonly denseOrder?: number;
  /** Whether the method is implicit or linearly implicit (needs `field.jac`). */
  readonly stiff: boolean;
  /**
   * Creates the per-solve state for `n` trajectories. `tolerances` are the step-size
   * controller's, when it has any (implicit methods scale their Newton iterations by them).
   */
  create(field: VectorField, n: number, tolerances?: SolveTolerances): Stepper;
  /** For explicit Runge–Kutta methods: the coefficients (used by the discrete adjoint). */
  readonly coefficients?: ExplicitCoefficients;
  /** For diagonally implicit Runge–Kutta methods: the coefficients (used by the discrete adjoint). */
  readonly implicitCoefficients?: ImplicitCoefficients;
  /**
   * For a method made for right-hand sides that do not depend on t (`rodas5p({ autonomous:
   * true })` skips ∂f/∂t): the same method without that assumption. Systems derived from an
   * autonomous f can depend on t — the continuous adjoint's backward system does, through the
   * forward state y(t) — and are solved with it. Absent when the method assumes nothing.
   */
  readonly nonAutonomous?: () => Method;
}
