/**
 * State dicts as JSON, exact for every float64: finite numbers are written as JSON numbers
 * (ECMAScript prints the shortest decimal that reads back to the same double, and JSON.parse
 * rounds correctly), and the values JSON cannot hold as strings: `"NaN"`, `"Infinity"`,
 * `"-Infinity"` and `"-0"`.
 *
 * The document (version 1):
 *
 * ```json
 * { "format": "greybox.stateDict", "version": 1,
 *   "tensors": [ { "name": "0.weight", "shape": [2, 3], "data": [0.5, -1, "NaN", …] }, … ] }
 * ```
 *
 * `data` is row-major. The object form ({@link stateDictToJson}) can be embedded in a larger
 * artifact; {@link encodeStateDictJson} and {@link decodeStateDictJson} work on text.
 */
import { NDArray } from '../tensor/ndarray.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { entriesOf, StateDictError, type StateDictLike, setEntry } from './stateDict.js';

/** The `format` tag of greybox's state dict documents. */
export const STATE_DICT_FORMAT = 'greybox.stateDict';
/** The JSON document version written by this library. */
export const STATE_DICT_JSON_VERSION = 1;

/** One number of a JSON state dict: a finite number, or a special value as a string. */
export type JsonFloat = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** A state dict as a JSON value. */
export interface JsonStateDict {
  readonly format: typeof STATE_DICT_FORMAT;
  readonly version: number;
  readonly tensors: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly data: readonly JsonFloat[];
  }[];
}

/**
 * x as a JSON value that reads back to exactly x: a finite number as itself, −0 and the
 * non-finite values as the strings `"-0"`, `"NaN"`, `"Infinity"`, `"-Infinity"`.
 *
 * @example
 * ```ts
 * encodeJsonFloat(-0);  // '-0'
 * encodeJsonFloat(0.1); // 0.1
 * ```
 */
export function encodeJsonFloat(x: number): JsonFloat {
  if (Number.isFinite(x)) return x === 0 && 1 / x < 0 ? '-0' : x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

const SPECIAL: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-0': -0,
};

/**
 * The number a {@link JsonFloat} stands for, or undefined when `v` is neither a number nor one
 * of the special strings.
 *
 * @example
 * ```ts
 * decodeJsonFloat('-Infinity'); // -Infinity
 * decodeJsonFloat('nan');       // undefined
 * ```
 */
export function decodeJsonFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && Object.hasOwn(SPECIAL, v)) return SPECIAL[v];
  return undefined;
}

/**
 * A state dict as a JSON value (see the module comment for the layout).
 *
 * @example
 * ```ts
 * const doc = stateDictToJson({ w: tensor([1, -0, NaN]).value });
 * doc.tensors[0].data; // [1, '-0', 'NaN']
 * ```
 */
export function stateDictToJson(dict: StateDictLike): JsonStateDict {
  const tensors = entriesOf(dict, 'stateDictToJson').map(([name, arr]) => ({
    name,
    shape: arr.shape.slice(),
    data: Array.from(arr.data, encodeJsonFloat),
  }));
  return { format: STATE_DICT_FORMAT, version: STATE_DICT_JSON_VERSION, tensors };
}

/**
 * A state dict as JSON text; `space` indents as in `JSON.stringify`.
 *
 * @example
 * ```ts
 * const text = encodeStateDictJson(stateDict(params));
 * const back = loadStateDict(params, decodeStateDictJson(text)); // identical weights
 * ```
 */
export function encodeStateDictJson(dict: StateDictLike, space?: number): string {
  return JSON.stringify(stateDictToJson(dict), null, space);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads a state dict from its JSON value, validating everything: the format tag and version,
 * each entry's name (non-empty, unique), shape (non-negative integers) and data (as many
 * numbers as the shape holds, each a JSON number or one of the special strings).
 *
 * @throws StateDictError naming the entry and what is wrong with it.
 * @example
 * ```ts
 * const dict = stateDictFromJson(JSON.parse(text).weights);
 * ```
 */
export function stateDictFromJson(value: unknown): Record<string, NDArray> {
  const where = 'stateDictFromJson';
  const fail = (problem: string): never => {
    throw new StateDictError(where, [problem]);
  };
  if (!isObject(value)) return fail('expected an object { format, version, tensors }');
  if (value.format !== STATE_DICT_FORMAT) {
    fail(
      `format is ${JSON.stringify(value.format)}, expected "${STATE_DICT_FORMAT}" (is this a greybox state dict?)`,
    );
  }
  if (value.version !== STATE_DICT_JSON_VERSION) {
    fail(
      `version ${JSON.stringify(value.version)} is not supported (this library reads version ${STATE_DICT_JSON_VERSION}); ` +
        'write the file with a matching greybox version',
    );
  }
  if (!Array.isArray(value.tensors)) return fail('"tensors" must be an array of { name, shape, data }');
  const out: Record<string, NDArray> = {};
  const seen = new Set<string>();
  for (const [i, entry] of (value.tensors as unknown[]).entries()) {
    const at = `tensors[${i}]`;
    if (!isObject(entry)) return fail(`${at} must be an object { name, shape, data }`);
    const { name, shape, data } = entry;
    if (typeof name !== 'string' || name === '') return fail(`${at}.name must be a non-empty string`);
    const label = `${at} ("${name}")`;
    if (seen.has(name)) fail(`${label}: the name appears twice`);
    seen.add(name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return fail(`${label}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const n = sizeOf(shape);
    if (!Array.isArray(data) || data.length !== n) {
      return fail(
        `${label}: data must be an array of ${n} numbers for shape ${formatShape(shape)}, got ` +
          (Array.isArray(data) ? `${data.length}` : typeof data),
      );
    }
    const values = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const v = decodeJsonFloat(data[k]);
      if (v === undefined) {
        return fail(
          `${label}: data[${k}] is ${JSON.stringify(data[k])}; entries are JSON numbers or one of "NaN", "Infinity", "-Infinity", "-0"`,
        );
      }
      values[k] = v;
    }
    setEntry(out, name, new NDArray(values, shape.slice()));
  }
  return out;
}

/**
 * Reads a state dict from JSON text (see {@link stateDictFromJson}).
 *
 * @throws StateDictError when the text is not JSON or not a valid state dict document.
 * @example
 * ```ts
 * const dict = decodeStateDictJson(text);
 * const params = loadStateDict(net.init(rngKey(0)), dict);
 * ```
 */
export function decodeStateDictJson(text: string): Record<string, NDArray> {
  if (typeof text !== 'string') throw new TypeError('decodeStateDictJson: expected a string of JSON text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateDictError('decodeStateDictJson', [`the text is not valid JSON (${(e as Error).message})`]);
  }
  return stateDictFromJson(value);
}
