/**
 * The WebAssembly SIMD (f64x2) back end of {@link gemm}.
 *
 * The module (about 2.8 KB) is assembled at load time by `wasmAssembler.ts` and
 * instantiated synchronously on first use. It owns one linear memory, grown on demand and
 * reused by every call. A call copies its operands in with `TypedArray.set` (a memcpy, about
 * 20× faster per element than a JavaScript copy loop), then inside WebAssembly:
 *
 * 1. `pack` copies a block of op(A) into panels of 4 rows and a block of op(B)ᵀ into panels
 *    of 4 columns, laid out so the micro-kernel reads them sequentially, zero-padded to whole
 *    panels (padded lanes are computed but never copied out);
 * 2. `kernel4` runs the 4×4 register-blocked micro-kernel over all pairs of panels (the
 *    GotoBLAS macro-kernel: one 8 KiB B panel stays in L1 while A panels stream past), and
 *    `kernel1`–`kernel3` take the last m mod 4 rows;
 * 3. `finish` copies (or adds) the padded product into the compact `[m, n]` output when `n`
 *    is not a multiple of 4; otherwise the kernels write the output in place.
 *
 * A factor B packed once by {@link wasmPackB} (a network's weights) stays resident in the first
 * megabyte of the memory between calls, so a product by it copies in only A (and C).
 *
 * The result is copied out through a cached view of the memory. Products accumulate in the
 * natural order p = 0, 1, …, k−1 with a separate multiply and add (no fused multiply–add, no
 * term skipped), so within each block of 256 terms every entry is rounded exactly as in the
 * naive loop, and NaN and ±Inf propagate as there.
 *
 * Where WebAssembly or its SIMD proposal is missing, or a content security policy forbids
 * compiling, or memory cannot grow, {@link wasmGemm} returns `false` and {@link gemm} uses the
 * JavaScript kernel.
 */
import { encodeModule, FunctionBuilder, I32, V128 } from './wasmAssembler.js';

/** Rows of a packed A panel and columns of a packed B panel. */
const MR = 4;
const NR = 4;
/** Block of the contracted dimension packed at once (a 4-wide panel is then 8 KiB). */
const KC = 256;
/** Rows of op(A) packed at once (256 × 256 doubles, 512 KiB, stays in L2). */
const MC = 256;
/** Largest linear memory this back end grows to; bigger products use the JavaScript kernel. */
const MAX_BYTES = 1 << 30;
const PAGE = 65536;
/**
 * Doubles at the start of memory (1 MiB) that keep pre-packed B factors resident between
 * calls (see {@link residentPanels}); every call's own regions start after them.
 */
const RESIDENT = 1 << 17;
/** The largest packed B kept resident; bigger ones are copied in at every call. */
const RESIDENT_MAX = RESIDENT >> 2;

/**
 * `pack(src, rs, cs, rows, cols, dst)`: packs the matrix X[rows, cols] whose entry (r, c) is
 * the f64 at byte address `src + r·rs + c·cs` into panels of 4 rows, panel-major then column
 * then row: `dst[(t·cols + c)·4 + r']` holds X[4t + r', c], zero where 4t + r' ≥ rows.
 */
