/**
 * A recycling allocator for float64 buffers.
 *
 * Allocating a fresh `Float64Array` of a few kilobytes costs V8 an off-heap backing store,
 * a zero fill and cold cache lines — several times the cost of the loop that fills it. The
 * backward pass knows exactly when its own intermediate cotangents die, and hands their
 * buffers back here; kernels that overwrite every element of their output draw from here.
 *
 * Contract:
 * - {@link allocate} returns a buffer of the requested length with **arbitrary contents**;
 *   only callers that write every element may use it (use `new Float64Array(n)` for zeros).
 * - {@link recycle} may only be given a buffer that nothing else references any more.
 *   The one caller is the backward walker, for cotangents it created and consumed itself.
 *
 * The pool holds at most {@link MAX_PER_LENGTH} buffers of each length and
 * {@link MAX_POOLED_BYTES} in all; small buffers (which V8 allocates cheaply on its heap)
 * are never pooled.
 */

/** Buffers shorter than this are not pooled. */
const MIN_LENGTH = 64;
/** At most this many free buffers of any one length. */
export const MAX_PER_LENGTH = 8;
/** At most this many bytes held in free buffers. */
export const MAX_POOLED_BYTES = 64 * 1024 * 1024;

const free = new Map<number, Float64Array[]>();
let pooledBytes = 0;

/**
 * A buffer of length `n` whose contents are arbitrary: recycled when one is free, else new.
 *
 * @example
 * ```ts
 * const out = allocate(1600);
 * for (let i = 0; i < out.length; i++) out[i] = i; // every element written
 * ```
 */
export function allocate(n: number): Float64Array {
  if (n >= MIN_LENGTH) {
    const list = free.get(n);
    if (list !== undefined && list.length > 0) {
      pooledBytes -= n * 8;
      return list.pop()!;
    }
  }
  return new Float64Array(n);
}

/**
 * Hands a dead buffer back for reuse. The caller guarantees that no live object refers to
 * it (nor to a view of its memory).
 */
export function recycle(buffer: Float64Array): void {
  const n = buffer.length;
  if (n < MIN_LENGTH || buffer.byteOffset !== 0 || buffer.buffer.byteLength !== n * 8) return;
  if (pooledBytes + n * 8 > MAX_POOLED_BYTES) return;
  let list = free.get(n);
  if (list === undefined) {
    list = [];
    free.set(n, list);
  }
  if (list.length >= MAX_PER_LENGTH || list.includes(buffer)) return;
  list.push(buffer);
  pooledBytes += n * 8;
}

/** Bytes currently held in free buffers (for tests and diagnostics). */
export function pooledByteCount(): number {
  return pooledBytes;
}
