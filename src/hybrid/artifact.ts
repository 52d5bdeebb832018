/**
 * Fitted-model files: one JSON document holding everything needed to reproduce a fitted
 * model's predictions exactly — the model text, the estimated parameters (on their estimation
 * scale, bit for bit), the network weights, the solver settings — plus what a reader needs to
 * trust it: the training configuration and summary, the data fingerprint, the library version
 * and the seed (DESIGN.md §6).
 *
 * Numbers are written as JSON numbers, whose shortest round-trip form reads back to the same
 * double; the values JSON cannot hold (−0, NaN, ±Infinity) are written as the strings "-0",
 * "NaN", "Infinity", "-Infinity".
 */
import { Tensor } from '../autodiff/tensor.js';
import { parseModel } from '../expr/parse.js';
import { decodeJsonFloat, encodeJsonFloat, type JsonFloat } from '../nn/stateDictJson.js';
import { NDArray } from '../tensor/ndarray.js';
import { VERSION } from '../version.js';
import { HybridModel, type HybridParams } from './hybridModel.js';
import type { DenseLayer, NetWeights } from './netRuntime.js';
import { hybridOptions, type SolverSpec } from './solverSpec.js';

/** The value of the `format` field of every fitted-model file. */
export const FITTED_MODEL_FORMAT = 'greybox.fitted-model';
/** The version of the fitted-model layout this library writes and reads. */
export const FITTED_MODEL_VERSION = 1;

/** A number as stored in JSON: finite values as numbers, −0, NaN and ±Infinity as strings. */
export type JsonNumber = JsonFloat;

/** An array with its shape, exactly. */
export interface JsonArray {
  readonly shape: readonly number[];
  readonly data: readonly JsonNumber[];
}

/** One parameter of the fitted model, readable (natural scale) and exact (estimation scale). */
export interface FittedParameter {
  readonly name: string;
  /** Value on the natural scale. */
  readonly value: number;
  readonly scale: 'lin' | 'log' | 'logit';
  readonly lower: JsonNumber;
  readonly upper: JsonNumber;
  /** False for a fixed parameter (not estimated). */
  readonly estimated: boolean;
}

/** The contents of a fitted-model file. */
export interface FittedModel {
  readonly format: typeof FITTED_MODEL_FORMAT;
  readonly formatVersion: number;
  readonly library: { readonly name: 'greybox'; readonly version: string };
  /** When it was written (ISO 8601), as given by the caller. */
  readonly createdAt: string;
  readonly seed: number;
  readonly model: { readonly name: string; readonly text: string };
  readonly solver: SolverSpec;
  readonly parameters: readonly FittedParameter[];
  /** The estimated parameters on their estimation scale, in the model's order: exact. */
  readonly estimates: readonly JsonNumber[];
  /** Network weights by network name, layers in order, PyTorch layout (w [out, in], b [out]). */
  readonly nets: Readonly<Record<string, readonly { readonly w: JsonArray; readonly b: JsonArray }[]>>;
  /** The training configuration and summary (free-form, JSON). */
  readonly training: Readonly<Record<string, unknown>>;
  /** Where the data came from: a fingerprint of its content, and what else the caller records. */
  readonly data: { readonly fingerprint: string } & Readonly<Record<string, unknown>>;
}

/** Encodes one double exactly for JSON (the encoding of the state-dict files, {@link encodeJsonFloat}). */
export const encodeNumber: (x: number) => JsonNumber = encodeJsonFloat;

/**
 * Decodes a value written by {@link encodeNumber}.
 *
 * @throws TypeError naming `where` for anything else.
 */
export function decodeNumber(v: unknown, where: string): number {
  const x = decodeJsonFloat(v);
  if (x === undefined) throw new TypeError(`${where}: ${JSON.stringify(v)} is not a number`);
  return x;
}

function encodeArray(t: Tensor): JsonArray {
  return { shape: [...t.shape], data: Array.from(t.data, encodeNumber) };
}

function decodeArray(v: unknown, where: string): Tensor {
  if (typeof v !== 'object' || v === null) throw new TypeError(`${where}: expected {shape, data}`);
  const { shape, data } = v as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new TypeError(`${where}.shape: expected an array of non-negative integers`);
  if (!Array.isArray(data)) throw new TypeError(`${where}.data: expected an array`);
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== size)
    throw new RangeError(`${where}: ${data.length} values for shape [${shape.join(', ')}] (${size})`);
  const out = Float64Array.from(data, (x, i) => decodeNumber(x, `${where}.data[${i}]`));
  return new Tensor(new NDArray(out, shape as number[]));
}

/** What {@link fittedModel} records besides the model and parameters. */
export interface FittedModelInfo {
  /** The model's source text (what `parseModel` reads back). */
  readonly text: string;
  readonly solver: SolverSpec;
  readonly seed: number;
  readonly createdAt: string;
  readonly training?: Readonly<Record<string, unknown>>;
  readonly data: { readonly fingerprint: string } & Readonly<Record<string, unknown>>;
}