function buildPack(): FunctionBuilder {
  const f = new FunctionBuilder('pack', [I32, I32, I32, I32, I32, I32]);
  const [src, rs, cs, rows, cols, dst] = [0, 1, 2, 3, 4, 5];
  const r0 = f.local(I32);
  const c = f.local(I32);
  const s = f.local(I32);
  const rs2 = f.local(I32);
  const rs3 = f.local(I32);
  const full = f.local(I32);
  const r = f.local(I32);
  const from = f.local(I32);
  const to = f.local(I32);
  f.get(rs).get(rs).add().set(rs2);
  f.get(rs2).get(rs).add().set(rs3);
  f.get(rows).i32(-MR).and().set(full);
  f.i32(0).set(r0);
  // Whole panels: four rows at a time.
  f.loopWhile(r0, full, () => {
    f.get(src).get(r0).get(rs).mul().add().set(s);
    f.i32(0).set(c);
    f.loopWhile(c, cols, () => {
      f.get(dst).get(s).f64Load().f64Store(0);
      f.get(dst).get(s).get(rs).add().f64Load().f64Store(8);
      f.get(dst).get(s).get(rs2).add().f64Load().f64Store(16);
      f.get(dst).get(s).get(rs3).add().f64Load().f64Store(24);
      f.incrementBy(s, cs).increment(dst, 32).increment(c, 1);
    });
    f.increment(r0, MR);
  });
  // A last partial panel of 1–3 rows, zero-padded.
  f.lessThan(r0, rows).ifElse(() => {
    f.get(src).get(r0).get(rs).mul().add().set(s);
    f.i32(0).set(c);
    f.loopWhile(c, cols, () => {
      f.get(dst).v128Zero().v128Store(0);
      f.get(dst).v128Zero().v128Store(16);
      f.get(r0).set(r);
      f.get(s).set(from);
      f.get(dst).set(to);
      f.loopWhile(r, rows, () => {
        f.get(to).get(from).f64Load().f64Store(0);
        f.incrementBy(from, rs).increment(to, 8).increment(r, 1);
      });
      f.incrementBy(s, cs).increment(dst, 32).increment(c, 1);
    });
  });
  return f;
}

/** Byte steps through the packed panels: one step of p in an A panel, in a B panel. */
const A_STEP = MR * 8;
const B_STEP = NR * 8;

/**
 * `kernel<R>(mt, nt, kc, pa, pb, c, ldc, acc)`, R = 1…4: for every pair of an A panel (of
 * `mt`, consecutive, each `kc·32` bytes) and a B panel (of `nt`), computes the R×4 product
 * tile of the panels' first R rows and stores it (acc = 0) or adds it (acc ≠ 0) at byte
 * address `c + 4·it·ldc + 32·jt`, rows `ldc` bytes apart.
 *
 * R = 4 is the main kernel: 8 f64x2 accumulators, two vector loads of B and four splat loads
 * of A per step, 11 of the 16 vector registers. R < 4 serves the last, partial panel of A
 * (m mod 4 rows) without computing and discarding its zero rows.
 */
