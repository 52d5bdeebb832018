/** Small tree builders shared by the optim tests. */
import { Tensor } from '../../src/autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { NDArray } from '../../src/tensor/ndarray.js';

/** A tensor from flat values and a shape (default 1-d). */
export function t(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
  return new Tensor(new NDArray(Float64Array.from(values), shape.slice()));
}

/** All leaf values of a tree, flattened in leaf order. */
export function flat(tree: Tree): number[] {
  return treeLeaves(tree).flatMap((leaf) => Array.from(leaf.data));
}

/** A tree shaped like `like` filled with `values` (in leaf order). */
export function fill<T extends Tree>(like: T, values: readonly number[]): T {
  let o = 0;
  return treeUnflatten(
    like,
    treeLeaves(like).map((leaf) => {
      const v = values.slice(o, o + leaf.size);
      o += leaf.size;
      return t(v, leaf.shape);
    }),
  );
}

/** p + u, leaf by leaf. */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  const u = flat(updates);
  return fill(
    params,
    flat(params).map((v, i) => v + u[i]),
  );
}

/** A deep copy of every leaf buffer, to check later that nothing was mutated. */
export function snapshot(x: unknown): unknown {
  if (x instanceof Tensor) return { shape: x.shape.slice(), data: Array.from(x.data) };
  if (x instanceof Float64Array) return Array.from(x);
  if (Array.isArray(x)) return x.map(snapshot);
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, snapshot(v)]));
  }
  return x;
}
