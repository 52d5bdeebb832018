/**
 * Training of MNODE forecasters: minibatch Adam with gradient clipping on
 * MSE + λ2·‖Θ‖² (+ the ℓ2 part of an elastic net), followed by a proximal step for the
 * non-smooth penalty, so that penalized parameters reach exact zeros:
 *
 * - `edgeL1` (HGS): λ1·Σ|w_uv| on the edge weights;
 * - `elasticNet`: l1·Σ|W¹| + l2·‖W¹‖² on every entry of the node networks' first layers;
 * - `groupLasso`: λ·Σ_c √|c|·‖W¹[:, c]‖₂ over the first-layer columns (one group per input column).
 */
import { add, mul } from '../autodiff/ops/binary.js';
import { sum } from '../autodiff/ops/reduce.js';
import { square } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import type { Tree } from '../autodiff/tree.js';
import { treeLeaves } from '../autodiff/tree.js';
import { adam } from '../optim/adam.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import { partition } from '../optim/partition.js';
import { type GroupSpec, proximalGroupLasso, proximalL1 } from '../optim/proximal.js';
import { applyUpdates, chain, type GradientTransformation } from '../optim/transform.js';
import { permutation, rngKey } from '../tensor/random.js';
import type { LstmForecaster, LstmForecasterParams } from './lstmForecaster.js';
import {
  type ForecastSet,
  forecastMse,
  forecastTensors,
  type Mnode,
  type MnodeParams,
  networkSquaredNorm,
  subsetForecast,
} from './mnode.js';

/** The non-smooth penalty and its weights. */
export type Penalty =
  | { readonly kind: 'none' }
  | { readonly kind: 'edgeL1'; readonly lambda1: number }
  | { readonly kind: 'elasticNet'; readonly l1: number; readonly l2: number }
  | { readonly kind: 'groupLasso'; readonly lambda: number };

/** Options of {@link trainMnode} (plain data: they cross threads). */
export interface TrainOptions {
  /** Passes over the training windows (default 50). */
  readonly epochs?: number;
  /** Windows per step (default 32). */
  readonly batchSize?: number;
  /** Adam learning rate (default 1e-2). */
  readonly lr?: number;
  /** λ2 on the node networks' squared parameters (default 1e-4). */
  readonly lambda2?: number;
  /** Adam learning rate of the edge weights w (default 5·lr): the L1 threshold per step is edgeLr·λ1. */
  readonly edgeLr?: number;
  /** Global-norm gradient clip (default 1). */
  readonly clip?: number;
  /** Seed of the batch order (default 0). */
  readonly seed?: number;
  /** The non-smooth penalty (default none). */
  readonly penalty?: Penalty;
}

/** A forecaster that {@link trainMnode} can train: an MNODE or the LSTM baseline. */
export type Forecaster = Mnode | LstmForecaster;

/** The parameters of a forecaster. */
export type ForecasterParams<F extends Forecaster> = F extends Mnode ? MnodeParams : LstmForecasterParams;

/** What {@link trainMnode} returns. */
export interface TrainResult<P> {
  readonly params: P;
  /** Mean training objective (smooth part) per epoch. */
  readonly losses: readonly number[];
}

const FIRST_LAYER = /^f\[\d+\]\.0\.weight$/;

function optimizerFor(
  model: Forecaster,
  params: Tree,
  lr: number,
  edgeLr: number,
  clip: number,
  penalty: Penalty,
): GradientTransformation<unknown> {
  const base = [clipByGlobalNorm(clip), adam(lr)] as const;
  if (model.kind !== 'mnode' && penalty.kind !== 'none') {
    throw new Error(
      `trainMnode: the ${penalty.kind} penalty applies to MNODEs only, not to an LSTM forecaster`,
    );
  }
  switch (penalty.kind) {
    case 'none':
      return chain(...base) as GradientTransformation<unknown>;
    case 'edgeL1':
      if (model.kind !== 'mnode' || !model.options.edgeWeights)
        throw new Error(
          'trainMnode: the edgeL1 penalty needs an MNODE with edge weights (edgeWeights: true)',
        );
      return chain(
        clipByGlobalNorm(clip),
        partition((path) => (path.startsWith('w[') ? 'edges' : 'nets'), {
          edges: chain(adam(edgeLr), proximalL1(penalty.lambda1, { lr: edgeLr })),
          nets: adam(lr),
        }),
      ) as GradientTransformation<unknown>;
    case 'elasticNet':
      return chain(
        ...base,
        proximalL1(penalty.l1, { lr, where: (path) => FIRST_LAYER.test(path) }),
      ) as GradientTransformation<unknown>;
    case 'groupLasso': {
      const groups: GroupSpec[] = (params as MnodeParams).f.map((_, v) => ({
        path: `f[${v}].0.weight`,
        axis: 1,
      }));
      return chain(
        ...base,
        proximalGroupLasso(penalty.lambda, groups, { lr }),
      ) as GradientTransformation<unknown>;
    }
  }
}

