/**
 * Gradient transformations: `vjp`, `grad`, `valueAndGrad`, `jvp`, `hvp`, plus
 * `stopGradient` and user-defined VJPs.
 */
import { NDArray } from '../tensor/ndarray.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { backward } from './backward.js';
import { add, mul } from './ops/binary.js';
import { sum } from './ops/reduce.js';
import { Primitive } from './primitive.js';
import { leaf, record, withTracing } from './tape.js';
import { Tensor } from './tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from './tree.js';

/**
 * The output of `f` at `primals` and a function that maps an output cotangent ȳ to the
 * cotangent of the primals, x̄ = (∂f/∂x)ᵀ ȳ, as a tree shaped like `primals` (zeros where
 * the output does not depend on a leaf).
 *
 * Calling the returned function inside another transformation records it, so vector–Jacobian
 * products are themselves differentiable.
 *
 * @example
 * ```ts
 * const [y, pullback] = vjp((x) => mul(x, x), tensor([3]));
 * y.item();                     // 9
 * pullback(tensor([1])).item(); // 6
 * ```
 */
export function vjp<T extends Tree>(f: (x: T) => Tensor, primals: T): [Tensor, (cotangent: Tensor) => T] {
  const inputs = treeLeaves(primals);
  const leaves = inputs.map(leaf);
  const output = withTracing(true, () => f(treeUnflatten(primals, leaves)));
  if (!(output instanceof Tensor)) throw new TypeError('vjp: the function must return a Tensor');
  const pullback = (cotangent: Tensor): T => {
    if (!shapesEqual(cotangent.shape, output.shape)) {
      throw new RangeError(
        `vjp: cotangent of shape ${formatShape(cotangent.shape)} for an output of shape ${formatShape(output.shape)}`,
      );
    }
    const grads = backward(output, cotangent, leaves);
    return treeUnflatten(
      primals,
      grads.map((g, i) => g ?? new Tensor(NDArray.zeros(inputs[i].shape))),
    );
  };
  return [output, pullback];
}

/**
 * The value of a scalar-valued `f` and its gradient with respect to the first argument (a
 * tree of tensors); extra arguments are passed through as constants.
 *
 * @example
 * ```ts
 * const f = (p: { w: Tensor }) => sum(square(p.w));
 * const [value, g] = valueAndGrad(f)({ w: tensor([1, 2]) });
 * value.item();     // 5
 * g.w.toArray();    // [2, 4]
 * ```
 */
export function valueAndGrad<T extends Tree, A extends unknown[]>(
  f: (x: T, ...rest: A) => Tensor,
): (x: T, ...rest: A) => [Tensor, T] {
  return (x: T, ...rest: A): [Tensor, T] => {
    const [y, pullback] = vjp((p: T) => f(p, ...rest), x);
    if (y.size !== 1) {
      throw new RangeError(
        `grad: the function must return a single value (any shape of size 1), got shape ${formatShape(y.shape)}; ` +
          'reduce it (e.g. with sum or mean) or use vjp',
      );
    }
    return [y, pullback(new Tensor(NDArray.full(y.shape, 1)))];
  };
}

/**
 * The gradient of a scalar-valued `f` with respect to its first argument (a tree of
 * tensors), as a tree of the same structure. Gradients are differentiable: `grad(grad(f))`
 * gives second derivatives.
 *
 * @example
 * ```ts
 * const df = grad((x: Tensor) => sum(mul(x, mul(x, x))));   // 3x²
 * df(tensor([2])).item();                                   // 12
 * grad((x: Tensor) => sum(df(x)))(tensor([2])).item();       // 6x = 12
 * ```
 */
export function grad<T extends Tree, A extends unknown[]>(
  f: (x: T, ...rest: A) => Tensor,
): (x: T, ...rest: A) => T {
  const vg = valueAndGrad(f);
  return (x: T, ...rest: A): T => vg(x, ...rest)[1];
}

/**
 * Forward mode: the output of `f` at `primals` and the directional derivative
 * J·v = (∂f/∂x)·`tangents`, where `tangents` has the structure of `primals`.
 *
 * Computed by the double-VJP construction: u ↦ (∂f/∂x)ᵀu is linear in u, and its VJP with
 * cotangent v is J·v. It costs about three evaluations of f.
 *
 * @example
 * ```ts
 * const [y, dy] = jvp((x) => mul(x, x), tensor([3]), tensor([1]));
 * dy.item(); // 6
 * ```
 */
