/**
 * MNODE, the mechanistic neural ODE of HGS (Zou & Tian, arXiv 2505.18996): the model's structure
 * graph with one small network per node. Node v (a state, or a super-node of merged states)
 * evolves by
 *
 *     ds_v/dt = NN_v( w_{u₁v}·s_{u₁}, …, w_{u_kv}·s_{u_k} ),
 *
 * where u₁…u_k are v's parents in the graph (states and exogenous inputs, a self-loop included)
 * and w_uv is one learnable weight per edge (it scales all of a super-node's components).
 * A zero weight removes the edge exactly. The rollout is forward Euler on the sample grid
 * (`substeps` Euler steps of length dt/substeps per sample interval, or classical RK4 with
 * `method: 'rk4'`; inputs held constant over
 * each interval). An LSTM encoder reads the history (observed values and inputs) and gives the
 * initial latent state of every node; an observed state starts at its last observed value plus
 * the encoder's correction. The decoder reads the observed states as the observations.
 *
 * Gradients come from the library's reverse-mode autodiff (each step is a few whole-batch
 * tensor operations per node).
 */
import { add, mul, sub } from '../autodiff/ops/binary.js';
import { concat, gather, reshape, slice } from '../autodiff/ops/layout.js';
import { linear } from '../autodiff/ops/linalg.js';
import { mean, sum } from '../autodiff/ops/reduce.js';
import { square } from '../autodiff/ops/unary.js';
import { Tensor, tensor } from '../autodiff/tensor.js';
import type { Activation } from '../nn/activation.js';
import { type Lstm, lstm } from '../nn/lstm.js';
import { type Mlp, type MlpParams, mlp } from '../nn/mlp.js';
import type { RecurrentParams } from '../nn/recurrent.js';
import { type RngKey, splitKey, uniform } from '../tensor/random.js';
import type { StructureEdge, StructureGraph } from './graph.js';

/**
 * Forecasting windows, laid out flat so they cross threads by structured clone. Window i has a
 * history of `historyLength` samples (observations then inputs, row-major
 * [n, historyLength, observed.length + inputs.length]), the inputs over the `horizon` forecast
 * intervals ([n, horizon, inputs.length]: row k holds the inputs from forecast time k to k + 1)
 * and the targets at forecast times 1…horizon ([n, horizon, observed.length]).
 */
export interface ForecastSet {
  /** Names of the observed states (original state names of the model), in column order. */
  readonly observed: readonly string[];
  /** Names of the exogenous inputs, in column order. */
  readonly inputs: readonly string[];
  readonly n: number;
  readonly historyLength: number;
  readonly horizon: number;
  readonly history: Float64Array;
  readonly future: Float64Array;
  readonly target: Float64Array;
}

/**
 * Checks a {@link ForecastSet}'s sizes and values.
 *
 * @example
 * ```ts
 * checkForecastSet(set, 'hgs'); // throws with the field that is wrong
 * ```
 */
export function checkForecastSet(set: ForecastSet, where: string): void {
  const nObs = set.observed.length;
  const nIn = set.inputs.length;
  const want: [string, Float64Array, number][] = [
    ['history', set.history, set.n * set.historyLength * (nObs + nIn)],
    ['future', set.future, set.n * set.horizon * nIn],
    ['target', set.target, set.n * set.horizon * nObs],
  ];
  if (nObs === 0) throw new Error(`${where}: the forecast set names no observed state`);
  if (!(set.n >= 1 && set.historyLength >= 1 && set.horizon >= 1)) {
    throw new Error(
      `${where}: the forecast set needs n, historyLength and horizon ≥ 1 (got ${set.n}, ${set.historyLength}, ${set.horizon})`,
    );
  }
  for (const [name, data, len] of want) {
    if (!(data instanceof Float64Array) || data.length !== len) {
      throw new Error(
        `${where}: forecast set field ${name} must be a Float64Array of length ${len}, got ${data?.length}`,
      );
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new Error(`${where}: forecast set field ${name} has a non-finite value at index ${i}`);
    }
  }
}

