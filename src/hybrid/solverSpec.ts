/**
 * Solver settings as plain data — what a project config and a fitted-model file store — and
 * their translation into the typed method and controller objects that `solve` takes.
 */
import { type Controller, constantSteps, pid } from '../ode/controller.js';
import { kvaerno5 } from '../ode/esdirk.js';
import type { Method } from '../ode/method.js';
import { bosh3 } from '../ode/methods/bosh3.js';
import { dopri5 } from '../ode/methods/dopri5.js';
import { euler } from '../ode/methods/euler.js';
import { heun } from '../ode/methods/heun.js';
import { midpoint } from '../ode/methods/midpoint.js';
import { rk4 } from '../ode/methods/rk4.js';
import { tsit5 } from '../ode/methods/tsit5.js';
import { vern7 } from '../ode/methods/vern7.js';
import { rodas4, rodas5p } from '../ode/rosenbrock.js';
import type { HybridModelOptions, Sensitivity } from './hybridModel.js';

/** The integration methods by name. */
export const METHODS = {
  euler,
  midpoint,
  heun,
  rk4,
  bosh3,
  dopri5,
  tsit5,
  vern7,
  rodas4: () => rodas4(),
  rodas5p: () => rodas5p(),
  kvaerno5: () => kvaerno5(),
} as const satisfies Record<string, () => Method>;

/** The name of an integration method. */
export type MethodName = keyof typeof METHODS;

/**
 * Solver settings as data: a method by name and either adaptive tolerances or a constant step.
 *
 * @example
 * ```ts
 * const spec: SolverSpec = { method: 'tsit5', rtol: 1e-6, atol: 1e-8 };
 * const hm = new HybridModel(model, hybridOptions(spec));
 * ```
 */
export interface SolverSpec {
  readonly method: MethodName;
  /** Relative tolerance of the adaptive controller (default 1e-6). */
  readonly rtol?: number;
  /** Absolute tolerance of the adaptive controller (default 1e-8). */
  readonly atol?: number;
  /** A constant step instead of adaptive control. */
  readonly dt?: number;
  /** Gradient method (default 'adjoint'). */
  readonly sensitivity?: Sensitivity;
  /** Maximum steps per solve. */
  readonly maxSteps?: number;
}

/** The default solver: Tsit5 with rtol 1e-6, atol 1e-8, discrete adjoint. */
export const DEFAULT_SOLVER: SolverSpec = { method: 'tsit5', rtol: 1e-6, atol: 1e-8 };

/**
 * The method and controller of a solver spec.
 *
 * @throws RangeError for an unknown method name (listing the known ones) or bad tolerances.
 * @example
 * ```ts
 * const { method, controller } = solverFromSpec({ method: 'rk4', dt: 0.05 });
 * ```
 */
export function solverFromSpec(spec: SolverSpec): { method: Method; controller: Controller } {
  const make = (METHODS as Record<string, (() => Method) | undefined>)[spec.method];
  if (make === undefined) {
    throw new RangeError(
      `unknown integration method "${spec.method}"; use one of ${Object.keys(METHODS).join(', ')}`,
    );
  }
  const method = make();
  if (spec.dt !== undefined) {
    if (!(spec.dt > 0 && Number.isFinite(spec.dt)))
      throw new RangeError(`solver dt must be a positive number, got ${spec.dt}`);
    return { method, controller: constantSteps(spec.dt) };
  }
  const rtol = spec.rtol ?? 1e-6;
  const atol = spec.atol ?? 1e-8;
  for (const [name, v] of [
    ['rtol', rtol],
    ['atol', atol],
  ] as const) {
    if (!(v > 0 && Number.isFinite(v)))
      throw new RangeError(`solver ${name} must be a positive number, got ${v}`);
  }
  return { method, controller: pid({ rtol, atol }) };
}

/**
 * {@link HybridModel} options from a solver spec.
 *
 * @example
 * ```ts
 * new HybridModel(model, hybridOptions({ method: 'kvaerno5', rtol: 1e-8, atol: 1e-10 }));
 * ```
 */
export function hybridOptions(spec: SolverSpec): HybridModelOptions {
  const { method, controller } = solverFromSpec(spec);
  return {
    method,
    controller,
    ...(spec.sensitivity === undefined ? {} : { sensitivity: spec.sensitivity }),
    ...(spec.maxSteps === undefined ? {} : { maxSteps: spec.maxSteps }),
  };
}
