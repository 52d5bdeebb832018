/**
 * Adaptive grey-box training (Takeishi & Kalousis 2023, "Deep grey-box modeling with adaptive
 * data-driven models toward trustworthy estimation of theory-driven models", AISTATS): the
 * network of a hybrid model is trained while the physical parameters are *marginalized* over
 * a prior box — drawn afresh for every mini-batch, with no gradient into them — so that it
 * learns a correction that works for any plausible physics, not one that has absorbed a
 * particular parameter value. The network may see the physics through `stopgrad` inputs,
 *
 *   d/dt v = -w0^2*sin(x) + F(x, v, stopgrad(-w0^2*sin(x))).a
 *
 * so it can adapt to the physical term without opening a gradient path around it. The
 * trained model is then used to *estimate* the physical parameters of new data with the
 * network frozen ({@link estimatePhysical}).
 *
 * Training objective: min_φ E_{θ ~ U(box)} L(θ, φ), estimated by `samples` draws per batch;
 * estimation: min_θ L(θ, φ*) over the box, from several starts.
 */
import { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { leafPaths } from '../optim/leaves.js';
import { freeze } from '../optim/partition.js';
import { chain, type GradientTransformation } from '../optim/transform.js';
import { NDArray } from '../tensor/ndarray.js';
import { foldIn, permutation, rngKey, uniform } from '../tensor/random.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { DataLoss } from './loss.js';
import { objective } from './objective.js';
import type { Regularizer } from './regularizers.js';
import { toEstimationScale } from './scales.js';
import type { Subject } from './subject.js';
import { type Optimizer, train } from './trainer.js';
import type { TrajectoryRegularizer } from './trajectoryBatch.js';

/** A box of natural-scale values for estimated mechanistic parameters, by name. */
export type PriorBox = Readonly<Record<string, readonly [number, number]>>;

/** Options of {@link trainMarginalized}. */
export interface MarginalizedOptions<S> {
  /** The box the physical parameters are drawn from (uniform on the natural scale). */
  readonly prior: PriorBox;
  /** The optimizer of the other parameters (networks, noise, unboxed mechanistic ones). */
  readonly optimizer: Optimizer<S>;
  readonly epochs: number;
  /** Subjects per step (default all). */
  readonly batchSize?: number;
  /** Parameter draws per step; their gradients are averaged (default 1). */
  readonly samples?: number;
  readonly loss?: DataLoss;
  /** Parameter penalties and trajectory regularizers added to every draw's loss. */
  readonly regularizers?: readonly (Regularizer | TrajectoryRegularizer)[];
  /** Seed of the draws and the batch order (default 0). */
  readonly seed?: number;
}

/** The result of {@link trainMarginalized}. */
export interface MarginalizedResult {
  /** The trained parameters; the boxed parameters keep their initial values. */
  readonly params: HybridParams;
  /** Mean objective over each epoch's accepted draws. */
  readonly history: readonly number[];
  /** Draws whose loss or gradient was not finite (skipped), with why. */
  readonly skipped: readonly { readonly epoch: number; readonly reason: string }[];
}

/** Indices (into params.mech) and natural-scale bounds of the boxed parameters. */
function resolvePrior(
  who: string,
  hm: HybridModel,
  prior: PriorBox,
): { k: number; lo: number; hi: number }[] {
  const names = hm.estimatedNames;
  const entries = Object.entries(prior);
  if (entries.length === 0) throw new RangeError(`${who}: the prior box names no parameter`);
  return entries.map(([name, box]) => {
    const k = names.indexOf(name);
    if (k < 0) {
      throw new RangeError(
        `${who}: "${name}" is not an estimated parameter; the estimated parameters are ${names.join(', ') || '(none)'}`,
      );
    }
    const [lo, hi] = box;
    const decl = hm.model.params[hm.estimated[k]];
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new RangeError(`${who}: the box of "${name}" must be finite with lo < hi, got [${lo}, ${hi}]`);
    }
    if (lo < decl.lower || hi > decl.upper) {
      throw new RangeError(
        `${who}: the box [${lo}, ${hi}] of "${name}" leaves its declared bounds [${decl.lower}, ${decl.upper}]`,
      );
    }
    if ((decl.scale === 'log' && !(lo > 0)) || (decl.scale === 'logit' && !(lo > 0 && hi < 1))) {
      throw new RangeError(
        `${who}: the box of "${name}" must lie inside the domain of its scale ${decl.scale}`,
      );
    }
    return { k, lo, hi };
  });
}

