/**
 * Parameter trees: nested objects and arrays whose leaves are tensors. Gradient
 * transformations take and return trees of the same structure.
 */
import { Tensor } from './tensor.js';

/** A tensor, or an array or plain object of trees. */
export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

/**
 * The leaves of a tree in a fixed order (arrays by index, objects by insertion order of keys).
 *
 * @example
 * ```ts
 * treeLeaves({ w: tensor([1]), b: [tensor([2])] }).length; // 2
 * ```
 */
export function treeLeaves(tree: Tree): Tensor[] {
  const out: Tensor[] = [];
  const walk = (t: Tree, path: string): void => {
    if (t instanceof Tensor) out.push(t);
    else if (Array.isArray(t)) {
      for (let i = 0; i < t.length; i++) walk(t[i], `${path}[${i}]`);
    } else if (t !== null && typeof t === 'object') {
      for (const k of Object.keys(t)) walk((t as { readonly [key: string]: Tree })[k], `${path}.${k}`);
    } else {
      throw new TypeError(
        `tree: ${path || 'the argument'} is ${String(t)}, not a Tensor, array or object of Tensors`,
      );
    }
  };
  walk(tree, '');
  return out;
}

/**
 * Rebuilds a tree of the same structure as `tree` with the given leaves (in
 * {@link treeLeaves} order).
 */
export function treeUnflatten<T extends Tree>(tree: T, leaves: readonly Tensor[]): T {
  let k = 0;
  const build = (t: Tree): Tree => {
    if (t instanceof Tensor) return leaves[k++];
    if (Array.isArray(t)) return t.map((c: Tree) => build(c));
    const o: { [key: string]: Tree } = {};
    const obj = t as { readonly [key: string]: Tree };
    for (const key of Object.keys(obj)) o[key] = build(obj[key]);
    return o;
  };
  const out = build(tree);
  if (k !== leaves.length)
    throw new RangeError(`treeUnflatten: ${leaves.length} leaves for a tree with ${k}`);
  return out as T;
}

/**
 * Applies `fn` to every leaf, keeping the structure.
 *
 * @example
 * ```ts
 * treeMap({ a: tensor([1]) }, (x) => mul(x, 2)); // { a: tensor([2]) }
 * ```
 */
export function treeMap<T extends Tree>(tree: T, fn: (leaf: Tensor, index: number) => Tensor): T {
  return treeUnflatten(tree, treeLeaves(tree).map(fn));
}
