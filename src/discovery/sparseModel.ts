/**
 * The result of a sparse regression over a function library — coefficients with term names —
 * and what to do with it: read coefficients, print equations, write model-language lines,
 * evaluate the recovered right-hand sides.
 */
import { ridgeLeastSquares } from './leastSquares.js';
import { checkRows, evaluateLibrary, type FunctionLibrary } from './library.js';

/**
 * Sparse coefficients ξ for each target: target_c ≈ Σ_j ξ_{c,j}·θ_j(v). Coefficients off the
 * support are exactly 0.
 *
 * @example
 * ```ts
 * const fit = stlsq(functionLibrary(['x', 'y']), samples, targets, { threshold: 0.05, targets: ['dx', 'dy'] });
 * fit.coefficients[0]; // Float64Array over fit.terms
 * ```
 */
export interface SparseRegression {
  /** `'stlsq'` or `'lasso'`. */
  readonly method: 'stlsq' | 'lasso';
  readonly variables: readonly string[];
  /** Term names, in library order. */
  readonly terms: readonly string[];
  /** The terms' model-language expressions, in library order. */
  readonly expressions: readonly string[];
  /** Target names. */
  readonly targets: readonly string[];
  /** One coefficient vector per target, over the terms (exact zeros off the support). */
  readonly coefficients: readonly Float64Array[];
  /** Root-mean-square residual of each target on the training samples. */
  readonly residualRms: Float64Array;
  /** Iterations used (STLSQ: threshold-and-refit rounds; lasso: FISTA steps), the largest over targets. */
  readonly iterations: number;
  /** Whether every target reached its fixed point (STLSQ) or tolerance (lasso). */
  readonly converged: boolean;
}

/**
 * Prepared inputs of a sparse regression: Θ with normalized columns, the scales, the targets.
 *
 * @internal
 */
export interface Prepared {
  readonly m: number;
  readonly p: number;
  readonly k: number;
  /** Θ·diag(1/s) [m, p] row-major (Θ itself when not normalizing). */
  readonly theta: Float64Array;
  /** Column scales s_j (‖θ_j‖₂, or 1 when not normalizing). */
  readonly scale: Float64Array;
  /** Column norms ‖θ_j‖₂ of the library. */
  readonly norms: Float64Array;
  /** Targets [m, k] row-major. */
  readonly Y: Float64Array;
  readonly targets: readonly string[];
}

/** @internal Builds and checks the regression inputs shared by {@link stlsq} and {@link lasso}. */
export function prepare(
  what: string,
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
  targetRows: readonly ArrayLike<number>[],
  targetNames: readonly string[] | undefined,
  normalize: boolean,
): Prepared {
  if (library === null || typeof library !== 'object' || !Array.isArray(library.terms)) {
    throw new TypeError(`${what}: the first argument must be a library from functionLibrary(...)`);
  }
  if (library.terms.length === 0) throw new RangeError(`${what}: the library has no terms`);
  const theta = evaluateLibrary(library, samples);
  const m = samples.length;
  const p = library.terms.length;
  if (!Array.isArray(targetRows) || targetRows.length !== m) {
    throw new RangeError(
      `${what}: ${m} samples but ${Array.isArray(targetRows) ? targetRows.length : 'no'} target rows; give one row of target values per sample`,
    );
  }
  const k = targetRows[0]?.length ?? 0;
  const targets = targetNames ?? Array.from({ length: k }, (_, c) => `y${c + 1}`);
  if (targets.length !== k || k === 0) {
    throw new RangeError(
      `${what}: the target rows have ${k} values but ${targets.length} target names were given`,
    );
  }
  checkRows(what, 'targets', targetRows, k, targets);
  const Y = new Float64Array(m * k);
  targetRows.forEach((row, r) => {
    for (let c = 0; c < k; c++) Y[r * k + c] = row[c];
  });
  const scale = new Float64Array(p).fill(1);
  const norms = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let q = 0;
    for (let r = 0; r < m; r++) q += theta[r * p + j] ** 2;
    if (q === 0) {
      throw new RangeError(
        `${what}: term "${library.terms[j].name}" is 0 at every sample, so its coefficient is undetermined; remove it from the library`,
      );
    }
    norms[j] = Math.sqrt(q);
    if (normalize) {
      scale[j] = norms[j];
      for (let r = 0; r < m; r++) theta[r * p + j] /= scale[j];
    }
  }
  return { m, p, k, theta, scale, norms, Y, targets };
}

/**
 * @internal The (ridge) least-squares coefficients of target `c` on the columns `support` of
 * the prepared library, in normalized units, scattered into a vector over all terms.
 */
