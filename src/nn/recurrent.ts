/**
 * What LSTM and GRU share: options, parameter layout, masks, and the loop over layers and
 * time steps. Each step is a handful of whole-batch operations ([batch, hidden] arrays), never
 * per-element tensor work; masked steps carry the state through with `where`.
 */
import { add, where as select } from '../autodiff/ops/binary.js';
import { concat, reshape, sliceRaw, stack } from '../autodiff/ops/layout.js';
import { Tensor } from '../autodiff/tensor.js';
import { NDArray } from '../tensor/ndarray.js';
import type { RngKey } from '../tensor/random.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { type Initializer, uniformInit, zerosInit } from './init.js';
import { booleanOption, checkOptions, initParams, type ParamSpec, param, requireInteger } from './module.js';

/** Parameters of an LSTM or GRU, named as PyTorch's state dict (`weight_ih_l0`, …). */
export type RecurrentParams = { readonly [name: string]: Tensor };

/** Options of {@link lstm} and {@link gru}. */
export interface RecurrentOptions {
  /** Features per time step (the last axis of the input). */
  inputSize: number;
  /** Size H of the hidden state. */
  hiddenSize: number;
  /** Stacked layers (default 1); layer l > 0 reads the hidden states of layer l − 1. */
  numLayers?: number;
  /** Whether there are biases `bias_ih_l*` and `bias_hh_l*` (default true). */
  bias?: boolean;
  /** Initializer of `weight_ih_l*` (default PyTorch's U(±1/√H)). */
  inputWeightInit?: Initializer;
  /** Initializer of `weight_hh_l*` (default U(±1/√H); `orthogonal()` is a common choice). */
  recurrentWeightInit?: Initializer;
  /** Initializer of the biases (default U(±1/√H)). */
  biasInit?: Initializer;
}

/** The validated sizes and initializers of a recurrent module. */
export interface RecurrentConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly inputWeightInit: Initializer;
  readonly recurrentWeightInit: Initializer;
  readonly biasInit: Initializer;
}

/** Checks the factory options of a recurrent module. */
export function recurrentConfig(options: RecurrentOptions, where: string): RecurrentConfig {
  checkOptions(where, options, [
    'inputSize',
    'hiddenSize',
    'numLayers',
    'bias',
    'inputWeightInit',
    'recurrentWeightInit',
    'biasInit',
  ]);
  const inputSize = requireInteger(options.inputSize, 'inputSize', where, 1);
  const hiddenSize = requireInteger(options.hiddenSize, 'hiddenSize', where, 1);
  const numLayers = requireInteger(options.numLayers ?? 1, 'numLayers', where, 1);
  const bias = booleanOption(options.bias, 'bias', where, true);
  const k = 1 / Math.sqrt(hiddenSize);
  const dflt = k > 0 ? uniformInit(-k, k) : zerosInit();
  return Object.freeze({
    inputSize,
    hiddenSize,
    numLayers,
    bias,
    inputWeightInit: options.inputWeightInit ?? dflt,
    recurrentWeightInit: options.recurrentWeightInit ?? dflt,
    biasInit: options.biasInit ?? dflt,
  });
}

/** The weights of one layer. */
export interface LayerWeights {
  readonly wih: Tensor;
  readonly whh: Tensor;
  readonly bih: Tensor | undefined;
  readonly bhh: Tensor | undefined;
}

/** Parameter specs in PyTorch's order: per layer weight_ih, weight_hh, bias_ih, bias_hh. */
function paramSpecs(c: RecurrentConfig, gates: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const gh = gates * c.hiddenSize;
  for (let l = 0; l < c.numLayers; l++) {
    const inSize = l === 0 ? c.inputSize : c.hiddenSize;
    specs.push({ name: `weight_ih_l${l}`, shape: [gh, inSize], init: c.inputWeightInit });
    specs.push({ name: `weight_hh_l${l}`, shape: [gh, c.hiddenSize], init: c.recurrentWeightInit });
    if (c.bias) {
      specs.push({ name: `bias_ih_l${l}`, shape: [gh], init: c.biasInit });
      specs.push({ name: `bias_hh_l${l}`, shape: [gh], init: c.biasInit });
    }
  }
  return specs;
}

