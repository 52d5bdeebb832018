/**
 * Function libraries for sparse regression (SINDy, Brunton et al. 2016): a list of candidate
 * terms θ_j(v) of the variables v = (v_1, …, v_n), evaluated on samples into the library
 * matrix Θ [samples, terms] whose sparse combinations Θ·ξ are the recovered equations.
 */
import { rejectUnknown } from '../ode/options.js';

/**
 * One candidate term θ(v) of a library.
 *
 * - `name`: how the term prints in equations (`'x·y'`, `'x^2'`, `'sin(x)'`);
 * - `expression`: the same term in the model language (`'x * y'`, `'x^2'`, `'sin(x)'`), so
 *   that a recovered equation becomes a model line;
 * - `evaluate(v)`: its value at one sample, `v[i]` the value of the library's i-th variable.
 *
 * @example
 * ```ts
 * const t: LibraryTerm = { name: 'x/(1+y)', expression: 'x / (1 + y)', evaluate: (v) => v[0] / (1 + v[1]) };
 * ```
 */
export interface LibraryTerm {
  readonly name: string;
  readonly expression: string;
  readonly evaluate: (v: ArrayLike<number>) => number;
}

/**
 * A function library: the variable names (in sample-column order) and the candidate terms.
 *
 * @example
 * ```ts
 * const lib = functionLibrary(['x', 'y'], { degree: 2 });
 * lib.terms.map((t) => t.name); // ['1', 'x', 'y', 'x^2', 'x·y', 'y^2']
 * ```
 */
export interface FunctionLibrary {
  readonly variables: readonly string[];
  readonly terms: readonly LibraryTerm[];
}

/** Options of {@link functionLibrary}. */
export interface FunctionLibraryOptions {
  /** Highest total degree of the monomials (default 2; 0 = only the constant). */
  readonly degree?: number;
  /** Include the constant term `1` (default true). */
  readonly constant?: boolean;
  /** Add sin(k·v_i) for every variable and every frequency k (default false). */
  readonly sin?: boolean;
  /** Add cos(k·v_i) for every variable and every frequency k (default false). */
  readonly cos?: boolean;
  /** The frequencies k of the sin/cos terms (default [1]). */
  readonly frequencies?: readonly number[];
  /** Further terms of your own, appended after the built-in ones (see {@link libraryTerm}). */
  readonly terms?: readonly LibraryTerm[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['t', 'pi', 'inf', 'if', 'then', 'else', 'and', 'or', 'not']);

/**
 * The default SINDy library over the named variables: every monomial v₁^{a₁}·…·v_n^{a_n} of
 * total degree a₁ + … + a_n ≤ `degree` (the constant when `constant`), ordered by degree and
 * then lexicographically (1, x, y, x², x·y, y², …; there are C(n + d, d) of them), then
 * sin(k·v_i) and cos(k·v_i) for each frequency k when asked, then your own `terms`.
 *
 * @param variables - variable names, valid model-language names, in the column order of the
 *   samples you will pass.
 * @throws TypeError for bad names, duplicate names or terms, and unknown options.
 * @example
 * ```ts
 * const lib = functionLibrary(['x', 'y'], { degree: 5, sin: true });
 * lib.terms.length; // 21 monomials + sin(x), sin(y) = 23
 * ```
 */
export function functionLibrary(
  variables: readonly string[],
  options: FunctionLibraryOptions = {},
): FunctionLibrary {
  const what = 'functionLibrary';
  rejectUnknown(what, options, ['degree', 'constant', 'sin', 'cos', 'frequencies', 'terms']);
  if (!Array.isArray(variables) || variables.length === 0) {
    throw new TypeError(`${what}: give the variable names, e.g. functionLibrary(['x', 'y'])`);
  }
  variables.forEach((v, i) => {
    if (typeof v !== 'string' || !NAME.test(v) || RESERVED.has(v)) {
      throw new TypeError(
        `${what}: variable ${i} is ${JSON.stringify(v)}; names are a letter or _ then letters, digits or _ (not t, pi, inf or a keyword)`,
      );
    }
    if (variables.indexOf(v) !== i) throw new TypeError(`${what}: variable "${v}" is named twice`);
  });
  const degree = options.degree ?? 2;
  if (!Number.isInteger(degree) || degree < 0 || degree > 20) {
    throw new RangeError(`${what}: degree must be a whole number from 0 to 20, got ${degree}`);
  }
  const frequencies = options.frequencies ?? [1];
  for (const k of frequencies) {
    if (!Number.isFinite(k) || k === 0) {
      throw new RangeError(`${what}: frequencies must be finite and non-zero, got ${k}`);
    }
  }
  const terms: LibraryTerm[] = [];
  for (const exponents of monomials(variables.length, degree)) {
    const total = exponents.reduce((a, b) => a + b, 0);
    if (total === 0 && options.constant === false) continue;
    terms.push(monomialTerm(variables, exponents));
  }
  for (const fn of ['sin', 'cos'] as const) {
    if (options[fn] !== true) continue;
    for (const k of frequencies) {
      variables.forEach((v, i) => {
        const arg = k === 1 ? v : `${k}*${v}`;
        const f = fn === 'sin' ? Math.sin : Math.cos;
        terms.push({ name: `${fn}(${arg})`, expression: `${fn}(${arg})`, evaluate: (x) => f(k * x[i]) });
      });
    }
  }
  for (const t of options.terms ?? []) terms.push(checkTerm(t, what));
  const seen = new Set<string>();
  for (const t of terms) {
    if (seen.has(t.name)) throw new TypeError(`${what}: two terms are named "${t.name}"; rename one`);
    seen.add(t.name);
  }
  return { variables: [...variables], terms };
}

/**
 * A term of your own for a library: its printed name, its value at a sample (`v[i]` = the
 * i-th variable), and its model-language text (default: the name, which must then be valid
 * model-language text for {@link sparseModelText}).
 *
 * @example
 * ```ts
 * const sat = libraryTerm('x/(1+x)', (v) => v[0] / (1 + v[0]), 'x / (1 + x)');
 * functionLibrary(['x'], { degree: 1, terms: [sat] }).terms.map((t) => t.name); // ['1', 'x', 'x/(1+x)']
 * ```
 */
export function libraryTerm(
  name: string,
  evaluate: (v: ArrayLike<number>) => number,
  expression: string = name,
): LibraryTerm {
  return checkTerm({ name, expression, evaluate }, 'libraryTerm');
}

function checkTerm(t: LibraryTerm, what: string): LibraryTerm {
  if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || t.name.length === 0) {
    throw new TypeError(
      `${what}: a term needs a non-empty name, e.g. libraryTerm('x/(1+y)', (v) => v[0] / (1 + v[1]))`,
    );
  }
  if (typeof t.evaluate !== 'function')
    throw new TypeError(`${what}: term "${t.name}" has no evaluate function`);
  if (typeof t.expression !== 'string' || t.expression.length === 0) {
    throw new TypeError(`${what}: term "${t.name}" needs its model-language expression`);
  }
  return { name: t.name, expression: t.expression, evaluate: t.evaluate };
}