export function solveOnSupport(
  prep: Prepared,
  support: readonly number[],
  c: number,
  settings: { alpha: number; maxCondition: number; names: readonly string[]; where: string },
): Float64Array {
  const { m, p, k, theta, Y } = prep;
  const q = support.length;
  const out = new Float64Array(p);
  if (q === 0) return out;
  const A = new Float64Array(m * q);
  const y = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < q; i++) A[r * q + i] = theta[r * p + support[i]];
    y[r] = Y[r * k + c];
  }
  const x = ridgeLeastSquares(A, m, q, y, 1, {
    alpha: settings.alpha,
    maxCondition: settings.maxCondition,
    names: support.map((j) => settings.names[j]),
    where: `${settings.where} (target ${prep.targets[c]})`,
  }).x;
  for (let i = 0; i < q; i++) out[support[i]] = x[i];
  return out;
}

/** @internal Root-mean-square residuals of Θ̃·ξ̃ − Y per target, ξ̃ in normalized units [k][p]. */
export function residualRms(prep: Prepared, xi: readonly Float64Array[]): Float64Array {
  const { m, p, k, theta, Y } = prep;
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let ss = 0;
    for (let r = 0; r < m; r++) {
      let f = 0;
      for (let j = 0; j < p; j++) if (xi[c][j] !== 0) f += theta[r * p + j] * xi[c][j];
      ss += (f - Y[r * k + c]) ** 2;
    }
    out[c] = Math.sqrt(ss / m);
  }
  return out;
}

/**
 * The coefficient of `term` in the equation of `target`.
 *
 * @throws RangeError naming the known targets or terms when one is not found.
 * @example
 * ```ts
 * coefficientOf(fit, 'dx', 'x·y'); // -0.9
 * ```
 */
export function coefficientOf(fit: SparseRegression, target: string, term: string): number {
  const c = fit.targets.indexOf(target);
  if (c < 0)
    throw new RangeError(`coefficientOf: no target "${target}"; the targets are ${fit.targets.join(', ')}`);
  const j = fit.terms.indexOf(term);
  if (j < 0) throw new RangeError(`coefficientOf: no term "${term}"; the terms are ${fit.terms.join(', ')}`);
  return fit.coefficients[c][j];
}

/** Options of {@link sparseEquations}. */
export interface EquationFormat {
  /** Decimals of the printed coefficients (default 3). */
  readonly digits?: number;
  /** The left-hand side for a target (default the target's name). */
  readonly lhs?: (target: string) => string;
}

/**
 * The recovered equations as text, one per target: `dx = 1.300·x - 0.900·x·y` (terms with a
 * zero coefficient left out; `0` when none is left). Coefficients below 10⁻³ or above 10⁴
 * in magnitude print in exponent form.
 *
 * @example
 * ```ts
 * sparseEquations(fit); // ['dx = 1.300·x - 0.900·x·y', 'dy = -1.800·y + 0.800·x·y']
 * ```
 */
export function sparseEquations(fit: SparseRegression, format: EquationFormat = {}): string[] {
  const digits = format.digits ?? 3;
  const lhs = format.lhs ?? ((t: string) => t);
  const show = (v: number) => {
    const a = Math.abs(v);
    return a >= 1e-3 && a < 1e4 ? a.toFixed(digits) : a.toExponential(digits);
  };
  return fit.targets.map((target, c) => {
    const parts: string[] = [];
    fit.terms.forEach((name, j) => {
      const v = fit.coefficients[c][j];
      if (v === 0) return;
      const body = name === '1' ? show(v) : `${show(v)}·${name}`;
      if (parts.length === 0) parts.push(v < 0 ? `-${body}` : body);
      else parts.push(v < 0 ? `- ${body}` : `+ ${body}`);
    });
    return `${lhs(target)} = ${parts.length === 0 ? '0' : parts.join(' ')}`;
  });
}

/**
 * The model-language parameter name for the coefficient of `term` in the equation of
 * `target`: the target, `_`, and the term's name without `·`, `^` and other signs
 * (`U1` and `x^2·y` → `U1_x2y`; `sin(x)` → `sin_x`; the constant `1` → `const`).
 *
 * @example
 * ```ts
 * coefficientName('U1', 'x·y'); // 'U1_xy'
 * ```
 */
export function coefficientName(target: string, term: string): string {
  const body =
    term === '1'
      ? 'const'
      : term
          .replace(/[·^]/g, '')
          .replace(/[^A-Za-z0-9_]+/g, '_')
          .replace(/^_+|_+$/g, '');
  return `${target}_${body}`;
}