/** Fresh parameters: the i-th name in PyTorch's order is drawn from child i of `key`. */
export function initRecurrent(c: RecurrentConfig, gates: number, key: RngKey): RecurrentParams {
  return initParams(key, paramSpecs(c, gates));
}

/** The checked weights of every layer. */
export function layerWeights(
  c: RecurrentConfig,
  gates: number,
  params: RecurrentParams,
  where: string,
): LayerWeights[] {
  const specs = paramSpecs(c, gates);
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(params)) {
    if (!known.has(name)) {
      throw new TypeError(
        `${where}: unexpected parameter "${name}"; this module has ${[...known].join(', ')}`,
      );
    }
  }
  const get = (s: ParamSpec): Tensor => param(params, s.name, s.shape, where);
  const out: LayerWeights[] = [];
  const perLayer = c.bias ? 4 : 2;
  for (let l = 0; l < c.numLayers; l++) {
    const s = specs.slice(l * perLayer, (l + 1) * perLayer);
    out.push({
      wih: get(s[0]),
      whh: get(s[1]),
      bih: c.bias ? get(s[2]) : undefined,
      bhh: c.bias ? get(s[3]) : undefined,
    });
  }
  return out;
}

/** Options of `apply` of {@link lstm} and {@link gru}. */
export interface RecurrentApplyOptions {
  /**
   * [batch, time] of 0/1: 1 = the step is observed, 0 = the step is skipped (the states stay
   * as they were, and the output at that step repeats the carried hidden state). Default: all
   * steps observed. A constant: no gradient flows to it.
   */
  mask?: Tensor | NDArray;
  /** Initial hidden states h₀ [numLayers, batch, hidden] (default zeros). */
  initialHidden?: Tensor;
}

/** Which rows a time step updates. */
interface StepMask {
  /** 'all': every row observed; 'none': no row (the step is skipped); 'some': use `cond`. */
  readonly kind: 'all' | 'none' | 'some';
  /** [batch, 1] of 0/1, for 'some'. */
  readonly cond: Tensor | null;
}

function stepMasks(
  mask: Tensor | NDArray | undefined,
  batch: number,
  time: number,
  where: string,
): StepMask[] {
  const all: StepMask = { kind: 'all', cond: null };
  if (mask === undefined) return Array.from({ length: time }, () => all);
  const m = mask instanceof Tensor ? mask.value : mask;
  if (!(m instanceof NDArray)) throw new TypeError(`${where}: mask must be a Tensor or an NDArray of 0/1`);
  if (m.rank !== 2 || m.shape[0] !== batch || m.shape[1] !== time) {
    throw new RangeError(
      `${where}: mask must have shape [batch, time] = [${batch}, ${time}] like the input, got ${formatShape(m.shape)}`,
    );
  }
  const out: StepMask[] = [];
  for (let t = 0; t < time; t++) {
    let ones = 0;
    const cond = new Float64Array(batch);
    for (let b = 0; b < batch; b++) {
      const v = m.data[b * time + t];
      if (v !== 0 && v !== 1) {
        throw new RangeError(
          `${where}: mask entries must be 0 (skip the step) or 1 (observed); mask[${b}][${t}] = ${v}`,
        );
      }
      cond[b] = v;
      ones += v;
    }
    if (ones === batch) out.push(all);
    else if (ones === 0) out.push({ kind: 'none', cond: null });
    else out.push({ kind: 'some', cond: new Tensor(new NDArray(cond, [batch, 1])) });
  }
  return out;
}

/**
 * A recurrent cell: `prepare` rearranges one layer's weights once per call (into per-gate
 * blocks, so that each gate is one fused affine map and no step has to slice its gates), and
 * `step` maps the step's input [batch, in] and the current states (h first, each
 * [batch, hidden]) to the new states.
 */
export interface Cell<W> {
  prepare(w: LayerWeights): W;
  step(x: Tensor, states: readonly Tensor[], w: W): Tensor[];
}

/** What {@link runRecurrent} returns. */
export interface RecurrentRun {
  /** Top layer's hidden state at every step, [batch, time, hidden]. */
  readonly output: Tensor;
  /** Final states per kind (h, then c for an LSTM), each [numLayers, batch, hidden]. */
  readonly finals: Tensor[];
}

