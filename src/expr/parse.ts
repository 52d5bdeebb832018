/**
 * The parser of the model language: a hand-written recursive-descent parser for the grammar
 * of docs/model-language.md. Text → tokens (`lexer.ts`) → syntax tree (`ast.ts`) → Model
 * (`elaborate.ts`). Every problem is reported as a {@link GbxSyntaxError} naming the line and
 * column, showing the line with a caret and saying how to fix it.
 *
 * Grammar (a newline ends a declaration outside brackets):
 *
 * ```
 * model      := 'model' NAME [STRING]                            (first, at most once)
 * decl       := 'param' NAME '=' signed {'in' '[' signed ',' signed ']' | 'scale' S | 'fixed'}
 *             | 'covariate' NAME ['=' signed]      | 'input' NAME ['interp' ('step'|'linear')]
 *             | 'state' NAME '=' expr              | 'let' NAME '=' expr
 *             | 'd' '/' 'dt' NAME '=' expr         | 'obs' NAME '=' expr '~' DIST '(' expr ')'
 *             | 'dose' NAME '->' NAME ['bolus'|'infusion']
 *             | 'net' NAME '(' expr {',' expr} ')' '->' '(' NAME {',' NAME} ')' ':' 'mlp' '(' {INT ','} ACT ')'
 * signed     := ['+'|'-'] (NUMBER | 'inf')
 * expr       := 'if' expr 'then' expr 'else' expr | or
 * or         := and {'or' and}          and := not {'and' not}       not := 'not' not | compare
 * compare    := sum [('<'|'<='|'>'|'>='|'=='|'!=') sum]
 * sum        := product {('+'|'-') product}       product := unary {('*'|'/') unary}
 * unary      := ('-'|'+') unary | power            power := postfix ['^' unary]
 * postfix    := NUMBER | NAME | NAME '(' [expr {',' expr}] ')' ['.' NAME] | NAME '.' NAME | '(' expr ')'
 * ```
 */
import type {
  BinaryOperator,
  DeclNode,
  EquationNode,
  ExprNode,
  NetNode,
  NetOutputName,
  ObsNode,
  ParamNode,
  ProgramNode,
} from './ast.js';
import { elaborate } from './elaborate.js';
import { type Token, type TokenKind, tokenize } from './lexer.js';
import { MLP_ACTIVATIONS, type MlpArchitecture, type Model, type ParamScale } from './model.js';
import { type Pos, SourceText, syntaxError } from './source.js';
import { closestName } from './suggest.js';

/**
 * Options of {@link parseModel}.
 *
 * @example
 * ```ts
 * parseModel(text, { file: 'pendulum.gbx' }); // errors read "pendulum.gbx line 3, column 7: …"
 * ```
 */
export interface ParseOptions {
  /** The file name that error messages start with (e.g. `model.gbx`). */
  readonly file?: string;
}

/**
 * Deepest nesting of parentheses, function calls, prefix operators and powers in one
 * expression; deeper ones are refused with a located error (this bounds the parser's recursion).
 *
 * @example
 * ```ts
 * parseModel(`state x = 1\nd/dt x = ${'('.repeat(MAX_NESTING + 1)}x${')'.repeat(MAX_NESTING + 1)}`);
 * // throws: … expression nested too deeply (more than 200 levels) — split it into smaller parts with let
 * ```
 */
export const MAX_NESTING = 200;

/** The keywords that start a declaration. */
const DECLARATION_KEYWORDS = [
  'model',
  'param',
  'covariate',
  'input',
  'state',
  'let',
  'd/dt',
  'obs',
  'dose',
  'net',
] as const;

const ACTIVATIONS = MLP_ACTIVATIONS;

const COMPARISONS: ReadonlySet<TokenKind> = new Set(['<', '<=', '>', '>=', '==', '!=']);

const START_OF_DECLARATION =
  'a declaration starts with model, param, covariate, input, state, let, d/dt, obs, dose or net';

