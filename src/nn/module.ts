/**
 * Bookkeeping shared by the modules: option checks, parameter creation from one key, and the
 * shape checks that `apply` runs on the parameter tree it is given.
 */
import { Tensor } from '../autodiff/tensor.js';
import type { Tree } from '../autodiff/tree.js';
import { rejectUnknown } from '../ode/options.js';
import { type RngKey, splitKey } from '../tensor/random.js';
import { formatShape, type Shape, shapesEqual } from '../tensor/shape.js';
import type { Initializer } from './init.js';

/** Checks the option keys of a module factory (a misspelt option must not be ignored). */
export function checkOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: expected an options object with ${known.join(', ')}`);
  }
  rejectUnknown(where, options, known);
}

/** An integer ≥ `min`, else a RangeError naming the option. */
export function requireInteger(value: unknown, name: string, where: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** A boolean option with a default. */
export function booleanOption(value: unknown, name: string, where: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean')
    throw new TypeError(`${where}: ${name} must be true or false, got ${String(value)}`);
  return value;
}

/** A finite number option with a default. */
export function finiteOption(value: unknown, name: string, where: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}

/** One parameter to create: its name, shape and initializer. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly init: Initializer;
}

/**
 * Draws every parameter from its own sub-key: parameter i uses child i of `splitKey(key)`,
 * which does not depend on how many parameters there are.
 */
export function initParams(key: RngKey, specs: readonly ParamSpec[]): Record<string, Tensor> {
  const keys = splitKey(key, specs.length);
  const out: Record<string, Tensor> = {};
  specs.forEach((s, i) => {
    out[s.name] = s.init.sample(keys[i], s.shape);
  });
  return out;
}

/**
 * The tensor `params[name]`, checked against `shape`; errors say which module, which
 * parameter, what was expected and where a right tree comes from.
 */
export function param(params: Tree, name: string, shape: Shape, where: string): Tensor {
  if (params === null || typeof params !== 'object' || params instanceof Tensor || Array.isArray(params)) {
    throw new TypeError(`${where}: params must be the object returned by init (or by loadStateDict)`);
  }
  const p = (params as { readonly [key: string]: Tree })[name];
  if (!(p instanceof Tensor)) {
    throw new TypeError(
      `${where}: parameter "${name}" is missing from params (found ${Object.keys(params).join(', ') || 'no keys'}); ` +
        'pass the tree returned by init or by loadStateDict',
    );
  }
  if (!shapesEqual(p.shape, shape)) {
    throw new RangeError(
      `${where}: parameter "${name}" has shape ${formatShape(p.shape)}, expected ${formatShape(shape)}; ` +
        'were the params made for a module with other sizes?',
    );
  }
  return p;
}
