/**
 * Training a latent model: Adam on minibatches of −ELBO, with early stopping on a
 * validation forecast error.
 */
import { valueAndGrad } from '../autodiff/transforms.js';
import { treeLeaves } from '../autodiff/tree.js';
import { adam } from '../optim/adam.js';
import { applyUpdates } from '../optim/transform.js';
import { foldIn, permutation, type RngKey, splitKey } from '../tensor/random.js';
import type { LatentDataset, LatentModel, LatentParams } from './latentModel.js';

/** Options of {@link fitLatent}. */
export interface FitLatentOptions {
  /** Seeded generator for batches and reparameterization noise. */
  readonly key: RngKey;
  /** Most optimizer steps (default 400). */
  readonly iterations?: number;
  /** Patients per step (default 10). */
  readonly batchSize?: number;
  /** Adam's learning rate (default 0.01). */
  readonly learningRate?: number;
  /** Evaluate the validation error every this many steps (default 10). */
  readonly evalEvery?: number;
  /** Stop after this many evaluations without improvement (default: never stop early). */
  readonly patience?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

const FIT_KEYS = ['key', 'iterations', 'batchSize', 'learningRate', 'evalEvery', 'patience', 'log'];

/** One evaluation during {@link fitLatent}. */
export interface FitLatentRecord {
  readonly iteration: number;
  /** Mean −ELBO per patient over the steps since the previous record. */
  readonly loss: number;
  /** Validation forecast RMSE. */
  readonly validation: number;
}

/** What {@link fitLatent} returns. */
export interface FitLatentResult {
  /** The parameters with the lowest validation error seen (early stopping). */
  readonly params: LatentParams;
  readonly bestIteration: number;
  readonly bestValidation: number;
  readonly trace: readonly FitLatentRecord[];
  /** Steps skipped because the loss or its gradient was not finite (a failed solve). */
  readonly skipped: number;
}

/**
 * Root mean squared error of `pred` [B·T·K] against the observed entries of `data` at time
 * indices ≥ `from` (the forecast horizon after the encoder's history).
 *
 * @example
 * ```ts
 * forecastRmse(model.predict(params, test), test, 5);
 * ```
 */
export function forecastRmse(pred: Float64Array, data: LatentDataset, from: number): number {
  const T = data.times.length;
  const K = data.nObs;
  if (pred.length !== data.patients.length * T * K)
    throw new RangeError(
      `forecastRmse: ${pred.length} predictions for ${data.patients.length}·${T}·${K} values`,
    );
  let s = 0;
  let n = 0;
  data.patients.forEach((p, b) => {
    for (let i = from * K; i < T * K; i++) {
      const v = p.x[i];
      if (Number.isNaN(v)) continue;
      const r = v - pred[b * T * K + i];
      s += r * r;
      n++;
    }
  });
  return n === 0 ? Number.NaN : Math.sqrt(s / n);
}

/**
 * Trains `model` from `init` on `train` by Adam on the minibatch −ELBO
 * ({@link LatentModel.loss}; batches drawn without replacement, reshuffled every epoch),
 * evaluating the forecast RMSE on `validation` (time points after the encoder's history)
 * every `evalEvery` steps and returning the best parameters seen (early stopping). A step
 * whose loss or gradient is not finite is skipped.
 *
 * @example
 * ```ts
 * const fit = fitLatent(model, model.init(rngKey(0)), train, val, { key: rngKey(1), iterations: 400 });
 * fit.bestValidation;
 * ```
 */
export function fitLatent(
  model: LatentModel,
  init: LatentParams,
  train: LatentDataset,
  validation: LatentDataset,
  options: FitLatentOptions,
): FitLatentResult {
  for (const k of Object.keys(options)) {
    if (!FIT_KEYS.includes(k))
      throw new TypeError(`fitLatent: unknown option "${k}"; the options are ${FIT_KEYS.join(', ')}`);
  }
  const iterations = options.iterations ?? 400;
  const batchSize = Math.min(options.batchSize ?? 10, train.patients.length);
  const evalEvery = options.evalEvery ?? 10;
  const patience = options.patience ?? Number.POSITIVE_INFINITY;
  if (train.patients.length === 0) throw new RangeError('fitLatent: no training patients');
  if (!(batchSize >= 1)) throw new RangeError(`fitLatent: batchSize must be ≥ 1, got ${options.batchSize}`);
  const opt = adam(options.learningRate ?? 0.01);
  let params = init;
  let state = opt.init(params);
  const validate = (p: LatentParams) => forecastRmse(model.predict(p, validation), validation, model.history);
  let best = { params, iteration: 0, value: validate(params) };
  const trace: FitLatentRecord[] = [{ iteration: 0, loss: Number.NaN, validation: best.value }];
  let order: Int32Array = new Int32Array(0);
  let cursor = 0;
  let epoch = 0;
  let skipped = 0;
  let lossSum = 0;
  let lossCount = 0;
  let stale = 0;
  const [batchKey, noiseKey] = splitKey(options.key, 2);
  const lossOf = valueAndGrad((p: LatentParams, idx: number[], it: number) =>
    model.loss(p, train, idx, foldIn(noiseKey, it)),
  );
  for (let it = 1; it <= iterations; it++) {
    if (cursor + batchSize > order.length) {
      order = permutation(foldIn(batchKey, epoch++), train.patients.length);
      cursor = 0;
    }
    const idx = Array.from(order.subarray(cursor, cursor + batchSize));
    cursor += batchSize;
    const [value, grad] = lossOf(params, idx, it);
    const v = value.item();
    const finite = Number.isFinite(v) && treeLeaves(grad).every((g) => g.value.data.every(Number.isFinite));
    if (finite) {
      const { updates, state: next } = opt.update(grad, state, params);
      params = applyUpdates(params, updates);
      state = next;
      lossSum += v;
      lossCount++;
    } else skipped++;
    if (it % evalEvery === 0 || it === iterations) {
      const val = validate(params);
      trace.push({ iteration: it, loss: lossCount > 0 ? lossSum / lossCount : Number.NaN, validation: val });
      options.log?.(
        `  iter ${it}: −ELBO ${(lossSum / Math.max(lossCount, 1)).toFixed(3)}, validation RMSE ${val.toFixed(4)}`,
      );
      lossSum = 0;
      lossCount = 0;
      if (val < best.value || !Number.isFinite(best.value)) {
        best = { params, iteration: it, value: val };
        stale = 0;
      } else if (++stale >= patience) break;
    }
  }
  return { params: best.params, bestIteration: best.iteration, bestValidation: best.value, trace, skipped };
}