/** All exponent vectors of n variables with total degree ≤ d, by degree then lexicographically descending. */
function monomials(n: number, d: number): number[][] {
  const out: number[][] = [];
  for (let total = 0; total <= d; total++) {
    const rec = (i: number, left: number, acc: number[]): void => {
      if (i === n - 1) {
        out.push([...acc, left]);
        return;
      }
      for (let a = left; a >= 0; a--) rec(i + 1, left - a, [...acc, a]);
    };
    rec(0, total, []);
  }
  return out;
}

function monomialTerm(variables: readonly string[], exponents: readonly number[]): LibraryTerm {
  const factors: string[] = [];
  exponents.forEach((a, i) => {
    if (a === 1) factors.push(variables[i]);
    else if (a > 1) factors.push(`${variables[i]}^${a}`);
  });
  if (factors.length === 0) return { name: '1', expression: '1', evaluate: () => 1 };
  const ex = exponents.slice();
  return {
    name: factors.join('·'),
    expression: factors.join(' * '),
    evaluate: (v) => {
      let p = 1;
      for (let i = 0; i < ex.length; i++) for (let a = 0; a < ex[i]; a++) p *= v[i];
      return p;
    },
  };
}

/**
 * Θ [rows, terms] (row-major): every term of the library at every sample. `samples[r]` holds
 * the variables of sample r in the library's order.
 *
 * @throws RangeError naming the sample (and variable) when a sample has the wrong length or a
 *   non-finite value, or when a term is not finite at a sample.
 * @example
 * ```ts
 * const lib = functionLibrary(['x', 'y'], { degree: 1 });
 * evaluateLibrary(lib, [[2, 3]]); // Float64Array [1, 2, 3]
 * ```
 */
export function evaluateLibrary(
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
): Float64Array {
  const n = library.variables.length;
  const p = library.terms.length;
  checkRows('evaluateLibrary', 'samples', samples, n, library.variables);
  const theta = new Float64Array(samples.length * p);
  samples.forEach((v, r) => {
    library.terms.forEach((t, j) => {
      const value = t.evaluate(v);
      if (!Number.isFinite(value)) {
        throw new RangeError(
          `evaluateLibrary: term "${t.name}" is ${value} at sample ${r} (${library.variables.map((name, i) => `${name} = ${v[i]}`).join(', ')}); remove the term or the sample`,
        );
      }
      theta[r * p + j] = value;
    });
  });
  return theta;
}

/**
 * Checks rows of a table: an array of rows, each with `width` finite numbers.
 *
 * @internal
 */
export function checkRows(
  what: string,
  label: string,
  rows: readonly ArrayLike<number>[],
  width: number,
  columns: readonly string[],
): void {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new RangeError(`${what}: ${label} must be a non-empty array of rows (one row per sample)`);
  }
  rows.forEach((row, r) => {
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new RangeError(`${what}: ${label} row ${r} is not an array of numbers`);
    }
    if (row.length !== width) {
      throw new RangeError(
        `${what}: ${label} row ${r} has ${row.length} values, expected ${width} (${columns.join(', ')})`,
      );
    }
    for (let i = 0; i < width; i++) {
      if (typeof row[i] !== 'number' || !Number.isFinite(row[i])) {
        throw new RangeError(
          `${what}: ${label} row ${r}, column ${columns[i]} is ${row[i]}; every value must be finite`,
        );
      }
    }
  });
}
