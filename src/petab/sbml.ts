/**
 * SBML (Level 2 and 3) reader for the core of the format that ODE models use: compartments,
 * species (initial amount or concentration, `hasOnlySubstanceUnits`, boundary conditions),
 * parameters, reactions with MathML kinetic laws (local parameters included), assignment and
 * rate rules, initial assignments and function definitions. MathML is read into the model
 * language's expression syntax tree (`ExprNode`), which `sbmlToModel` lowers into the
 * model IR. Events, algebraic rules, delays, variable stoichiometry and non-constant
 * compartments are rejected, naming the element.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { ExprNode } from '../expr/ast.js';

/** A compartment: id, size (default 1), whether constant. */
export interface SbmlCompartment {
  readonly id: string;
  readonly size: number;
  readonly constant: boolean;
}

/** A species with its initial quantity and SBML flags. */
export interface SbmlSpecies {
  readonly id: string;
  readonly compartment: string;
  readonly initialAmount: number | null;
  readonly initialConcentration: number | null;
  readonly hasOnlySubstanceUnits: boolean;
  readonly boundaryCondition: boolean;
  readonly constant: boolean;
}

/** A global parameter. */
export interface SbmlParameter {
  readonly id: string;
  readonly value: number;
  readonly constant: boolean;
}

/** A reactant or product with its (constant) stoichiometry. */
export interface SbmlSpeciesReference {
  readonly species: string;
  readonly stoichiometry: number;
}

/** A reaction: participants and the kinetic law (a rate in amount per time). */
export interface SbmlReaction {
  readonly id: string;
  readonly reactants: readonly SbmlSpeciesReference[];
  readonly products: readonly SbmlSpeciesReference[];
  readonly rate: ExprNode;
  readonly localParameters: ReadonlyMap<string, number>;
}

/** An assignment rule (x = f), rate rule (dx/dt = f) or initial assignment (x(t0) = f). */
export interface SbmlRule {
  readonly kind: 'assignment' | 'rate';
  readonly variable: string;
  readonly math: ExprNode;
}

/** A function definition: lambda(args…, body). */
export interface SbmlFunction {
  readonly id: string;
  readonly args: readonly string[];
  readonly body: ExprNode;
}

/** The parts of an SBML model that `sbmlToModel` uses. */
export interface SbmlModel {
  readonly id: string;
  readonly level: number;
  readonly compartments: readonly SbmlCompartment[];
  readonly species: readonly SbmlSpecies[];
  readonly parameters: readonly SbmlParameter[];
  readonly reactions: readonly SbmlReaction[];
  readonly rules: readonly SbmlRule[];
  readonly initialAssignments: ReadonlyMap<string, ExprNode>;
  readonly functions: ReadonlyMap<string, SbmlFunction>;
}

/** Thrown for SBML that cannot be read; names the file, the element and what is unsupported. */
export class SbmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SbmlError';
  }
}

const children = (e: Element, name?: string): Element[] => {
  const out: Element[] = [];
  for (let n = e.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && (name === undefined || (n as Element).localName === name)) out.push(n as Element);
  }
  return out;
};

const child = (e: Element, name: string): Element | null => children(e, name)[0] ?? null;

const listOf = (model: Element, list: string, item: string): Element[] => {
  const l = child(model, list);
  return l === null ? [] : children(l, item);
};

/**
 * Parses SBML text (Level 2 or 3).
 *
 * @example
 * ```ts
 * const m = parseSbml(xmlText, 'model.xml');
 * m.species.map((s) => s.id); // ['prey', 'predator']
 * ```
 */
