/**
 * The TypeScript builder of the model language: the same declarations as the text format,
 * written as method calls, producing the same {@link Model} (the same expression DAG) as
 * `parseModel` of the equivalent text. Declarations return typed handles that are terms
 * themselves; expressions may be terms built with the helpers of `terms.ts` (exported as
 * `ex`), numbers, or expression text such as `'-w0^2*sin(theta)'`, resolved against the
 * builder's declarations when the model is built (so, as in text, a name may be used before
 * it is declared).
 */
import type { DeclNode, NameNode } from './ast.js';
import { elaborate, reservedNameProblem } from './elaborate.js';
import { isValidName } from './lexer.js';
import {
  type Interpolation,
  MLP_ACTIVATIONS,
  type MlpArchitecture,
  type Model,
  ModelError,
  type ParamScale,
} from './model.js';
import { type Term, type TermLike, term } from './terms.js';

/**
 * A handle for a declared symbol; it is a {@link Term} (its name) usable in expressions.
 *
 * @example
 * ```ts
 * const k: SymbolRef<'param'> = new ModelBuilder().param('k', 0.5);
 * k.name; // 'k'
 * ```
 */
export interface SymbolRef<K extends 'param' | 'state' | 'input' | 'covariate' | 'let'> extends NameNode {
  readonly declares: K;
}

/** @example `const k: ParamRef = b.param('k', 0.5)` */
export type ParamRef = SymbolRef<'param'>;
/** @example `const x: StateRef = b.state('x', 1)` */
export type StateRef = SymbolRef<'state'>;
/** @example `const u: InputRef = b.input('u')` */
export type InputRef = SymbolRef<'input'>;
/** @example `const wt: CovariateRef = b.covariate('WT', 70)` */
export type CovariateRef = SymbolRef<'covariate'>;
/** @example `const rate: DerivedRef = b.let('rate', mul(k, x))` */
export type DerivedRef = SymbolRef<'let'>;

/**
 * Options of {@link ModelBuilder.param}: bounds (default (−∞, ∞) on scale `lin`, [0, ∞) on
 * `log`, [0, 1] on `logit`), estimation scale (default `lin`), and `fixed` (not estimated).
 *
 * @example
 * ```ts
 * const options: ParamOptions = { bounds: [0.1, 10], scale: 'log' };
 * ```
 */
export interface ParamOptions {
  readonly bounds?: readonly [number, number];
  readonly scale?: ParamScale;
  readonly fixed?: boolean;
}

/**
 * Options of {@link ModelBuilder.input}: interpolation between data points (default `step`).
 *
 * @example
 * ```ts
 * const options: InputOptions = { interp: 'linear' };
 * ```
 */
export interface InputOptions {
  readonly interp?: Interpolation;
}

/**
 * Options of {@link ModelBuilder.observe}: the noise model (default `normal`) and its σ.
 *
 * @example
 * ```ts
 * const options: ObserveOptions = { noise: 'lognormal', sigma: 0.1 };
 * ```
 */
export interface ObserveOptions {
  readonly noise?: 'normal' | 'lognormal';
  readonly sigma: TermLike;
}

/**
 * A multilayer perceptron for {@link ModelBuilder.net}: hidden widths and activation.
 *
 * @example
 * ```ts
 * const arch: MlpOptions = { hidden: [64, 64], activation: 'tanh' };
 * ```
 */
export interface MlpOptions {
  readonly hidden: readonly number[];
  readonly activation: MlpArchitecture['activation'];
}

const ACTIVATIONS = MLP_ACTIVATIONS;

/**
 * A handle for a declared network. `out('a')` is the text's `F.a` (the network on its declared
 * inputs); `call(x, y).out('a')` is `F(x, y).a` (the same network, same weights, other inputs).
 *
 * @example
 * ```ts
 * const b = new ModelBuilder();
 * const x = b.state('x', 1);
 * const F = b.net('F', [x], ['a'], { hidden: [16], activation: 'tanh' });
 * b.ddt(x, add(F.out('a'), F.call(mul(2, x)).out('a')));
 * ```
 */