/** params with the boxed entries of `mech` set to natural values `x` (estimation scale). */
function withValues(
  hm: HybridModel,
  params: HybridParams,
  boxed: readonly { k: number }[],
  x: ArrayLike<number>,
): HybridParams {
  const z = Float64Array.from(params.mech.data);
  boxed.forEach(({ k }, i) => {
    z[k] = toEstimationScale(hm.model.params[hm.estimated[k]].scale, x[i]);
  });
  return { ...params, mech: new Tensor(new NDArray(z, [z.length])) };
}

function addInto(acc: Float64Array[], tree: Tree, scale: number): void {
  treeLeaves(tree).forEach((t, i) => {
    const d = t.data;
    for (let j = 0; j < d.length; j++) acc[i][j] += scale * d[j];
  });
}

/**
 * Trains the networks (and every parameter outside the box) with the boxed physical
 * parameters drawn uniformly from `prior` for each mini-batch and never updated: the
 * gradient step minimizes the Monte Carlo estimate (1/S)Σₛ L(θₛ, φ) of E_θ L(θ, φ) with
 * ∂/∂θ discarded. Draws whose loss is not finite are skipped and reported.
 *
 * @example
 * ```ts
 * const hm = new HybridModel(parseModel(`
 *   param w0 = 1.5 in [0.5, 3] scale log
 *   state x = 0.5
 *   state v = 0
 *   net F(x, v, stopgrad(-w0^2*sin(x))) -> (a) : mlp(16, tanh)
 *   d/dt x = v
 *   d/dt v = -w0^2*sin(x) + F.a
 *   obs angle = x ~ normal(0.01)
 * `));
 * const fit = trainMarginalized(hm, hm.init(), subjects, { prior: { w0: [1, 2] }, optimizer: adam(1e-2), epochs: 200 });
 * const est = estimatePhysical(hm, fit.params, newSubjects, { prior: { w0: [1, 2] }, optimizer: adam(5e-2), epochs: 100 });
 * est.values.w0;
 * ```
 */
export function trainMarginalized<S>(
  hm: HybridModel,
  initial: HybridParams,
  subjects: readonly Subject[],
  options: MarginalizedOptions<S>,
): MarginalizedResult {
  const who = 'trainMarginalized';
  const boxed = resolvePrior(who, hm, options.prior);
  const { optimizer, epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new RangeError(`${who}: epochs must be an integer ≥ 0, got ${epochs}`);
  const samples = options.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1)
    throw new RangeError(`${who}: samples must be a positive integer, got ${samples}`);
  const batchSize = options.batchSize ?? subjects.length;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`${who}: batchSize must be a positive integer, got ${batchSize}`);
  if (subjects.length === 0) throw new RangeError(`${who}: no subjects`);
  const key = rngKey(options.seed ?? 0);
  const boxedIndex = new Set(boxed.map((b) => b.k));
  let params = initial;
  let optState = optimizer.init(params);
  const history: number[] = [];
  const skipped: { epoch: number; reason: string }[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const order = permutation(foldIn(key, 2 * epoch), subjects.length);
    let sum = 0;
    let n = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = Array.from(
        order.subarray(start, Math.min(start + batchSize, order.length)),
        (i) => subjects[i],
      );
      step++;
      const draws = uniform(foldIn(key, 2 * step + 1), [samples, boxed.length]).data;
      const acc = treeLeaves(params).map((t) => new Float64Array(t.size));
      let accepted = 0;
      for (let s = 0; s < samples; s++) {
        const x = boxed.map((b, i) => b.lo + (b.hi - b.lo) * draws[s * boxed.length + i]);
        const point = withValues(hm, params, boxed, x);
        const r = objective(hm, point, batch, {
          loss: options.loss ?? 'mse',
          ...(options.regularizers === undefined ? {} : { regularizers: options.regularizers }),
        });
        if (r.gradient === null) {
          skipped.push({ epoch, reason: r.failure ?? 'no gradient' });
          continue;
        }
        addInto(acc, r.gradient, 1);
        sum += r.value;
        n++;
        accepted++;
      }
      if (accepted === 0) continue;
      // The boxed parameters are marginalized, not learned: no gradient into them.
      const mechLeaf = leafPaths(params).indexOf('mech');
      for (const k of boxedIndex) acc[mechLeaf][k] = 0;
      const grads = treeUnflatten(
        params,
        treeLeaves(params).map(
          (t, i) =>
            new Tensor(
              new NDArray(
                acc[i].map((v) => v / accepted),
                t.shape,
              ),
            ),
        ),
      );
      const { updates, state } = optimizer.update(grads, optState, params);
      const u = treeLeaves(updates);
      const next = treeUnflatten(
        params,
        treeLeaves(params).map(
          (t, i) =>
            new Tensor(
              new NDArray(
                t.data.map((v, j) => v + u[i].data[j]),
                t.shape,
              ),
            ),
        ),
      );
      params = hm.project(next);
      optState = state;
    }
    history.push(n > 0 ? sum / n : Number.NaN);
  }
  return { params, history, skipped };
}

