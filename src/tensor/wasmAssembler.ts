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

/** Opcodes after the 0xfd SIMD prefix (§5.4.8), encoded as unsigned LEB128. */
const SIMD = {
  v128Load: 0x00,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f64x2Eq: 0x47,
  f64x2Ne: 0x48,
  f64x2Lt: 0x49,
  f64x2Gt: 0x4a,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128Andnot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  v128AnyTrue: 0x53,
  f64x2Ceil: 0x74,
  f64x2Floor: 0x75,
  f64x2Trunc: 0x7a,
  f64x2Nearest: 0x94,
  i64x2AllTrue: 0xc3,
  i64x2Shl: 0xcb,
  i64x2ShrS: 0xcc,
  i64x2ShrU: 0xcd,
  i64x2Add: 0xce,
  i64x2Sub: 0xd1,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Sqrt: 0xef,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Min: 0xf4,
  f64x2Max: 0xf5,
  f64x2Pmin: 0xf6,
  f64x2Pmax: 0xf7,
} as const;

/** The little-endian bytes of a float64. */
function f64Bytes(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return Array.from(new Uint8Array(view.buffer));
}

/** The little-endian two's-complement bytes of a 64-bit integer. */
function i64Bytes(value: bigint): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigInt64(0, BigInt.asIntN(64, value), true);
  return Array.from(new Uint8Array(view.buffer));
}

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

  /** `v128.const` with the two f64 lanes `lo`, `hi` (`hi` defaults to `lo`: a splat). */
  f64x2Const(lo: number, hi = lo): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Const), ...f64Bytes(lo), ...f64Bytes(hi));
    return this;
  }

  /** `v128.const` with the two i64 lanes `lo`, `hi` (`hi` defaults to `lo`: a splat). */
  i64x2Const(lo: bigint, hi = lo): this {
    this.code.push(0xfd, ...uleb(SIMD.v128Const), ...i64Bytes(lo), ...i64Bytes(hi));
    return this;
  }

  private simd(op: number): this {
    this.code.push(0xfd, ...uleb(op));
    return this;
  }

  f64x2Add(): this {
    return this.simd(SIMD.f64x2Add);
  }

  f64x2Sub(): this {
    return this.simd(SIMD.f64x2Sub);
  }

  f64x2Mul(): this {
    return this.simd(SIMD.f64x2Mul);
  }

  f64x2Div(): this {
    return this.simd(SIMD.f64x2Div);
  }

  f64x2Sqrt(): this {
    return this.simd(SIMD.f64x2Sqrt);
  }

  /** Clears the sign bits (NaN payloads kept). */
  f64x2Abs(): this {
    return this.simd(SIMD.f64x2Abs);
  }

  /** Flips the sign bits. */
  f64x2Neg(): this {
    return this.simd(SIMD.f64x2Neg);
  }

  /** IEEE minimum: NaN if either lane is NaN, and −0 < +0. */
  f64x2Min(): this {
    return this.simd(SIMD.f64x2Min);
  }

  /** IEEE maximum: NaN if either lane is NaN, and −0 < +0. */
  f64x2Max(): this {
    return this.simd(SIMD.f64x2Max);
  }

  /** Pseudo-minimum `b < a ? b : a` of the operands (a, b) pushed in that order (one `minpd`). */
  f64x2Pmin(): this {
    return this.simd(SIMD.f64x2Pmin);
  }

  /** Pseudo-maximum `a < b ? b : a` of the operands (a, b) pushed in that order (one `maxpd`). */
  f64x2Pmax(): this {
    return this.simd(SIMD.f64x2Pmax);
  }

  f64x2Ceil(): this {
    return this.simd(SIMD.f64x2Ceil);
  }

  f64x2Floor(): this {
    return this.simd(SIMD.f64x2Floor);
  }

  f64x2Trunc(): this {
    return this.simd(SIMD.f64x2Trunc);
  }

  /** Round to the nearest integer, ties to even. */
  f64x2Nearest(): this {
    return this.simd(SIMD.f64x2Nearest);
  }

  /** Lane masks (all ones where true) of `a == b` for operands (a, b). */
  f64x2Eq(): this {
    return this.simd(SIMD.f64x2Eq);
  }

  f64x2Ne(): this {
    return this.simd(SIMD.f64x2Ne);
  }

  f64x2Lt(): this {
    return this.simd(SIMD.f64x2Lt);
  }

  f64x2Gt(): this {
    return this.simd(SIMD.f64x2Gt);
  }

  f64x2Le(): this {
    return this.simd(SIMD.f64x2Le);
  }

  f64x2Ge(): this {
    return this.simd(SIMD.f64x2Ge);
  }

  v128Not(): this {
    return this.simd(SIMD.v128Not);
  }

  v128And(): this {
    return this.simd(SIMD.v128And);
  }

  /** `a & ~b` for operands (a, b). */
  v128Andnot(): this {
    return this.simd(SIMD.v128Andnot);
  }

  v128Or(): this {
    return this.simd(SIMD.v128Or);
  }

  v128Xor(): this {
    return this.simd(SIMD.v128Xor);
  }

  /** `(a & mask) | (b & ~mask)` for operands (a, b, mask) pushed in that order. */
  v128Bitselect(): this {
    return this.simd(SIMD.v128Bitselect);
  }

  /** Pushes the i32 1 when any bit of the vector is set, else 0. */
  v128AnyTrue(): this {
    return this.simd(SIMD.v128AnyTrue);
  }

  /** Pushes the i32 1 when both i64 lanes are nonzero, else 0. */
  i64x2AllTrue(): this {
    return this.simd(SIMD.i64x2AllTrue);
  }

  i64x2Add(): this {
    return this.simd(SIMD.i64x2Add);
  }

  i64x2Sub(): this {
    return this.simd(SIMD.i64x2Sub);
  }

  /** Shifts both i64 lanes left by an i32 count (taken mod 64) from the stack. */
  i64x2Shl(): this {
    return this.simd(SIMD.i64x2Shl);
  }

  /** Arithmetic right shift of both i64 lanes by an i32 count from the stack. */
  i64x2ShrS(): this {
    return this.simd(SIMD.i64x2ShrS);
  }

  /** Logical right shift of both i64 lanes by an i32 count from the stack. */
  i64x2ShrU(): this {
    return this.simd(SIMD.i64x2ShrU);
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