export class NetRef<O extends string> {
  constructor(
    readonly name: string,
    readonly outputs: readonly O[],
    /** Number of inputs of the network. */
    readonly arity: number,
  ) {}

  /** Output `output` of the network on its declared inputs (`F.a`). */
  out(output: O): Term {
    this.checkOutput(output);
    return { kind: 'netOut', net: this.name, args: null, output };
  }

  /** The network on other inputs (`F(x, y)`); pick an output with `.out(…)`. */
  call(...inputs: TermLike[]): { out(output: O): Term } {
    if (inputs.length !== this.arity) {
      throw new ModelError(
        `network "${this.name}" takes ${this.arity} inputs but is called with ${inputs.length} — ` +
          'give it as many inputs as it was declared with, in the same order',
      );
    }
    const args = inputs.map((x) => term(x, `<input of ${this.name}(…)>`));
    return {
      out: (output: O): Term => {
        this.checkOutput(output);
        return { kind: 'netOut', net: this.name, args, output };
      },
    };
  }

  private checkOutput(output: string): void {
    if (!this.outputs.some((o) => o === output)) {
      throw new ModelError(
        `network "${this.name}" has no output "${output}" — its outputs are ${this.outputs.join(', ')}`,
      );
    }
  }
}

/**
 * Builds a {@link Model} in TypeScript, declaration by declaration, exactly as the text format
 * would declare it: `new ModelBuilder('m').param('k', 1)` is `model m` / `param k = 1`.
 * Checks that concern one call (names, options) fail at that call; the rest (unknown names in
 * expression text, missing equations, cycles, bounds) at {@link ModelBuilder.build}.
 *
 * @example
 * ```ts
 * import { ModelBuilder, ex } from 'greybox';
 * const { mul, neg, pow, sin } = ex;
 * const b = new ModelBuilder('pendulum');
 * const w0 = b.param('w0', 2, { bounds: [0.1, 10], scale: 'log' });
 * const theta = b.state('theta', 0.5);
 * const omega = b.state('omega', 0);
 * b.ddt(theta, omega);
 * b.ddt(omega, neg(mul(pow(w0, 2), sin(theta))));    // or b.ddt(omega, '-w0^2*sin(theta)')
 * b.observe('angle', theta, { noise: 'normal', sigma: 0.05 });
 * const model = b.build();
 * ```
 */
export class ModelBuilder {
  private readonly decls: DeclNode[] = [];
  private readonly declared = new Map<string, string>();

  /**
   * @param name the model's name (`model NAME`), default `model`
   * @param description an optional one-line description
   */
  constructor(
    readonly name = 'model',
    readonly description?: string,
  ) {
    if (!isValidName(name)) this.fail(`"${name}" is not a valid model name`, 'use letters, digits and _');
    if (description !== undefined && /[\r\n]/.test(description)) {
      this.fail('the description has a line break', 'give a one-line description');
    }
  }

  private fail(what: string, fix: string): never {
    throw new ModelError(`ModelBuilder ${this.name}: ${what} — ${fix}`);
  }

  private claim(name: string, what: string): void {
    const problem = reservedNameProblem(name);
    if (problem !== undefined) this.fail(problem[0], problem[1]);
    const prev = this.declared.get(name);
    if (prev !== undefined)
      this.fail(`the name "${name}" is declared twice: as ${prev} and as ${what}`, 'rename one');
    this.declared.set(name, what);
  }

  private checkOptions(what: string, options: object, allowed: readonly string[]): void {
    for (const key of Object.keys(options)) {
      if (!allowed.includes(key))
        this.fail(`unknown option "${key}" of ${what}`, `the options are ${allowed.join(', ')}`);
    }
  }