export function parseSbml(xml: string, file: string): SbmlModel {
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') errors.push(msg);
    },
  }).parseFromString(xml, 'text/xml');
  if (errors.length > 0) throw new SbmlError(`${file}: not well-formed XML: ${errors[0]}`);
  const root = doc.documentElement;
  if (root === null || root.localName !== 'sbml')
    throw new SbmlError(`${file}: the root element is not <sbml>`);
  const level = Number(root.getAttribute('level') ?? '3');
  if (level !== 2 && level !== 3)
    throw new SbmlError(`${file}: SBML level ${level} is not supported (levels 2 and 3 are)`);
  const model = child(root, 'model');
  if (model === null) throw new SbmlError(`${file}: no <model> element`);
  const at = (el: Element) =>
    `${file}: <${el.localName}${el.getAttribute('id') ? ` id="${el.getAttribute('id')}"` : ''}>`;
  const num = (el: Element, attr: string): number | null => {
    const v = el.getAttribute(attr);
    if (v === null || v === '') return null;
    const x = Number(v);
    if (Number.isNaN(x) && v.trim() !== 'NaN')
      throw new SbmlError(`${at(el)}: attribute ${attr}="${v}" is not a number`);
    return x;
  };
  const bool = (el: Element, attr: string, dflt: boolean): boolean => {
    const v = el.getAttribute(attr);
    return v === null ? dflt : v === 'true' || v === '1';
  };
  const id = (el: Element): string => {
    const v = el.getAttribute('id');
    if (v === null || v === '') throw new SbmlError(`${at(el)}: missing id`);
    return v;
  };
  for (const unsupported of ['listOfEvents', 'listOfConstraints']) {
    const l = child(model, unsupported);
    if (l !== null && children(l).length > 0)
      throw new SbmlError(
        `${file}: ${unsupported.slice(6).toLowerCase()} (<${unsupported}>) are not supported by greybox's SBML import`,
      );
  }
  const functions = new Map<string, SbmlFunction>();
  for (const fd of listOf(model, 'listOfFunctionDefinitions', 'functionDefinition')) {
    const lambda = child(child(fd, 'math') ?? fd, 'lambda');
    if (lambda === null) throw new SbmlError(`${at(fd)}: expected <math><lambda>…`);
    const bvars = children(lambda, 'bvar').map((b) => ciName(child(b, 'ci'), at(fd)));
    const body = children(lambda).filter((c) => c.localName !== 'bvar');
    if (body.length !== 1) throw new SbmlError(`${at(fd)}: a lambda needs exactly one body`);
    functions.set(id(fd), { id: id(fd), args: bvars, body: mathNode(body[0], at(fd)) });
  }
  const mathOf = (el: Element): ExprNode => {
    const m = child(el, 'math');
    if (m === null) throw new SbmlError(`${at(el)}: missing <math>`);
    const kids = children(m);
    if (kids.length !== 1) throw new SbmlError(`${at(el)}: <math> must hold one expression`);
    return mathNode(kids[0], at(el));
  };
  const compartments = listOf(model, 'listOfCompartments', 'compartment').map((c) => ({
    id: id(c),
    size: num(c, 'size') ?? num(c, 'volume') ?? 1,
    constant: bool(c, 'constant', true),
  }));
  const species = listOf(model, 'listOfSpecies', 'species').map((s) => ({
    id: id(s),
    compartment: s.getAttribute('compartment') ?? '',
    initialAmount: num(s, 'initialAmount'),
    initialConcentration: num(s, 'initialConcentration'),
    hasOnlySubstanceUnits: bool(s, 'hasOnlySubstanceUnits', false),
    boundaryCondition: bool(s, 'boundaryCondition', false),
    constant: bool(s, 'constant', false),
  }));
  const parameters = listOf(model, 'listOfParameters', 'parameter').map((p) => ({
    id: id(p),
    value: num(p, 'value') ?? Number.NaN,
    constant: bool(p, 'constant', true),
  }));
  const refs = (r: Element, list: string): SbmlSpeciesReference[] =>
    listOf(r, list, 'speciesReference').map((sr) => {
      if (child(sr, 'stoichiometryMath') !== null)
        throw new SbmlError(`${at(r)}: stoichiometryMath (variable stoichiometry) is not supported`);
      const sp = sr.getAttribute('species');
      if (sp === null) throw new SbmlError(`${at(r)}: a speciesReference without species`);
      return { species: sp, stoichiometry: num(sr, 'stoichiometry') ?? 1 };
    });
  const reactions = listOf(model, 'listOfReactions', 'reaction').map((r) => {
    if (bool(r, 'fast', false)) throw new SbmlError(`${at(r)}: fast reactions are not supported`);
    const kl = child(r, 'kineticLaw');
    if (kl === null) throw new SbmlError(`${at(r)}: a reaction without kineticLaw`);
    const localParameters = new Map<string, number>();
    for (const lp of [
      ...listOf(kl, 'listOfParameters', 'parameter'),
      ...listOf(kl, 'listOfLocalParameters', 'localParameter'),
    ])
      localParameters.set(id(lp), num(lp, 'value') ?? Number.NaN);
    return {
      id: id(r),
      reactants: refs(r, 'listOfReactants'),
      products: refs(r, 'listOfProducts'),
      rate: mathOf(kl),
      localParameters,
    };
  });
  const rules: SbmlRule[] = [];
  const lr = child(model, 'listOfRules');
  for (const rule of lr === null ? [] : children(lr)) {
    const name = rule.localName;
    if (name === 'algebraicRule') throw new SbmlError(`${file}: algebraic rules are not supported`);
    const variable = rule.getAttribute('variable');
    if (variable === null) throw new SbmlError(`${file}: <${name}> without variable`);
    if (name === 'assignmentRule') rules.push({ kind: 'assignment', variable, math: mathOf(rule) });
    else if (name === 'rateRule') rules.push({ kind: 'rate', variable, math: mathOf(rule) });
    else throw new SbmlError(`${file}: rule <${name}> is not supported`);
  }
  const initialAssignments = new Map<string, ExprNode>();
  for (const ia of listOf(model, 'listOfInitialAssignments', 'initialAssignment')) {
    const sym = ia.getAttribute('symbol');
    if (sym === null) throw new SbmlError(`${file}: <initialAssignment> without symbol`);
    initialAssignments.set(sym, mathOf(ia));
  }
  return {
    id: model.getAttribute('id') ?? 'model',
    level,
    compartments,
    species,
    parameters,
    reactions,
    rules,
    initialAssignments,
    functions,
  };
}

