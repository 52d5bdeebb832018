/**
 * Proximal steps for sparsity: after the optimizer's step the parameters are mapped through
 * the proximal operator of an L1 or group-lasso penalty, which sets small entries (whole
 * groups) to exactly zero — something a subgradient of the penalty never does.
 *
 * A proximal transformation goes *after* the optimizer in a chain and receives the optimizer's
 * update u: with z = p + u the tentative new parameters, it emits u' = prox(z) − p, so the
 * caller's p + u' equals prox(z) — and is exactly 0 where prox(z) = 0, since p + (−p) = 0 in
 * floating point. The threshold is η(t)·s·λ with η the same learning rate (number or
 * schedule) as the optimizer's and s = `context.lrScale`: each transformation counts its own
 * updates, so both read η at the same step.
 *
 * With SGD this is the proximal gradient method (ISTA): p ← prox_{ηλR}(p − η∇f), whose fixed
 * points are the minimizers of f + λR. With Adam the threshold is still η·λ, the *base* step,
 * not Adam's per-coordinate step η/(√v̂ + ε): the update is a prox of the Adam step taken as
 * a plain gradient step of size η on the preconditioned direction m̂/(√v̂ + ε). So λ is measured
 * in units of that direction, whose entries are at most about 1: a coordinate survives where
 * |m̂/(√v̂ + ε)| exceeds λ on average, and λ ≥ 1 removes everything. This keeps the
 * transformation independent of the optimizer's state; it is the usual "Adam + prox" heuristic,
 * not the minimizer of f + λR — for that, polish with SGD or refit the surviving support.
 */
import { type Tree, treeLeaves } from '../autodiff/tree.js';
import { rejectUnknown } from '../ode/options.js';
import { checkNonNegative } from './check.js';
import { checkStateLeaves, leafPaths, matchedLeaves, treeFromData } from './leaves.js';
import type { LeafPredicate } from './partition.js';
import type { CountState } from './scale.js';
import { checkLearningRate, type LearningRate, learningRateAt } from './schedules.js';
import { type GradientTransformation, lrScaleOf } from './transform.js';

/** Options of {@link proximalL1}. */
export interface ProximalL1Options {
  /** The optimizer's learning rate η (number or schedule; pass the same one). */
  readonly lr: LearningRate;
  /** The leaves to penalize (default all), e.g. `(path) => path.endsWith('.w')`. */
  readonly where?: LeafPredicate;
}

/**
 * The proximal step of λ‖p‖₁ (soft thresholding), applied after the optimizer's update u:
 *
 *   z = p + u,   p_new = sign(z) · max(|z| − η(t)·s·λ, 0),   u' = p_new − p,
 *
 * so p + u' is exactly 0 where |z| ≤ η s λ. Leaves not chosen by `where` pass u through.
 * See the module notes for the use with Adam.
 *
 * @param lambda - penalty weight λ ≥ 0.
 *
 * @example
 * ```ts
 * const lr = 1e-2;
 * const opt = chain(sgd(lr), proximalL1(1e-3, { lr, where: (path) => path.endsWith('.w') }));
 * ```
 */
export function proximalL1(lambda: number, options: ProximalL1Options): GradientTransformation<CountState> {
  const what = 'proximalL1';
  checkNonNegative(what, 'lambda', lambda);
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new TypeError(`${what}: pass the optimizer's learning rate, e.g. proximalL1(1e-3, { lr: 1e-2 })`);
  }
  rejectUnknown(what, options, ['lr', 'where']);
  checkLearningRate(what, options.lr);
  const { lr, where } = options;
  return {
    init: () => ({ count: 0 }),
    update: (updates, state, params, context) => {
      const { g: u, p } = matchedLeaves(what, updates, params, 'update');
      const tau = learningRateAt(what, lr, state.count) * lrScaleOf(what, context) * lambda;
      const paths = where === undefined ? null : leafPaths(params);
      const data = u.map((leaf, i) => {
        if (paths !== null && where!(paths[i], p[i]) !== true) return leaf.data;
        const ud = leaf.data;
        const pd = p[i].data;
        const out = new Float64Array(ud.length);
        for (let j = 0; j < ud.length; j++) {
          const z = pd[j] + ud[j];
          if (Math.abs(z) <= tau) out[j] = -pd[j];
          else out[j] = (z > 0 ? z - tau : z + tau) - pd[j];
        }
        return out;
      });
      return { updates: treeFromData(updates, u, data), state: { count: state.count + 1 } };
    },
  };
}