/**
 * The windows `indices` of a set (in that order).
 *
 * @example
 * ```ts
 * const train = subsetForecast(set, [0, 1, 2]);
 * ```
 */
export function subsetForecast(set: ForecastSet, indices: readonly number[]): ForecastSet {
  const nObs = set.observed.length;
  const nIn = set.inputs.length;
  const take = (data: Float64Array, per: number) => {
    const out = new Float64Array(indices.length * per);
    indices.forEach((i, k) => {
      if (!Number.isInteger(i) || i < 0 || i >= set.n)
        throw new RangeError(`subsetForecast: index ${i} is not a window 0..${set.n - 1}`);
      out.set(data.subarray(i * per, (i + 1) * per), k * per);
    });
    return out;
  };
  return {
    ...set,
    n: indices.length,
    history: take(set.history, set.historyLength * (nObs + nIn)),
    future: take(set.future, set.horizon * nIn),
    target: take(set.target, set.horizon * nObs),
  };
}

/** Options of {@link mnode}. */
export interface MnodeOptions {
  /** Hidden widths of each node's network (default [16, 16]). */
  readonly hidden?: readonly number[];
  /** Activation of the node networks (default 'tanh'). */
  readonly activation?: Activation;
  /** Hidden size of the LSTM encoder (default 16). */
  readonly encoderHidden?: number;
  /** Time between samples in the model's time unit (default 1: one sample interval). */
  readonly dt?: number;
  /** Steps per sample interval (default 1). */
  readonly substeps?: number;
  /** The fixed-step method: forward Euler (default, as in the paper) or classical RK4. */
  readonly method?: 'euler' | 'rk4';
  /** Learnable edge weights (default true); false fixes every w_uv = 1 (dense baselines). */
  readonly edgeWeights?: boolean;
}

/** Parameters of an {@link Mnode}: edge weights and networks per node, and the encoder. */
export type MnodeParams = {
  /** w[v][j]: the weight of v's j-th incoming edge ({@link Mnode.incoming}). */
  readonly w: readonly Tensor[];
  /** The network of each node. */
  readonly f: readonly MlpParams[];
  readonly enc: {
    readonly lstm: RecurrentParams;
    /** Affine head from the encoding to the stacked initial states. */
    readonly head: { readonly weight: Tensor; readonly bias: Tensor };
  };
};

/** One node of an {@link Mnode}: its incoming edges and the column layout of its network input. */
export interface MnodeNode {
  readonly name: string;
  readonly members: readonly string[];
  /** Offset of the node's components in the stacked state. */
  readonly offset: number;
  /** Incoming edges (the order of w[v]). */
  readonly incoming: readonly StructureEdge[];
  /** For each network input column, the index of its edge in `incoming`. */
  readonly columnEdge: Int32Array;
}

/** A mechanistic neural ODE over a structure graph (immutable). */
export interface Mnode {
  readonly kind: 'mnode';
  readonly graph: StructureGraph;
  readonly nodes: readonly MnodeNode[];
  /** Total latent dimension (number of original states). */
  readonly stateDim: number;
  readonly inputs: readonly string[];
  readonly observed: readonly string[];
  readonly options: Required<MnodeOptions>;
  readonly nets: readonly Mlp[];
  readonly encoder: Lstm;
  /** Fresh parameters: edge weights 1, networks and encoder PyTorch-initialized (last layers scaled by 0.1). */
  init(key: RngKey): MnodeParams;
  /** Forecasts [n, horizon, observed.length] for the windows of `batch`. */
  forecast(params: MnodeParams, batch: ForecastTensors): Tensor;
}

