/**
 * The baselines of HGS, trained through the same code: the dense MNODE (the model's merged graph,
 * no sparsity), elastic net and group lasso on the node networks' first layers of the same
 * augmented graph that HGS starts from, a domain-knowledge reduced graph, a black-box neural ODE
 * (one network over all latent states and inputs) and an encoder–decoder LSTM forecaster.
 */
import { treeLeaves } from '../autodiff/tree.js';
import { rngKey } from '../tensor/random.js';
import type { StructureGraph } from './graph.js';
import { lstmForecaster } from './lstmForecaster.js';
import { type ForecastSet, type MnodeOptions, mnode } from './mnode.js';
import { type Enp, mnodeEnp, pruneMnode } from './prune.js';
import { type Penalty, predictMnode, type TrainOptions, trainMnode } from './train.js';

/** A trained forecaster, ready to predict. */
export interface FittedForecaster {
  readonly name: string;
  /** Forecasts [n, horizon, nObs] row-major. */
  predict(data: ForecastSet): Float64Array;
  readonly enp: Enp;
  /** The graph the forecaster ended with (MNODEs only). */
  readonly graph: StructureGraph | null;
}

/**
 * The black-box neural ODE's graph: one node holding every state of `graph`, fed by itself and
 * every input.
 *
 * @example
 * ```ts
 * blackBoxGraph(g).nodes[0].members.length; // every state
 * ```
 */
export function blackBoxGraph(graph: StructureGraph): StructureGraph {
  const members = graph.nodes.flatMap((n) => n.members);
  return {
    nodes: [{ name: 'latent', members }],
    inputs: graph.inputs,
    edges: [
      { from: 'latent', to: 'latent', kind: 'state', origin: 'model' },
      ...graph.inputs.map((u) => ({
        from: u,
        to: 'latent',
        kind: 'input' as const,
        origin: 'model' as const,
      })),
    ],
    observed: ['latent'],
  };
}

/**
 * Trains an MNODE on `graph` with a penalty (none for the dense and reduced baselines) and
 * returns it pruned to the edges it still uses.
 *
 * @example
 * ```ts
 * const dense = fitMnodeBaseline('dense', condensed, train, { penalty: { kind: 'none' } });
 * ```
 */
export function fitMnodeBaseline(
  name: string,
  graph: StructureGraph,
  data: ForecastSet,
  options: {
    readonly mnode?: MnodeOptions;
    readonly train?: TrainOptions;
    readonly penalty?: Penalty;
    readonly seed?: number;
  },
): FittedForecaster {
  const penalty = options.penalty ?? { kind: 'none' };
  const model = mnode(graph, data.observed, {
    ...options.mnode,
    edgeWeights: penalty.kind === 'edgeL1' || (options.mnode?.edgeWeights ?? false),
  });
  const { params } = trainMnode(model, model.init(rngKey(options.seed ?? 0)), data, {
    ...options.train,
    penalty,
  });
  const pruned = pruneMnode(model, params);
  return {
    name,
    predict: (set) => predictMnode(model, params, set),
    enp: mnodeEnp(model, params),
    graph: pruned.graph,
  };
}

/**
 * Trains the encoder–decoder LSTM forecaster.
 *
 * @example
 * ```ts
 * const lstm = fitLstmBaseline(train, { hidden: 32, train: { epochs: 40 } });
 * ```
 */
export function fitLstmBaseline(
  data: ForecastSet,
  options: { readonly hidden?: number; readonly train?: TrainOptions; readonly seed?: number } = {},
): FittedForecaster {
  const model = lstmForecaster(data.observed.length, data.inputs.length, { hidden: options.hidden ?? 32 });
  const { params } = trainMnode(model, model.init(rngKey(options.seed ?? 0)), data, {
    ...options.train,
    penalty: { kind: 'none' },
  });
  let n = 0;
  for (const t of treeLeaves(params)) for (let i = 0; i < t.size; i++) if (t.data[i] !== 0) n++;
  return {
    name: 'lstm',
    predict: (set) => predictMnode(model, params, set),
    enp: { dynamics: n, encoder: 0, total: n },
    graph: null,
  };
}