function buildKernel(rows: number): FunctionBuilder {
  const f = new FunctionBuilder(`kernel${rows}`, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [mt, nt, kc, pa, pb, c, ldc, acc] = [0, 1, 2, 3, 4, 5, 6, 7];
  const it = f.local(I32);
  const jt = f.local(I32);
  const p = f.local(I32);
  const ap = f.local(I32);
  const bp = f.local(I32);
  const bPanel = f.local(I32);
  const cRow = f.local(I32);
  const cCol = f.local(I32);
  const bPanelBytes = f.local(I32);
  // Accumulators: row i, lanes (j, j+1) for j = 0, 2.
  const accs: number[][] = [];
  for (let i = 0; i < rows; i++) accs.push([f.local(V128), f.local(V128)]);
  const b01 = f.local(V128);
  const b23 = f.local(V128);
  const a = f.local(V128);

  f.get(kc).i32(B_STEP).mul().set(bPanelBytes);
  f.get(pb).set(bPanel);
  f.get(c).set(cCol);
  f.i32(0).set(jt);
  f.loopWhile(jt, nt, () => {
    f.get(pa).set(ap);
    f.get(cCol).set(cRow);
    f.i32(0).set(it);
    f.loopWhile(it, mt, () => {
      for (const row of accs) for (const v of row) f.v128Zero().set(v);
      f.get(bPanel).set(bp);
      f.i32(0).set(p);
      f.loopWhile(p, kc, () => {
        f.get(bp).v128Load(0).set(b01);
        f.get(bp).v128Load(16).set(b23);
        accs.forEach(([lo, hi], i) => {
          f.get(ap)
            .v128Load64Splat(8 * i)
            .set(a);
          f.get(lo).get(a).get(b01).f64x2Mul().f64x2Add().set(lo);
          f.get(hi).get(a).get(b23).f64x2Mul().f64x2Add().set(hi);
        });
        f.increment(ap, A_STEP).increment(bp, B_STEP).increment(p, 1);
      });
      // ap now points at the next A panel; move cRow to the next tile's first row.
      f.get(acc).ifElse(
        () => {
          for (const row of accs) {
            row.forEach((v, half) => {
              f.get(cRow)
                .get(cRow)
                .v128Load(16 * half)
                .get(v)
                .f64x2Add()
                .v128Store(16 * half);
            });
            f.incrementBy(cRow, ldc);
          }
        },
        () => {
          for (const row of accs) {
            row.forEach((v, half) => {
              f.get(cRow)
                .get(v)
                .v128Store(16 * half);
            });
            f.incrementBy(cRow, ldc);
          }
        },
      );
      for (let skipped = rows; skipped < MR; skipped++) f.incrementBy(cRow, ldc);
      f.increment(it, 1);
    });
    f.incrementBy(bPanel, bPanelBytes).increment(cCol, B_STEP).increment(jt, 1);
  });
  return f;
}

/**
 * `finish(p, pStride, c, m, n, acc)`: copies (acc = 0) or adds (acc ≠ 0) the `m × n` block
 * at `p` (rows `pStride` bytes apart) into the compact row-major block at `c`.
 */
function buildFinish(): FunctionBuilder {
  const f = new FunctionBuilder('finish', [I32, I32, I32, I32, I32, I32]);
  const [p, pStride, c, m, n, acc] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32);
  const j = f.local(I32);
  const src = f.local(I32);
  const rows = (add: boolean): void => {
    f.i32(0).set(i);
    f.loopWhile(i, m, () => {
      f.get(p).set(src);
      f.i32(0).set(j);
      f.loopWhile(j, n, () => {
        f.get(c);
        if (add) f.get(c).f64Load();
        f.get(src).f64Load();
        if (add) f.f64Add();
        f.f64Store();
        f.increment(c, 8).increment(src, 8).increment(j, 1);
      });
      f.incrementBy(p, pStride).increment(i, 1);
    });
  };
  f.get(acc).ifElse(
    () => rows(true),
    () => rows(false),
  );
  return f;
}

/** The bytes of the gemm module (exported for inspection and tests). */
export function gemmModuleBytes(): Uint8Array {
  return encodeModule([buildPack(), ...[1, 2, 3, 4].map(buildKernel), buildFinish()], 1);
}

// --- Instantiation -----------------------------------------------------------------------

/** The slice of the WebAssembly JS API used here (the project compiles without DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
type WasmFunction = (...args: number[]) => void;

interface GemmInstance {
  readonly memory: WasmMemory;
  readonly pack: WasmFunction;
  /** `kernels[r]` computes tiles of r rows, r = 1…4 (index 0 repeats `kernel4` to keep the array dense). */
  readonly kernels: readonly WasmFunction[];
  readonly finish: WasmFunction;
  /** A view of the whole memory; replaced when the memory grows. */
  heap: Float64Array;
  /** Views `[RESIDENT, RESIDENT + length)` of the memory, by length, for copying results out without allocating. */
  readonly outViews: Map<number, Float64Array>;
  /** Packed B factors resident in memory: the array → its element index in the heap. */
  readonly resident: Map<Float64Array, number>;
  /** Doubles of the resident region in use. */
  residentEnd: number;
}

function isFunction(value: unknown): value is WasmFunction {
  return typeof value === 'function';
}

function isMemory(value: unknown): value is WasmMemory {
  return typeof value === 'object' && value !== null && 'buffer' in value && 'grow' in value;
}

/** `undefined`: not tried yet; `null`: unavailable. */
let instance: GemmInstance | null | undefined;

