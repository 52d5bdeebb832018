/**
 * L1, L2 and group-lasso penalties on any group of a hybrid model's parameters: mechanistic
 * parameters by name, a whole network, one layer of a network, or any leaf of the parameter
 * tree by its dotted path. Each penalty is a {@link Regularizer}, so it composes with the
 * others (`regularizers: [l2Penalty(…), l1Penalty(…), …]`) and its gradient comes from the
 * autodiff.
 *
 * Groups resolve to the same dotted leaf paths as `src/optim` (`"mech"`, `"nets.F[0].w"`, …; see
 * `leafPaths`), so a group can be penalized smoothly here, or handed to the optimizer's
 * proximal steps for exact zeros with {@link groupWhere} (`proximalL1`'s `where`) — the two
 * minimize the same objective; the proximal step is the one that sets entries exactly to 0.
 *
 * Mechanistic parameters are penalized on their estimation scale z (z = log x on `scale log`),
 * which is the coordinate the optimizer moves; `center: 'default'` penalizes z − z₀ with z₀
 * the model's default value (a Gaussian prior around the declared value for L2, a Laplace
 * prior for L1).
 */
import { add, mul, sub } from '../autodiff/ops/binary.js';
import { sum } from '../autodiff/ops/reduce.js';
import { abs, sqrt, square } from '../autodiff/ops/unary.js';
import { scalar, Tensor } from '../autodiff/tensor.js';
import { treeLeaves } from '../autodiff/tree.js';
import { leafPaths } from '../optim/leaves.js';
import type { LeafPredicate } from '../optim/partition.js';
import { NDArray } from '../tensor/ndarray.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { Regularizer } from './regularizers.js';

/**
 * A group of parameters:
 * - `{ mech: ['CL', 'V'] }` — estimated mechanistic parameters by name (`'*'` = all of them);
 * - `{ net: 'F' }` — every weight matrix of network F (biases too with `biases: true`);
 * - `{ net: 'F', layer: 0 }` — one layer of F (0 = the first; −1 = the output layer);
 * - `{ path: 'nets.F[0].w' }` — any leaf of the parameter tree by its dotted path.
 */
export type ParamGroup =
  | { readonly mech: readonly string[] }
  | { readonly net: string; readonly layer?: number; readonly biases?: boolean }
  | { readonly path: string };

/** Options shared by the penalties. */
export interface PenaltyOptions {
  /**
   * What the mechanistic parameters are shrunk towards, on their estimation scale: `'zero'`
   * (default) or `'default'` (the model's declared value). Networks always shrink to 0.
   */
  readonly center?: 'zero' | 'default';
}

/** One resolved piece of a group: a leaf of the tree and (optionally) a 0/1 mask and a center. */
interface GroupPiece {
  readonly leaf: number;
  readonly path: string;
  readonly mask: Tensor | null;
  readonly center: Tensor | null;
}

/**
 * The leaves (and, for mechanistic parameters, the entries) a group selects in `hm`'s
 * parameter tree; throws for an unknown name, network, layer or path, listing the valid ones.
 */
function resolveGroup(
  who: string,
  hm: HybridModel,
  group: ParamGroup,
  center: 'zero' | 'default',
): GroupPiece[] {
  const template = hm.init();
  const paths = leafPaths(template);
  const byPath = new Map(paths.map((p, i) => [p, i]));
  if ('mech' in group) {
    const names = hm.estimatedNames;
    const chosen = group.mech.includes('*') ? names : [...group.mech];
    if (chosen.length === 0) throw new RangeError(`${who}: the group { mech: [] } names no parameter`);
    const mask = new Float64Array(names.length);
    for (const n of chosen) {
      const k = names.indexOf(n);
      if (k < 0) {
        const fixed = hm.model.params.some((p) => p.name === n && p.fixed);
        throw new RangeError(
          fixed
            ? `${who}: parameter "${n}" is fixed, so it is not estimated and cannot be penalized; remove "fixed" from its declaration or drop it from the group`
            : `${who}: unknown parameter "${n}"; the estimated parameters are ${names.join(', ') || '(none)'}`,
        );
      }
      mask[k] = 1;
    }
    const z0 = center === 'default' ? template.mech : null;
    return [{ leaf: byPath.get('mech')!, path: 'mech', mask: tensorOf(mask), center: z0 }];
  }
  if ('net' in group) {
    const layers = template.nets[group.net];
    if (layers === undefined) {
      throw new RangeError(
        `${who}: unknown network "${group.net}"; the model's networks are ${hm.model.nets.map((n) => n.name).join(', ') || '(none)'}`,
      );
    }
    let chosen = layers.map((_, i) => i);
    if (group.layer !== undefined) {
      const L = layers.length;
      const i = group.layer < 0 ? L + group.layer : group.layer;
      if (!Number.isInteger(group.layer) || i < 0 || i >= L) {
        throw new RangeError(
          `${who}: network "${group.net}" has ${L} layers (0…${L - 1}, or −1 for the output layer); layer ${group.layer} does not exist`,
        );
      }
      chosen = [i];
    }
    return chosen.flatMap((i) =>
      [`nets.${group.net}[${i}].w`, ...(group.biases === true ? [`nets.${group.net}[${i}].b`] : [])].map(
        (path) => ({ leaf: byPath.get(path)!, path, mask: null, center: null }),
      ),
    );
  }
  const leaf = byPath.get(group.path);
  if (leaf === undefined) {
    throw new RangeError(
      `${who}: "${group.path}" is not a leaf of the parameter tree; the leaves are ${paths.map((p) => `"${p}"`).join(', ')}`,
    );
  }
  const z0 = center === 'default' && group.path === 'mech' ? template.mech : null;
  return [{ leaf, path: group.path, mask: null, center: z0 }];
}