/** Options of {@link sparseExpression} and {@link sparseModelText}. */
export interface SparseTextOptions {
  /**
   * Write each coefficient as a parameter named by {@link coefficientName} instead of a
   * number (default false); {@link sparseModelText} then also emits the `param` lines, so the
   * recovered model's coefficients can be estimated again (refitted to data).
   */
  readonly parameters?: boolean;
}

/**
 * The recovered right-hand side of `target` as model-language text, with every coefficient
 * written exactly (the shortest decimal that reads back to the same double), or as a
 * parameter name with `parameters: true`: `1.3 * x - 0.9000000000000012 * x * y`, or
 * `dx_x * x + dx_xy * x * y`. Custom terms are parenthesized.
 *
 * @example
 * ```ts
 * sparseExpression(fit, 'dx'); // '1.3 * x - 0.9 * x * y'
 * ```
 */
export function sparseExpression(
  fit: SparseRegression,
  target: string,
  options: SparseTextOptions = {},
): string {
  const c = fit.targets.indexOf(target);
  if (c < 0)
    throw new RangeError(
      `sparseExpression: no target "${target}"; the targets are ${fit.targets.join(', ')}`,
    );
  const parts: string[] = [];
  fit.terms.forEach((term, j) => {
    const v = fit.coefficients[c][j];
    if (v === 0) return;
    const e = fit.expressions[j];
    const simple = /^[A-Za-z_0-9.^ *()]*$/.test(e) && !/[+\-/]/.test(e);
    const wrapped = simple ? e : `(${e})`;
    if (options.parameters === true) {
      const name = coefficientName(target, term);
      const body = e === '1' ? name : `${name} * ${wrapped}`;
      parts.push(parts.length === 0 ? body : `+ ${body}`);
      return;
    }
    const factor = e === '1' ? '' : ` * ${wrapped}`;
    const a = String(Math.abs(v));
    if (parts.length === 0) parts.push(`${v < 0 ? '-' : ''}${a}${factor}`);
    else parts.push(`${v < 0 ? '-' : '+'} ${a}${factor}`);
  });
  return parts.length === 0 ? '0' : parts.join(' ');
}

/**
 * Model-language lines for the recovered equations, one per target: `LHS = EXPRESSION` with
 * the left-hand side from `lhs` (default `d/dt TARGET`, for targets named after states), e.g.
 * `let U1 = -0.9 * x * y` with `lhs: (t) => \`let ${t}\``. With `parameters: true` the
 * coefficients are parameters, declared first (`param U1_xy = -0.9`). Paste the lines into a
 * model, or build one around them and `parseModel` it.
 *
 * @example
 * ```ts
 * sparseModelText(fit, { lhs: (t) => `let ${t}` }); // 'let U1 = -0.9 * x * y\nlet U2 = 0.8 * x * y'
 * ```
 */
export function sparseModelText(
  fit: SparseRegression,
  options: SparseTextOptions & { readonly lhs?: (target: string) => string } = {},
): string {
  const lhs = options.lhs ?? ((t: string) => `d/dt ${t}`);
  const lines: string[] = [];
  if (options.parameters === true) {
    fit.targets.forEach((target, c) => {
      fit.terms.forEach((term, j) => {
        const v = fit.coefficients[c][j];
        if (v !== 0) lines.push(`param ${coefficientName(target, term)} = ${String(v)}`);
      });
    });
  }
  for (const t of fit.targets) lines.push(`${lhs(t)} = ${sparseExpression(fit, t, options)}`);
  return lines.join('\n');
}

/**
 * The recovered right-hand sides at new samples: rows [samples, targets] of Σ_j ξ_{c,j}·θ_j(v).
 *
 * @example
 * ```ts
 * predictSparse(fit, library, [[1, 2]]); // [[dx, dy] at x = 1, y = 2]
 * ```
 */
export function predictSparse(
  fit: SparseRegression,
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
): Float64Array[] {
  if (library.terms.length !== fit.terms.length || library.terms.some((t, j) => t.name !== fit.terms[j])) {
    throw new RangeError(
      'predictSparse: the library is not the one the regression was fitted with (its terms differ)',
    );
  }
  checkRows('predictSparse', 'samples', samples, library.variables.length, library.variables);
  const theta = evaluateLibrary(library, samples);
  const p = fit.terms.length;
  return samples.map((_, r) =>
    Float64Array.from(fit.coefficients, (xi) => {
      let s = 0;
      for (let j = 0; j < p; j++) if (xi[j] !== 0) s += xi[j] * theta[r * p + j];
      return s;
    }),
  );
}
