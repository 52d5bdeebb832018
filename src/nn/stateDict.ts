/**
 * State dicts: a parameter tree flattened to dotted names (PyTorch's `state_dict()`), and
 * back into a tree of a given structure with every name and shape checked.
 */
import { Tensor } from '../autodiff/tensor.js';
import type { Tree } from '../autodiff/tree.js';
import { closestName } from '../expr/suggest.js';
import { NDArray } from '../tensor/ndarray.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';

/** Named arrays, e.g. `{ "0.weight": …, "0.bias": … }`. */
export type StateDict = Readonly<Record<string, NDArray>>;

/** A state dict whose entries may also be tensors (as {@link loadStateDict} and the encoders accept). */
export type StateDictLike = Readonly<Record<string, NDArray | Tensor>>;

/**
 * Why a state dict could not be read or loaded. `problems` lists each one (also joined in
 * the message).
 *
 * @example
 * ```ts
 * try { loadStateDict(template, {}); } catch (e) { if (e instanceof StateDictError) console.log(e.problems); }
 * ```
 */
export class StateDictError extends Error {
  /** Each problem found, one sentence each. */
  readonly problems: readonly string[];

  constructor(where: string, problems: readonly string[]) {
    super(`${where}: ${problems.join('; ')}`);
    this.name = 'StateDictError';
    this.problems = problems;
  }
}

/** Sets `out[name]` as an own enumerable property, whatever the name (also `__proto__`). */
export function setEntry<V>(out: Record<string, V>, name: string, value: V): void {
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
}

/** `dict[name]` when it is an own property (never something inherited, such as `toString`). */
function ownValue<V>(dict: Readonly<Record<string, V>>, name: string): V | undefined {
  return Object.hasOwn(dict, name) ? dict[name] : undefined;
}

/** Every leaf of `tree` with its dotted name, in tree order. */
function namedLeaves(tree: Tree, where: string): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (t: Tree, name: string): void => {
    if (t instanceof Tensor) {
      if (name === '')
        throw new TypeError(`${where}: the tree is a single tensor; wrap it, e.g. { weight: w }`);
      out.push([name, t]);
      return;
    }
    if (t === null || typeof t !== 'object') {
      throw new TypeError(
        `${where}: ${name || 'the tree'} is ${String(t)}, not a Tensor, array or object of Tensors`,
      );
    }
    const entries: [string, Tree][] = Array.isArray(t)
      ? t.map((c: Tree, i: number): [string, Tree] => [String(i), c])
      : Object.entries(t as { readonly [key: string]: Tree });
    for (const [key, child] of entries) {
      if (key === '' || key.includes('.')) {
        throw new RangeError(
          `${where}: the key ${JSON.stringify(key)} at ${name || 'the top level'} cannot be part of a dotted name; ` +
            'rename it without dots',
        );
      }
      walk(child, name === '' ? key : `${name}.${key}`);
    }
  };
  walk(tree, '');
  return out;
}

/**
 * The leaves of a parameter tree by dotted name, as PyTorch's `state_dict()`: object keys and
 * array indices joined with dots, e.g. `{ encoder: { weight_ih_l0 }, head: { "0": { weight } } }`
 * gives `"encoder.weight_ih_l0"` and `"head.0.weight"`. The arrays are the tensors' values
 * (not copies; treat them as read-only).
 *
 * @throws RangeError when a key is empty or contains a dot.
 * @example
 * ```ts
 * const net = mlp({ sizes: [2, 8, 1] });
 * Object.keys(stateDict(net.init(rngKey(0)))); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export function stateDict(tree: Tree): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  for (const [name, t] of namedLeaves(tree, 'stateDict')) setEntry(out, name, t.value);
  return out;
}

/** Options of {@link loadStateDict}. */
export interface LoadStateDictOptions {
  /** true (default): names in the dict that the template lacks are errors; false: they are ignored. */
  strict?: boolean;
}

