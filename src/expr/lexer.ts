/**
 * The lexer of the model language: source text → tokens with 1-based positions.
 *
 * Rules (docs/model-language.md): `#` starts a comment to the end of the line; a newline ends
 * a declaration except inside `( )` or `[ ]` or after a trailing `\`; names are an ASCII letter
 * or `_` followed by letters, digits or `_`; numbers are `12`, `1.5`, `.5`, `1.`, `1e-3`,
 * `2.5E+4` (signs are operators); strings are `"…"` on one line with the escapes `\"` and
 * `\\`. Keywords are ordinary names here; the parser gives them meaning by position.
 */
import { type Pos, type SourceText, syntaxError } from './source.js';

/** Punctuation and operators, longest first where one is a prefix of another. */
export type Punctuation =
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '->'
  | '*'
  | '/'
  | '^'
  | '~'
  | '.'
  | ':';

/** The kinds of tokens. */
export type TokenKind = 'name' | 'number' | 'string' | 'newline' | 'eof' | Punctuation;

/**
 * One token: its kind, its text (a string's content without quotes), a number's value, where.
 *
 * @example
 * ```ts
 * tokenize(new SourceText('2.5e3'))[0]; // { kind: 'number', text: '2.5e3', value: 2500, pos: … }
 * ```
 */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value: number;
  readonly pos: Pos;
}

const TWO_CHAR: ReadonlySet<string> = new Set(['==', '!=', '<=', '>=', '->']);
const ONE_CHAR: ReadonlySet<string> = new Set('()[],=<>+-*/^~.:');

/** Hints for characters people type from habit or paste from papers. */
const CHAR_HINTS: Readonly<Record<string, string>> = {
  '−': 'this is a Unicode minus sign; type the ASCII -',
  '–': 'this is a dash; type the ASCII -',
  '×': 'write * for a product',
  '·': 'write * for a product',
  '÷': 'write / for a division',
  '≤': 'write <=',
  '≥': 'write >=',
  '≠': 'write !=',
  '²': 'write ^2',
  '³': 'write ^3',
  '∞': 'write inf',
  '“': 'use straight double quotes "…"',
  '”': 'use straight double quotes "…"',
  "'": 'derivatives are written d/dt NAME = …; strings use double quotes',
  ';': 'write one declaration per line; no ; is needed',
  '&': 'write and',
  '|': 'write or',
  '!': 'write not, or != for "not equal"',
  '{': 'group with parentheses ( )',
  '}': 'group with parentheses ( )',
  '%': 'there is no remainder operator',
  '\\': 'a \\ continues a declaration on the next line only at the very end of a line',
  '\u00a0': 'this is a non-breaking space; type an ordinary space',
};

const GREEK: Readonly<Record<string, string>> = {
  α: 'alpha',
  β: 'beta',
  γ: 'gamma',
  δ: 'delta',
  ε: 'epsilon',
  ζ: 'zeta',
  η: 'eta',
  θ: 'theta',
  ι: 'iota',
  κ: 'kappa',
  λ: 'lambda',
  μ: 'mu',
  ν: 'nu',
  ξ: 'xi',
  π: 'pi',
  ρ: 'rho',
  σ: 'sigma',
  τ: 'tau',
  υ: 'upsilon',
  φ: 'phi',
  χ: 'chi',
  ψ: 'psi',
  ω: 'omega',
  Γ: 'Gamma',
  Δ: 'Delta',
  Θ: 'Theta',
  Λ: 'Lambda',
  Ξ: 'Xi',
  Π: 'Pi',
  Σ: 'Sigma',
  Φ: 'Phi',
  Ψ: 'Psi',
  Ω: 'Omega',
};

/** True for an ASCII letter or `_` (a name's first character). */
function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** True for a name character after the first. */
function isNamePart(c: string): boolean {
  return isNameStart(c) || isDigit(c);
}

/**
 * True when `s` is a syntactically valid name (ASCII letter or `_`, then letters, digits, `_`).
 *
 * @example
 * ```ts
 * isValidName('k_a1'); // true
 * isValidName('1k');   // false
 * ```
 */
export function isValidName(s: string): boolean {
  if (s.length === 0 || !isNameStart(s[0])) return false;
  for (let i = 1; i < s.length; i++) if (!isNamePart(s[i])) return false;
  return true;
}

/**
 * Splits a model text into tokens. Newlines inside brackets, after `\` and comments produce no
 * tokens; the last token is always `eof`.
 *
 * @example
 * ```ts
 * tokenize(new SourceText('d/dt x = -k*x')).map((t) => t.kind);
 * // ['name', '/', 'name', 'name', '=', '-', 'name', '*', 'name', 'eof']
 * ```
 */
export function tokenize(source: SourceText): Token[] {
  return new Lexer(source).run();
}