/** Options of {@link estimatePhysical}. */
export interface EstimateOptions<S> {
  /** The box to search; its parameters are estimated, every other parameter stays as given. */
  readonly prior: PriorBox;
  /** The optimizer of the boxed parameters (e.g. `adam(5e-2)`). */
  readonly optimizer: Optimizer<S>;
  readonly epochs: number;
  /** Starting points drawn uniformly from the box (default 3); the best final loss wins. */
  readonly starts?: number;
  readonly loss?: DataLoss;
  /**
   * The regularizer whose choice of θ is being examined, e.g. `closureNorm()` (the smallest
   * correction) — with an adaptive network the data fit alone is nearly flat in θ.
   */
  readonly regularizers?: readonly (Regularizer | TrajectoryRegularizer)[];
  readonly seed?: number;
}

/** The result of {@link estimatePhysical}. */
export interface EstimateResult {
  readonly params: HybridParams;
  /** The estimates of the boxed parameters (natural scale), by name. */
  readonly values: Readonly<Record<string, number>>;
  /** The objective (data fit + regularizers) at the estimate. */
  readonly loss: number;
}

/**
 * Estimates the boxed physical parameters of (new) subjects with everything else — the
 * trained networks, the noise and the other mechanistic parameters — frozen: gradient
 * descent on L(θ, φ*) from `starts` points drawn from the box, keeping the lowest final loss.
 * With `stopgrad` network inputs the gradient in θ is that of the physics path alone.
 *
 * @example
 * ```ts
 * const est = estimatePhysical(hm, trained, subjects, { prior: { w0: [1, 2] }, optimizer: adam(0.05), epochs: 100 });
 * ```
 */
export function estimatePhysical<S>(
  hm: HybridModel,
  trained: HybridParams,
  subjects: readonly Subject[],
  options: EstimateOptions<S>,
): EstimateResult {
  const who = 'estimatePhysical';
  const boxed = resolvePrior(who, hm, options.prior);
  const starts = options.starts ?? 3;
  if (!Number.isInteger(starts) || starts < 1)
    throw new RangeError(`${who}: starts must be a positive integer, got ${starts}`);
  const names = Object.keys(options.prior);
  const boxedIndex = new Set(boxed.map((b) => b.k));
  // Freeze every leaf but mech, and inside mech every entry that is not boxed.
  const onlyBoxed = chain(
    options.optimizer,
    freeze((path) => path !== 'mech'),
    maskMech(boxedIndex),
  );
  const draws = uniform(rngKey(options.seed ?? 0), [starts, boxed.length]).data;
  let best: EstimateResult | null = null;
  for (let s = 0; s < starts; s++) {
    const x = boxed.map((b, i) => b.lo + (b.hi - b.lo) * draws[s * boxed.length + i]);
    const start = withValues(hm, trained, boxed, x);
    const fit = train(hm, start, subjects, {
      optimizer: onlyBoxed,
      epochs: options.epochs,
      loss: options.loss ?? 'mse',
      seed: (options.seed ?? 0) + s,
      ...(options.regularizers === undefined ? {} : { regularizers: options.regularizers }),
    });
    const ev = objective(hm, fit.params, subjects, {
      loss: options.loss ?? 'mse',
      ...(options.regularizers === undefined ? {} : { regularizers: options.regularizers }),
    });
    if (!Number.isFinite(ev.value)) continue;
    if (best === null || ev.value < best.loss) {
      const v = hm.parameterValues(fit.params);
      best = { params: fit.params, values: Object.fromEntries(names.map((n) => [n, v[n]])), loss: ev.value };
    }
  }
  if (best === null) throw new RangeError(`${who}: no start gave a finite loss; check the box and the data`);
  return best;
}

/** Zeroes the updates of the mech entries that are not in `keep`. */
function maskMech(keep: ReadonlySet<number>): GradientTransformation<null> {
  return {
    init: () => null,
    update: (updates, state, params) => {
      const mech = leafPaths(params).indexOf('mech');
      const out = treeLeaves(updates).map((t, i) => {
        if (i !== mech) return t;
        return new Tensor(
          new NDArray(
            t.data.map((v, j) => (keep.has(j) ? v : 0)),
            t.shape,
          ),
        );
      });
      return { updates: treeUnflatten(updates, out), state };
    },
  };
}
