/**
 * The optimizer contract: a gradient transformation is a pure pair `init` / `update`
 * (optax's design). Optimizers are chains of small transformations, e.g.
 * `adam(lr) = chain(scaleByAdam(), scaleByLearningRate(lr))`.
 */
import type { Tree } from '../autodiff/tree.js';
import { matchedLeaves, treeFromData } from './leaves.js';

/**
 * Extra information for one update, shared by every transformation of a chain.
 *
 * @example
 * ```ts
 * opt.update(grads, state, params, { lrScale: 0.5 }); // half the learning rate for this step
 * ```
 */
export interface UpdateContext {
  /**
   * A factor on every learning rate of the chain (default 1). The trainer lowers it after a
   * non-finite step; it multiplies lr(t) in {@link scaleByLearningRate}, in decoupled weight
   * decay and in the proximal thresholds, so the whole step shrinks consistently.
   */
  readonly lrScale?: number;
}

/** What `update` returns: the updates (to be added to the parameters) and the next state. */
export interface UpdateResult<S> {
  readonly updates: Tree;
  readonly state: S;
}

/**
 * A pure gradient transformation. `init(params)` makes the state; `update(grads, state,
 * params, context?)` maps gradients to updates u and returns a new state. Nothing is mutated:
 * every update allocates fresh buffers, so a state can be kept for rollback. The caller
 * applies the step as p ← p + u (updates are *added*; descent transformations return −lr·…).
 *
 * The shape matches the trainer's `Optimizer<S>`; the optional `context` carries the
 * learning-rate factor.
 *
 * @example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), adam(1e-3));
 * let state = opt.init(params);
 * const { updates, state: next } = opt.update(grads, state, params);
 * params = applyUpdates(params, updates);
 * state = next;
 * ```
 */
export interface GradientTransformation<S> {
  /** The initial state for parameters shaped like `params`. */
  init(params: Tree): S;
  /** Updates for `grads` (shaped like `params`) and the next state. */
  update(grads: Tree, state: S, params: Tree, context?: UpdateContext): UpdateResult<S>;
}

/** The state type of a transformation. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;

/** The state of a {@link chain}: the states of its members, in order. */
export type ChainState<T extends readonly GradientTransformation<unknown>[]> = {
  readonly [K in keyof T]: StateOf<T[K]>;
};

/**
 * Composes transformations: the updates of each are the gradients of the next, and all see
 * the same parameters and context. The state is the tuple of the members' states.
 *
 * @example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 * const state = opt.init(params); // [null, AdamState, CountState]
 * ```
 */
export function chain<const T extends readonly GradientTransformation<unknown>[]>(
  ...transforms: T
): GradientTransformation<ChainState<T>> {
  transforms.forEach((t, i) => {
    if (
      t === null ||
      typeof t !== 'object' ||
      typeof t.init !== 'function' ||
      typeof t.update !== 'function'
    ) {
      throw new TypeError(
        `chain: argument ${i} is not a gradient transformation (an object with init and update); ` +
          'did you pass the factory (adam) instead of its result (adam(1e-3))?',
      );
    }
  });
  const ts = transforms.slice();
  return {
    init: (params) => ts.map((t) => t.init(params)) as ChainState<T>,
    update: (grads, state, params, context) => {
      const states = state as readonly unknown[];
      if (!Array.isArray(states) || states.length !== ts.length) {
        throw new TypeError(
          `chain: the state is not one made by this chain's init (expected ${ts.length} member states)`,
        );
      }
      let u = grads;
      const next: unknown[] = [];
      for (let i = 0; i < ts.length; i++) {
        const r = ts[i].update(u, states[i], params, context);
        u = r.updates;
        next.push(r.state);
      }
      return { updates: u, state: next as ChainState<T> };
    },
  };
}

/**
 * The factor `context.lrScale` (default 1), checked.
 *
 * @example
 * ```ts
 * lrScaleOf('adam', { lrScale: 0.5 }); // 0.5
 * ```
 */
export function lrScaleOf(what: string, context: UpdateContext | undefined): number {
  const s = context?.lrScale ?? 1;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
    throw new RangeError(`${what}: context.lrScale must be a finite number ≥ 0, got ${String(s)}`);
  }
  return s;
}

/**
 * p + u leaf by leaf, as a new tree shaped like `params` (optax's `apply_updates`): the step
 * every caller of `update` takes. Exact zeros from proximal steps stay exact, since p + (−p) = 0.
 *
 * @example
 * ```ts
 * const { updates, state: next } = opt.update(grads, state, params);
 * params = applyUpdates(params, updates);
 * ```
 */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  const { g: u, p } = matchedLeaves('applyUpdates', updates, params, 'update');
  const data = p.map((leaf, i) => {
    const pd = leaf.data;
    const ud = u[i].data;
    const out = new Float64Array(pd.length);
    for (let j = 0; j < pd.length; j++) out[j] = pd[j] + ud[j];
    return out;
  });
  return treeFromData(params, p, data);
}
