/**
 * Elementwise kernels: unary maps and binary maps with NumPy broadcasting.
 *
 * Each operation has its own tight loop (a `switch` outside the loop, never a closure per
 * element), so V8 compiles every loop to straight machine code. Broadcasting is done by
 * coalescing axes into as few, as long, contiguous runs as possible and iterating the outer
 * axes with an odometer; equal shapes and scalar operands become a single run.
 */
import { NDArray } from './ndarray.js';
import { allocate } from './pool.js';
import { broadcastShapes, broadcastStrides, isTrailingBlock, type Shape, sizeOf } from './shape.js';
import { erf, erfc } from './special.js';
import { wasmExp, wasmSigmoid, wasmTanh } from './wasmElementwise.js';

/** The unary elementwise operations. */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'square'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'relu'
  | 'gelu'
  | 'silu'
  | 'elu'
  | 'erf';

/** The binary elementwise operations; comparisons return 1 for true and 0 for false. */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'eq'
  | 'ne';

const SQRT1_2 = Math.SQRT1_2;

/**
 * Arrays of at least this many elements take the WebAssembly tanh kernel: at 4 elements it
 * breaks even with the `Math.tanh` loop (≈ 0.05 µs, the call's overhead), at 8 it is 1.3×
 * faster, at 1600 about 3.5×.
 */
const WASM_TANH_MIN = 8;
/**
 * Likewise for the WebAssembly exp and sigmoid kernels, cheaper per element in JavaScript than
 * tanh: they break even at about 12 elements and are 1.2× faster at 16, 3× at 1600.
 */
const WASM_EXP_MIN = 16;

/** Logistic function 1 / (1 + e^{−x}), evaluated without overflow on either side. */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x) without overflow: max(x, 0) + log1p(e^{−|x|}). */
export function softplusScalar(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Applies a unary operation to every element. `alpha` is the ELU scale (default 1) and is
 * ignored by the other operations.
 *
 * Conventions: `relu(NaN) = NaN`, `relu(−0) = 0`, `sign(±0) = ±0`; `gelu` is the exact form
 * x·Φ(x) = ½·x·erfc(−x/√2) (no tanh approximation).
 *
 * @example
 * ```ts
 * unary('tanh', fromNested([0, 1])).data; // Float64Array [0, 0.7615941559557649]
 * ```
 */
export function unary(op: UnaryOp, x: NDArray, alpha = 1): NDArray {
  return unaryInto(op, x, new NDArray(allocate(x.data.length), x.shape), alpha);
}

/**
 * {@link unary} writing into `out` (same size as `x`; may be `x` itself for in place).
 *
 * @example
 * ```ts
 * const z = fromNested([0, 1]);
 * unaryInto('tanh', z, z); // z now holds tanh of its old values
 * ```
 */
export function unaryInto(op: UnaryOp, x: NDArray, out: NDArray, alpha = 1): NDArray {
  const a = x.data;
  const n = a.length;
  const o = out.data;
  if (o.length !== n) {
    throw new RangeError(`${op}: output of ${o.length} elements for an input of ${n}`);
  }
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) o[i] = -a[i];
      break;
    case 'abs':
      for (let i = 0; i < n; i++) o[i] = Math.abs(a[i]);
      break;
    case 'sign':
      for (let i = 0; i < n; i++) o[i] = Math.sign(a[i]);
      break;
    case 'exp':
      // WebAssembly SIMD (fdlibm's algorithm, within 1 ulp like Math.exp) from WASM_EXP_MIN elements.
      if (n < WASM_EXP_MIN || !wasmExp(a, o)) for (let i = 0; i < n; i++) o[i] = Math.exp(a[i]);
      break;
    case 'expm1':
      for (let i = 0; i < n; i++) o[i] = Math.expm1(a[i]);
      break;
    case 'log':
      for (let i = 0; i < n; i++) o[i] = Math.log(a[i]);
      break;
    case 'log1p':
      for (let i = 0; i < n; i++) o[i] = Math.log1p(a[i]);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) o[i] = Math.sqrt(a[i]);
      break;
    case 'square':
      for (let i = 0; i < n; i++) o[i] = a[i] * a[i];
      break;
    case 'reciprocal':
      for (let i = 0; i < n; i++) o[i] = 1 / a[i];
      break;
    case 'sin':
      for (let i = 0; i < n; i++) o[i] = Math.sin(a[i]);
      break;
    case 'cos':
      for (let i = 0; i < n; i++) o[i] = Math.cos(a[i]);
      break;
    case 'tan':
      for (let i = 0; i < n; i++) o[i] = Math.tan(a[i]);
      break;
    case 'tanh':
      // WebAssembly SIMD from WASM_TANH_MIN elements (within 1.3 ulp; V8's Math.tanh, 2).
      if (n < WASM_TANH_MIN || !wasmTanh(a, o)) for (let i = 0; i < n; i++) o[i] = Math.tanh(a[i]);
      break;
    case 'sigmoid':
      // WebAssembly SIMD (sigmoidScalar's formulas) from WASM_EXP_MIN elements.
      if (n < WASM_EXP_MIN || !wasmSigmoid(a, o)) for (let i = 0; i < n; i++) o[i] = sigmoidScalar(a[i]);
      break;
    case 'softplus':
      for (let i = 0; i < n; i++) o[i] = softplusScalar(a[i]);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        o[i] = v > 0 || Number.isNaN(v) ? v : 0;
      }
      break;
    case 'gelu':
      for (let i = 0; i < n; i++) o[i] = 0.5 * a[i] * erfc(-a[i] * SQRT1_2);
      break;
    case 'silu':
      for (let i = 0; i < n; i++) o[i] = a[i] * sigmoidScalar(a[i]);
      break;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = a[i];
        o[i] = v > 0 ? v : alpha * Math.expm1(v);
      }
      break;
    case 'erf':
      for (let i = 0; i < n; i++) o[i] = erf(a[i]);
      break;
    default:
      return assertNever(op);
  }
  return out;
}

