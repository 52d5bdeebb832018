/**
 * The two-stage baselines of Qian et al. (NeurIPS 2021) built from trained latent models:
 * the residual model (a second model fitted to what the first leaves unexplained) and the
 * ensemble (per-time-step non-negative weights of two models' predictions).
 */
import type { LatentDataset } from './latentModel.js';

/**
 * The residual dataset: observations minus `pred` [B·T·K] (missing entries stay missing),
 * same times and doses. A model trained on it and added to `pred` is the residual model.
 *
 * @example
 * ```ts
 * const res = residualDataset(train, expert.predict(expertParams, train));
 * ```
 */
export function residualDataset(data: LatentDataset, pred: Float64Array): LatentDataset {
  const T = data.times.length;
  const K = data.nObs;
  if (pred.length !== data.patients.length * T * K)
    throw new RangeError(
      `residualDataset: ${pred.length} predictions for ${data.patients.length}·${T}·${K} values`,
    );
  return {
    times: data.times,
    nObs: K,
    patients: data.patients.map((p, b) => ({
      doses: p.doses,
      x: Float64Array.from(p.x, (v, i) => v - pred[b * T * K + i]),
    })),
  };
}

/**
 * Elementwise a + b of two prediction arrays (the residual model's prediction: first stage
 * plus the model of its residuals).
 *
 * @example
 * ```ts
 * addPredictions(Float64Array.of(1, 2), Float64Array.of(0.5, -1)); // [1.5, 1]
 * ```
 */
export function addPredictions(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length !== b.length) throw new RangeError(`addPredictions: lengths ${a.length} and ${b.length}`);
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/**
 * Per-time-step non-negative ensemble weights: for each time index j, (a_j, b_j) ≥ 0
 * minimizing Σ over observed entries at tⱼ of (x − a_j·p − b_j·q)², with p, q two models'
 * predictions [B·T·K]. Exact non-negative least squares in two unknowns: the unconstrained
 * solution of the 2×2 normal equations if it is non-negative, else the better of the two
 * one-model fits (a ≥ 0 alone, b ≥ 0 alone), else 0.
 *
 * @returns [T·2] weights (a_j, b_j).
 * @example
 * ```ts
 * const w = ensembleWeights(val, expertVal, nodeVal);
 * const pred = applyEnsemble(w, expertTest, nodeTest, 15, 20);
 * ```
 */
export function ensembleWeights(data: LatentDataset, p: Float64Array, q: Float64Array): Float64Array {
  const T = data.times.length;
  const K = data.nObs;
  const n = data.patients.length * T * K;
  if (p.length !== n || q.length !== n)
    throw new RangeError(`ensembleWeights: predictions must have ${n} values`);
  const w = new Float64Array(T * 2);
  for (let j = 0; j < T; j++) {
    let pp = 0;
    let qq = 0;
    let pq = 0;
    let px = 0;
    let qx = 0;
    data.patients.forEach((pat, b) => {
      for (let k = 0; k < K; k++) {
        const x = pat.x[j * K + k];
        if (Number.isNaN(x)) continue;
        const i = (b * T + j) * K + k;
        pp += p[i] * p[i];
        qq += q[i] * q[i];
        pq += p[i] * q[i];
        px += p[i] * x;
        qx += q[i] * x;
      }
    });
    // Objective up to a constant: a²pp + b²qq + 2ab·pq − 2a·px − 2b·qx.
    const obj = (a: number, c: number) => a * a * pp + c * c * qq + 2 * a * c * pq - 2 * a * px - 2 * c * qx;
    const candidates: [number, number][] = [[0, 0]];
    const det = pp * qq - pq * pq;
    if (det > 1e-12 * pp * qq) {
      const a = (px * qq - qx * pq) / det;
      const c = (qx * pp - px * pq) / det;
      if (a >= 0 && c >= 0) candidates.push([a, c]);
    }
    if (pp > 0) candidates.push([Math.max(px / pp, 0), 0]);
    if (qq > 0) candidates.push([0, Math.max(qx / qq, 0)]);
    let bestAt = candidates[0];
    for (const c of candidates) if (obj(c[0], c[1]) < obj(bestAt[0], bestAt[1])) bestAt = c;
    w[2 * j] = bestAt[0];
    w[2 * j + 1] = bestAt[1];
  }
  return w;
}

/**
 * The ensemble prediction a_j·p + b_j·q per time index j (weights from {@link ensembleWeights}).
 *
 * @example
 * ```ts
 * applyEnsemble(Float64Array.of(1, 0), Float64Array.of(2), Float64Array.of(3), 1, 1); // [2]
 * ```
 */
export function applyEnsemble(
  weights: Float64Array,
  p: Float64Array,
  q: Float64Array,
  T: number,
  K: number,
): Float64Array {
  if (weights.length !== 2 * T)
    throw new RangeError(`applyEnsemble: ${weights.length} weights for ${T} time points`);
  if (p.length !== q.length || p.length % (T * K) !== 0)
    throw new RangeError(`applyEnsemble: predictions of lengths ${p.length}, ${q.length} for T·K = ${T * K}`);
  return Float64Array.from(p, (v, i) => {
    const j = Math.floor(i / K) % T;
    return weights[2 * j] * v + weights[2 * j + 1] * q[i];
  });
}