/** Rows [k·H, (k + 1)·H) of a [gates·H, n] matrix or a [gates·H] vector: gate block k. */
export function gateBlock(t: Tensor, k: number, hidden: number): Tensor {
  const starts = t.shape.map((_, i) => (i === 0 ? k * hidden : 0));
  const stops = t.shape.map((d, i) => (i === 0 ? (k + 1) * hidden : d));
  return sliceRaw(
    t,
    starts,
    stops,
    t.shape.map(() => 1),
  );
}

/** Gate block k of W_ih and W_hh side by side, [H, in + H], and b_ih + b_hh of that block. */
export function joinedGate(w: LayerWeights, k: number, hidden: number): { w: Tensor; b: Tensor | undefined } {
  const joined = concat([gateBlock(w.wih, k, hidden), gateBlock(w.whh, k, hidden)], 1);
  const b =
    w.bih === undefined || w.bhh === undefined
      ? undefined
      : add(gateBlock(w.bih, k, hidden), gateBlock(w.bhh, k, hidden));
  return { w: joined, b };
}

/**
 * Runs a cell over layers and time. `initial[k]` is the initial value of state kind k
 * ([numLayers, batch, hidden]) or undefined for zeros.
 */
export function runRecurrent<W>(
  c: RecurrentConfig,
  weights: readonly LayerWeights[],
  x: Tensor,
  mask: Tensor | NDArray | undefined,
  initial: readonly (Tensor | undefined)[],
  cell: Cell<W>,
  where: string,
): RecurrentRun {
  if (!(x instanceof Tensor) || x.rank !== 3 || x.shape[2] !== c.inputSize) {
    throw new RangeError(
      `${where}: input must be a Tensor of shape [batch, time, ${c.inputSize}], got ${x instanceof Tensor ? formatShape(x.shape) : String(x)}`,
    );
  }
  const [batch, time] = x.shape;
  const h = c.hiddenSize;
  const steps = stepMasks(mask, batch, time, where);
  const stateShape = [c.numLayers, batch, h];
  const zero = new Tensor(NDArray.zeros([batch, h]));
  const initialOf = (k: number, l: number): Tensor => {
    const s = initial[k];
    if (s === undefined) return zero;
    return reshape(sliceRaw(s, [l, 0, 0], [l + 1, batch, h], [1, 1, 1]), [batch, h]);
  };
  initial.forEach((s, k) => {
    if (s !== undefined && (!(s instanceof Tensor) || !shapesEqual(s.shape, stateShape))) {
      throw new RangeError(
        `${where}: initial state ${k === 0 ? 'initialHidden' : 'initialCell'} must be a Tensor of shape ` +
          `[numLayers, batch, hidden] = ${formatShape(stateShape)}, got ${s instanceof Tensor ? formatShape(s.shape) : String(s)}`,
      );
    }
  });
  // Layer 0 reads time steps of x; later layers read the previous layer's per-step outputs.
  let inputs: Tensor[] = [];
  for (let t = 0; t < time; t++) {
    inputs.push(
      reshape(sliceRaw(x, [0, t, 0], [batch, t + 1, c.inputSize], [1, 1, 1]), [batch, c.inputSize]),
    );
  }
  const finals: Tensor[][] = initial.map(() => []);
  for (let l = 0; l < c.numLayers; l++) {
    const w = cell.prepare(weights[l]);
    let states = initial.map((_, k) => initialOf(k, l));
    const outputs: Tensor[] = [];
    for (let t = 0; t < time; t++) {
      const m = steps[t];
      if (m.kind !== 'none') {
        const next = cell.step(inputs[t], states, w);
        states = m.kind === 'all' ? next : next.map((s, k) => select(m.cond!, s, states[k]));
      }
      outputs.push(states[0]);
    }
    states.forEach((s, k) => {
      finals[k].push(s);
    });
    inputs = outputs;
  }
  const output = time === 0 ? new Tensor(NDArray.zeros([batch, 0, h])) : stack(inputs, 1);
  return { output, finals: finals.map((f) => stack(f, 0)) };
}

/** The last layer's slice [batch, hidden] of a [numLayers, batch, hidden] state. */
export function lastLayer(states: Tensor): Tensor {
  const [layers, batch, hidden] = states.shape;
  return reshape(sliceRaw(states, [layers - 1, 0, 0], [layers, batch, hidden], [1, 1, 1]), [batch, hidden]);
}