/**
 * Part of a leaf: with `axis`, one group per index along that axis (the slice of all elements
 * with that index); without, the whole leaf as one group. Negative axes count from the end.
 *
 * Weights here are stored [out, in] (`linear`), so for `nets.F[0].w`: `axis: 1` gives one group
 * per input (column), `axis: 0` one per output unit (row).
 */
export interface LeafSlice {
  /** The leaf's dotted path ({@link leafPaths}), e.g. `"nets.F[0].w"`. */
  readonly path: string;
  /** The axis that indexes the groups; omit for the whole leaf. */
  readonly axis?: number;
}

/**
 * A family of groups: slices of one leaf (`{ path, axis }`), or of several leaves joined index
 * by index (`{ members }`, all with the same extent along their axes: group k is the union of
 * the k-th slices) — e.g. a hidden unit is its row of W₁, its bias entry and its column of W₂.
 * `weight` replaces the default per-group weight √|g|.
 */
export type GroupSpec =
  | (LeafSlice & { readonly weight?: number })
  | { readonly members: readonly LeafSlice[]; readonly weight?: number };

/** Options of {@link proximalGroupLasso}. */
export interface ProximalGroupLassoOptions {
  /** The optimizer's learning rate η (number or schedule; pass the same one). */
  readonly lr: LearningRate;
}

/** Resolved groups: per group, its elements as (leaf, index) pairs and its weight. */
interface GroupPlan {
  readonly leafCount: number;
  readonly leaf: readonly Int32Array[];
  readonly elem: readonly Int32Array[];
  readonly weight: Float64Array;
}

/** State of {@link proximalGroupLasso}: the step count and the resolved groups. */
export interface GroupLassoState {
  readonly count: number;
  readonly plan: GroupPlan;
}

/** Element indices of the `k`-th slice along `axis` of a leaf of `shape` (all if axis is undefined). */
function sliceIndices(shape: readonly number[], axis: number | undefined, k: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === undefined) return Array.from({ length: size }, (_, j) => j);
  const extent = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = size / (extent * inner);
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) out.push(o * extent * inner + k * inner + i);
  return out;
}

function resolveGroups(what: string, specs: readonly GroupSpec[], params: Tree): GroupPlan {
  const paths = leafPaths(params);
  const leaves = treeLeaves(params);
  const byPath = new Map(paths.map((p, i) => [p, i]));
  const used = leaves.map((l) => new Uint8Array(l.size));
  const leaf: Int32Array[] = [];
  const elem: Int32Array[] = [];
  const weight: number[] = [];
  specs.forEach((spec, s) => {
    const members = 'members' in spec ? spec.members : [spec];
    if (members.length === 0) throw new RangeError(`${what}: groups[${s}].members is empty`);
    const resolved = members.map((m) => {
      const i = byPath.get(m.path);
      if (i === undefined) {
        throw new RangeError(
          `${what}: groups[${s}] names leaf "${m.path}", which is not in the parameter tree; the leaves are ` +
            `${paths.map((p) => `"${p}"`).join(', ')}`,
        );
      }
      const shape = leaves[i].shape;
      let axis = m.axis;
      if (axis !== undefined) {
        if (!Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) {
          throw new RangeError(
            `${what}: groups[${s}] axis ${axis} is out of range for leaf "${m.path}" of shape [${shape.join(', ')}]`,
          );
        }
        if (axis < 0) axis += shape.length;
      }
      return { i, shape, axis, extent: axis === undefined ? 1 : shape[axis] };
    });
    const extent = resolved[0].extent;
    for (const r of resolved) {
      if (r.extent !== extent) {
        throw new RangeError(
          `${what}: groups[${s}] joins slices of different counts (${resolved.map((q) => q.extent).join(' vs ')}); ` +
            'every member needs the same extent along its axis',
        );
      }
    }
    if (spec.weight !== undefined) checkNonNegative(what, `groups[${s}].weight`, spec.weight);
    for (let k = 0; k < extent; k++) {
      const ls: number[] = [];
      const es: number[] = [];
      for (const r of resolved) {
        for (const j of sliceIndices(r.shape, r.axis, k)) {
          if (used[r.i][j] === 1) {
            throw new RangeError(
              `${what}: groups overlap at element ${j} of leaf "${paths[r.i]}" (groups[${s}]); ` +
                'the block soft threshold needs disjoint groups',
            );
          }
          used[r.i][j] = 1;
          ls.push(r.i);
          es.push(j);
        }
      }
      leaf.push(Int32Array.from(ls));
      elem.push(Int32Array.from(es));
      weight.push(spec.weight ?? Math.sqrt(es.length));
    }
  });
  return { leafCount: leaves.length, leaf, elem, weight: Float64Array.from(weight) };
}