function ciName(e: Element | null, where: string): string {
  if (e === null) throw new SbmlError(`${where}: expected <ci>`);
  return (e.textContent ?? '').trim();
}

const N = (value: number): ExprNode => ({ kind: 'number', value });
const call = (callee: string, args: readonly ExprNode[]): ExprNode => ({ kind: 'call', callee, args });
const bin = (op: '+' | '-' | '*' | '/' | '^', left: ExprNode, right: ExprNode): ExprNode => ({
  kind: 'binary',
  op,
  left,
  right,
});

const RELATIONS: Record<string, '<' | '<=' | '>' | '>=' | '==' | '!='> = {
  lt: '<',
  leq: '<=',
  gt: '>',
  geq: '>=',
  eq: '==',
  neq: '!=',
};

const FUNCTIONS = new Set([
  'exp',
  'ln',
  'abs',
  'sin',
  'cos',
  'tan',
  'tanh',
  'floor',
  'ceiling',
  'sinh',
  'cosh',
  'arcsin',
  'arccos',
  'arctan',
  'factorial',
]);

/** MathML content element → expression syntax tree. */
function mathNode(e: Element, where: string): ExprNode {
  const name = e.localName;
  switch (name) {
    case 'cn': {
      const type = e.getAttribute('type') ?? 'real';
      const parts: string[] = [];
      for (let n = e.firstChild; n !== null; n = n.nextSibling) {
        if (n.nodeType === 3) parts.push(n.nodeValue ?? '');
        else if (n.nodeType === 1 && (n as Element).localName === 'sep') parts.push('|');
      }
      const text = parts.join('').trim();
      if (type === 'e-notation') {
        const [m, x] = text.split('|').map(Number);
        return N(m * 10 ** x);
      }
      if (type === 'rational') {
        const [p, q] = text.split('|').map(Number);
        return N(p / q);
      }
      const v = Number(text);
      if (Number.isNaN(v) && text !== 'NaN')
        throw new SbmlError(`${where}: <cn>${text}</cn> is not a number`);
      return N(v);
    }
    case 'ci':
      return { kind: 'name', name: ciName(e, where) };
    case 'csymbol': {
      const url = e.getAttribute('definitionURL') ?? '';
      if (url.endsWith('/time')) return { kind: 'name', name: 't' };
      if (url.endsWith('/avogadro')) return N(6.02214076e23);
      throw new SbmlError(`${where}: csymbol ${url} (e.g. delay) is not supported`);
    }
    case 'pi':
      return N(Math.PI);
    case 'exponentiale':
      return N(Math.E);
    case 'true':
      return N(1);
    case 'false':
      return N(0);
    case 'infinity':
      return N(Number.POSITIVE_INFINITY);
    case 'notanumber':
      return N(Number.NaN);
    case 'piecewise': {
      const args: ExprNode[] = [];
      for (const p of children(e, 'piece')) {
        const [v, c] = children(p).map((x) => mathNode(x, where));
        args.push(c, v);
      }
      const ow = child(e, 'otherwise');
      args.push(ow === null ? N(Number.NaN) : mathNode(children(ow)[0], where));
      return call('piecewise', args);
    }
    case 'apply':
      return applyNode(e, where);
    case 'semantics': {
      const k = children(e).filter((c) => c.localName !== 'annotation' && c.localName !== 'annotation-xml');
      return mathNode(k[0], where);
    }
    default:
      throw new SbmlError(`${where}: MathML element <${name}> is not supported`);
  }
}

