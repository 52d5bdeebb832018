/**
 * Step-size controllers: how the solve loop chooses step sizes. Either adaptive (PID control
 * of the embedded error estimate, Söderlind's digital filters) or constant steps.
 */
import { rejectUnknown } from './options.js';

/** Adaptive PID step-size control on the weighted RMS error. */
export interface PidController {
  readonly kind: 'pid';
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance: one number, or one per state component. */
  readonly atol: number | Float64Array;
  /** Proportional, integral and derivative coefficients (Söderlind 2003; diffrax's convention). */
  readonly pcoeff: number;
  readonly icoeff: number;
  readonly dcoeff: number;
  /** Safety factor on the predicted step. */
  readonly safety: number;
  /** Bounds on the ratio of successive step sizes. */
  readonly factorMin: number;
  readonly factorMax: number;
  /** Initial step; `null` selects one automatically (Hairer, Nørsett & Wanner II.4). */
  readonly h0: number | null;
  /** Smallest allowed step (a step below it fails with status 'stepUnderflow'). */
  readonly hMin: number;
  /** Largest allowed step. */
  readonly hMax: number;
}

/** Steps of one constant size (the last step before each stop is shortened to land on it). */
export interface ConstantStepController {
  readonly kind: 'constant';
  readonly dt: number;
}

/** A step-size controller. */
export type Controller = PidController | ConstantStepController;

/** Options of {@link pid}; all optional except the tolerances' defaults noted. */
export interface PidOptions {
  rtol?: number;
  atol?: number | Float64Array;
  pcoeff?: number;
  icoeff?: number;
  dcoeff?: number;
  safety?: number;
  factorMin?: number;
  factorMax?: number;
  h0?: number | null;
  hMin?: number;
  hMax?: number;
}

const PID_KEYS: readonly (keyof PidOptions)[] = [
  'rtol',
  'atol',
  'pcoeff',
  'icoeff',
  'dcoeff',
  'safety',
  'factorMin',
  'factorMax',
  'h0',
  'hMin',
  'hMax',
];

/**
 * Adaptive step-size control. The error of a step is the RMS over components of
 * errᵢ/(atolᵢ + rtol·max(|yᵢ|, |ŷᵢ|)); a step is accepted when it is ≤ 1, and the next step is
 * h·safety·ε_n^(−β₁/k)·ε_{n−1}^(−β₂/k)·ε_{n−2}^(−β₃/k) with k = embedded order + 1,
 * β₁ = pcoeff + icoeff + dcoeff, β₂ = −(pcoeff + 2·dcoeff), β₃ = dcoeff (Söderlind 2003,
 * "Digital filters in adaptive time-stepping"). The defaults (pcoeff 0, icoeff 1) are the
 * classical I-controller; pcoeff 0.4, icoeff 0.3 is a good PI choice for stiff problems.
 *
 * @example
 * ```ts
 * const c = pid({ rtol: 1e-8, atol: 1e-10 });
 * ```
 */
export function pid(options: PidOptions = {}): PidController {
  rejectUnknown('pid', options, PID_KEYS);
  const c: PidController = {
    kind: 'pid',
    rtol: options.rtol ?? 1e-6,
    atol: options.atol ?? 1e-9,
    pcoeff: options.pcoeff ?? 0,
    icoeff: options.icoeff ?? 1,
    dcoeff: options.dcoeff ?? 0,
    safety: options.safety ?? 0.9,
    factorMin: options.factorMin ?? 0.2,
    factorMax: options.factorMax ?? 10,
    h0: options.h0 ?? null,
    hMin: options.hMin ?? 0,
    hMax: options.hMax ?? Number.POSITIVE_INFINITY,
  };
  if (!(c.rtol >= 0) || (typeof c.atol === 'number' ? !(c.atol >= 0) : c.atol.some((v) => !(v >= 0)))) {
    throw new RangeError('pid: rtol and atol must be non-negative');
  }
  if (c.rtol === 0 && (typeof c.atol === 'number' ? c.atol === 0 : c.atol.every((v) => v === 0))) {
    throw new RangeError('pid: rtol and atol cannot both be zero');
  }
  if (!(c.safety > 0 && c.safety <= 1))
    throw new RangeError(`pid: safety must lie in (0, 1], got ${c.safety}`);
  if (!(c.factorMin > 0 && c.factorMin < 1 && c.factorMax > 1)) {
    throw new RangeError('pid: need 0 < factorMin < 1 < factorMax');
  }
  if (c.h0 !== null && !(c.h0 > 0)) throw new RangeError(`pid: h0 must be positive, got ${c.h0}`);
  if (!(c.hMin >= 0 && c.hMax > c.hMin)) throw new RangeError('pid: need 0 ≤ hMin < hMax');
  return c;
}

/**
 * Constant steps of size `dt` (the step before each save time or end point is shortened to
 * land on it exactly).
 *
 * @example
 * ```ts
 * const c = constantSteps(0.05);
 * ```
 */
export function constantSteps(dt: number): ConstantStepController {
  if (!(dt > 0 && Number.isFinite(dt)))
    throw new RangeError(`constantSteps: dt must be positive and finite, got ${dt}`);
  return { kind: 'constant', dt };
}