/**
 * Parses a model text into a validated {@link Model}.
 *
 * Declarations may come in any order (a name may be used before the line that declares it),
 * except `model`, which comes first if present; a text without it makes a model named `model`.
 *
 * @param source the model text
 * @param options `file`: the name error messages start with
 * @returns the model, its equations built in one `ExprFactory`
 * @throws {GbxSyntaxError} for any problem, with line, column, the line and a caret
 *
 * @example
 * ```ts
 * const m = parseModel(`
 *   model pendulum
 *   param w0 = 2 in [0.1, 10] scale log
 *   state theta = 0.5
 *   state omega = 0
 *   d/dt theta = omega
 *   d/dt omega = -w0^2 * sin(theta)
 *   obs angle = theta ~ normal(0.05)
 * `);
 * m.states.map((s) => s.name); // ['theta', 'omega']
 * ```
 */
export function parseModel(source: string, options: ParseOptions = {}): Model {
  if (typeof source !== 'string') throw new TypeError('parseModel expects the model text as a string');
  const text = new SourceText(source, options.file);
  const program = new Parser(tokenize(text)).program();
  return elaborate(program, text);
}

/**
 * Parses one expression (the right-hand side of an equation, say) into a syntax tree, for the
 * builder. `file` names the expression in error messages.
 *
 * @example
 * ```ts
 * parseExpressionText('-w0^2*sin(theta)', '<d/dt omega>').kind; // 'binary'
 * ```
 */
export function parseExpressionText(text: string, file?: string): ExprNode {
  const source = new SourceText(text, file);
  return new Parser(tokenize(source)).standaloneExpression();
}

