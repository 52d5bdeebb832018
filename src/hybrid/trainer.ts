import { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import type { GradientTransformation } from '../optim/transform.js';
import { NDArray } from '../tensor/ndarray.js';
import { foldIn, permutation, rngKey } from '../tensor/random.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { DataLoss } from './loss.js';
import { objective } from './objective.js';
import type { Regularizer } from './regularizers.js';
import type { Subject } from './subject.js';
import type { TrajectoryRegularizer } from './trajectoryBatch.js';

/**
 * The optimizer the trainer runs: a pure gradient transformation from `src/optim` (e.g.
 * `adam(1e-3)`, `chain(clipByGlobalNorm(1), adamw(1e-3, { weightDecay: 1e-4 }))`). After a
 * non-finite step the trainer passes a lowered `lrScale` in the update context, which every
 * learning rate of the chain (and every proximal threshold) is multiplied by.
 */
export type Optimizer<S> = GradientTransformation<S>;

/** Progress and incidents of a training run, in the order they happen. */
export type TrainEvent =
  | {
      readonly kind: 'epoch';
      readonly epoch: number;
      readonly epochs: number;
      /** Mean over the epoch's steps of data loss + penalties (+ continuity penalty). */
      readonly loss: number;
      /** Mean data-fit loss over the epoch's steps. */
      readonly dataLoss: number;
      /** Validation data-fit loss (null without validation). */
      readonly valLoss: number | null;
      /** Current learning-rate factor (1 until a non-finite step lowered it). */
      readonly lrScale: number;
      /** Curriculum horizon (null = all observations). */
      readonly horizon: number | null;
      readonly elapsedMs: number;
      readonly etaMs: number;
    }
  | {
      readonly kind: 'nonFinite';
      readonly epoch: number;
      readonly step: number;
      /** What was not finite (the solver's failure names trajectory, time and state). */
      readonly reason: string;
      /** The learning-rate factor after lowering it. */
      readonly lrScale: number;
    }
  | { readonly kind: 'earlyStop'; readonly epoch: number; readonly bestEpoch: number }
  | { readonly kind: 'diverged'; readonly epoch: number; readonly reason: string };

/** One row of the training history. */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly dataLoss: number;
  readonly valLoss: number | null;
  readonly lrScale: number;
  /** The data-fit weight λ at the end of the epoch (with `adaptiveDataWeight`). */
  readonly dataWeight?: number;
}

/** Everything needed to continue a run: pass it back as `resume`. */
export interface TrainState<S> {
  readonly epoch: number;
  readonly params: HybridParams;
  readonly optState: S;
  readonly lrScale: number;
  readonly best: { readonly epoch: number; readonly value: number; readonly params: HybridParams };
  readonly sinceBest: number;
  readonly history: readonly EpochRecord[];
  /** The data-fit weight λ (with `adaptiveDataWeight`). */
  readonly dataWeight?: number;
}

/** Options of {@link train}. */
export interface TrainOptions<S> {
  /** A pure optimizer, e.g. `adam(1e-3)` (see src/optim). */
  readonly optimizer: Optimizer<S>;
  /** Number of passes over the training subjects. */
  readonly epochs: number;
  /** Subjects per optimizer step (default: all training subjects, i.e. full batch). */
  readonly batchSize?: number;
  /** Data-fit loss (default `'mse'`). */
  readonly loss?: DataLoss;
  /** Penalties added to the loss of every step: parameter penalties and trajectory regularizers. */
  readonly regularizers?: readonly (Regularizer | TrajectoryRegularizer)[];
  /**
   * APHYNITY's adaptive weight of the data fit (Yin et al., ICLR 2021, Algorithm 1): the loss
   * of a step is λ·data fit + penalties; each mini-batch gets `steps` optimizer steps
   * (N_iter), then λ ← λ + rate·(data fit of the batch's last step) (τ2). λ starts at
   * `initial` (λ0, default 1). Without this option λ = 1 and each batch gets one step.
   */
  readonly adaptiveDataWeight?: { readonly initial?: number; readonly rate: number; readonly steps: number };
  /**
   * Held-out subjects: a fraction drawn with the seed, or ids. Their data-fit loss is
   * computed after each epoch and drives early stopping and the best checkpoint.
   */
  readonly validation?: { readonly fraction: number } | { readonly ids: readonly string[] };
  /** Stop after `patience` epochs without an improvement of more than `minDelta` (default 0). */
  readonly earlyStopping?: { readonly patience: number; readonly minDelta?: number };
  /** Seed of the mini-batch order and the validation split (default 0). */
  readonly seed?: number;
  /** Multiple shooting: segments per subject and the continuity-penalty weight. */
  readonly shooting?: { readonly segments: number; readonly weight: number };
  /**
   * Growing horizon: the observations up to t0 + horizon count, the horizon growing linearly
   * from `start` to `end` over the first `epochs` epochs (then all observations).
   */
  readonly curriculum?: { readonly start: number; readonly end: number; readonly epochs: number };
  /** Non-finite steps: roll back, multiply the learning rate by `lrFactor` (default 0.5); give up after `maxRetries` in a row (default 8). */
  readonly nonFinite?: { readonly lrFactor?: number; readonly maxRetries?: number };
  /** Called with every event (progress bar, logging). */
  readonly onEvent?: (event: TrainEvent) => void;
  /** Called after every epoch with the state to resume from (write it to disk for long runs). */
  readonly onCheckpoint?: (state: TrainState<S>) => void;
  /** Continue a run from a checkpoint. */
  readonly resume?: TrainState<S>;
  /** A clock for progress events (default `Date.now`); never affects the results. */
  readonly now?: () => number;
}

