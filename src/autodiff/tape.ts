/**
 * Recording: the only mutable state of the autodiff.
 *
 * An operation records a node when (1) some gradient transformation is tracing — its
 * forward pass, or an inner transformation's backward pass nested inside it — and (2) at
 * least one input is itself traced. The outermost backward pass records nothing, so
 * first-order gradients build no second graph; nested transformations record their
 * backward passes, which is what makes gradients differentiable.
 */
import type { NDArray } from '../tensor/ndarray.js';
import { Primitive, type PrimitiveParams } from './primitive.js';
import { type TapeNode, Tensor } from './tensor.js';

let nextId = 0;
let tracing = 0;

/** True while some gradient transformation is tracing. */
export function isTracing(): boolean {
  return tracing > 0;
}

/**
 * Runs `fn` with tracing switched on (`on = true`) or off; restores the state afterwards,
 * also on a throw.
 */
export function withTracing<T>(on: boolean, fn: () => T): T {
  const saved = tracing;
  tracing = on ? saved + 1 : 0;
  try {
    return fn();
  } finally {
    tracing = saved;
  }
}

/** Wraps a kernel result, recording the node when tracing and some input is traced. */
export function record<P extends Primitive>(
  prim: P,
  inputs: readonly Tensor[],
  params: PrimitiveParams[P],
  value: NDArray,
): Tensor {
  if (tracing > 0) {
    for (let i = 0; i < inputs.length; i++) {
      if (inputs[i].node !== null) {
        const node: TapeNode<P> = { id: nextId++, prim, inputs, params };
        return new Tensor(value, node);
      }
    }
  }
  return new Tensor(value, null);
}

/**
 * A fresh traced leaf standing for `x`: an identity node on `x`, so that a transformation
 * can stop its backward walk here while an enclosing transformation walks on through.
 */
export function leaf(x: Tensor): Tensor {
  const node: TapeNode<Primitive.Identity> = {
    id: nextId++,
    prim: Primitive.Identity,
    inputs: [x],
    params: {},
  };
  return new Tensor(x.value, node);
}