class Parser {
  private k = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  // Token access

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.k + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (this.k < this.tokens.length - 1) this.k++;
    return t;
  }

  private isName(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && t.text === text;
  }

  private accept(kind: TokenKind): Token | undefined {
    return this.peek().kind === kind ? this.next() : undefined;
  }

  private expect(kind: TokenKind, what: string, fix: string): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    throw syntaxError(t.pos, `expected "${kind}" ${what}, found ${describe(t)}`, fixFor(t, fix));
  }

  private expectName(what: string, fix: string): Token {
    const t = this.peek();
    if (t.kind === 'name') return this.next();
    throw syntaxError(t.pos, `expected ${what}, found ${describe(t)}`, fix);
  }

  private atEnd(): boolean {
    const kind = this.peek().kind;
    return kind === 'newline' || kind === 'eof';
  }

  // Declarations

  program(): ProgramNode {
    let name = 'model';
    let description: string | undefined;
    let modelPos: Pos | undefined;
    const decls: DeclNode[] = [];
    for (;;) {
      while (this.accept('newline') !== undefined);
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (this.isName('model')) {
        if (modelPos !== undefined) {
          throw syntaxError(
            t.pos,
            `the model is named twice (first at line ${modelPos.line})`,
            'keep one model line',
          );
        }
        if (decls.length > 0) {
          throw syntaxError(t.pos, 'model must be the first declaration', 'move this line to the top');
        }
        modelPos = t.pos;
        this.next();
        name = this.expectName('the model\'s name after "model"', 'e.g. model pendulum "description"').text;
        const d = this.accept('string');
        if (d !== undefined) description = d.text;
      } else {
        decls.push(this.declaration());
      }
      this.endOfDeclaration();
    }
    return { name, description, decls };
  }

  standaloneExpression(): ExprNode {
    while (this.accept('newline') !== undefined);
    const e = this.expression();
    while (this.accept('newline') !== undefined);
    const t = this.peek();
    if (t.kind !== 'eof')
      throw syntaxError(t.pos, `unexpected ${describe(t)} after the expression`, afterValue(t));
    return e;
  }

  private endOfDeclaration(): void {
    const t = this.peek();
    if (t.kind === 'newline' || t.kind === 'eof') return;
    throw syntaxError(t.pos, `unexpected ${describe(t)} after the end of the declaration`, afterValue(t));
  }

  private declaration(): DeclNode {
    const t = this.peek();
    if (t.kind !== 'name') {
      throw syntaxError(t.pos, `unexpected ${describe(t)} at the start of a line`, START_OF_DECLARATION);
    }
    switch (t.text) {
      case 'param':
        return this.param();
      case 'covariate':
        return this.covariate();
      case 'input':
        return this.input();
      case 'state': {
        this.next();
        const n = this.expectName('the state\'s name after "state"', 'e.g. state x = 1');
        this.expect('=', `after "state ${n.text}"`, `give its initial value: state ${n.text} = 0`);
        return { kind: 'state', name: n.text, pos: n.pos, initial: this.expression() };
      }
      case 'let': {
        this.next();
        const n = this.expectName('the variable\'s name after "let"', 'e.g. let rate = k * x');
        this.expect('=', `after "let ${n.text}"`, `write let ${n.text} = EXPRESSION`);
        return { kind: 'let', name: n.text, pos: n.pos, expr: this.expression() };
      }
      case 'obs':
        return this.observable();
      case 'dose':
        return this.dose();
      case 'net':
        return this.net();
      default:
        if (t.text === 'd' && this.peek(1).kind === '/' && this.isName('dt', 2)) return this.equation();
        throw this.unknownDeclaration(t);
    }
  }

  private unknownDeclaration(t: Token): Error {
    const word = t.text;
    const after = this.peek(1);
    if (/^d[A-Za-z_]\w*$/.test(word) && after.kind === '/' && this.isName('dt', 2)) {
      return syntaxError(t.pos, `"${word}/dt" is not an equation`, `write d/dt ${word.slice(1)} = …`);
    }
    if (word === 'd')
      return syntaxError(t.pos, 'incomplete equation', 'an equation is written d/dt NAME = EXPRESSION');
    if (after.kind === '=') {
      return syntaxError(
        t.pos,
        `"${word}" is assigned without a declaration keyword`,
        `declare it: let ${word} = …, state ${word} = … or param ${word} = …`,
      );
    }
    const keywords = DECLARATION_KEYWORDS.filter((k) => k !== 'd/dt');
    const guess = closestName(word, keywords);
    if (guess !== undefined)
      return syntaxError(t.pos, `unknown declaration "${word}"`, `did you mean "${guess}"?`);
    return syntaxError(t.pos, `unknown declaration "${word}"`, START_OF_DECLARATION);
  }

  private signedNumber(what: string): { value: number; pos: Pos } {
    const start = this.peek();
    let sign = 1;
    if (start.kind === '-' || start.kind === '+') {
      this.next();
      if (start.kind === '-') sign = -1;
    }
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { value: sign * t.value, pos: start.pos };
    }
    if (this.isName('inf')) {
      this.next();
      return { value: sign * Number.POSITIVE_INFINITY, pos: start.pos };
    }
    throw syntaxError(
      t.pos,
      `expected a number for ${what}, found ${describe(t)}`,
      'write a number such as 0.5, -1e-3 or inf (use let for an expression)',
    );
  }

  private param(): ParamNode {
    this.next();
    const n = this.expectName('the parameter\'s name after "param"', 'e.g. param k = 0.5 in [0, 10]');
    const name = n.text;
    this.expect('=', `after "param ${name}"`, `give its value: param ${name} = 0.5`);
    const { value, pos: valuePos } = this.signedNumber(`the value of parameter "${name}"`);
    let bounds: [number, number] | null = null;
    let boundsPos: Pos | undefined;
    let scale: ParamScale = 'lin';
    let scalePos: Pos | undefined;
    let fixed = false;
    let fixedPos: Pos | undefined;
    const options = ['in', 'scale', 'fixed'];
    while (!this.atEnd()) {
      const t = this.peek();
      const twice = (what: string, first: Pos) =>
        syntaxError(
          t.pos,
          `${what} of parameter "${name}" given twice (first at column ${first.column})`,
          'keep one',
        );
      if (this.isName('in')) {
        if (boundsPos !== undefined) throw twice('the bounds', boundsPos);
        this.next();
        const open = this.expect('[', 'after "in"', `write the bounds as in [LO, HI]`);
        boundsPos = open.pos;
        const lower = this.signedNumber(`the lower bound of parameter "${name}"`).value;
        this.expect(',', 'between the bounds', 'write in [LO, HI]');
        const upper = this.signedNumber(`the upper bound of parameter "${name}"`).value;
        bounds = [lower, upper];
        this.expect(']', `to close the "[" at column ${open.pos.column}`, 'write in [LO, HI]');
      } else if (this.isName('scale')) {
        if (scalePos !== undefined) throw twice('the scale', scalePos);
        scalePos = this.next().pos;
        const s = this.expectName('lin, log or logit after "scale"', 'e.g. scale log');
        if (s.text !== 'lin' && s.text !== 'log' && s.text !== 'logit') {
          const guess = closestName(s.text, ['lin', 'log', 'logit']);
          throw syntaxError(
            s.pos,
            `unknown scale "${s.text}"`,
            guess !== undefined ? `did you mean "${guess}"?` : 'the scales are lin, log and logit',
          );
        }
        scale = s.text;
      } else if (this.isName('fixed')) {
        if (fixedPos !== undefined) throw twice('"fixed"', fixedPos);
        fixedPos = this.next().pos;
        fixed = true;
      } else {
        const guess = t.kind === 'name' ? closestName(t.text, options) : undefined;
        throw syntaxError(
          t.pos,
          `unexpected ${describe(t)} in the declaration of parameter "${name}"`,
          guess !== undefined
            ? `did you mean "${guess}"?`
            : 'after the value may come in [LO, HI], scale lin|log|logit and fixed; use let for an expression',
        );
      }
    }
    return {
      kind: 'param',
      name,
      pos: n.pos,
      value,
      valuePos,
      bounds,
      boundsPos,
      scale,
      scalePos,
      fixed,
    };
  }

  private covariate(): DeclNode {
    this.next();
    const n = this.expectName('the covariate\'s name after "covariate"', 'e.g. covariate WT = 70');
    let defaultValue: number | null = null;
    if (this.accept('=') !== undefined) {
      defaultValue = this.signedNumber(`the default value of covariate "${n.text}"`).value;
    }
    return { kind: 'covariate', name: n.text, pos: n.pos, defaultValue };
  }

  private input(): DeclNode {
    this.next();
    const n = this.expectName('the input\'s name after "input"', 'e.g. input u interp linear');
    let interpolation: 'step' | 'linear' = 'step';
    if (this.isName('interp')) {
      this.next();
      const s = this.expectName('step or linear after "interp"', 'e.g. input u interp linear');
      if (s.text !== 'step' && s.text !== 'linear') {
        const guess = closestName(s.text, ['step', 'linear']);
        throw syntaxError(
          s.pos,
          `unknown interpolation "${s.text}"`,
          guess !== undefined ? `did you mean "${guess}"?` : 'the interpolations are step and linear',
        );
      }
      interpolation = s.text;
    }
    return { kind: 'input', name: n.text, pos: n.pos, interpolation };
  }

  private equation(): EquationNode {
    this.next(); // d
    this.next(); // /
    this.next(); // dt
    if (this.peek().kind === '(') {
      throw syntaxError(this.peek().pos, 'unexpected "(" after d/dt', 'write d/dt NAME = EXPRESSION');
    }
    const n = this.expectName('a state\'s name after "d/dt"', 'write d/dt NAME = EXPRESSION');
    this.expect('=', `after "d/dt ${n.text}"`, `write d/dt ${n.text} = EXPRESSION`);
    return { kind: 'equation', state: n.text, pos: n.pos, rhs: this.expression() };
  }

  private observable(): ObsNode {
    this.next();
    const n = this.expectName('the observable\'s name after "obs"', 'e.g. obs y = x ~ normal(0.1)');
    this.expect('=', `after "obs ${n.text}"`, `write obs ${n.text} = EXPRESSION ~ normal(SIGMA)`);
    const expr = this.expression();
    const tilde = this.peek();
    if (tilde.kind !== '~') {
      throw syntaxError(
        tilde.pos,
        `expected "~" and a noise model after the observable "${n.text}", found ${describe(tilde)}`,
        'add ~ normal(SIGMA) or ~ lognormal(SIGMA)',
      );
    }
    this.next();
    const d = this.expectName('normal or lognormal after "~"', 'write ~ normal(SIGMA) or ~ lognormal(SIGMA)');
    if (d.text !== 'normal' && d.text !== 'lognormal') {
      const guess = closestName(d.text, ['normal', 'lognormal']);
      throw syntaxError(
        d.pos,
        `unknown noise model "${d.text}"`,
        guess !== undefined
          ? `did you mean "${guess}"?`
          : 'the noise models are normal(SIGMA) and lognormal(SIGMA)',
      );
    }
    const open = this.expect('(', `after "${d.text}"`, `write ~ ${d.text}(SIGMA)`);
    const sigma = this.expression();
    this.closing(')', open);
    return { kind: 'obs', name: n.text, pos: n.pos, expr, noise: d.text, sigma };
  }

  private dose(): DeclNode {
    this.next();
    const n = this.expectName('the dose\'s name after "dose"', 'e.g. dose oral -> depot');
    this.expect('->', `after "dose ${n.text}"`, `write dose ${n.text} -> STATE`);
    const target = this.expectName(
      'the state that receives the dose after "->"',
      `write dose ${n.text} -> STATE`,
    );
    let route: 'bolus' | 'infusion' = 'bolus';
    if (!this.atEnd()) {
      const r = this.peek();
      if (r.kind === 'name' && (r.text === 'bolus' || r.text === 'infusion')) {
        route = r.text;
        this.next();
      } else {
        const guess = r.kind === 'name' ? closestName(r.text, ['bolus', 'infusion']) : undefined;
        throw syntaxError(
          r.pos,
          `unexpected ${describe(r)} after the dose's target`,
          guess !== undefined ? `did you mean "${guess}"?` : 'a dose is a bolus (the default) or an infusion',
        );
      }
    }
    return { kind: 'dose', name: n.text, pos: n.pos, target: target.text, targetPos: target.pos, route };
  }

  private net(): NetNode {
    this.next();
    const n = this.expectName('the network\'s name after "net"', 'e.g. net F(x, y) -> (a) : mlp(32, tanh)');
    const name = n.text;
    const open = this.expect(
      '(',
      `after "net ${name}"`,
      `list its inputs: net ${name}(x, y) -> (a) : mlp(32, tanh)`,
    );
    if (this.peek().kind === ')') {
      throw syntaxError(
        this.peek().pos,
        `network "${name}" has no inputs`,
        'give it at least one input expression',
      );
    }
    const inputs = this.argumentList(open);
    this.expect('->', `after the inputs of network "${name}"`, `write net ${name}(…) -> (OUT, …) : mlp(…)`);
    const outOpen = this.expect('(', 'before the output names', `write -> (a, b)`);
    const outputs: NetOutputName[] = [];
    for (;;) {
      const o = this.expectName('an output name', `write -> (a, b)`);
      const dup = outputs.find((p) => p.name === o.text);
      if (dup !== undefined) {
        throw syntaxError(
          o.pos,
          `network "${name}" declares the output "${o.text}" twice`,
          'rename one of them',
        );
      }
      outputs.push({ name: o.text, pos: o.pos });
      if (this.accept(',') === undefined) break;
    }
    this.closing(')', outOpen);
    this.expect(':', `after the outputs of network "${name}"`, 'write : mlp(WIDTH, …, ACTIVATION)');
    return { kind: 'net', name, pos: n.pos, inputs, outputs, architecture: this.architecture() };
  }

  private architecture(): MlpArchitecture {
    const a = this.expectName(
      'an architecture after ":"',
      'write mlp(WIDTH, …, ACTIVATION), e.g. mlp(32, 32, tanh)',
    );
    if (a.text !== 'mlp') {
      throw syntaxError(
        a.pos,
        `unknown architecture "${a.text}"`,
        'the available architecture is mlp(WIDTH, …, ACTIVATION)',
      );
    }
    const open = this.expect('(', 'after "mlp"', 'write mlp(WIDTH, …, ACTIVATION), e.g. mlp(32, 32, tanh)');
    const hidden: number[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'number') {
        if (!(Number.isSafeInteger(t.value) && t.value >= 1)) {
          throw syntaxError(t.pos, `invalid hidden width ${t.text}`, 'a hidden width is a whole number ≥ 1');
        }
        hidden.push(t.value);
        this.next();
        if (this.peek().kind !== ',') {
          throw syntaxError(
            this.peek().pos,
            `expected "," and the activation after the widths, found ${describe(this.peek())}`,
            `the last argument of mlp is the activation: ${ACTIVATIONS.join(', ')}`,
          );
        }
        this.next();
      } else if (t.kind === 'name') {
        this.next();
        const activation = ACTIVATIONS.find((x) => x === t.text);
        if (activation === undefined) {
          const guess = closestName(t.text, ACTIVATIONS);
          throw syntaxError(
            t.pos,
            `unknown activation "${t.text}"`,
            guess !== undefined
              ? `did you mean "${guess}"?`
              : `the activations are ${ACTIVATIONS.join(', ')}`,
          );
        }
        this.closing(')', open);
        return { kind: 'mlp', hidden, activation };
      } else {
        throw syntaxError(
          t.pos,
          `expected a hidden width or the activation, found ${describe(t)}`,
          `write mlp(WIDTH, …, ACTIVATION) with ACTIVATION one of ${ACTIVATIONS.join(', ')}`,
        );
      }
    }
  }

  // Expressions

  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING) {
      throw syntaxError(
        t.pos,
        `expression nested too deeply (more than ${MAX_NESTING} levels)`,
        'split it into smaller parts with let',
      );
    }
  }

  private expression(): ExprNode {
    const t = this.peek();
    this.enter(t);
    let e: ExprNode;
    if (this.isName('if')) {
      this.next();
      const cond = this.expression();
      this.keyword('then', 'after the condition of "if"', 'write if CONDITION then A else B');
      const whenTrue = this.expression();
      this.keyword('else', 'after "then …"', 'an if needs both branches: if CONDITION then A else B');
      const whenFalse = this.expression();
      e = { kind: 'if', cond, whenTrue, whenFalse, pos: t.pos };
    } else {
      e = this.or();
    }
    this.depth--;
    return e;
  }

  private keyword(word: string, what: string, fix: string): void {
    if (this.isName(word)) {
      this.next();
      return;
    }
    const t = this.peek();
    throw syntaxError(t.pos, `expected "${word}" ${what}, found ${describe(t)}`, fixFor(t, fix));
  }

  private or(): ExprNode {
    let left = this.and();
    while (this.isName('or')) {
      const op = this.next();
      left = { kind: 'binary', op: 'or', left, right: this.and(), pos: op.pos };
    }
    return left;
  }

  private and(): ExprNode {
    let left = this.not();
    while (this.isName('and')) {
      const op = this.next();
      left = { kind: 'binary', op: 'and', left, right: this.not(), pos: op.pos };
    }
    return left;
  }

  private not(): ExprNode {
    if (!this.isName('not')) return this.comparison();
    const op = this.next();
    this.enter(op);
    const arg = this.not();
    this.depth--;
    return { kind: 'unary', op: 'not', arg, pos: op.pos };
  }

  private comparison(): ExprNode {
    const left = this.sum();
    const t = this.peek();
    if (!COMPARISONS.has(t.kind)) return left;
    this.next();
    const right = this.sum();
    const again = this.peek();
    if (COMPARISONS.has(again.kind)) {
      throw syntaxError(
        again.pos,
        'comparisons cannot be chained',
        `combine two comparisons with and: (a ${t.kind} b) and (b ${again.kind} c)`,
      );
    }
    return { kind: 'binary', op: t.kind as BinaryOperator, left, right, pos: t.pos };
  }

  private sum(): ExprNode {
    let left = this.product();
    for (;;) {
      const t = this.peek();
      if (t.kind !== '+' && t.kind !== '-') return left;
      this.next();
      left = { kind: 'binary', op: t.kind, left, right: this.product(), pos: t.pos };
    }
  }

  private product(): ExprNode {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== '*' && t.kind !== '/') return left;
      this.next();
      left = { kind: 'binary', op: t.kind, left, right: this.unary(), pos: t.pos };
    }
  }

  private unary(): ExprNode {
    const t = this.peek();
    if (t.kind !== '-' && t.kind !== '+') return this.power();
    this.next();
    this.enter(t);
    const arg = this.unary();
    this.depth--;
    return { kind: 'unary', op: t.kind, arg, pos: t.pos };
  }

  private power(): ExprNode {
    const base = this.postfix();
    const t = this.peek();
    if (t.kind !== '^') return base;
    this.next();
    this.enter(t);
    const exponent = this.unary();
    this.depth--;
    return { kind: 'binary', op: '^', left: base, right: exponent, pos: t.pos };
  }

  private postfix(): ExprNode {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.value, pos: t.pos };
    }
    if (t.kind === '(') {
      this.next();
      const e = this.expression();
      this.closing(')', t);
      return e;
    }
    if (t.kind !== 'name') throw this.missingValue(t);
    switch (t.text) {
      case 'if':
        throw syntaxError(
          t.pos,
          'an if … then … else … inside an expression needs parentheses',
          'write (if C then A else B)',
        );
      case 'not':
        throw syntaxError(
          t.pos,
          'a "not" inside an arithmetic expression needs parentheses',
          'write (not X)',
        );
      case 'then':
      case 'else':
      case 'and':
      case 'or':
        throw this.missingValue(t);
      default:
        break;
    }
    this.next();
    const open = this.peek();
    if (open.kind === '(') {
      this.next();
      let list: ExprNode[];
      if (this.peek().kind === ')') {
        this.next();
        list = [];
      } else {
        list = this.argumentList(open);
      }
      if (this.peek().kind === '.') return this.netOutput(t, list);
      return { kind: 'call', callee: t.text, args: list, pos: t.pos };
    }
    if (open.kind === '.') return this.netOutput(t, null);
    return { kind: 'name', name: t.text, pos: t.pos };
  }

  /** Comma-separated expressions after an opening "(" that is already consumed, and the ")". */
  private argumentList(open: Token): ExprNode[] {
    const args: ExprNode[] = [this.expression()];
    while (this.accept(',') !== undefined) args.push(this.expression());
    this.closing(')', open);
    return args;
  }

  private netOutput(net: Token, args: ExprNode[] | null): ExprNode {
    this.next(); // .
    const o = this.expectName(
      `an output name of network "${net.text}" after "."`,
      `write ${net.text}.OUTPUT`,
    );
    return { kind: 'netOut', net: net.text, args, output: o.text, pos: net.pos, outputPos: o.pos };
  }

  private closing(kind: ')' | ']', open: Token): void {
    const t = this.peek();
    if (t.kind === kind) {
      this.next();
      return;
    }
    const here =
      open.pos.line === t.pos.line
        ? `column ${open.pos.column}`
        : `line ${open.pos.line}, column ${open.pos.column}`;
    throw syntaxError(
      t.pos,
      `expected "${kind}" to close the "${open.kind}" at ${here}, found ${describe(t)}`,
      t.kind === 'name' || t.kind === 'number' || t.kind === '('
        ? `add "${kind}", or an operator or "," before ${describe(t)}`
        : `add "${kind}"`,
    );
  }

  private missingValue(t: Token): Error {
    let fix: string;
    if (t.kind === 'newline' || t.kind === 'eof')
      fix = 'the expression is incomplete: complete it or remove the operator before';
    else if (t.kind === '=') fix = 'to compare, write ==';
    else if (t.kind === '^') fix = 'a power needs a base: x^2';
    else fix = 'write a number, a name, a function call or an expression in parentheses here';
    return syntaxError(t.pos, `expected a value, found ${describe(t)}`, fix);
  }
}

/** How a token is named in messages. */
function describe(t: Token): string {
  switch (t.kind) {
    case 'name':
      return `"${t.text}"`;
    case 'number':
      return `the number ${t.text}`;
    case 'string':
      return 'a string';
    case 'newline':
      return 'the end of the line';
    case 'eof':
      return 'the end of the text';
    default:
      return `"${t.kind}"`;
  }
}

/** The fix for an unexpected token where `fix` is the general advice. */
function fixFor(t: Token, fix: string): string {
  if (t.kind === '=') return `to compare, write ==; otherwise ${fix}`;
  return fix;
}

/** The fix for a token that follows a complete value or declaration. */
function afterValue(t: Token): string {
  switch (t.kind) {
    case 'name':
    case 'number':
    case '(':
      return 'an operator (+ - * / ^) is missing before it, or it belongs on a line of its own';
    case ')':
    case ']':
      return 'it closes no bracket: remove it';
    case '=':
      return 'to compare, write ==';
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return 'comparisons cannot be chained: combine them with and';
    default:
      return 'remove it, or start a new line';
  }
}