/** The result of {@link train}. */
export interface TrainResult<S> {
  /** The best parameters (lowest validation loss, or training loss without validation). */
  readonly params: HybridParams;
  readonly bestEpoch: number;
  /** The state after the last epoch (resume from it). */
  readonly last: TrainState<S>;
  readonly history: readonly EpochRecord[];
  readonly events: readonly TrainEvent[];
  readonly stopReason: 'epochs' | 'earlyStop' | 'diverged';
  /** The subjects used for training and for validation, by id. */
  readonly split: { readonly train: readonly string[]; readonly validation: readonly string[] };
}

const KEYS = [
  'optimizer',
  'epochs',
  'batchSize',
  'loss',
  'regularizers',
  'adaptiveDataWeight',
  'validation',
  'earlyStopping',
  'seed',
  'shooting',
  'curriculum',
  'nonFinite',
  'onEvent',
  'onCheckpoint',
  'resume',
  'now',
];

/**
 * Trains a hybrid model's parameters on subjects.
 *
 * Each step evaluates the mean data-fit loss of a mini-batch of subjects (one batched solve,
 * gradient by the model's sensitivity method), adds the regularizers' penalties (gradient by
 * the autodiff), and applies the optimizer's updates scaled by the learning-rate factor;
 * mechanistic parameters are then projected onto their bounds. Mini-batches are a fresh
 * permutation of the training subjects each epoch, drawn from `seed`, so a run is
 * bit-for-bit reproducible.
 *
 * A step whose loss or gradient is not finite (a solver failure, a NaN) rolls the parameters
 * and optimizer state back to the last good step, halves the learning-rate factor, reports a
 * `nonFinite` event and goes on; after `maxRetries` failures in a row the run stops as
 * `'diverged'` and returns the best parameters so far.
 *
 * @example
 * ```ts
 * const hm = new HybridModel(model, { method: tsit5() });
 * const result = train(hm, hm.init(rngKey(0)), subjects, {
 *   optimizer: adam(1e-2),
 *   epochs: 200,
 *   batchSize: 8,
 *   validation: { fraction: 0.2 },
 *   earlyStopping: { patience: 20 },
 *   regularizers: [l2Weights(1e-4)],
 * });
 * hm.parameterValues(result.params);
 * ```
 */