function instantiate(): GemmInstance | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return null;
  try {
    const { exports } = new api.Instance(new api.Module(gemmModuleBytes()), {});
    const { memory, pack, finish } = exports;
    const kernels = [exports.kernel4, exports.kernel1, exports.kernel2, exports.kernel3, exports.kernel4];
    if (!isMemory(memory) || !isFunction(pack) || !isFunction(finish) || !kernels.every(isFunction))
      return null;
    return {
      memory,
      pack,
      kernels,
      finish,
      heap: new Float64Array(memory.buffer),
      outViews: new Map(),
      resident: new Map(),
      residentEnd: 0,
    };
  } catch {
    // No SIMD support, or compilation forbidden (CSP): use the JavaScript kernel.
    return null;
  }
}

/** True when the WebAssembly back end can run here (compiles the module on first call). */
export function wasmGemmAvailable(): boolean {
  return getInstance() !== null;
}

/** Grows the memory to at least `bytes`; false when that exceeds {@link MAX_BYTES}. */
function reserve(inst: GemmInstance, bytes: number): boolean {
  if (bytes > MAX_BYTES) return false;
  const have = inst.heap.length * 8;
  if (bytes > have) {
    try {
      inst.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false; // the engine refused the memory
    }
    inst.heap = new Float64Array(inst.memory.buffer);
    inst.outViews.clear();
  }
  return true;
}

/** A cached view of `length` doubles from {@link RESIDENT} (C always starts there). */
function outView(inst: GemmInstance, length: number): Float64Array {
  let view = inst.outViews.get(length);
  if (view === undefined) {
    if (inst.outViews.size >= 64) inst.outViews.clear();
    view = new Float64Array(inst.memory.buffer, RESIDENT * 8, length);
    inst.outViews.set(length, view);
  }
  return view;
}

/**
 * Doubles of heap that {@link stage} needs for a block of `length` elements of `src`: the
 * whole array when it is at most four times the block (copying it all is one memcpy and needs
 * no view), else the block alone.
 */
function stagedSize(src: Float64Array, length: number): number {
  return src.length <= 4 * length ? src.length : length;
}

/**
 * Copies the block `src[off, off + length)` into the heap region starting at `at` (of
 * {@link stagedSize} doubles) and returns the heap index where the block now starts. Only a
 * small block of a large array needs a subarray view (a few dozen bytes, no data copied).
 */
function stage(heap: Float64Array, src: Float64Array, off: number, length: number, at: number): number {
  if (src.length <= 4 * length) {
    heap.set(src, at);
    return at + off;
  }
  heap.set(src.subarray(off, off + length), at);
  return at;
}

/** Doubles of scratch (packed panels, padded product) that {@link multiplyInHeap} needs. */
function scratchSize(m: number, n: number, k: number): number {
  const np = Math.ceil(n / NR) * NR;
  const kc = Math.min(k, KC);
  const packA = Math.min(Math.ceil(m / MR) * MR, MC) * kc;
  const packB = np * kc;
  return packA + packB + (np === n ? 0 : m * np);
}

/**
 * C = op(A)·op(B) (or C +=) with A, B and C already in the heap at element indices `aAt`,
 * `bAt`, `cAt`, using scratch from `scratchAt` ({@link scratchSize} doubles). When `n` is a
 * multiple of 4 the kernels write C in place; otherwise they write a product padded to whole
 * 4-column panels, which `finish` then copies (or adds) into C.
 */