/**
 * The fitted-model document for trained parameters.
 *
 * @example
 * ```ts
 * const doc = fittedModel(hm, result.params, { text, solver: { method: 'tsit5' }, seed: 0,
 *   createdAt: new Date().toISOString(), data: { fingerprint } });
 * const json = JSON.stringify(doc);
 * ```
 */
export function fittedModel(hm: HybridModel, params: HybridParams, info: FittedModelInfo): FittedModel {
  const values = hm.parameterValues(params);
  const estimated = new Set(hm.estimated);
  const nets: Record<string, { w: JsonArray; b: JsonArray }[]> = {};
  for (const [name, layers] of Object.entries(params.nets)) {
    nets[name] = layers.map((l) => ({ w: encodeArray(l.w), b: encodeArray(l.b) }));
  }
  return {
    format: FITTED_MODEL_FORMAT,
    formatVersion: FITTED_MODEL_VERSION,
    library: { name: 'greybox', version: VERSION },
    createdAt: info.createdAt,
    seed: info.seed,
    model: { name: hm.model.name, text: info.text },
    solver: info.solver,
    parameters: hm.model.params.map((p, i) => ({
      name: p.name,
      value: values[p.name],
      scale: p.scale,
      lower: encodeNumber(p.lower),
      upper: encodeNumber(p.upper),
      estimated: estimated.has(i),
    })),
    estimates: Array.from(params.mech.data, encodeNumber),
    nets,
    training: info.training ?? {},
    data: info.data,
  };
}

/**
 * Reads a fitted-model document (parsed JSON) back into a model and its parameters, checking
 * every field; predictions from the result equal those at training time bit for bit.
 *
 * @param doc - the parsed JSON
 * @param file - the file name, for messages
 * @throws TypeError or RangeError naming the file and the field at fault.
 * @example
 * ```ts
 * const { model, params } = loadFittedModel(JSON.parse(text), 'model.json');
 * model.predict(params, subjects);
 * ```
 */
export function loadFittedModel(
  doc: unknown,
  file = 'fitted model',
): { model: HybridModel; params: HybridParams; fitted: FittedModel } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new TypeError(`${file}: not a fitted-model file (expected a JSON object)`);
  const d = doc as Partial<FittedModel>;
  if (d.format !== FITTED_MODEL_FORMAT) {
    throw new TypeError(
      `${file}: format is ${JSON.stringify(d.format)}, expected "${FITTED_MODEL_FORMAT}" — is this a greybox fitted model?`,
    );
  }
  if (d.formatVersion !== FITTED_MODEL_VERSION) {
    throw new RangeError(
      `${file}: formatVersion ${d.formatVersion} is not supported by greybox ${VERSION} (reads version ${FITTED_MODEL_VERSION})`,
    );
  }
  if (typeof d.model?.text !== 'string') throw new TypeError(`${file}: model.text must be the model source`);
  if (typeof d.solver !== 'object' || d.solver === null) throw new TypeError(`${file}: solver is missing`);
  const model = parseModel(d.model.text, { file: `${file} (model.text)` });
  const hm = new HybridModel(model, hybridOptions(d.solver));
  if (!Array.isArray(d.estimates)) throw new TypeError(`${file}: estimates must be an array`);
  if (d.estimates.length !== hm.estimated.length) {
    throw new RangeError(
      `${file}: ${d.estimates.length} estimates for the model's ${hm.estimated.length} estimated parameters (${hm.estimatedNames.join(', ')})`,
    );
  }
  const z = Float64Array.from(d.estimates, (v, i) => decodeNumber(v, `${file}: estimates[${i}]`));
  if (typeof d.nets !== 'object' || d.nets === null) throw new TypeError(`${file}: nets must be an object`);
  const nets: Record<string, DenseLayer[]> = {};
  for (const net of model.nets) {
    const layers = (d.nets as Record<string, unknown>)[net.name];
    if (!Array.isArray(layers)) throw new TypeError(`${file}: no weights for network "${net.name}" in nets`);
    nets[net.name] = layers.map((l: unknown, i) => {
      const layer = (l ?? {}) as { w?: unknown; b?: unknown };
      return {
        w: decodeArray(layer.w, `${file}: nets.${net.name}[${i}].w`),
        b: decodeArray(layer.b, `${file}: nets.${net.name}[${i}].b`),
      };
    });
  }
  const params: HybridParams = {
    mech: new Tensor(new NDArray(z, [z.length])),
    nets: nets as NetWeights,
    shooting: {},
  };
  hm.nets.setWeights(params.nets); // checks every shape against the model
  return { model: hm, params, fitted: d as FittedModel };
}
