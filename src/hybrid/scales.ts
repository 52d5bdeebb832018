/**
 * Estimation scales of mechanistic parameters: x = s(z) with z unconstrained — `lin` (x = z),
 * `log` (x = eᶻ), `logit` (x = 1/(1 + e⁻ᶻ)) — their inverses and derivatives dx/dz, for the
 * hybrid patterns that handle parameter vectors themselves.
 */
import type { ParamScale } from '../expr/model.js';

/**
 * z = s⁻¹(x): the estimation-scale value of a natural value.
 *
 * @example
 * ```ts
 * toEstimationScale('log', Math.E); // 1
 * ```
 */
export function toEstimationScale(scale: ParamScale, x: number): number {
  return scale === 'lin' ? x : scale === 'log' ? Math.log(x) : Math.log(x / (1 - x));
}

/**
 * x = s(z): the natural value of an estimation-scale value.
 *
 * @example
 * ```ts
 * fromEstimationScale('logit', 0); // 0.5
 * ```
 */
export function fromEstimationScale(scale: ParamScale, z: number): number {
  return scale === 'lin' ? z : scale === 'log' ? Math.exp(z) : 1 / (1 + Math.exp(-z));
}

/**
 * dx/dz = s'(z): 1, eᶻ, or σ(z)(1 − σ(z)).
 *
 * @example
 * ```ts
 * estimationScaleDerivative('log', 0); // 1
 * ```
 */
export function estimationScaleDerivative(scale: ParamScale, z: number): number {
  if (scale === 'lin') return 1;
  if (scale === 'log') return Math.exp(z);
  const s = 1 / (1 + Math.exp(-z));
  return s * (1 - s);
}