/**
 * The proximal step of the group lasso λ Σ_g w_g ‖p_g‖₂ (Yuan & Lin 2006), applied after the
 * optimizer's update u: with z = p + u and τ = η(t)·s·λ,
 *
 *   p_new,g = max(0, 1 − τ w_g / ‖z_g‖) · z_g   (block soft threshold),   u' = p_new − p,
 *
 * so a whole group becomes exactly 0 when ‖z_g‖ ≤ τ w_g. The default weight w_g = √|g| (|g| the
 * number of entries of the group) makes groups of different sizes comparable; `weight` in a
 * {@link GroupSpec} overrides it. Entries in no group pass u through. See the module notes for
 * the use with Adam.
 *
 * @param lambda - penalty weight λ ≥ 0.
 * @param groups - disjoint groups by leaf path and axis.
 *
 * @example
 * ```ts
 * // Prune the inputs of network F: one group per column of its first weight matrix.
 * const lr = 1e-3;
 * const opt = chain(adam(lr), proximalGroupLasso(1e-2, [{ path: 'nets.F[0].w', axis: 1 }], { lr }));
 * ```
 */
export function proximalGroupLasso(
  lambda: number,
  groups: readonly GroupSpec[],
  options: ProximalGroupLassoOptions,
): GradientTransformation<GroupLassoState> {
  const what = 'proximalGroupLasso';
  checkNonNegative(what, 'lambda', lambda);
  if (!Array.isArray(groups)) throw new TypeError(`${what}: groups must be an array of { path, axis } specs`);
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new TypeError(
      `${what}: pass the optimizer's learning rate, e.g. proximalGroupLasso(1e-3, groups, { lr })`,
    );
  }
  rejectUnknown(what, options, ['lr']);
  checkLearningRate(what, options.lr);
  const { lr } = options;
  const specs = groups.slice();
  return {
    init: (params) => ({ count: 0, plan: resolveGroups(what, specs, params) }),
    update: (updates, state, params, context) => {
      const { g: u, p } = matchedLeaves(what, updates, params, 'update');
      const { plan } = state;
      checkStateLeaves(what, plan.leafCount, u);
      const tau = learningRateAt(what, lr, state.count) * lrScaleOf(what, context) * lambda;
      const data = u.map((leaf) => leaf.data.slice());
      for (let k = 0; k < plan.elem.length; k++) {
        const ls = plan.leaf[k];
        const es = plan.elem[k];
        let sq = 0;
        for (let q = 0; q < es.length; q++) {
          const z = p[ls[q]].data[es[q]] + u[ls[q]].data[es[q]];
          sq += z * z;
        }
        const norm = Math.sqrt(sq);
        const t = tau * plan.weight[k];
        // NaN in the group: keep = NaN, so the caller's non-finite check sees it.
        const keep = norm > t ? 1 - t / norm : norm <= t ? 0 : Number.NaN;
        for (let q = 0; q < es.length; q++) {
          const pv = p[ls[q]].data[es[q]];
          data[ls[q]][es[q]] = keep === 0 ? -pv : keep * (pv + u[ls[q]].data[es[q]]) - pv;
        }
      }
      return { updates: treeFromData(updates, u, data), state: { count: state.count + 1, plan } };
    },
  };
}