function tensorOf(values: Float64Array): Tensor {
  return new Tensor(new NDArray(values, [values.length]));
}

/** The selected values of one piece, centered and masked (a differentiable tensor). */
function pieceValues(params: HybridParams, piece: GroupPiece): Tensor {
  const leaves = treeLeaves(params);
  if (piece.leaf >= leaves.length) {
    throw new RangeError(
      `penalty: the parameter tree has no leaf "${piece.path}" (was it built by another model?)`,
    );
  }
  let v = leaves[piece.leaf];
  if (piece.center !== null) v = sub(v, piece.center);
  if (piece.mask !== null) v = mul(v, piece.mask);
  return v;
}

function checkLambda(who: string, lambda: number): void {
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`${who}: the weight λ must be a finite number ≥ 0, got ${lambda}`);
  }
}

function groupsOf(group: ParamGroup | readonly ParamGroup[]): readonly ParamGroup[] {
  return Array.isArray(group) ? (group as readonly ParamGroup[]) : [group as ParamGroup];
}

function describe(groups: readonly ParamGroup[]): string {
  return groups
    .map((g) =>
      'mech' in g
        ? `mech:${g.mech.join('+')}`
        : 'net' in g
          ? `net:${g.net}${g.layer === undefined ? '' : `[${g.layer}]`}`
          : `path:${g.path}`,
    )
    .join(',');
}

/**
 * λ·Σ θ² over the parameters of one or several groups (ridge; a Gaussian prior of variance
 * 1/(2λ) per entry, around 0 or, with `center: 'default'`, around the declared mechanistic
 * values). ∂/∂θ = 2λθ.
 *
 * @example
 * ```ts
 * const hm = new HybridModel(parseModel(text));
 * train(hm, hm.init(), subjects, {
 *   optimizer: adam(1e-3),
 *   epochs: 100,
 *   regularizers: [l2Penalty(hm, { net: 'F' }, 1e-4), l2Penalty(hm, { mech: ['CL'] }, 1e-2, { center: 'default' })],
 * });
 * ```
 */
export function l2Penalty(
  hm: HybridModel,
  group: ParamGroup | readonly ParamGroup[],
  lambda: number,
  options: PenaltyOptions = {},
): Regularizer {
  checkLambda('l2Penalty', lambda);
  const gs = groupsOf(group);
  const pieces = gs.flatMap((g) => resolveGroup('l2Penalty', hm, g, options.center ?? 'zero'));
  return {
    name: `l2Penalty(${describe(gs)})`,
    penalty(params) {
      let total: Tensor = scalar(0);
      for (const piece of pieces) total = add(total, sum(square(pieceValues(params, piece))));
      return mul(total, lambda);
    },
  };
}

/**
 * λ·Σ|θ| over the parameters of one or several groups (lasso; a Laplace prior). The
 * subgradient at θ = 0 is 0, so plain gradient steps hover around zero without reaching it;
 * for exact zeros use the optimizer's `proximalL1(λ, { lr, where: groupWhere(hm, group) })`.
 *
 * @example
 * ```ts
 * const sparseInputs = l1Penalty(hm, { net: 'F', layer: 0 }, 1e-3);
 * ```
 */
export function l1Penalty(
  hm: HybridModel,
  group: ParamGroup | readonly ParamGroup[],
  lambda: number,
  options: PenaltyOptions = {},
): Regularizer {
  checkLambda('l1Penalty', lambda);
  const gs = groupsOf(group);
  const pieces = gs.flatMap((g) => resolveGroup('l1Penalty', hm, g, options.center ?? 'zero'));
  return {
    name: `l1Penalty(${describe(gs)})`,
    penalty(params) {
      let total: Tensor = scalar(0);
      for (const piece of pieces) total = add(total, sum(abs(pieceValues(params, piece))));
      return mul(total, lambda);
    },
  };
}

