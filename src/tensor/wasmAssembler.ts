/**
 * A tiny WebAssembly assembler: just enough of the binary format (WebAssembly Core
 * Specification 2.0, chapter 5) to emit greybox's numeric kernels as bytes at load time,
 * with no toolchain and no external packages.
 *
 * A module holds one memory (exported as `memory`) and a list of functions, each exported
 * under its name. Function bodies are written with {@link FunctionBuilder}, whose methods
 * emit instructions in order and whose structured helpers (`loopWhile`, `ifElse`) keep block
 * nesting balanced.
 */

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof V128;

/** Plain opcodes used by the kernels (§5.4). */
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  f64Add: 0xa0,
} as const;

/** Opcodes after the 0xfd SIMD prefix (§5.4.8). */
const SIMD = {
  v128Load: 0x00,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
} as const;

const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A length-prefixed vector of already-encoded items. */
function vector(items: readonly (readonly number[])[]): number[] {
  const out = uleb(items.length);
  for (const item of items) out.push(...item);
  return out;
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i));
  return [...uleb(bytes.length), ...bytes];
}

/**
 * Builds one function body. Parameters are locals `0 … params.length-1`; {@link local}
 * declares more. Each plain method appends the instruction it is named after (`get` is
 * `local.get`, `i32` is `i32.const`, `add`/`mul`/`and` are the i32 operations, `f64x2Mul` is
 * `f64x2.mul`, …) and returns the builder, so a line reads as the stack machine runs it.
 * Memory instructions take a constant byte `offset` added to the address on the stack.
 *
 * @example
 * ```ts
 * // (func $inc (param i32) ...): local0 += 1
 * const f = new FunctionBuilder('inc', [I32]);
 * f.get(0).i32(1).add().set(0);
 * ```
 */
export class FunctionBuilder {
  private readonly code: number[] = [];
  private readonly locals: ValueType[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly ValueType[],
  ) {}

  /** Declares a local of the given type and returns its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  get(index: number): this {
    this.code.push(OP.localGet, ...uleb(index));
    return this;
  }

  set(index: number): this {
    this.code.push(OP.localSet, ...uleb(index));
    return this;
  }

  i32(value: number): this {
    this.code.push(OP.i32Const, ...sleb(value));
    return this;
  }

  add(): this {
    this.code.push(OP.i32Add);
    return this;
  }

  mul(): this {
    this.code.push(OP.i32Mul);
    return this;
  }

  and(): this {
    this.code.push(OP.i32And);
    return this;
  }

  /** `local[index] += value` for an i32 local. */
  increment(index: number, value: number): this {
    return this.get(index).i32(value).add().set(index);
  }

  /** `local[index] += local[by]` for i32 locals. */
  incrementBy(index: number, by: number): this {
    return this.get(index).get(by).add().set(index);
  }

  f64Load(offset = 0): this {
    this.code.push(OP.f64Load, 3, ...uleb(offset));
    return this;
  }

  f64Store(offset = 0): this {
    this.code.push(OP.f64Store, 3, ...uleb(offset));
    return this;
  }

  f64Add(): this {
    this.code.push(OP.f64Add);
    return this;
  }

  v128Load(offset = 0): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Load), 3, ...uleb(offset));
    return this;
  }

  v128Store(offset = 0): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Store), 3, ...uleb(offset));
    return this;
  }

  /** Loads one f64 and splats it into both lanes. */
  v128Load64Splat(offset = 0): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Load64Splat), 3, ...uleb(offset));
    return this;
  }

  v128Zero(): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Const), ...new Array<number>(16).fill(0));
    return this;
  }

  f64x2Add(): this {
    this.code.push(0xfd, ...uleb(SIMD.f64x2Add));
    return this;
  }

  f64x2Mul(): this {
    this.code.push(0xfd, ...uleb(SIMD.f64x2Mul));
    return this;
  }

  /** `while (local[counter] < local[limit]) { body }` (unsigned compare); body must advance. */
  loopWhile(counter: number, limit: number, body: () => void): this {
    this.code.push(OP.block, EMPTY_BLOCK, OP.loop, EMPTY_BLOCK);
    this.get(counter).get(limit);
    this.code.push(OP.i32GeU, OP.brIf, 1);
    body();
    this.code.push(OP.br, 0, OP.end, OP.end);
    return this;
  }

  /** Pops an i32 condition: nonzero runs `then`, zero runs `otherwise`. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.code.push(OP.if, EMPTY_BLOCK);
    then();
    if (otherwise) {
      this.code.push(OP.else);
      otherwise();
    }
    this.code.push(OP.end);
    return this;
  }

  /** `local[a] < local[b]` (unsigned), pushed as an i32. */
  lessThan(a: number, b: number): this {
    this.get(a).get(b);
    this.code.push(OP.i32LtU);
    return this;
  }

  /** The signature (params → no results) as a function type. */
  typeBytes(): number[] {
    return [0x60, ...vector(this.params.map((t) => [t])), 0x00];
  }

  /** The code-section entry: locals (run-length encoded) and body. */
  bodyBytes(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const body = [...vector(groups), ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/**
 * Encodes a module with one memory of `memoryPages` 64 KiB pages (exported as `memory`) and
 * the given functions, each exported under its name. Each function gets its own type.
 */
export function encodeModule(functions: readonly FunctionBuilder[], memoryPages: number): Uint8Array {
  const types = functions.map((f) => f.typeBytes());
  const funcIndices = functions.map((_, i) => uleb(i));
  const exports = [
    [...name('memory'), 0x02, ...uleb(0)],
    ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d, // magic "\0asm"
    0x01,
    0x00,
    0x00,
    0x00, // version 1
    ...section(1, vector(types)),
    ...section(3, vector(funcIndices)),
    ...section(5, vector([[0x00, ...uleb(memoryPages)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map((f) => f.bodyBytes()))),
  ]);
}