/** Σ‖W¹‖² over the first layers (the ℓ2 part of the elastic net). */
function firstLayerSquaredNorm(params: MnodeParams): Tensor {
  return params.f.map((f) => sum(square((f['0'] as { weight: Tensor }).weight))).reduce((a, b) => add(a, b));
}

/**
 * Trains an MNODE on forecast windows: per epoch a seeded shuffle, minibatches, one
 * clipped Adam step per batch followed by the penalty's proximal step.
 *
 * @example
 * ```ts
 * const { params } = trainMnode(model, model.init(rngKey(0)), train, {
 *   epochs: 30, penalty: { kind: 'edgeL1', lambda1: 1e-2 },
 * });
 * ```
 */
export function trainMnode<F extends Forecaster>(
  model: F,
  params: ForecasterParams<F>,
  data: ForecastSet,
  options: TrainOptions = {},
): TrainResult<ForecasterParams<F>> {
  const known = ['epochs', 'batchSize', 'lr', 'edgeLr', 'lambda2', 'clip', 'seed', 'penalty'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new Error(`trainMnode: unknown option "${k}" (known: ${known.join(', ')})`);
  }
  const epochs = options.epochs ?? 50;
  const batchSize = Math.min(options.batchSize ?? 32, data.n);
  const lr = options.lr ?? 1e-2;
  const lambda2 = options.lambda2 ?? 1e-4;
  const penalty = options.penalty ?? { kind: 'none' };
  const opt = optimizerFor(model, params, lr, options.edgeLr ?? 5 * lr, options.clip ?? 1, penalty);
  const l2 = penalty.kind === 'elasticNet' ? penalty.l2 : 0;
  const objective = valueAndGrad((p: Tree, batch: ReturnType<typeof forecastTensors>) => {
    let loss = forecastMse(forecastWith(model, p, batch), batch);
    if (lambda2 > 0) loss = add(loss, mul(squaredNorm(model, p), lambda2));
    if (l2 > 0) loss = add(loss, mul(firstLayerSquaredNorm(p as MnodeParams), l2));
    return loss;
  });
  let state = opt.init(params);
  let p: Tree = params;
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = permutation(rngKey((options.seed ?? 0) * 100003 + epoch), data.n);
    let total = 0;
    let batches = 0;
    for (let start = 0; start + batchSize <= data.n || (start === 0 && data.n > 0); start += batchSize) {
      const idx = Array.from(order.subarray(start, Math.min(start + batchSize, data.n)));
      const batch = forecastTensors(subsetForecast(data, idx));
      const [value, grads] = objective(p, batch);
      const r = opt.update(grads, state, p);
      state = r.state;
      p = applyUpdates(p, r.updates);
      total += value.item();
      batches++;
      if (start + batchSize >= data.n) break;
    }
    losses.push(total / batches);
  }
  return { params: p as ForecasterParams<F>, losses };
}

/** The forecast of either kind of forecaster. */
function forecastWith(model: Forecaster, p: Tree, batch: ReturnType<typeof forecastTensors>): Tensor {
  return model.kind === 'mnode'
    ? model.forecast(p as MnodeParams, batch)
    : model.forecast(p as LstmForecasterParams, batch);
}

/** λ2's norm: the node networks of an MNODE, every parameter of an LSTM forecaster. */
function squaredNorm(model: Forecaster, p: Tree): Tensor {
  if (model.kind === 'mnode') return networkSquaredNorm(p as MnodeParams);
  return treeLeaves(p)
    .map((t) => sum(square(t)))
    .reduce((a, b) => add(a, b));
}

/**
 * Forecasts for every window of a set, in batches, as [n, horizon, nObs] row-major.
 *
 * @example
 * ```ts
 * const yhat = predictMnode(model, params, test);
 * ```
 */
export function predictMnode<F extends Forecaster>(
  model: F,
  params: ForecasterParams<F>,
  data: ForecastSet,
  batchSize = 256,
): Float64Array {
  const per = data.horizon * data.observed.length;
  const out = new Float64Array(data.n * per);
  for (let start = 0; start < data.n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.n - start) }, (_, i) => start + i);
    const y = forecastWith(model, params, forecastTensors(subsetForecast(data, idx)));
    out.set(y.data, start * per);
  }
  return out;
}

/**
 * Mean squared error of forecasts against a set's targets.
 *
 * @example
 * ```ts
 * mse(predictMnode(model, params, val), val);
 * ```
 */
export function mse(prediction: Float64Array, data: ForecastSet): number {
  let s = 0;
  for (let i = 0; i < prediction.length; i++) s += (prediction[i] - data.target[i]) ** 2;
  return s / prediction.length;
}
