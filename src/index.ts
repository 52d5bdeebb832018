/**
 * greybox — learn hybrid models: mechanistic differential equations plus neural networks,
 * trained end to end through differentiable simulation, in float64.
 *
 * This file is the public API: every export is listed by name.
 */

export {
  add,
  asTensor,
  div,
  eq,
  ge,
  gt,
  le,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  pow,
  sub,
  type TensorLike,
  where,
} from './autodiff/ops/binary.js';
export { type Conv1dOptions, type Conv2dOptions, conv1d, conv2d } from './autodiff/ops/conv.js';
export {
  broadcastTo,
  concat,
  expandDims,
  gather,
  pad,
  permute,
  reshape,
  type SliceSpec,
  scatterAdd,
  slice,
  squeeze,
  stack,
  sumTo,
  transpose,
} from './autodiff/ops/layout.js';
export { linear, type MatmulOptions, matmul } from './autodiff/ops/linalg.js';
export { type Axes, logsumexp, max, mean, min, norm, sum } from './autodiff/ops/reduce.js';
export {
  abs,
  cos,
  elu,
  erf,
  exp,
  expm1,
  gelu,
  log,
  log1p,
  neg,
  reciprocal,
  relu,
  sigmoid,
  sign,
  silu,
  sin,
  softplus,
  sqrt,
  square,
  tan,
  tanh,
} from './autodiff/ops/unary.js';
export { Primitive } from './autodiff/primitive.js';
// Differentiable tensors and operations
export { arange, full, linspace, ones, scalar, Tensor, tensor, zeros } from './autodiff/tensor.js';
// Gradient transformations
export { customVjp, grad, hvp, jvp, stopGradient, valueAndGrad, vjp } from './autodiff/transforms.js';
export { type Tree, treeLeaves, treeMap, treeUnflatten } from './autodiff/tree.js';
export type { PadMode } from './tensor/layout.js';
// Tensors: values, shapes and non-differentiable kernels
export { fromNested, NDArray, type NestedNumbers } from './tensor/ndarray.js';
export {
  bernoulli,
  exponential,
  foldIn,
  normal,
  permutation,
  Rng,
  type RngKey,
  randint,
  rngKey,
  splitKey,
  uniform,
} from './tensor/random.js';
export { broadcastShapes, type Shape, sizeOf } from './tensor/shape.js';
