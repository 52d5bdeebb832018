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

// Model compiler (the IR, derivatives, generated code, dependency graph)
export { Expr, ExprFactory, Op, evaluate, topologicalOrder } from './expr/ir.js';
export {
  Model,
  ModelError,
  type ModelParts,
  type ParamDecl,
  type ParamScale,
  type StateDecl,
  type InputDecl,
  type Interpolation,
  type CovariateDecl,
  type DerivedDecl,
  type MlpArchitecture,
  type NetDecl,
  type NetCall,
  type NoiseModel,
  type ObservableDecl,
  type DoseDecl,
  type SourceLocation,
} from './expr/model.js';
export { differentiate, jacobianExprs } from './expr/derivative.js';
export { type CompiledModel, type CompileOptions, type NetRuntime, compileModel } from './expr/compile.js';
export { type DependencyEdge, type DependencyGraph, additiveTerms, dependencyGraph } from './expr/graph.js';
export { type DenseLayer, type NetWeights, TensorNetRuntime, applyMlp, initMlp } from './hybrid/netRuntime.js';
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

// Model language
export { type ParseOptions, parseModel } from './expr/parse.js';
export { GbxSyntaxError } from './expr/source.js';
export {
  type CovariateRef,
  type DerivedRef,
  type InputOptions,
  type InputRef,
  type MlpOptions,
  ModelBuilder,
  NetRef,
  type ObserveOptions,
  type ParamOptions,
  type ParamRef,
  type StateRef,
  type SymbolRef,
} from './expr/builder.js';
export { exprToLatex, latexName, type NameTable, printExpr, printLatex, printModel } from './expr/print.js';
export * as ex from './expr/terms.js';
export type { Term, TermLike } from './expr/terms.js';

// Model zoo
export {
  covidDexamethasoneModel,
  covidDexamethasoneSource,
  fitzhughNagumoModel,
  fitzhughNagumoSource,
  lotkaVolterraModel,
  lotkaVolterraSource,
  pendulumModel,
  pendulumSource,
  pkOneCompartmentModel,
  pkOneCompartmentSource,
  pkTwoCompartmentModel,
  pkTwoCompartmentSource,
  sirModel,
  sirSource,
  type UvaParamName,
  type UvaPatient,
  type UvaPatientName,
  type UvaPatientValues,
  type UvaState,
  uvaDefaultPatient,
  uvaPadovaModel,
  uvaPadovaPatientValues,
  uvaPadovaSource,
  uvaPatient,
  uvaPatientParamNames,
  uvaPatients,
  uvaStateOrder,
  type ZooEntry,
  type ZooName,
  zoo,
} from './models/index.js';