class Lexer {
  private readonly text: string;
  private i = 0;
  private line = 1;
  private column = 1;
  private depth = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly source: SourceText) {
    this.text = source.text;
  }

  run(): Token[] {
    const text = this.text;
    if (text.charCodeAt(0) === 0xfeff) this.i = 1; // byte-order mark
    while (this.i < text.length) {
      const c = text[this.i];
      if (c === ' ' || c === '\t' || c === '\f' || c === '\v') {
        this.advance(1);
      } else if (c === '\n' || c === '\r') {
        this.newline();
      } else if (c === '#') {
        this.skipComment();
      } else if (c === '\\') {
        this.continuation();
      } else if (isNameStart(c)) {
        this.name();
      } else if (isDigit(c) || (c === '.' && isDigit(text[this.i + 1] ?? ''))) {
        this.number();
      } else if (c === '"') {
        this.string();
      } else {
        this.punctuation(c);
      }
    }
    this.tokens.push({ kind: 'eof', text: '', value: 0, pos: this.pos() });
    return this.tokens;
  }

  private pos(): Pos {
    return { line: this.line, column: this.column, source: this.source };
  }

  /** Moves over `n` code units that hold no line break. */
  private advance(n: number): void {
    for (let k = 0; k < n; k++) {
      const code = this.text.charCodeAt(this.i);
      // The low half of a surrogate pair does not start a new column.
      if (
        !(code >= 0xdc00 && code <= 0xdfff && this.i > 0 && isHighSurrogate(this.text.charCodeAt(this.i - 1)))
      )
        this.column++;
      this.i++;
    }
  }

  private newline(): void {
    const pos = this.pos();
    const crlf = this.text[this.i] === '\r' && this.text[this.i + 1] === '\n';
    this.i += crlf ? 2 : 1;
    this.line++;
    this.column = 1;
    if (this.depth === 0) this.tokens.push({ kind: 'newline', text: '\n', value: 0, pos });
  }

  private skipComment(): void {
    while (this.i < this.text.length && this.text[this.i] !== '\n' && this.text[this.i] !== '\r')
      this.advance(1);
  }

  /** `\` at the end of a line (spaces and a comment may follow) joins the next line. */
  private continuation(): void {
    const pos = this.pos();
    this.advance(1);
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.advance(1);
    if (this.text[this.i] === '#') this.skipComment();
    const c = this.text[this.i];
    if (c === undefined) return;
    if (c === '\n' || c === '\r') {
      this.i += c === '\r' && this.text[this.i + 1] === '\n' ? 2 : 1;
      this.line++;
      this.column = 1;
      return;
    }
    throw syntaxError(pos, 'unexpected "\\"', CHAR_HINTS['\\']);
  }

  private name(): void {
    const pos = this.pos();
    const start = this.i;
    let end = start + 1;
    while (end < this.text.length && isNamePart(this.text[end])) end++;
    this.advance(end - start);
    this.tokens.push({ kind: 'name', text: this.text.slice(start, end), value: 0, pos });
  }

  private number(): void {
    const text = this.text;
    const pos = this.pos();
    const start = this.i;
    let j = start;
    while (isDigit(text[j] ?? '')) j++;
    if (text[j] === '.') {
      j++;
      while (isDigit(text[j] ?? '')) j++;
    }
    if (text[j] === 'e' || text[j] === 'E') {
      const signed = text[j + 1] === '+' || text[j + 1] === '-';
      const k = signed ? j + 2 : j + 1;
      if (!isDigit(text[k] ?? '')) {
        throw syntaxError(
          pos,
          `incomplete exponent in the number "${text.slice(start, k)}"`,
          "write the exponent's digits, e.g. 1e-3 (to multiply by a name e, write 2*e)",
        );
      }
      j = k;
      while (isDigit(text[j] ?? '')) j++;
    }
    const literal = text.slice(start, j);
    this.advance(j - start);
    const next = text[j] ?? '';
    if (isNameStart(next)) {
      throw syntaxError(
        this.pos(),
        `a name follows the number ${literal} without an operator`,
        `write ${literal}*${next}… for a product`,
      );
    }
    if (next === '.') {
      throw syntaxError(
        this.pos(),
        `malformed number "${literal}."`,
        'a number has at most one decimal point',
      );
    }
    this.tokens.push({ kind: 'number', text: literal, value: Number(literal), pos });
  }

  private string(): void {
    const pos = this.pos();
    const text = this.text;
    let j = this.i + 1;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined || c === '\n' || c === '\r') {
        throw syntaxError(pos, 'unterminated string', 'close it with " on the same line');
      }
      if (c === '"') break;
      if (c === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
        value += text[j + 1];
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    this.advance(j + 1 - this.i);
    this.tokens.push({ kind: 'string', text: value, value: 0, pos });
  }

  private punctuation(c: string): void {
    const pos = this.pos();
    const two = this.text.slice(this.i, this.i + 2);
    if (two === '**') throw syntaxError(pos, 'unexpected "**"', 'write ^ for a power, e.g. x^2');
    if (two === '&&') throw syntaxError(pos, 'unexpected "&&"', 'write and');
    if (two === '||') throw syntaxError(pos, 'unexpected "||"', 'write or');
    let kind: Punctuation;
    if (TWO_CHAR.has(two)) kind = two as Punctuation;
    else if (ONE_CHAR.has(c)) kind = c as Punctuation;
    else throw this.unexpectedCharacter(pos);
    if (kind === '(' || kind === '[') this.depth++;
    else if ((kind === ')' || kind === ']') && this.depth > 0) this.depth--;
    this.advance(kind.length);
    this.tokens.push({ kind, text: kind, value: 0, pos });
  }

  private unexpectedCharacter(pos: Pos): Error {
    const cp = this.text.codePointAt(this.i)!;
    const ch = String.fromCodePoint(cp);
    const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    const shown = cp < 0x20 || cp === 0x7f ? code : `"${ch}" (${code})`;
    const greek = GREEK[ch];
    if (greek !== undefined)
      return syntaxError(pos, `unexpected character ${shown}`, `names use ASCII letters: write ${greek}`);
    const hint = CHAR_HINTS[ch];
    if (hint !== undefined) return syntaxError(pos, `unexpected character ${shown}`, hint);
    return syntaxError(
      pos,
      `unexpected character ${shown}`,
      'names use ASCII letters, digits and _; operators are + - * / ^ < <= > >= == !=',
    );
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