function multiplyInHeap(
  inst: GemmInstance,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  aAt: number,
  bAt: number,
  cAt: number,
  accumulate: boolean,
  scratchAt: number,
  packedBAt = -1,
): void {
  const nt = Math.ceil(n / NR);
  const np = nt * NR;
  const kc = Math.min(k, KC);
  const mc = Math.min(Math.ceil(m / MR) * MR, MC);
  const direct = np === n;
  const paAt = scratchAt;
  const pbAt = paAt + mc * kc;
  const pAt = pbAt + np * kc;
  // Byte strides of op(A) as (row i, column p) and of op(B)ᵀ as (row j, column p).
  const aRs = (transA ? 1 : k) * 8;
  const aCs = (transA ? m : 1) * 8;
  const bRs = (transB ? k : 1) * 8;
  const bCs = (transB ? 1 : n) * 8;
  const out = (direct ? cAt : pAt) * 8;
  const ldc = (direct ? n : np) * 8;
  for (let pc = 0; pc < k; pc += KC) {
    const kcb = Math.min(KC, k - pc);
    const acc = (direct && accumulate) || pc > 0 ? 1 : 0;
    // A pre-packed B holds block pc (kcb columns of np rows) at packedBAt + pc·np.
    const pb = packedBAt >= 0 ? packedBAt + pc * np : pbAt;
    if (packedBAt < 0) inst.pack(bAt * 8 + pc * bCs, bRs, bCs, n, kcb, pbAt * 8);
    for (let ic = 0; ic < m; ic += MC) {
      const mcb = Math.min(MC, m - ic);
      inst.pack(aAt * 8 + ic * aRs + pc * aCs, aRs, aCs, mcb, kcb, paAt * 8);
      // Whole 4-row panels, then the m mod 4 rows left with the matching narrow kernel.
      const whole = mcb >> 2;
      const rest = mcb & 3;
      const cBlock = out + ic * ldc;
      if (whole > 0) inst.kernels[MR](whole, nt, kcb, paAt * 8, pb * 8, cBlock, ldc, acc);
      if (rest > 0) {
        const paRest = (paAt + whole * MR * kcb) * 8;
        inst.kernels[rest](1, nt, kcb, paRest, pb * 8, cBlock + whole * MR * ldc, ldc, acc);
      }
    }
  }
  if (!direct) inst.finish(pAt * 8, np * 8, cAt * 8, m, n, accumulate ? 1 : 0);
}

/**
 * The heap index of `panels` (an array returned by {@link wasmPackB}) in the resident region,
 * copied there on first use; −1 when it is too large to keep. When the region is full it is
 * emptied and refilled, so at most {@link RESIDENT} doubles of old factors stay referenced.
 * The panels are never written after packing, so a resident copy stays equal to its array.
 */
function residentPanels(inst: GemmInstance, panels: Float64Array): number {
  const at = inst.resident.get(panels);
  if (at !== undefined) return at;
  if (panels.length > RESIDENT_MAX) return -1;
  if (inst.residentEnd + panels.length > RESIDENT) {
    inst.resident.clear();
    inst.residentEnd = 0;
  }
  if (!reserve(inst, RESIDENT * 8)) return -1;
  const start = inst.residentEnd;
  inst.heap.set(panels, start);
  inst.resident.set(panels, start);
  inst.residentEnd = start + panels.length;
  return start;
}

function getInstance(): GemmInstance | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}

/**
 * The WebAssembly implementation of {@link gemm} (same arguments, already validated, with
 * m, n, k ≥ 1). Returns `false`, having done nothing, when WebAssembly SIMD is unavailable or
 * the operands would not fit the memory cap.
 */
export function wasmGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): boolean {
  const inst = getInstance();
  if (inst === null) return false;
  // Layout in doubles, after the resident region: C | A | B | scratch.
  const size = m * n;
  const aRegion = RESIDENT + size;
  const bRegion = aRegion + stagedSize(a, m * k);
  const scratchAt = bRegion + stagedSize(b, k * n);
  if (!reserve(inst, (scratchAt + scratchSize(m, n, k)) * 8)) return false;
  const heap = inst.heap;
  const aAt = stage(heap, a, aOff, m * k, aRegion);
  const bAt = stage(heap, b, bOff, k * n, bRegion);
  if (accumulate) heap.set(cOff === 0 && c.length === size ? c : c.subarray(cOff, cOff + size), RESIDENT);
  multiplyInHeap(inst, transA, transB, m, n, k, aAt, bAt, RESIDENT, accumulate, scratchAt);
  c.set(outView(inst, size), cOff);
  return true;
}

/**
 * Packs op(B) [k, n] once into the panels the micro-kernel reads (4 columns of op(B) per
 * panel, block by block of {@link KC} rows, zero-padded to whole panels): `np·k` doubles with
 * np = n rounded up to a multiple of 4. {@link wasmGemmPackedB} then multiplies by it without
 * repacking or copying B — worth it when the same B meets many A (a network's weights inside
 * an ODE solve). Returns `null` where the WebAssembly back end is unavailable.
 */