function applyNode(e: Element, where: string): ExprNode {
  const [head, ...rest] = children(e);
  if (head === undefined) throw new SbmlError(`${where}: empty <apply>`);
  const op = head.localName ?? '';
  const qualifiers = new Map<string, ExprNode>();
  const args: ExprNode[] = [];
  for (const r of rest) {
    if (r.localName === 'degree' || r.localName === 'logbase')
      qualifiers.set(r.localName, mathNode(children(r)[0], where));
    else args.push(mathNode(r, where));
  }
  const fold = (o: '+' | '*', unit: number) =>
    args.length === 0 ? N(unit) : args.slice(1).reduce((a, b) => bin(o, a, b), args[0]);
  switch (op) {
    case 'plus':
      return fold('+', 0);
    case 'times':
      return fold('*', 1);
    case 'minus':
      return args.length === 1 ? { kind: 'unary', op: '-', arg: args[0] } : bin('-', args[0], args[1]);
    case 'divide':
      return bin('/', args[0], args[1]);
    case 'power':
      return bin('^', args[0], args[1]);
    case 'root':
      return bin('^', args[0], bin('/', N(1), qualifiers.get('degree') ?? N(2)));
    case 'log':
      return call('log', [args[0], qualifiers.get('logbase') ?? N(10)]);
    case 'and':
    case 'or': {
      if (args.length === 0) return N(op === 'and' ? 1 : 0);
      return args.slice(1).reduce((a, b): ExprNode => ({ kind: 'binary', op, left: a, right: b }), args[0]);
    }
    case 'not':
      return { kind: 'unary', op: 'not', arg: args[0] };
    case 'xor':
      return { kind: 'binary', op: '!=', left: call('bool', [args[0]]), right: call('bool', [args[1]]) };
    case 'max':
    case 'min':
      return args.slice(1).reduce((a, b) => call(op, [a, b]), args[0]);
    case 'ci':
      return call((head.textContent ?? '').trim(), args);
    default:
      if (op in RELATIONS) {
        if (args.length !== 2)
          throw new SbmlError(`${where}: <${op}> with ${args.length} arguments is not supported`);
        return { kind: 'binary', op: RELATIONS[op], left: args[0], right: args[1] };
      }
      if (FUNCTIONS.has(op)) return call(op, args);
      throw new SbmlError(`${where}: MathML operator <${op}> is not supported`);
  }
}