  private static ref<K extends 'param' | 'state' | 'input' | 'covariate' | 'let'>(
    name: string,
    declares: K,
  ): SymbolRef<K> {
    return Object.freeze({ kind: 'name' as const, name, declares });
  }

  /**
   * `param NAME = VALUE [in [LO, HI]] [scale S] [fixed]`.
   *
   * @example
   * ```ts
   * const ka = b.param('ka', 1.2, { bounds: [0.01, 10], scale: 'log' });
   * ```
   */
  param(name: string, value: number, options: ParamOptions = {}): ParamRef {
    this.checkOptions(`param ${name}`, options, ['bounds', 'scale', 'fixed']);
    this.claim(name, 'a parameter');
    const scale = options.scale ?? 'lin';
    if (scale !== 'lin' && scale !== 'log' && scale !== 'logit') {
      this.fail(`unknown scale "${String(scale)}" of param ${name}`, 'the scales are lin, log and logit');
    }
    const bounds = options.bounds === undefined ? null : ([options.bounds[0], options.bounds[1]] as const);
    this.decls.push({ kind: 'param', name, value, bounds, scale, fixed: options.fixed ?? false });
    return ModelBuilder.ref(name, 'param');
  }

  /**
   * `covariate NAME [= DEFAULT]`: a static per-subject covariate.
   *
   * @example
   * ```ts
   * const wt = b.covariate('WT', 70);
   * ```
   */
  covariate(name: string, defaultValue?: number): CovariateRef {
    this.claim(name, 'a covariate');
    this.decls.push({ kind: 'covariate', name, defaultValue: defaultValue ?? null });
    return ModelBuilder.ref(name, 'covariate');
  }

  /**
   * `input NAME [interp step|linear]`: a time-varying exogenous input.
   *
   * @example
   * ```ts
   * const u = b.input('u', { interp: 'linear' });
   * ```
   */
  input(name: string, options: InputOptions = {}): InputRef {
    this.checkOptions(`input ${name}`, options, ['interp']);
    this.claim(name, 'an input');
    const interpolation = options.interp ?? 'step';
    if (interpolation !== 'step' && interpolation !== 'linear') {
      this.fail(`unknown interpolation "${String(interpolation)}" of input ${name}`, 'use step or linear');
    }
    this.decls.push({ kind: 'input', name, interpolation });
    return ModelBuilder.ref(name, 'input');
  }

  /**
   * `state NAME = INITIAL`: a state and its initial value (parameters, covariates, numbers).
   *
   * @example
   * ```ts
   * const x = b.state('x', 1);
   * const a = b.state('A', mul('dose0', 'F'));
   * ```
   */
  state(name: string, initial: TermLike): StateRef {
    this.claim(name, 'a state');
    this.decls.push({ kind: 'state', name, initial: term(initial, `<state ${name}>`) });
    return ModelBuilder.ref(name, 'state');
  }

  /**
   * `let NAME = EXPR`: a derived variable (inlined where it is used).
   *
   * @example
   * ```ts
   * const rate = b.let('rate', mul(k, x));
   * ```
   */
  let(name: string, expr: TermLike): DerivedRef {
    this.claim(name, 'a derived variable');
    this.decls.push({ kind: 'let', name, expr: term(expr, `<let ${name}>`) });
    return ModelBuilder.ref(name, 'let');
  }