export function wasmPackB(
  transB: boolean,
  n: number,
  k: number,
  b: Float64Array,
  bOff: number,
): Float64Array | null {
  const inst = getInstance();
  if (inst === null) return null;
  const np = Math.ceil(n / NR) * NR;
  const outAt = RESIDENT + stagedSize(b, k * n);
  if (!reserve(inst, (outAt + np * k) * 8)) return null;
  const bStart = stage(inst.heap, b, bOff, k * n, RESIDENT);
  const bRs = (transB ? k : 1) * 8;
  const bCs = (transB ? 1 : n) * 8;
  for (let pc = 0; pc < k; pc += KC) {
    inst.pack(bStart * 8 + pc * bCs, bRs, bCs, n, Math.min(KC, k - pc), (outAt + pc * np) * 8);
  }
  return inst.heap.slice(outAt, outAt + np * k);
}

/**
 * C = op(A)·op(B) (or C +=) with op(B) packed by {@link wasmPackB}: the same results, bit for
 * bit, as {@link wasmGemm} with the unpacked B. Returns `false` where the back end is
 * unavailable or memory cannot grow.
 */
export function wasmGemmPackedB(
  transA: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  packedB: Float64Array,
  c: Float64Array,
  cOff: number,
  accumulate: boolean,
): boolean {
  const inst = getInstance();
  if (inst === null) return false;
  // Layout in doubles, after the resident region: C | A | packed B unless resident | scratch
  // (the A panels and the padded product).
  const size = m * n;
  const aRegion = RESIDENT + size;
  const bRegion = aRegion + stagedSize(a, m * k);
  const residentAt = residentPanels(inst, packedB);
  const scratchAt = bRegion + (residentAt < 0 ? packedB.length : 0);
  if (!reserve(inst, (scratchAt + scratchSize(m, n, k)) * 8)) return false;
  const heap = inst.heap;
  const aAt = stage(heap, a, aOff, m * k, aRegion);
  if (residentAt < 0) heap.set(packedB, bRegion);
  if (accumulate) heap.set(cOff === 0 && c.length === size ? c : c.subarray(cOff, cOff + size), RESIDENT);
  const bAt = residentAt < 0 ? bRegion : residentAt;
  multiplyInHeap(inst, transA, false, m, n, k, aAt, 0, RESIDENT, accumulate, scratchAt, bAt);
  c.set(outView(inst, size), cOff);
  return true;
}

/**
 * A batch of products C_t = op(A_t)·op(B_t), t = 0 … count−1, with A_t starting at
 * `a[aOffsets[t]]`, B_t at `b[bOffsets[t]]`, and the C_t stored one after another in `c`
 * (which holds exactly `count·m·n` elements). Each array is copied into WebAssembly memory
 * once, whole. Returns `false`, having done nothing, when WebAssembly SIMD is unavailable or
 * the operands would not fit the memory cap.
 */
export function wasmGemmBatch(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  count: number,
  a: Float64Array,
  aOffsets: readonly number[],
  b: Float64Array,
  bOffsets: readonly number[],
  c: Float64Array,
): boolean {
  const inst = getInstance();
  if (inst === null) return false;
  const size = m * n;
  const aRegion = RESIDENT + count * size;
  const bRegion = aRegion + a.length;
  const scratchAt = bRegion + b.length;
  if (!reserve(inst, (scratchAt + scratchSize(m, n, k)) * 8)) return false;
  const heap = inst.heap;
  heap.set(a, aRegion);
  heap.set(b, bRegion);
  for (let t = 0; t < count; t++) {
    multiplyInHeap(
      inst,
      transA,
      transB,
      m,
      n,
      k,
      aRegion + aOffsets[t],
      bRegion + bOffsets[t],
      RESIDENT + t * size,
      false,
      scratchAt,
    );
  }
  c.set(outView(inst, count * size), 0);
  return true;
}
