/**
 * Finite-difference helpers over HybridParams trees for the hybrid-pattern tests: random
 * directions, x + s·d, ⟨a, b⟩, and a directional check of a gradient against Richardson
 * central differences.
 */
import { expect } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { richardson, testRng } from '../support/fd.js';

/** A random direction with entries in [−½, ½) on every leaf. */
export function direction<T extends Tree>(params: T, seed: number): T {
  const rng = testRng(seed);
  return treeUnflatten(
    params,
    treeLeaves(params).map(
      (t) =>
        new Tensor(
          new NDArray(
            Float64Array.from(t.data, () => rng() - 0.5),
            t.shape,
          ),
        ),
    ),
  );
}

/** x + s·d leaf by leaf. */
export function axpyTree<T extends Tree>(x: T, s: number, d: T): T {
  const dl = treeLeaves(d);
  return treeUnflatten(
    x,
    treeLeaves(x).map(
      (t, i) =>
        new Tensor(
          new NDArray(
            t.data.map((v, j) => v + s * dl[i].data[j]),
            t.shape,
          ),
        ),
    ),
  );
}

/** ⟨a, b⟩ over every leaf. */
export function dotTree(a: Tree, b: Tree): number {
  const bl = treeLeaves(b);
  return treeLeaves(a).reduce((s, t, i) => s + t.data.reduce((u, v, j) => u + v * bl[i].data[j], 0), 0);
}

/**
 * Checks ⟨∇f, d⟩ against the Richardson central difference of f along random directions d;
 * `f` returns the value, `g` the gradient at a point.
 */
export function expectDirectionalFd<T extends Tree>(
  f: (x: T) => number,
  grad: T,
  x: T,
  seeds: readonly number[],
  tol: number,
  h = 1e-4,
): void {
  for (const seed of seeds) {
    const d = direction(x, seed);
    const fd = richardson((s) => f(axpyTree(x, s, d)), h);
    const an = dotTree(grad, d);
    expect(Math.abs(an - fd)).toBeLessThanOrEqual(tol * Math.max(Math.abs(fd), 1e-8));
  }
}