/**
 * A tree shaped like `template` whose leaves come from `dict` by dotted name (see
 * {@link stateDict}), copied into fresh tensors. Every name of the template must be present
 * with the template's shape; with `strict` (the default) the dict may hold no other names.
 * All problems are reported together.
 *
 * Typical use: `loadStateDict(net.init(rngKey(0)), decodeStateDictJson(text))`, or a
 * PyTorch state dict exported to greybox's JSON format (see `test/fixtures/nn/generate.py`).
 * For batch normalization, load `{ ...params, ...state }` to read PyTorch's parameters and
 * buffers together.
 *
 * @throws StateDictError listing missing names, unexpected names (with the closest expected
 * name) and shape mismatches.
 * @example
 * ```ts
 * const layer = linearLayer({ inFeatures: 3, outFeatures: 2 });
 * const saved = stateDict(layer.init(rngKey(0)));
 * const params = loadStateDict(layer.init(rngKey(1)), saved); // the weights of key 0
 * ```
 */
export function loadStateDict<T extends Tree>(
  template: T,
  dict: StateDictLike,
  options: LoadStateDictOptions = {},
): T {
  const where = 'loadStateDict';
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(
      `${where}: dict must be an object of named arrays, e.g. from stateDict or decodeStateDictJson`,
    );
  }
  const strict = options.strict ?? true;
  const leaves = namedLeaves(template, where);
  const expected = new Set(leaves.map(([n]) => n));
  const missing: string[] = [];
  const mismatched: string[] = [];
  const loaded: Tensor[] = [];
  for (const [name, t] of leaves) {
    const v = ownValue(dict, name);
    if (v === undefined) {
      missing.push(name);
      continue;
    }
    const arr = v instanceof Tensor ? v.value : v;
    if (!(arr instanceof NDArray)) {
      mismatched.push(`"${name}" is ${typeof v}, not an NDArray or Tensor`);
      continue;
    }
    if (!shapesEqual(arr.shape, t.shape)) {
      mismatched.push(
        `"${name}" has shape ${formatShape(arr.shape)} but the template needs ${formatShape(t.shape)}`,
      );
      continue;
    }
    loaded.push(new Tensor(new NDArray(arr.data.slice(), arr.shape.slice())));
  }
  const unexpected = strict ? Object.keys(dict).filter((n) => !expected.has(n)) : [];
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing ${missing.map((n) => `"${n}"`).join(', ')}`);
  if (unexpected.length > 0) {
    const described = unexpected.map((n) => {
      const close = closestName(n, missing);
      return close === undefined ? `"${n}"` : `"${n}" (did you mean "${close}"?)`;
    });
    problems.push(`unexpected ${described.join(', ')}`);
  }
  if (mismatched.length > 0) problems.push(`shape mismatch: ${mismatched.join(', ')}`);
  if (problems.length > 0) throw new StateDictError(`${where}: the dict does not fit the template`, problems);
  let k = 0;
  const build = (t: Tree): Tree => {
    if (t instanceof Tensor) return loaded[k++];
    if (Array.isArray(t)) return t.map((c: Tree) => build(c));
    const o: { [key: string]: Tree } = {};
    for (const [key, child] of Object.entries(t as { readonly [key: string]: Tree }))
      setEntry(o, key, build(child));
    return o;
  };
  return build(template) as T;
}

/** The arrays of a state dict, checked (names non-empty, values arrays). */
export function entriesOf(dict: StateDictLike, where: string): [string, NDArray][] {
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(
      `${where}: expected a state dict (an object of named NDArrays), e.g. from stateDict(params)`,
    );
  }
  return Object.keys(dict).map((name): [string, NDArray] => {
    const v = dict[name];
    const arr = v instanceof Tensor ? v.value : v;
    if (!(arr instanceof NDArray)) {
      throw new TypeError(`${where}: entry "${name}" is ${typeof v}, not an NDArray or Tensor`);
    }
    if (name === '') throw new RangeError(`${where}: a state dict name must not be empty`);
    return [name, arr];
  });
}