export function train<S>(
  model: HybridModel,
  initial: HybridParams,
  subjects: readonly Subject[],
  options: TrainOptions<S>,
): TrainResult<S> {
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k))
      throw new TypeError(`train: unknown option "${k}"; the options are ${KEYS.join(', ')}`);
  }
  const { optimizer, epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new RangeError(`train: epochs must be an integer ≥ 0, got ${epochs}`);
  const seed = options.seed ?? 0;
  const key = rngKey(seed);
  const lrFactor = options.nonFinite?.lrFactor ?? 0.5;
  const maxRetries = options.nonFinite?.maxRetries ?? 8;
  if (!(lrFactor > 0 && lrFactor < 1))
    throw new RangeError(`train: nonFinite.lrFactor must be in (0, 1), got ${lrFactor}`);
  const now = options.now ?? Date.now;

  // Validation split.
  const { trainSet, valSet } = validationSplit(subjects, options.validation, seed);
  if (trainSet.length === 0)
    throw new RangeError('train: no training subjects (all were held out for validation)');
  const batchSize = options.batchSize ?? trainSet.length;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`train: batchSize must be a positive integer, got ${batchSize}`);
  }
  const patience = options.earlyStopping?.patience ?? Number.POSITIVE_INFINITY;
  const minDelta = options.earlyStopping?.minDelta ?? 0;
  const regs = options.regularizers ?? [];
  const adaptive = options.adaptiveDataWeight;
  const innerSteps = adaptive?.steps ?? 1;
  if (adaptive !== undefined) {
    const { initial = 1, rate, steps } = adaptive;
    if (!(Number.isFinite(initial) && initial >= 0) || !(Number.isFinite(rate) && rate >= 0))
      throw new RangeError(
        `train: adaptiveDataWeight needs finite initial ≥ 0 and rate ≥ 0, got initial ${initial}, rate ${rate}`,
      );
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`train: adaptiveDataWeight.steps must be a positive integer, got ${steps}`);
  }

  let params = initial;
  if (
    options.shooting !== undefined &&
    options.shooting.segments > 1 &&
    Object.keys(params.shooting).length === 0
  ) {
    params = { ...params, shooting: model.initShooting(params, trainSet, options.shooting.segments) };
  }
  let state: TrainState<S> = options.resume ?? {
    epoch: 0,
    params,
    optState: optimizer.init(params),
    lrScale: 1,
    best: { epoch: 0, value: Number.POSITIVE_INFINITY, params },
    sinceBest: 0,
    history: [],
    ...(adaptive === undefined ? {} : { dataWeight: adaptive.initial ?? 1 }),
  };
  const events: TrainEvent[] = [];
  const emit = (e: TrainEvent) => {
    events.push(e);
    options.onEvent?.(e);
  };
  const started = now();
  const firstEpoch = state.epoch + 1;
  let stopReason: TrainResult<S>['stopReason'] = 'epochs';
  let step = 0;
  /**
   * The parameters and optimizer state before the last accepted update: where a step that
   * meets a non-finite loss or gradient rolls back to (the failure shows at the point the
   * update moved to, so that point is abandoned).
   */
  let lastGood: { params: HybridParams; optState: S } | null = null;

  epochLoop: for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
    const horizon = horizonAt(options.curriculum, epoch);
    const order = permutation(foldIn(key, epoch), trainSet.length);
    let lossSum = 0;
    let dataSum = 0;
    let nSteps = 0;
    let { params: p, optState, lrScale } = state;
    let dataWeight = state.dataWeight ?? 1;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = Array.from(
        order.subarray(start, Math.min(start + batchSize, order.length)),
        (i) => trainSet[i],
      );
      let batchDataLoss = Number.NaN;
      for (let inner = 0; inner < innerSteps; inner++) {
        let retries = 0;
        for (;;) {
          step++;
          const attempt = objective(model, p, batch, {
            loss: options.loss ?? 'mse',
            regularizers: regs,
            ...(adaptive === undefined ? {} : { dataWeight }),
            ...(horizon === undefined ? {} : { horizon }),
            ...(options.shooting === undefined ? {} : { shooting: options.shooting }),
          });
          let failure = attempt.failure;
          if (attempt.gradient !== null) {
            const { updates, state: next } = optimizer.update(attempt.gradient, optState, p, { lrScale });
            const moved = addScaled(p, updates, 1);
            if (moved !== null) {
              lastGood = { params: p, optState };
              p = model.project(moved);
              optState = next;
              lossSum += attempt.value;
              dataSum += attempt.dataLoss;
              batchDataLoss = attempt.dataLoss;
              nSteps++;
              break;
            }
            failure = 'the optimizer produced non-finite parameters';
          }
          const reason = failure ?? 'unknown';
          if (lastGood === null) {
            emit({
              kind: 'diverged',
              epoch,
              reason: `the starting parameters give a non-finite loss or gradient: ${reason}`,
            });
            stopReason = 'diverged';
            break epochLoop;
          }
          // Roll back to the point before the last update and retry with a lower learning rate.
          p = lastGood.params;
          optState = lastGood.optState;
          lrScale *= lrFactor;
          retries++;
          emit({ kind: 'nonFinite', epoch, step, reason, lrScale });
          if (retries > maxRetries) {
            emit({
              kind: 'diverged',
              epoch,
              reason: `${retries} non-finite steps in a row: ${reason}`,
            });
            stopReason = 'diverged';
            state = { ...state, params: p, optState, lrScale };
            break epochLoop;
          }
        }
      }
      // APHYNITY: after N_iter steps on the batch, λ ← λ + τ2·L_traj.
      if (adaptive !== undefined) dataWeight += adaptive.rate * batchDataLoss;
    }
    const dataLoss = dataSum / nSteps;
    const loss = lossSum / nSteps;
    const valLoss =
      valSet.length > 0
        ? model.evaluate(p, valSet, { loss: options.loss ?? 'mse', gradient: false }).value
        : null;
    const monitored = valLoss ?? loss;
    const improved = Number.isFinite(monitored) && monitored < state.best.value - minDelta;
    const best = improved ? { epoch, value: monitored, params: p } : state.best;
    const record: EpochRecord = {
      epoch,
      loss,
      dataLoss,
      valLoss,
      lrScale,
      ...(adaptive === undefined ? {} : { dataWeight }),
    };
    state = {
      epoch,
      params: p,
      optState,
      lrScale,
      best,
      sinceBest: improved ? 0 : state.sinceBest + 1,
      history: [...state.history, record],
      ...(adaptive === undefined ? {} : { dataWeight }),
    };
    const elapsedMs = now() - started;
    const done = epoch - firstEpoch + 1;
    emit({
      kind: 'epoch',
      epoch,
      epochs,
      loss,
      dataLoss,
      valLoss,
      lrScale,
      horizon: horizon ?? null,
      elapsedMs,
      etaMs: (elapsedMs / done) * (epochs - epoch),
    });
    options.onCheckpoint?.(state);
    if (state.sinceBest >= patience) {
      emit({ kind: 'earlyStop', epoch, bestEpoch: best.epoch });
      stopReason = 'earlyStop';
      break;
    }
  }
  const bestParams = Number.isFinite(state.best.value) ? state.best.params : state.params;
  return {
    params: bestParams,
    bestEpoch: state.best.epoch,
    last: state,
    history: state.history,
    events,
    stopReason,
    split: { train: trainSet.map((s) => s.id), validation: valSet.map((s) => s.id) },
  };
}