function assertNever(op: never): never {
  throw new Error(`unknown elementwise operation ${String(op)}`);
}

/**
 * One run of a binary operation: `o[oo + j] = a[ia + j·sa] op b[ib + j·sb]` for j < n.
 * Strides of 0 broadcast a single value.
 */
function binaryRun(
  op: BinaryOp,
  a: Float64Array,
  ia: number,
  sa: number,
  b: Float64Array,
  ib: number,
  sb: number,
  o: Float64Array,
  oo: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) o[oo + j] = a[ia + j] + b[ib + j];
      else for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] + b[ib + j * sb];
      break;
    case 'sub':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) o[oo + j] = a[ia + j] - b[ib + j];
      else for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] - b[ib + j * sb];
      break;
    case 'mul':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) o[oo + j] = a[ia + j] * b[ib + j];
      else for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] * b[ib + j * sb];
      break;
    case 'div':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] / b[ib + j * sb];
      break;
    case 'pow':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] ** b[ib + j * sb];
      break;
    case 'maximum':
      for (let j = 0; j < n; j++) o[oo + j] = Math.max(a[ia + j * sa], b[ib + j * sb]);
      break;
    case 'minimum':
      for (let j = 0; j < n; j++) o[oo + j] = Math.min(a[ia + j * sa], b[ib + j * sb]);
      break;
    case 'lt':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] < b[ib + j * sb] ? 1 : 0;
      break;
    case 'le':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] <= b[ib + j * sb] ? 1 : 0;
      break;
    case 'gt':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] > b[ib + j * sb] ? 1 : 0;
      break;
    case 'ge':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] >= b[ib + j * sb] ? 1 : 0;
      break;
    case 'eq':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] === b[ib + j * sb] ? 1 : 0;
      break;
    case 'ne':
      for (let j = 0; j < n; j++) o[oo + j] = a[ia + j * sa] !== b[ib + j * sb] ? 1 : 0;
      break;
    default:
      assertNever(op);
  }
}

/**
 * Merges adjacent axes that every operand traverses contiguously, so that a broadcast
 * operation runs over as few, as long runs as possible. Returns the merged shape and the
 * merged strides of each operand (stride 0 where it is broadcast).
 */
export function coalesce(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue; // size-1 axes never move the index
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * shape[i]);
    if (mergeable) {
      outShape[last] *= shape[i];
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][i];
    } else {
      outShape.push(shape[i]);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][i]);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Applies a binary operation elementwise with NumPy broadcasting.
 *
 * Comparisons (`lt`, `le`, `gt`, `ge`, `eq`, `ne`) return 1 or 0; NaN compares unequal to
 * everything. `maximum`/`minimum` propagate NaN.
 *
 * @throws RangeError naming the operation and both shapes when they do not broadcast.
 * @example
 * ```ts
 * binary('add', fromNested([[1, 2], [3, 4]]), fromNested([10, 20])).toNested(); // [[11, 22], [13, 24]]
 * ```
 */
export function binary(op: BinaryOp, x: NDArray, y: NDArray): NDArray {
  const a = x.data;
  const b = y.data;
  if (x.shape.length === y.shape.length && a.length === b.length && sameShape(x.shape, y.shape)) {
    const o = allocate(a.length);
    binaryRun(op, a, 0, 1, b, 0, 1, o, 0, a.length);
    return new NDArray(o, x.shape);
  }
  const shape = broadcastShapes(x.shape, y.shape, op);
  const n = sizeOf(shape);
  const o = allocate(n);
  if (n === 0) return new NDArray(o, shape);
  if (b.length === 1) {
    binaryRun(op, a, 0, 1, b, 0, 0, o, 0, n);
    return new NDArray(o, shape);
  }
  if (a.length === 1) {
    binaryRun(op, a, 0, 0, b, 0, 1, o, 0, n);
    return new NDArray(o, shape);
  }
  // One operand is the full shape and the other repeats along leading axes (a bias row).
  if (a.length === n && isTrailingBlock(y.shape, shape)) {
    for (let r = 0; r < n; r += b.length) binaryRun(op, a, r, 1, b, 0, 1, o, r, b.length);
    return new NDArray(o, shape);
  }
  if (b.length === n && isTrailingBlock(x.shape, shape)) {
    for (let r = 0; r < n; r += a.length) binaryRun(op, a, 0, 1, b, r, 1, o, r, a.length);
    return new NDArray(o, shape);
  }
  const c = coalesce(shape, [broadcastStrides(x.shape, shape), broadcastStrides(y.shape, shape)]);
  const rank = c.shape.length;
  const sa = c.strides[0];
  const sb = c.strides[1];
  const inner = c.shape[rank - 1];
  const rows = n / inner;
  const counter = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let r = 0; r < rows; r++) {
    binaryRun(op, a, ia, sa[rank - 1], b, ib, sb[rank - 1], o, r * inner, inner);
    // Advance the odometer over the outer axes.
    for (let ax = rank - 2; ax >= 0; ax--) {
      counter[ax]++;
      ia += sa[ax];
      ib += sb[ax];
      if (counter[ax] < c.shape[ax]) break;
      ia -= sa[ax] * c.shape[ax];
      ib -= sb[ax] * c.shape[ax];
      counter[ax] = 0;
    }
  }
  return new NDArray(o, shape);
}

function sameShape(a: Shape, b: Shape): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