/** The tensors of a batch of windows ({@link forecastTensors}). */
export interface ForecastTensors {
  readonly n: number;
  readonly horizon: number;
  /** [n, historyLength, nObs + nIn] */
  readonly history: Tensor;
  /** Per forecast interval k, per input j: the column [n, 1]. */
  readonly future: readonly (readonly Tensor[])[];
  /** [n, horizon, nObs] */
  readonly target: Tensor;
  /** Last observed value per observed state, [n, 1] each. */
  readonly last: readonly Tensor[];
}

/**
 * The tensors of a forecast set (constants, built once per batch).
 *
 * @example
 * ```ts
 * const batch = forecastTensors(set);
 * model.forecast(params, batch).shape; // [set.n, set.horizon, set.observed.length]
 * ```
 */
export function forecastTensors(set: ForecastSet): ForecastTensors {
  const nObs = set.observed.length;
  const nIn = set.inputs.length;
  const width = nObs + nIn;
  const future: Tensor[][] = [];
  for (let k = 0; k < set.horizon; k++) {
    const row: Tensor[] = [];
    for (let j = 0; j < nIn; j++) {
      const col = new Float64Array(set.n);
      for (let i = 0; i < set.n; i++) col[i] = set.future[(i * set.horizon + k) * nIn + j];
      row.push(tensor(col, [set.n, 1]));
    }
    future.push(row);
  }
  const last: Tensor[] = [];
  for (let o = 0; o < nObs; o++) {
    const col = new Float64Array(set.n);
    for (let i = 0; i < set.n; i++)
      col[i] = set.history[(i * set.historyLength + set.historyLength - 1) * width + o];
    last.push(tensor(col, [set.n, 1]));
  }
  return {
    n: set.n,
    horizon: set.horizon,
    history: tensor(set.history, [set.n, set.historyLength, width]),
    future,
    target: tensor(set.target, [set.n, set.horizon, nObs]),
    last,
  };
}

function positiveInteger(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`mnode: ${name} must be an integer ≥ 1, got ${v}`);
  return v;
}

/**
 * An MNODE over `graph` (usually condensed and augmented) for forecasting the `observed` states
 * from `inputs` (the column order of the data: {@link ForecastSet}).
 *
 * @param graph - the structure graph; every observed state must be a member of an observed node.
 * @param observed - the observed states' names (original states, e.g. `['Gs']`).
 * @example
 * ```ts
 * const g = augmentPathways(condense(graphFromModel(uvaPadovaModel())), { maxSkip: 1 });
 * const model = mnode(g, ['Gs'], { hidden: [16, 16] });
 * const params = model.init(rngKey(0));
 * ```
 */
