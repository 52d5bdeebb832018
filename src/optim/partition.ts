/**
 * Parameter groups: different transformations for different leaves (mechanistic parameters
 * vs network weights), masks, and frozen leaves. Leaves are named by their dotted paths
 * ({@link leafPaths}).
 */
import type { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { checkStateLeaves, leafPaths, matchedLeaves, treeFromData } from './leaves.js';
import type { GradientTransformation, StateOf } from './transform.js';

/** Chooses a leaf's group from its dotted path (e.g. `"nets.F[0].w"`) and value. */
export type LabelOf = (path: string, leaf: Tensor) => string;

/** State of {@link partition}: each leaf's label and each group's state. */
export interface PartitionState<R extends Readonly<Record<string, GradientTransformation<unknown>>>> {
  readonly labels: readonly string[];
  readonly inner: { readonly [K in keyof R]: StateOf<R[K]> };
}

/** The leaves at `indices` as a flat record keyed by their paths (paths stay the same inside). */
function subRecord(paths: readonly string[], leaves: readonly Tensor[], indices: readonly number[]): Tree {
  const o: Record<string, Tensor> = {};
  for (const i of indices) o[paths[i]] = leaves[i];
  return o;
}

function uniquePaths(what: string, tree: Tree): string[] {
  const paths = leafPaths(tree);
  const seen = new Set<string>();
  for (const p of paths) {
    if (seen.has(p)) {
      throw new RangeError(
        `${what}: two leaves have the path "${p}" (an object key contains "." or "["); rename the key`,
      );
    }
    seen.add(p);
  }
  return paths;
}

/** Reads the updates the inner transformation returned for `path`. */
function updateAt(what: string, updates: Tree, path: string, label: string): Tensor {
  const u = (updates as { readonly [key: string]: Tree })[path];
  const leaves = u === undefined ? [] : treeLeaves(u);
  if (leaves.length !== 1) {
    throw new RangeError(`${what}: the transformation for "${label}" returned no update for leaf "${path}"`);
  }
  return leaves[0];
}

/**
 * Parameter groups: `labelOf(path, leaf)` names each leaf's group and `transforms[label]`
 * updates the leaves of that group, each group with its own state and hyperparameters. Every
 * group's transformation sees only its leaves, as a flat record keyed by the original paths
 * (so path-based options such as proximal groups keep working inside), and the same context.
 * Labels are fixed by `init`.
 *
 * @param labelOf - the group of a leaf; a label without a transformation is an error
 *   (write `setToZero()` for a frozen group).
 * @param transforms - one transformation per label; labels with no leaves are allowed.
 *
 * @example
 * ```ts
 * // Mechanistic parameters: larger steps; networks: smaller steps, clipped, decayed.
 * const opt = partition(hybridParamLabel, {
 *   mech: adam(1e-2),
 *   nets: chain(clipByGlobalNorm(1), adamw(1e-3, { weightDecay: 1e-4 })),
 *   shooting: adam(1e-2),
 * });
 * ```
 */
export function partition<const R extends Readonly<Record<string, GradientTransformation<unknown>>>>(
  labelOf: LabelOf,
  transforms: R,
): GradientTransformation<PartitionState<R>> {
  const what = 'partition';
  const names = Object.keys(transforms);
  for (const k of names) {
    const t = transforms[k];
    if (t === null || typeof t !== 'object' || typeof t.update !== 'function') {
      throw new TypeError(
        `${what}: transforms.${k} is not a gradient transformation (an object with init and update)`,
      );
    }
  }
  const groups = (labels: readonly string[]): Map<string, number[]> => {
    const m = new Map<string, number[]>(names.map((k) => [k, []]));
    labels.forEach((l, i) => {
      m.get(l)!.push(i);
    });
    return m;
  };
  return {
    init: (params) => {
      const paths = uniquePaths(what, params);
      const leaves = treeLeaves(params);
      const labels = paths.map((path, i) => {
        const label = labelOf(path, leaves[i]);
        if (typeof label !== 'string' || !Object.hasOwn(transforms, label)) {
          throw new RangeError(
            `${what}: labelOf gave ${JSON.stringify(label)} for leaf "${path}", but the transformations are ` +
              `labelled ${names.map((n) => `"${n}"`).join(', ')}; add transforms[${JSON.stringify(label)}] ` +
              'or change labelOf',
          );
        }
        return label;
      });
      const inner: Record<string, unknown> = {};
      for (const [label, idx] of groups(labels))
        inner[label] = transforms[label].init(subRecord(paths, leaves, idx));
      return { labels, inner } as PartitionState<R>;
    },
    update: (grads, state, params, context) => {
      const { g, p } = matchedLeaves(what, grads, params);
      checkStateLeaves(what, state.labels.length, g);
      const paths = leafPaths(params);
      const out: Tensor[] = new Array(g.length);
      const inner: Record<string, unknown> = {};
      const prev = state.inner as Readonly<Record<string, unknown>>;
      for (const [label, idx] of groups(state.labels)) {
        const r = transforms[label].update(
          subRecord(paths, g, idx),
          prev[label],
          subRecord(paths, p, idx),
          context,
        );
        for (const i of idx) out[i] = updateAt(what, r.updates, paths[i], label);
        inner[label] = r.state;
      }
      return {
        updates: treeUnflatten(grads, out),
        state: { labels: state.labels, inner } as PartitionState<R>,
      };
    },
  };
}

/**
 * The group of a `HybridParams` leaf: its top-level key, `"mech"` (mechanistic parameters),
 * `"nets"` (network weights and biases) or `"shooting"` (multiple-shooting initial states).
 * Throws for any other path, naming it.
 *
 * @example
 * ```ts
 * hybridParamLabel('nets.F[0].w'); // 'nets'
 * const opt = partition(hybridParamLabel, { mech: adam(1e-2), nets: adam(1e-3), shooting: adam(1e-2) });
 * ```
 */
export function hybridParamLabel(path: string): 'mech' | 'nets' | 'shooting' {
  const head = /^[^.[]*/.exec(path)?.[0] ?? '';
  if (head === 'mech' || head === 'nets' || head === 'shooting') return head;
  throw new RangeError(
    `hybridParamLabel: leaf "${path}" is not in a HybridParams tree (expected a path under mech, nets or shooting); ` +
      'write your own labelOf for other trees',
  );
}

/** Chooses leaves by their dotted path and value. */
export type LeafPredicate = (path: string, leaf: Tensor) => boolean;

/** State of {@link maskedTransform}: which leaves are selected, and the inner state. */
export interface MaskedState<S> {
  readonly selected: readonly boolean[];
  readonly inner: S;
}

/**
 * Applies `inner` to the leaves where `where(path, leaf)` is true and passes the other leaves'
 * gradients through unchanged (optax's `masked`). The inner transformation sees the selected
 * leaves as a flat record keyed by their paths. The selection is fixed by `init`.
 *
 * @example
 * ```ts
 * // Weight decay on weight matrices only, not on biases or mechanistic parameters:
 * const decayWeights = maskedTransform((path) => path.endsWith('.w'), addDecayedWeights(1e-4));
 * const opt = chain(decayWeights, adam(1e-3));
 * ```
 */
export function maskedTransform<S>(
  where: LeafPredicate,
  inner: GradientTransformation<S>,
): GradientTransformation<MaskedState<S>> {
  const what = 'maskedTransform';
  return {
    init: (params) => {
      const paths = uniquePaths(what, params);
      const leaves = treeLeaves(params);
      const selected = paths.map((path, i) => where(path, leaves[i]) === true);
      const idx = selected.flatMap((s, i) => (s ? [i] : []));
      return { selected, inner: inner.init(subRecord(paths, leaves, idx)) };
    },
    update: (grads, state, params, context) => {
      const { g, p } = matchedLeaves(what, grads, params);
      checkStateLeaves(what, state.selected.length, g);
      const paths = leafPaths(params);
      const idx = state.selected.flatMap((s, i) => (s ? [i] : []));
      const r = inner.update(subRecord(paths, g, idx), state.inner, subRecord(paths, p, idx), context);
      const out = g.slice();
      for (const i of idx) out[i] = updateAt(what, r.updates, paths[i], 'the masked leaves');
      return { updates: treeUnflatten(grads, out), state: { selected: state.selected, inner: r.state } };
    },
  };
}

/**
 * Zero updates for the leaves where `where(path, leaf)` is true; other leaves pass through.
 * Put it *last* in a chain, so that nothing after it (decay, proximal steps) moves the frozen
 * leaves; to also skip their optimizer state use `partition(…, { frozen: setToZero(), … })`.
 *
 * @example
 * ```ts
 * const opt = chain(adam(1e-3), freeze((path) => path === 'mech'));
 * ```
 */
export function freeze(where: LeafPredicate): GradientTransformation<null> {
  const what = 'freeze';
  return {
    init: () => null,
    update: (grads, _state, params) => {
      const { g, p } = matchedLeaves(what, grads, params);
      const paths = leafPaths(params);
      const data = g.map((leaf, i) =>
        where(paths[i], p[i]) === true ? new Float64Array(leaf.size) : leaf.data,
      );
      return { updates: treeFromData(grads, g, data), state: null };
    },
  };
}
