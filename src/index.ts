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
// Datasets: readers, validation, splits, scaling
export {
  type DataFormat,
  type DataSource,
  type Dataset,
  type DatasetDose,
  type DatasetInput,
  type DatasetObservation,
  type DatasetSubject,
  describeDataset,
  subsetDataset,
} from './data/dataset.js';
export { type LongColumnNames, type LongCsvOptions, readLongCsv } from './data/long.js';
export { type NonmemOptions, readNonmem } from './data/nonmem.js';
export { DataError, type DataProblem, type DataProblemKind, formatProblem } from './data/problems.js';
export { detectFormat, guessDelimiter, type ReadDatasetOptions, readDataset } from './data/read.js';
export type { DoseColumnNames, SubjectTableOptions } from './data/rowFields.js';
export {
  applyScaling,
  fitScaling,
  invertScaling,
  type ObservableScaling,
  type Scaling,
  type ScalingMethod,
} from './data/scaling.js';
export { type DataFold, type DataSplit, kFolds, type SplitOptions, splitSubjects } from './data/split.js';
export { DEFAULT_MISSING, type TableOptions } from './data/table.js';
export { type ToSubjectsOptions, type ToSubjectsResult, toSubjects } from './data/toSubjects.js';
export { readWideCsv, type WideColumnNames, type WideCsvOptions } from './data/wide.js';
export { writeLongCsv, writeWideCsv } from './data/write.js';
// Equation discovery (sparse regression)
export { type LassoOptions, lasso } from './discovery/lasso.js';
export {
  type RidgeLeastSquaresOptions,
  type RidgeLeastSquaresResult,
  ridgeLeastSquares,
} from './discovery/leastSquares.js';
export {
  evaluateLibrary,
  type FunctionLibrary,
  type FunctionLibraryOptions,
  functionLibrary,
  type LibraryTerm,
  libraryTerm,
} from './discovery/library.js';
export {
  coefficientName,
  coefficientOf,
  type EquationFormat,
  predictSparse,
  type SparseRegression,
  type SparseTextOptions,
  sparseEquations,
  sparseExpression,
  sparseModelText,
} from './discovery/sparseModel.js';
export { type StlsqOptions, stlsq } from './discovery/stlsq.js';
export {
  type StlsqSweepOptions,
  type StlsqSweepResult,
  type SweepCandidate,
  stlsqSweep,
} from './discovery/sweep.js';
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
  callOutputCount,
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
  staticCalls,
} from './expr/model.js';
// Model language
export { type ParseOptions, parseModel } from './expr/parse.js';
export { exprToLatex, latexName, type NameTable, printExpr, printLatex, printModel } from './expr/print.js';
export { GbxSyntaxError } from './expr/source.js';
export type { Term, TermLike } from './expr/terms.js';
export * as ex from './expr/terms.js';
// Hamiltonian networks
export {
  derivativeLoss,
  type FitDerivativesOptions,
  type FitDerivativesResult,
  fitDerivatives,
} from './hamiltonian/fit.js';
export {
  type BaselineNetwork,
  baselineNetwork,
  type HamiltonianNetwork,
  hamiltonianNetwork,
  type LearnedDynamics,
  type PhaseSpaceNetOptions,
} from './hamiltonian/networks.js';
export {
  type EnergyFunction,
  energyGradient,
  symplecticGradient,
  symplecticMatrix,
} from './hamiltonian/symplectic.js';
export { learnedVectorField } from './hamiltonian/vectorField.js';
export {
  type EstimateOptions,
  type EstimateResult,
  estimatePhysical,
  type MarginalizedOptions,
  type MarginalizedResult,
  type PriorBox,
  trainMarginalized,
} from './hybrid/adaptiveGreyBox.js';
export {
  decodeNumber,
  encodeNumber,
  FITTED_MODEL_FORMAT,
  FITTED_MODEL_VERSION,
  type FittedModel,
  type FittedModelInfo,
  type FittedParameter,
  fittedModel,
  type JsonArray,
  type JsonNumber,
  loadFittedModel,
} from './hybrid/artifact.js';
export { type ClosureTrace, closureTraces } from './hybrid/closure.js';
// Hybrid models: data, losses, training
export {
  type EvaluateOptions,
  type Evaluation,
  HybridModel,
  type HybridModelOptions,
  type HybridParams,
  type Prediction,
  type Sensitivity,
  segmentStarts,
} from './hybrid/hybridModel.js';
export { type DataLoss, dataLossTerms, type LossTerms } from './hybrid/loss.js';
export {
  applyMlp,
  type DenseLayer,
  initMlp,
  mlpInputGradient,
  type NetWeights,
  TensorNetRuntime,
} from './hybrid/netRuntime.js';
export { nullNetsModel } from './hybrid/nullNets.js';
export { type ObjectiveOptions, type ObjectiveValue, objective } from './hybrid/objective.js';
// Hybrid patterns: penalties, baselines from one definition, adaptive grey-box, solver-in-the-loop
export {
  type GroupLassoPenaltyOptions,
  groupLassoPenalty,
  groupWhere,
  l1Penalty,
  l2Penalty,
  type ParamGroup,
  type PenaltyOptions,
} from './hybrid/penalties.js';
export { type PolishOptions, polish } from './hybrid/polish.js';
export { l1Weights, l2Weights, type Regularizer } from './hybrid/regularizers.js';
export { estimationScaleDerivative, fromEstimationScale, toEstimationScale } from './hybrid/scales.js';
export {
  SolverInTheLoop,
  type SolverInTheLoopOptions,
  type TrainUnrolledOptions,
  trainUnrolled,
  type UnrolledEvaluation,
} from './hybrid/solverInTheLoop.js';
export {
  DEFAULT_SOLVER,
  hybridOptions,
  METHODS,
  type MethodName,
  type SolverSpec,
  solverFromSpec,
} from './hybrid/solverSpec.js';
export { checkSubjects, doseTarget, type Subject, type SubjectDose } from './hybrid/subject.js';
export {
  type EpochRecord,
  type Optimizer,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
  type TrainState,
  train,
} from './hybrid/trainer.js';
export { addTrees, type TrajectoryBatch, type TrajectoryRegularizer } from './hybrid/trajectoryBatch.js';
// Trajectory regularizers (APHYNITY-family)
export {
  closureNorm,
  closureRatio,
  independence,
  isTrajectoryRegularizer,
  physicsFit,
  reducedDiscrepancy,
  type TrajectoryRegularizerOptions,
  vectorFieldParts,
} from './hybrid/trajectoryRegularizers.js';
export {
  type Baselines,
  baselines,
  fixParameters,
  type MechanisticOnlyOptions,
  mechanisticOnly,
  neuralOnly,
  type ResidualOptions,
  type VariantNetOptions,
  withResidual,
} from './hybrid/variants.js';
// Latent hybrid models
export { addPredictions, applyEnsemble, ensembleWeights, residualDataset } from './latent/baselines.js';
export {
  type CovidLatentKind,
  type CovidLatentOptions,
  covidLatentModel,
  covidLatentOptions,
  covidLatentSource,
} from './latent/covidLatent.js';
export { LatentDecoder, type LatentDecoderOptions, type LatentDose } from './latent/decoder.js';
export {
  type FitLatentOptions,
  type FitLatentRecord,
  type FitLatentResult,
  fitLatent,
  forecastRmse,
} from './latent/fit.js';
export {
  type LatentDataset,
  LatentModel,
  type LatentModelOptions,
  type LatentParams,
  type LatentPatient,
  type LatentPosterior,
} from './latent/latentModel.js';
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
// Neural-network modules (PyTorch layout)
export {
  ACTIVATIONS,
  type Activation,
  activate,
  affineActivate,
  checkActivation,
} from './nn/activation.js';
export {
  type Conv1dLayer,
  type Conv1dLayerOptions,
  type Conv2dLayer,
  type Conv2dLayerOptions,
  type ConvPaddingMode,
  type ConvParams,
  conv1dLayer,
  conv2dLayer,
} from './nn/conv.js';
export {
  celu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  relu6,
  selu,
  softmax,
  softplusBeta,
  softsign,
  tanhshrink,
} from './nn/functional.js';
export { type Gru, type GruResult, gru } from './nn/gru.js';
export {
  constantInit,
  type FanMode,
  fans,
  type GlorotOptions,
  gain,
  glorotNormal,
  glorotUniform,
  type Initializer,
  type KaimingOptions,
  kaimingNormal,
  kaimingUniform,
  lecunNormal,
  lecunUniform,
  type Nonlinearity,
  normalInit,
  type OrthogonalOptions,
  onesInit,
  orthogonal,
  uniformInit,
  zerosInit,
} from './nn/init.js';
export { type LinearLayer, type LinearLayerOptions, type LinearParams, linearLayer } from './nn/linear.js';
export { type Lstm, type LstmApplyOptions, type LstmResult, lstm } from './nn/lstm.js';
export { type Mlp, type MlpNetOptions, type MlpParams, mlp } from './nn/mlp.js';
export {
  type BatchNorm,
  type BatchNormApplyOptions,
  type BatchNormOptions,
  type BatchNormResult,
  type BatchNormState,
  batchNorm1d,
  batchNorm2d,
  type LayerNorm,
  type LayerNormOptions,
  layerNorm,
  type NormParams,
} from './nn/norm.js';
export type { RecurrentApplyOptions, RecurrentOptions, RecurrentParams } from './nn/recurrent.js';
export {
  type LoadStateDictOptions,
  loadStateDict,
  type StateDict,
  StateDictError,
  type StateDictLike,
  stateDict,
} from './nn/stateDict.js';
export {
  decodeStateDictBinary,
  encodeStateDictBinary,
  STATE_DICT_BINARY_VERSION,
  STATE_DICT_MAGIC,
} from './nn/stateDictBinary.js';
export {
  decodeJsonFloat,
  decodeStateDictJson,
  encodeJsonFloat,
  encodeStateDictJson,
  type JsonFloat,
  type JsonStateDict,
  STATE_DICT_FORMAT,
  STATE_DICT_JSON_VERSION,
  stateDictFromJson,
  stateDictToJson,
} from './nn/stateDictJson.js';
// Network windows and functional activations
export {
  type AvgPoolNdOptions,
  adaptivePoolNd,
  avgPoolNd,
  type ConvNdOptions,
  type ConvTransposeNdOptions,
  convNd,
  convTransposeNd,
  lpPoolNd,
  maxPoolNd,
  type PoolNdOptions,
  patchIndices,
} from './nn/window.js';
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
export { bosh3, bosh3Tableau } from './ode/methods/bosh3.js';
export { dopri5, dopri5Tableau } from './ode/methods/dopri5.js';
export { euler, eulerTableau } from './ode/methods/euler.js';
export { heun, heunTableau } from './ode/methods/heun.js';
export { midpoint, midpointTableau } from './ode/methods/midpoint.js';
export { rk4, rk4Tableau } from './ode/methods/rk4.js';
export { rk38, rk38Tableau } from './ode/methods/rk38.js';
export { tsit5, tsit5Tableau } from './ode/methods/tsit5.js';
export { vern7, vern7Tableau } from './ode/methods/vern7.js';
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
  hermiteInterpolant,
  type Interpolant,
  type InterpolantSpec,
} from './ode/tableau.js';
// Optimizers
export {
  type AdamChainState,
  type AdamOptions,
  type AdamState,
  type AdamWChainState,
  type AdamWOptions,
  adam,
  adamw,
  type ScaleByAdamOptions,
  scaleByAdam,
} from './optim/adam.js';
export {
  type BoxTransform,
  type BoxTransformKind,
  type BoxTransformOptions,
  boxTransform,
} from './optim/boxTransform.js';
export { clipByGlobalNorm, clipByValue, globalNorm } from './optim/clip.js';
export {
  type LbfgsIteration,
  type LbfgsOptions,
  type LbfgsResult,
  type LbfgsStatus,
  lbfgs,
  type Objective,
} from './optim/lbfgs.js';
export { leafPaths } from './optim/leaves.js';
export {
  type LinePoint,
  type LineSearchResult,
  type LineSearchStatus,
  type StrongWolfeOptions,
  strongWolfeLineSearch,
} from './optim/lineSearch.js';
export {
  freeze,
  hybridParamLabel,
  type LabelOf,
  type LeafPredicate,
  type MaskedState,
  maskedTransform,
  type PartitionState,
  partition,
} from './optim/partition.js';
export {
  type GroupLassoState,
  type GroupSpec,
  type LeafSlice,
  type ProximalGroupLassoOptions,
  type ProximalL1Options,
  proximalGroupLasso,
  proximalL1,
} from './optim/proximal.js';
export {
  type RmspropOptions,
  type RmspropState,
  type RmsState,
  rmsprop,
  type ScaleByRmsOptions,
  scaleByRms,
} from './optim/rmsprop.js';
export {
  addDecayedWeights,
  type CountState,
  scale,
  scaleByLearningRate,
  setToZero,
} from './optim/scale.js';
export {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecaySchedule,
  joinSchedules,
  type LearningRate,
  linearSchedule,
  piecewiseConstantSchedule,
  piecewiseLinearSchedule,
  type Schedule,
  stepDecaySchedule,
  warmup,
} from './optim/schedules.js';
export {
  type SgdOptions,
  type SgdState,
  sgd,
  type TraceOptions,
  type TraceState,
  trace,
} from './optim/sgd.js';
export {
  applyUpdates,
  type ChainState,
  chain,
  type GradientTransformation,
  type StateOf,
  type UpdateContext,
  type UpdateResult,
} from './optim/transform.js';
// PEtab SciML import
export { fitPetab, type PetabFitOptions, type PetabFitResult } from './petab/fit.js';
export { type Hdf5Arrays, readHdf5Arrays } from './petab/hdf5.js';
export { FormulaError, lowerExpr, parsePetabFormula } from './petab/lower.js';
export { type FileSource, runMlModelCase } from './petab/mlCase.js';
export { GraphNet, NetImportError, type NetParams, type NetSpec, parseNetYaml } from './petab/net.js';
export { netParamsFromArrays } from './petab/netArrays.js';
export { GraphNetRuntime, type NetBinding } from './petab/netRuntime.js';
export {
  evaluatePetab,
  fromScale,
  noiseTerm,
  nominalPoint,
  type PetabEvaluateOptions,
  type PetabEvaluation,
  type PetabPoint,
  type PetabSolverOptions,
  priorTerm,
  toScale,
} from './petab/objective.js';
export { loadPetabProblem, type PetabProblem } from './petab/problem.js';
export { parseSbml, SbmlError, type SbmlModel } from './petab/sbml.js';
export { sbmlToModel } from './petab/sbmlModel.js';
export { PetabError, parseTsv } from './petab/tables.js';
export { type CaseOutcome, runTestCase, subSource } from './petab/testSuite.js';
// Structure sparsification (HGS)
export {
  blackBoxGraph,
  type FittedForecaster,
  fitLstmBaseline,
  fitMnodeBaseline,
} from './sparsity/baselines.js';
export { type DrawOptions, edgeKey, graphToDot, graphToSvg } from './sparsity/draw.js';
export {
  augmentPathways,
  type CondenseOptions,
  condense,
  contractNodes,
  type EdgeOrigin,
  editGraph,
  type GraphEdits,
  graphFromModel,
  isAcyclicExceptSelfLoops,
  nodesReachingObserved,
  type PathwayPolicy,
  pruneGraph,
  type StructureEdge,
  type StructureGraph,
  type StructureGraphSpec,
  type StructureNode,
  stronglyConnectedComponents,
  structureGraph,
  withoutInputs,
} from './sparsity/graph.js';
export {
  type FoldMap as HgsFoldMap,
  type HgsCv,
  type HgsEdgeRow,
  type HgsFoldInput,
  type HgsFoldOutput,
  type HgsOptions,
  type HgsResult,
  type HgsStateRow,
  type HgsTraining,
  hgs,
  hgsFold,
  hgsGraphs,
  mnodeToModelText,
} from './sparsity/hgs.js';
export { type LstmForecaster, type LstmForecasterParams, lstmForecaster } from './sparsity/lstmForecaster.js';
export {
  checkForecastSet,
  type ForecastSet,
  type ForecastTensors,
  forecastMse,
  forecastTensors,
  type Mnode,
  type MnodeNode,
  type MnodeOptions,
  type MnodeParams,
  mnode,
  networkSquaredNorm,
  subsetForecast,
} from './sparsity/mnode.js';
export {
  activeEdges,
  type Enp,
  mnodeEnp,
  type PrunedMnode,
  pruneMnode,
  restrictParams,
} from './sparsity/prune.js';
export {
  type Forecaster,
  type ForecasterParams,
  mse as forecastPredictionMse,
  type Penalty as MnodePenalty,
  predictMnode,
  type TrainOptions as MnodeTrainOptions,
  type TrainResult as MnodeTrainResult,
  trainMnode,
} from './sparsity/train.js';
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

export { VERSION } from './version.js';