  /**
   * `net NAME(INPUTS) -> (OUTPUTS) : mlp(HIDDEN…, ACTIVATION)`.
   *
   * @example
   * ```ts
   * const F = b.net('F', [theta, omega], ['a', 'b'], { hidden: [64, 64], activation: 'tanh' });
   * b.ddt(omega, add('-w0^2*sin(theta)', F.out('b')));
   * ```
   */
  net<const O extends string>(
    name: string,
    inputs: readonly TermLike[],
    outputs: readonly O[],
    mlp: MlpOptions,
  ): NetRef<O> {
    this.checkOptions(`net ${name}`, mlp, ['hidden', 'activation']);
    this.claim(name, 'a network');
    if (inputs.length === 0)
      this.fail(`network "${name}" has no inputs`, 'give it at least one input expression');
    if (outputs.length === 0) this.fail(`network "${name}" has no outputs`, 'name at least one output');
    outputs.forEach((o, i) => {
      if (!isValidName(o)) this.fail(`"${o}" is not a valid output name of network "${name}"`, 'use a name');
      if (outputs.indexOf(o) !== i)
        this.fail(`network "${name}" declares the output "${o}" twice`, 'rename one');
    });
    for (const w of mlp.hidden) {
      if (!(Number.isSafeInteger(w) && w >= 1)) {
        this.fail(`invalid hidden width ${w} of network "${name}"`, 'a hidden width is a whole number ≥ 1');
      }
    }
    if (!ACTIVATIONS.includes(mlp.activation)) {
      this.fail(
        `unknown activation "${String(mlp.activation)}"`,
        `the activations are ${ACTIVATIONS.join(', ')}`,
      );
    }
    this.decls.push({
      kind: 'net',
      name,
      inputs: inputs.map((x) => term(x, `<input of net ${name}>`)),
      outputs: outputs.map((o) => ({ name: o })),
      architecture: { kind: 'mlp', hidden: [...mlp.hidden], activation: mlp.activation },
    });
    return new NetRef(name, [...outputs], inputs.length);
  }

  /**
   * `d/dt STATE = RHS`: the equation of a state (a handle or the state's name).
   *
   * @example
   * ```ts
   * b.ddt(x, neg(mul(k, x)));
   * b.ddt('y', 'k*x - y');
   * ```
   */
  ddt(state: StateRef | string, rhs: TermLike): void {
    const name = typeof state === 'string' ? state : state.name;
    this.decls.push({ kind: 'equation', state: name, rhs: term(rhs, `<d/dt ${name}>`) });
  }

  /**
   * `obs NAME = EXPR ~ normal(SIGMA)` (or `lognormal`).
   *
   * @example
   * ```ts
   * b.observe('angle', theta, { noise: 'normal', sigma: 0.05 });
   * ```
   */
  observe(name: string, expr: TermLike, options: ObserveOptions): void {
    this.checkOptions(`obs ${name}`, options, ['noise', 'sigma']);
    if (!isValidName(name))
      this.fail(`"${name}" is not a valid observable name`, 'use letters, digits and _');
    const noise = options.noise ?? 'normal';
    if (noise !== 'normal' && noise !== 'lognormal') {
      this.fail(`unknown noise model "${String(noise)}" of obs ${name}`, 'use normal or lognormal');
    }
    this.decls.push({
      kind: 'obs',
      name,
      expr: term(expr, `<obs ${name}>`),
      noise,
      sigma: term(options.sigma, `<noise of obs ${name}>`),
    });
  }

  /**
   * `dose NAME -> STATE [bolus|infusion]`.
   *
   * @example
   * ```ts
   * b.dose('oral', depot);
   * b.dose('iv', central, 'infusion');
   * ```
   */
  dose(name: string, target: StateRef | string, route: 'bolus' | 'infusion' = 'bolus'): void {
    if (!isValidName(name)) this.fail(`"${name}" is not a valid dose name`, 'use letters, digits and _');
    if (route !== 'bolus' && route !== 'infusion')
      this.fail(`unknown dose route "${String(route)}"`, 'use bolus or infusion');
    const state = typeof target === 'string' ? target : target.name;
    this.decls.push({ kind: 'dose', name, target: state, route });
  }

  /**
   * The model of the declarations so far (the builder can go on and build again).
   *
   * @throws {ModelError} for a model that is not well formed (unknown names, a state without
   *   an equation, cyclic derived variables, a value outside its bounds, …); a
   *   {@link GbxSyntaxError} pointing into expression text given as a string
   */
  build(): Model {
    return elaborate({ name: this.name, description: this.description, decls: [...this.decls] });
  }
}
