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
export { type CompiledModel, type CompileOptions, compileModel, type NetRuntime } from './expr/compile.js';
export { differentiate, jacobianExprs } from './expr/derivative.js';
export { additiveTerms, type DependencyEdge, type DependencyGraph, dependencyGraph } from './expr/graph.js';
// Model compiler (the IR, derivatives, generated code, dependency graph)
export { Expr, ExprFactory, evaluate, Op, topologicalOrder } from './expr/ir.js';
export {
  type CovariateDecl,
  type DerivedDecl,
  type DoseDecl,
  type InputDecl,
  type Interpolation,
  type MlpArchitecture,
  Model,
  ModelError,
  type ModelParts,
  type NetCall,
  type NetDecl,
  type NoiseModel,
  type ObservableDecl,
  type ParamDecl,
  type ParamScale,
  type SourceLocation,
  type StateDecl,
} from './expr/model.js';
// Model language
export { type ParseOptions, parseModel } from './expr/parse.js';
export { exprToLatex, latexName, type NameTable, printExpr, printLatex, printModel } from './expr/print.js';
export { GbxSyntaxError } from './expr/source.js';
export type { Term, TermLike } from './expr/terms.js';
export * as ex from './expr/terms.js';
export {
  applyMlp,
  type DenseLayer,
  initMlp,
  type NetWeights,
  TensorNetRuntime,
} from './hybrid/netRuntime.js';
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
export { type AdjointGradients, discreteAdjoint } from './ode/adjoint.js';
export {
  type ContinuousAdjointOptions,
  type ContinuousAdjointVariant,
  continuousAdjoint,
} from './ode/continuousAdjoint.js';
export {
  type ConstantStepController,
  type Controller,
  constantSteps,
  type PidController,
  type PidOptions,
  pid,
} from './ode/controller.js';
export { type EsdirkOptions, kvaerno5 } from './ode/esdirk.js';
export { type ExplicitRungeKutta, explicitRungeKutta } from './ode/explicitRk.js';

// ODE solvers
export type { VectorField } from './ode/field.js';
export {
  type ForwardSensitivities,
  forwardSensitivities,
  type SensitivityDirection,
  type SensitivityDirections,
} from './ode/forward.js';
export type { ExplicitCoefficients, Method, StepCounters, Stepper } from './ode/method.js';
export { bosh3 } from './ode/methods/bosh3.js';
export { dopri5 } from './ode/methods/dopri5.js';
export { euler } from './ode/methods/euler.js';
export { heun } from './ode/methods/heun.js';
export { midpoint } from './ode/methods/midpoint.js';
export { rk4 } from './ode/methods/rk4.js';
export { tsit5 } from './ode/methods/tsit5.js';
export { vern7 } from './ode/methods/vern7.js';
export {
  type InputFunction,
  type InputSeries,
  inputSeries,
  type ModelFieldOptions,
  modelField,
} from './ode/modelField.js';
export { type RosenbrockOptions, rodas4, rodas5p } from './ode/rosenbrock.js';
export {
  DenseSolution,
  type Dose,
  type EventRecord,
  type EventSpec,
  type SaveAt,
  type Solution,
  SolveError,
  type SolveFailure,
  type SolveOptions,
  type StepRecord,
  saveAt,
  solve,
  type TrajectoryStatus,
} from './ode/solve.js';
export {
  ButcherTableau,
  type ButcherTableauSpec,
  type ExtraStage,
  type Interpolant,
  type InterpolantSpec,
} from './ode/tableau.js';
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
