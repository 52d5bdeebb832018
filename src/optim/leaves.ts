/**
 * Leaf bookkeeping shared by the gradient transformations: dotted leaf paths, the leaves'
 * buffers, and rebuilding an updates tree from fresh buffers.
 */
import { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { NDArray } from '../tensor/ndarray.js';

/**
 * The dotted path of every leaf, in {@link treeLeaves} order: object keys joined by `.`,
 * array indices in brackets. For a `HybridParams` tree the paths read `"mech"`,
 * `"nets.F[0].w"`, `"nets.F[0].b"`, `"shooting.s1"`; a tensor at the root has path `""`.
 * Partitions, masks and proximal groups name leaves by these paths.
 *
 * @example
 * ```ts
 * leafPaths({ mech: tensor([1, 2]), nets: { F: [{ w: tensor([[1]]), b: tensor([0]) }] } });
 * // ['mech', 'nets.F[0].w', 'nets.F[0].b']
 * ```
 */
export function leafPaths(tree: Tree): string[] {
  const out: string[] = [];
  const walk = (t: Tree, path: string): void => {
    if (t instanceof Tensor) out.push(path);
    else if (Array.isArray(t)) {
      for (let i = 0; i < t.length; i++) walk(t[i], `${path}[${i}]`);
    } else if (t !== null && typeof t === 'object') {
      const obj = t as { readonly [key: string]: Tree };
      for (const k of Object.keys(obj)) walk(obj[k], path === '' ? k : `${path}.${k}`);
    } else {
      throw new TypeError(
        `leafPaths: ${path || 'the argument'} is ${String(t)}, not a Tensor, array or object of Tensors`,
      );
    }
  };
  walk(tree, '');
  return out;
}

/**
 * The leaves of `grads`, checked against those of `params` (same count and sizes), so that a
 * transformation handed a mismatched pair fails with the leaf that differs.
 */
export function matchedLeaves(
  what: string,
  grads: Tree,
  params: Tree,
  role: 'gradient' | 'update' = 'gradient',
): { g: Tensor[]; p: Tensor[] } {
  const g = treeLeaves(grads);
  const p = treeLeaves(params);
  if (g.length !== p.length) {
    throw new RangeError(
      `${what}: the ${role} tree has ${g.length} leaves but the parameter tree has ${p.length}; ` +
        `pass ${role}s shaped like the parameters`,
    );
  }
  for (let i = 0; i < g.length; i++) {
    if (g[i].size !== p[i].size) {
      const path = leafPaths(params)[i];
      throw new RangeError(
        `${what}: leaf "${path}" has ${g[i].size} ${role} values for ${p[i].size} parameters`,
      );
    }
  }
  return { g, p };
}

/**
 * Checks that a state made by `init` fits the leaves given to `update`: as many leaves, and,
 * when the state's per-leaf buffers are given, buffers of the leaves' sizes.
 */
export function checkStateLeaves(
  what: string,
  state: number | readonly Float64Array[],
  leaves: readonly Tensor[],
): void {
  const fail = (detail: string): never => {
    throw new RangeError(
      `${what}: the state was made by init for ${detail}; call init again on the parameter tree you update`,
    );
  };
  const count = typeof state === 'number' ? state : state.length;
  if (count !== leaves.length) fail(`${count} leaves but update got ${leaves.length}`);
  if (typeof state === 'number') return;
  state.forEach((buffer, i) => {
    if (buffer.length !== leaves[i].size) {
      fail(`leaf ${i} with ${buffer.length} values but update got ${leaves[i].size}`);
    }
  });
}

/** A tree shaped like `template` whose leaves wrap `data` (handed over, not copied). */
export function treeFromData<T extends Tree>(
  template: T,
  leaves: readonly Tensor[],
  data: Float64Array[],
): T {
  return treeUnflatten(
    template,
    leaves.map((leaf, i) => new Tensor(new NDArray(data[i], leaf.shape))),
  );
}

/** A fresh zero buffer per leaf. */
export function zerosLike(leaves: readonly Tensor[]): Float64Array[] {
  return leaves.map((leaf) => new Float64Array(leaf.size));
}