export function jvp<T extends Tree>(f: (x: T) => Tensor, primals: T, tangents: T): [Tensor, Tensor] {
  const inputs = treeLeaves(primals);
  const dirs = treeLeaves(tangents);
  if (dirs.length !== inputs.length) {
    throw new RangeError(`jvp: tangents have ${dirs.length} leaves, primals ${inputs.length}`);
  }
  dirs.forEach((d, i) => {
    if (!shapesEqual(d.shape, inputs[i].shape)) {
      throw new RangeError(
        `jvp: tangent ${i} has shape ${formatShape(d.shape)}, its primal ${formatShape(inputs[i].shape)}`,
      );
    }
  });
  const leaves = inputs.map(leaf);
  const { output, u, inner } = withTracing(true, () => {
    const y = f(treeUnflatten(primals, leaves));
    // A traced stand-in for the output cotangent; x̄(u) = (∂f/∂x)ᵀu is linear in u.
    const dummy = leaf(new Tensor(NDArray.zeros(y.shape)));
    const xbar = backward(y, dummy, leaves);
    let s: Tensor = new Tensor(NDArray.scalar(0));
    xbar.forEach((g, i) => {
      if (g !== null) s = add(s, sum(mul(g, dirs[i])));
    });
    return { output: y, u: dummy, inner: s };
  });
  // ∂⟨x̄(u), v⟩/∂u = J·v
  const [tangentOut] = backward(inner, new Tensor(NDArray.scalar(1)), [u]);
  return [output, tangentOut ?? new Tensor(NDArray.zeros(output.shape))];
}

/**
 * Hessian–vector product H·v of a scalar-valued `f`, as reverse-over-reverse:
 * H·v = ∇ₓ⟨∇f(x), v⟩ (one gradient of a gradient; about four evaluations of f).
 *
 * @example
 * ```ts
 * const f = (x: Tensor) => sum(mul(x, mul(x, x)));          // Σ x³, H = diag(6x)
 * hvp(f, tensor([1, 2]), tensor([1, 1])).toArray();         // [6, 12]
 * ```
 */
export function hvp<T extends Tree>(f: (x: T) => Tensor, primals: T, v: T): T {
  const g = grad(f);
  const dirs = treeLeaves(v);
  // H·v = ∂/∂x ⟨∇f(x), v⟩
  return grad((x: T) => {
    const gx = treeLeaves(g(x));
    let s: Tensor | null = null;
    gx.forEach((gi, i) => {
      const term = sum(mul(gi, dirs[i]));
      s = s === null ? term : add(s, term);
    });
    return s ?? new Tensor(NDArray.scalar(0));
  })(primals);
}

/**
 * The same value with no gradient: derivatives through it are zero.
 *
 * @example
 * ```ts
 * grad((x: Tensor) => sum(mul(x, stopGradient(x))))(tensor([3])).item(); // 3, not 6
 * ```
 */
export function stopGradient(x: Tensor): Tensor {
  return new Tensor(x.value);
}

/**
 * Wraps a function with a hand-written VJP. `forward` computes the output (its own
 * operations are not recorded); `vjpRule(g, out, inputs)` returns the input cotangents
 * (null for zero). If `vjpRule` uses differentiable operations, second derivatives through
 * it work too.
 *
 * @example
 * ```ts
 * // log(1 + eˣ) with its derivative σ(x) supplied by hand
 * const softplus2 = customVjp(
 *   'softplus2',
 *   ([x]) => log1p(exp(x[0])),
 *   (g, _out, [x]) => [mul(g, sigmoid(x))],
 * );
 * grad((x: Tensor) => sum(softplus2(x)))(tensor([0])).item(); // 0.5
 * ```
 */
export function customVjp(
  name: string,
  forward: (inputs: readonly Tensor[]) => Tensor,
  vjpRule: (g: Tensor, out: Tensor, inputs: readonly Tensor[]) => readonly (Tensor | null)[],
): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]): Tensor => {
    const value = withTracing(false, () => forward(inputs.map((x) => new Tensor(x.value)))).value;
    const checked = (g: Tensor, out: Tensor, xs: readonly Tensor[]): readonly (Tensor | null)[] => {
      const grads = vjpRule(g, out, xs);
      if (grads.length !== xs.length) {
        throw new RangeError(
          `customVjp ${name}: the rule returned ${grads.length} cotangents for ${xs.length} inputs`,
        );
      }
      return grads;
    };
    return record(Primitive.Custom, inputs, { name, vjp: checked }, value);
  };
}