/** Options of {@link groupLassoPenalty}. */
export interface GroupLassoPenaltyOptions extends PenaltyOptions {
  /**
   * Smoothing ε of the norm, √(‖θ_g‖² + ε²) − ε (default 1e-12): the penalty differs from
   * ‖θ_g‖ by at most ε and its gradient is finite at θ_g = 0 (where it is 0).
   */
  readonly epsilon?: number;
  /** Per-group weights w_g (default √|g|, the number of entries, as in `proximalGroupLasso`). */
  readonly weights?: readonly number[];
}

/**
 * λ·Σ_g w_g‖θ_g‖₂ over a list of groups, each group one {@link ParamGroup} (or a list of them
 * taken together): whole groups are driven to zero together — a network's input column, a
 * layer, or a set of mechanistic parameters. w_g defaults to √|g|.
 * ∂/∂θ_g = λ w_g θ_g/√(‖θ_g‖² + ε²). For exact zeros use the optimizer's
 * `proximalGroupLasso` with the same groups (`GroupSpec`s over the same leaf paths).
 *
 * @example
 * ```ts
 * // Which of the two networks is needed at all?
 * const reg = groupLassoPenalty(hm, [{ net: 'F' }, { net: 'G' }], 1e-3);
 * ```
 */
export function groupLassoPenalty(
  hm: HybridModel,
  groups: readonly (ParamGroup | readonly ParamGroup[])[],
  lambda: number,
  options: GroupLassoPenaltyOptions = {},
): Regularizer {
  const who = 'groupLassoPenalty';
  checkLambda(who, lambda);
  if (groups.length === 0) throw new RangeError(`${who}: give at least one group`);
  const eps = options.epsilon ?? 1e-12;
  if (!(eps >= 0 && Number.isFinite(eps)))
    throw new RangeError(`${who}: epsilon must be finite and ≥ 0, got ${eps}`);
  if (options.weights !== undefined && options.weights.length !== groups.length) {
    throw new RangeError(
      `${who}: ${options.weights.length} weights for ${groups.length} groups; give one weight per group`,
    );
  }
  const template = treeLeaves(hm.init());
  const resolved = groups.map((g) =>
    groupsOf(g).flatMap((x) => resolveGroup(who, hm, x, options.center ?? 'zero')),
  );
  const weights = resolved.map((pieces, k) => {
    const w = options.weights?.[k];
    if (w !== undefined) {
      if (!(Number.isFinite(w) && w >= 0))
        throw new RangeError(`${who}: weights[${k}] = ${w} must be finite and ≥ 0`);
      return w;
    }
    const size = pieces.reduce(
      (n, p) => n + (p.mask === null ? template[p.leaf].size : p.mask.data.reduce((a, b) => a + b, 0)),
      0,
    );
    return Math.sqrt(size);
  });
  return {
    name: `groupLassoPenalty(${groups.map((g) => describe(groupsOf(g))).join(' | ')})`,
    penalty(params) {
      let total: Tensor = scalar(0);
      resolved.forEach((pieces, k) => {
        let s: Tensor = scalar(eps * eps);
        for (const piece of pieces) s = add(s, sum(square(pieceValues(params, piece))));
        total = add(total, mul(sub(sqrt(s), eps), weights[k]));
      });
      return mul(total, lambda);
    },
  };
}

/**
 * A leaf predicate choosing the leaves of a group, for the optimizer's masks, partitions and
 * proximal steps (`proximalL1(λ, { lr, where: groupWhere(hm, { net: 'F', layer: 0 }) })`).
 * Mechanistic groups select the whole `mech` leaf only when they name every estimated
 * parameter (`{ mech: ['*'] }`); a proper subset cannot be expressed per leaf and throws.
 *
 * @example
 * ```ts
 * const lr = 1e-2;
 * const opt = chain(adam(lr), proximalL1(1e-3, { lr, where: groupWhere(hm, { net: 'F', layer: 0 }) }));
 * ```
 */
export function groupWhere(hm: HybridModel, group: ParamGroup | readonly ParamGroup[]): LeafPredicate {
  const gs = groupsOf(group);
  const chosen = new Set<string>();
  for (const g of gs) {
    for (const piece of resolveGroup('groupWhere', hm, g, 'zero')) {
      if (piece.mask?.data.some((v) => v === 0)) {
        throw new RangeError(
          'groupWhere: a group of some (not all) mechanistic parameters is part of the "mech" leaf and cannot be chosen leaf by leaf; ' +
            'use l1Penalty / l2Penalty for it, or { mech: ["*"] }',
        );
      }
      chosen.add(piece.path);
    }
  }
  return (path) => chosen.has(path);
}