/** x + s·u leaf by leaf (a new tree), or null if any result is not finite. */
function addScaled(x: HybridParams, u: Tree, s: number): HybridParams | null {
  const xs = treeLeaves(x);
  const us = treeLeaves(u);
  if (xs.length !== us.length) {
    throw new RangeError(
      `train: the optimizer returned ${us.length} update leaves for ${xs.length} parameters`,
    );
  }
  const out: Tensor[] = [];
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i].data;
    const b = us[i].data;
    if (a.length !== b.length)
      throw new RangeError(`train: update leaf ${i} has ${b.length} values for ${a.length}`);
    const o = new Float64Array(a.length);
    for (let j = 0; j < a.length; j++) {
      o[j] = a[j] + s * b[j];
      if (!Number.isFinite(o[j])) return null;
    }
    out.push(new Tensor(new NDArray(o, xs[i].shape)));
  }
  return treeUnflatten(x, out);
}

function horizonAt(c: TrainOptions<unknown>['curriculum'], epoch: number): number | undefined {
  if (c === undefined) return undefined;
  if (!(c.start > 0 && c.end >= c.start && c.epochs >= 1)) {
    throw new RangeError('train: curriculum needs 0 < start ≤ end and epochs ≥ 1');
  }
  if (epoch > c.epochs) return undefined;
  const f = c.epochs === 1 ? 1 : (epoch - 1) / (c.epochs - 1);
  return c.start + f * (c.end - c.start);
}

/**
 * The training and validation subjects {@link train} uses for a `validation` option and seed:
 * the given ids, or round(fraction·n) (at least one) subjects drawn from the seed. Restarts
 * with other seeds pass the ids of one split so their validation losses compare.
 *
 * @example
 * ```ts
 * const { valSet } = validationSplit(subjects, { fraction: 0.2 }, 0);
 * train(hm, params, subjects, { ...options, seed: 7, validation: { ids: valSet.map((s) => s.id) } });
 * ```
 */
export function validationSplit(
  subjects: readonly Subject[],
  validation: TrainOptions<unknown>['validation'],
  seed: number,
): { trainSet: Subject[]; valSet: Subject[] } {
  const key = rngKey(seed);
  if (validation === undefined) return { trainSet: subjects.slice(), valSet: [] };
  if ('ids' in validation) {
    const ids = new Set(validation.ids);
    for (const id of ids) {
      if (!subjects.some((s) => s.id === id))
        throw new RangeError(`train: validation subject "${id}" is not among the subjects`);
    }
    return {
      trainSet: subjects.filter((s) => !ids.has(s.id)),
      valSet: subjects.filter((s) => ids.has(s.id)),
    };
  }
  const f = validation.fraction;
  if (!(f > 0 && f < 1)) throw new RangeError(`train: validation.fraction must be in (0, 1), got ${f}`);
  const nVal = Math.max(1, Math.round(f * subjects.length));
  const order = permutation(foldIn(key, 0x7fffffff), subjects.length);
  const val = new Set(Array.from(order.subarray(0, nVal)));
  return {
    trainSet: subjects.filter((_, i) => !val.has(i)),
    valSet: subjects.filter((_, i) => val.has(i)),
  };
}