export function mnode(graph: StructureGraph, observed: readonly string[], options: MnodeOptions = {}): Mnode {
  const where = 'mnode';
  const known = ['hidden', 'activation', 'encoderHidden', 'dt', 'substeps', 'method', 'edgeWeights'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new Error(`${where}: unknown option "${k}" (known: ${known.join(', ')})`);
  }
  const opts: Required<MnodeOptions> = {
    hidden: options.hidden ?? [16, 16],
    activation: options.activation ?? 'tanh',
    encoderHidden: positiveInteger(options.encoderHidden ?? 16, 'encoderHidden'),
    dt: options.dt ?? 1,
    substeps: positiveInteger(options.substeps ?? 1, 'substeps'),
    method: options.method ?? 'euler',
    edgeWeights: options.edgeWeights ?? true,
  };
  if (opts.method !== 'euler' && opts.method !== 'rk4') {
    throw new Error(`${where}: method must be 'euler' or 'rk4', got ${JSON.stringify(opts.method)}`);
  }
  if (!(opts.dt > 0 && Number.isFinite(opts.dt)))
    throw new RangeError(`${where}: dt must be a positive number, got ${opts.dt}`);
  if (graph.nodes.length === 0) throw new Error(`${where}: the graph has no nodes`);
  const dims = new Map<string, { offset: number; dim: number }>();
  let offset = 0;
  for (const n of graph.nodes) {
    dims.set(n.name, { offset, dim: n.members.length });
    offset += n.members.length;
  }
  const stateDim = offset;
  const inputIndex = new Map(graph.inputs.map((u, i) => [u, i]));
  const nodes: MnodeNode[] = graph.nodes.map((n) => {
    const incoming = graph.edges.filter((e) => e.to === n.name);
    const cols: number[] = [];
    incoming.forEach((e, j) => {
      const d = e.kind === 'input' ? 1 : dims.get(e.from)!.dim;
      for (let c = 0; c < d; c++) cols.push(j);
    });
    return {
      name: n.name,
      members: n.members,
      offset: dims.get(n.name)!.offset,
      incoming,
      columnEdge: Int32Array.from(cols),
    };
  });
  // Where each observed state lives: (node, component).
  const obsAt = observed.map((s) => {
    const v = graph.nodes.findIndex((n) => n.members.includes(s));
    if (v < 0)
      throw new Error(
        `${where}: observed state "${s}" is not in the graph (nodes: ${graph.nodes.map((n) => n.name).join(', ')})`,
      );
    return {
      v,
      c: graph.nodes[v].members.indexOf(s),
      offset: nodes[v].offset + graph.nodes[v].members.indexOf(s),
    };
  });
  const nIn = graph.inputs.length;
  const nets = nodes.map((n) => {
    const inWidth = Math.max(n.columnEdge.length, 1);
    return mlp({ sizes: [inWidth, ...opts.hidden, n.members.length], activation: opts.activation });
  });
  const encoder = lstm({ inputSize: observed.length + nIn, hiddenSize: opts.encoderHidden });
  const nodeIdx = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const h = opts.dt / opts.substeps;

  const init = (key: RngKey): MnodeParams => {
    const keys = splitKey(key, nodes.length + 3);
    const f = nodes.map((_, v) => {
      const p = nets[v].init(keys[v]);
      // Small last layers: the initial dynamics are slow, so early rollouts stay bounded.
      const lastKey = nets[v].layerKeys[nets[v].layerKeys.length - 1];
      const out: Record<string, { weight: Tensor; bias: Tensor }> = {};
      for (const k of nets[v].layerKeys) {
        const layer = p[k] as { weight: Tensor; bias: Tensor };
        out[k] = k === lastKey ? { weight: scaled(layer.weight, 0.1), bias: scaled(layer.bias, 0.1) } : layer;
      }
      return out;
    });
    const H = opts.encoderHidden;
    const bound = 1 / Math.sqrt(H);
    return {
      w: nodes.map((n) => tensor(new Float64Array(n.incoming.length).fill(1), [n.incoming.length])),
      f,
      enc: {
        lstm: encoder.init(keys[nodes.length]),
        head: {
          weight: new Tensor(uniform(keys[nodes.length + 1], [stateDim, H], -0.1 * bound, 0.1 * bound)),
          bias: tensor(new Float64Array(stateDim), [stateDim]),
        },
      },
    };
  };

  const forecast = (params: MnodeParams, batch: ForecastTensors): Tensor => {
    const at = `${where}.forecast`;
    if (batch.future.length > 0 && batch.future[0].length !== nIn) {
      throw new Error(`${at}: the batch has ${batch.future[0].length} inputs, the graph ${nIn}`);
    }
    if (batch.last.length !== observed.length)
      throw new Error(
        `${at}: the batch has ${batch.last.length} observed columns, the model ${observed.length}`,
      );
    const enc = encoder.apply(params.enc.lstm, batch.history).last;
    const s0 = linear(enc, params.enc.head.weight, params.enc.head.bias);
    // Per-node state tensors [n, dim].
    let states: Tensor[] = nodes.map((n) =>
      slice(s0, [{}, { start: n.offset, stop: n.offset + n.members.length }]),
    );
    // Observed components start at the last observation plus the encoder's output.
    obsAt.forEach(({ v, c }, o) => {
      const dim = nodes[v].members.length;
      const parts: Tensor[] = [];
      for (let j = 0; j < dim; j++) {
        const col = slice(states[v], [{}, { start: j, stop: j + 1 }]);
        parts.push(j === c ? add(col, batch.last[o]) : col);
      }
      states[v] = dim === 1 ? parts[0] : concat(parts, 1);
    });
    const colWeights = nodes.map((n, v) =>
      opts.edgeWeights ? (n.incoming.length > 0 ? gather(params.w[v], n.columnEdge) : null) : null,
    );
    const outputs: Tensor[] = [];
    for (let k = 0; k < batch.horizon; k++) {
      const u = batch.future[k];
      // The vector field of every node at the given node states, inputs u held over the interval.
      const field = (at: readonly Tensor[]): Tensor[] =>
        nodes.map((node, v) => {
          let x: Tensor;
          if (node.incoming.length === 0) x = tensor(new Float64Array(batch.n), [batch.n, 1]);
          else {
            const parts = node.incoming.map((e) =>
              e.kind === 'input' ? u[inputIndex.get(e.from)!] : at[nodeIdx.get(e.from)!],
            );
            x = parts.length === 1 ? parts[0] : concat(parts, 1);
            const cw = colWeights[v];
            if (cw !== null) x = mul(x, cw);
          }
          return nets[v].apply(params.f[v], x);
        });
      const axpy = (a: readonly Tensor[], b: readonly Tensor[], c: number) =>
        a.map((t, v) => add(t, mul(b[v], c)));
      for (let s = 0; s < opts.substeps; s++) {
        const k1 = field(states);
        if (opts.method === 'euler') {
          states = axpy(states, k1, h);
        } else {
          // Classical RK4: y + h/6·(k1 + 2k2 + 2k3 + k4).
          const k2 = field(axpy(states, k1, h / 2));
          const k3 = field(axpy(states, k2, h / 2));
          const k4 = field(axpy(states, k3, h));
          states = states.map((t, v) =>
            add(t, mul(add(add(k1[v], k4[v]), mul(add(k2[v], k3[v]), 2)), h / 6)),
          );
        }
      }
      const obs = obsAt.map(({ v, c }) =>
        nodes[v].members.length === 1 ? states[v] : slice(states[v], [{}, { start: c, stop: c + 1 }]),
      );
      outputs.push(obs.length === 1 ? obs[0] : concat(obs, 1));
    }
    // [n, horizon·nObs] in time-major blocks → [n, horizon, nObs]
    return reshape(concat(outputs, 1), [batch.n, batch.horizon, observed.length]);
  };

  return Object.freeze({
    kind: 'mnode' as const,
    graph,
    nodes,
    stateDim,
    inputs: graph.inputs,
    observed,
    options: opts,
    nets,
    encoder,
    init,
    forecast,
  });
}

function scaled(t: Tensor, factor: number): Tensor {
  return tensor(
    t.data.map((x) => x * factor),
    t.shape,
  );
}

/**
 * The mean squared forecast error over windows, horizon and observed states.
 *
 * @example
 * ```ts
 * forecastMse(model.forecast(params, batch), batch).item();
 * ```
 */
export function forecastMse(prediction: Tensor, batch: ForecastTensors): Tensor {
  return mean(square(sub(prediction, batch.target)));
}

/**
 * Σ‖θ‖² over the node networks' weights and biases (the λ2 term of HGS).
 *
 * @example
 * ```ts
 * networkSquaredNorm(params).item();
 * ```
 */
export function networkSquaredNorm(params: MnodeParams): Tensor {
  const terms: Tensor[] = [];
  for (const f of params.f) {
    for (const k of Object.keys(f)) {
      const layer = f[k] as { weight: Tensor; bias?: Tensor };
      terms.push(sum(square(layer.weight)));
      if (layer.bias !== undefined) terms.push(sum(square(layer.bias)));
    }
  }
  return terms.reduce((a, b) => add(a, b));
}
