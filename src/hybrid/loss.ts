/**
 * Data-fit losses between observed values and a model's predictions, with missing values
 * (NaN) masked out, and their derivatives with respect to the predictions and the noise
 * scales σ.
 */

/**
 * `'mse'`: the mean squared error over the observed values. `'nll'`: the mean negative
 * log-likelihood per observed value under each observable's noise model (`~ normal(σ)` or
 * `~ lognormal(σ)` in the model text).
 */
export type DataLoss = 'mse' | 'nll';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Sums of a data-fit loss over a block of predictions (see {@link dataLossTerms}). */
export interface LossTerms {
  /** Σ of the per-value losses over the observed values. */
  sum: number;
  /** Number of observed (non-NaN) values. */
  count: number;
}

/**
 * Adds the per-value loss terms of `m` rows of `nObs` observables: to `terms`, and (when
 * `predBar` is given) their derivatives times `scale` to predBar and sigmaBar.
 *
 * Per observed value y with prediction μ and noise scale σ:
 * - mse: (y − μ)²;  ∂/∂μ = −2(y − μ)
 * - nll, normal: ½r² + log σ + ½log 2π with r = (y − μ)/σ;  ∂/∂μ = −r/σ,  ∂/∂σ = (1 − r²)/σ
 * - nll, lognormal: ½r² + log σ + log y + ½log 2π with r = (log y − log μ)/σ;
 *   ∂/∂μ = −r/(σμ),  ∂/∂σ = (1 − r²)/σ
 *
 * A prediction μ ≤ 0 for a log-normal observable, or σ ≤ 0, gives an infinite loss (the
 * trainer treats it as a failed step).
 *
 * @example
 * ```ts
 * const terms = { sum: 0, count: 0 };
 * dataLossTerms('mse', ['normal'], Float64Array.of(1, NaN), Float64Array.of(0.5, 2), null, 2, terms);
 * terms; // { sum: 0.25, count: 1 }
 * ```
 */
export function dataLossTerms(
  loss: DataLoss,
  noise: readonly ('normal' | 'lognormal')[],
  observed: Float64Array,
  predicted: Float64Array,
  sigma: Float64Array | null,
  m: number,
  terms: LossTerms,
  grad?: { predBar: Float64Array; sigmaBar: Float64Array | null; scale: number },
): void {
  const K = noise.length;
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < K; k++) {
      const o = i * K + k;
      const y = observed[o];
      if (Number.isNaN(y)) continue;
      const mu = predicted[o];
      terms.count++;
      if (loss === 'mse') {
        const r = y - mu;
        terms.sum += r * r;
        if (grad !== undefined) grad.predBar[o] += grad.scale * -2 * r;
        continue;
      }
      const s = sigma![o];
      if (!(s > 0) || (noise[k] === 'lognormal' && !(mu > 0))) {
        terms.sum = Number.POSITIVE_INFINITY;
        continue;
      }
      const logS = Math.log(s);
      if (noise[k] === 'normal') {
        const r = (y - mu) / s;
        terms.sum += 0.5 * r * r + logS + HALF_LOG_2PI;
        if (grad !== undefined) {
          grad.predBar[o] += (grad.scale * -r) / s;
          grad.sigmaBar![o] += (grad.scale * (1 - r * r)) / s;
        }
      } else {
        const r = (Math.log(y) - Math.log(mu)) / s;
        terms.sum += 0.5 * r * r + logS + Math.log(y) + HALF_LOG_2PI;
        if (grad !== undefined) {
          grad.predBar[o] += (grad.scale * -r) / (s * mu);
          grad.sigmaBar![o] += (grad.scale * (1 - r * r)) / s;
        }
      }
    }
  }
}
