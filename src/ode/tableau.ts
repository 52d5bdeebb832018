/**
 * Butcher tableaux of explicit Runge–Kutta methods: the coefficients as data, checked for
 * consistency when built (STYLE.md: coefficients are data and are validated when constructed).
 *
 * An s-stage explicit method advances y' = f(t, y) from (t, y) by h:
 *
 *   kᵢ = f(t + cᵢh, y + h·Σ_{j<i} aᵢⱼkⱼ),   y₁ = y + h·Σ bᵢkᵢ,   err = h·Σ (bᵢ − b̂ᵢ)kᵢ,
 *
 * and its dense output on the step is y(t + θh) ≈ y + h·Σ bᵢ(θ)kᵢ with polynomial weights
 * bᵢ(θ) = Σ_k dᵢₖθᵏ (k ≥ 1), possibly over extra stages that only the interpolant uses.
 *
 * Order conditions are checked on rooted trees (Butcher; Hairer, Nørsett & Wanner, Solving
 * Ordinary Differential Equations I, §II.2): a method has order p when
 * Σ bᵢΦᵢ(τ) = 1/γ(τ) for every rooted tree τ with at most p vertices, where Φᵢ(•) = 1 and
 * Φᵢ([τ₁…τₘ]) = Π_k (Σⱼ aᵢⱼΦⱼ(τ_k)). A dense output of order p* satisfies
 * Σ bᵢ(θ)Φᵢ(τ) = θ^ρ(τ)/γ(τ) for ρ(τ) ≤ p*, i.e. coefficient by coefficient in θ.
 */

/** An extra stage used only by a dense output (evaluated lazily, when first interpolating). */
export interface ExtraStage {
  /** Node cₑ (the row sum of `a`). */
  readonly c: number;
  /** Weights on the s main stages and the earlier extra stages, in that order. */
  readonly a: readonly number[];
}

/** Dense output: stage weights as polynomials in θ. */
export interface InterpolantSpec {
  /** Order p* of the dense output (local error O(h^(p*+1)) on a step). */
  readonly order: number;
  /**
   * `weights[i][k − 1]` = dᵢₖ, the coefficient of θᵏ (k = 1, 2, …) in bᵢ(θ), for the s main
   * stages then the extra stages; bᵢ(0) = 0 by construction. Rows may have different lengths.
   */
  readonly weights: readonly (readonly number[])[];
  /** Stages the interpolant adds after the s main stages (none by default). */
  readonly extraStages?: readonly ExtraStage[];
}

/**
 * The cubic Hermite dense output of a method whose last stage is not its end slope: the
 * interpolant of y, y₁ and the end slopes k₁ = f(t, y) and f(t + h, y₁), the latter an extra
 * stage (c = 1, a = b). With h₀₁(θ) = 3θ² − 2θ³, h₁₀(θ) = θ − 2θ² + θ³, h₁₁(θ) = θ³ − θ²:
 * bᵢ(θ) = h₀₁(θ)bᵢ + h₁₀(θ)[i = 1] + h₁₁(θ)[extra stage], so the θ, θ², θ³ coefficients are
 * ([i = 1], 3bᵢ − 2[i = 1], −2bᵢ + [i = 1]) and (0, −1, 1) for the extra stage. Order 3.
 *
 * @example
 * ```ts
 * const b = [1 / 8, 3 / 8, 3 / 8, 1 / 8];
 * const rk38 = new ButcherTableau({
 *   name: 'rk38', c: [0, 1 / 3, 2 / 3, 1], a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]], b, order: 4,
 *   interpolant: hermiteInterpolant(b),
 * });
 * ```
 */
export function hermiteInterpolant(b: readonly number[]): InterpolantSpec {
  const first = (i: number) => (i === 0 ? 1 : 0);
  return {
    order: 3,
    weights: [...b.map((bi, i) => [first(i), 3 * bi - 2 * first(i), -2 * bi + first(i)]), [0, -1, 1]],
    extraStages: [{ c: 1, a: [...b] }],
  };
}

/** The coefficients of a {@link ButcherTableau}, as given to its constructor. */
export interface ButcherTableauSpec {
  /** Name for messages, e.g. `'dopri5'`. */
  readonly name: string;
  /** Nodes c (c₁ = 0). */
  readonly c: readonly number[];
  /**
   * Stage weights, one row per stage; row i holds aᵢ₀ … aᵢ,ᵢ₋₁ and may be shorter than s
   * (missing entries are 0). Entries on or above the diagonal must be 0.
   */
  readonly a: readonly (readonly number[])[];
  /** Solution weights b. */
  readonly b: readonly number[];
  /** Embedded solution weights b̂ (give these, or `errorWeights`, or both). */
  readonly bHat?: readonly number[];
  /** Error weights e = b − b̂ (give these, or `bHat`, or both). */
  readonly errorWeights?: readonly number[];
  /** Order of the solution y₁. */
  readonly order: number;
  /** Order of the embedded solution (required with `bHat` / `errorWeights`; 0 without). */
  readonly embeddedOrder?: number;
  /** First same as last: the last stage is f(t + h, y₁) and becomes the next step's first. */
  readonly fsal?: boolean;
  /** Dense output; default: linear interpolation between y and y₁ (order 1). */
  readonly interpolant?: InterpolantSpec;
}

/** A validated dense output of a {@link ButcherTableau}. */
export interface Interpolant {
  /** Order p* of the dense output. */
  readonly order: number;
  /** Rows of dᵢₖ (coefficients of θ¹ … θᴷ), all of length K, for all s + extra stages. */
  readonly weights: readonly (readonly number[])[];
  /** Extra stages; each row of `a` has exactly s + (its index) entries. */
  readonly extraStages: readonly ExtraStage[];
  /** Whether this is the default linear interpolation (no interpolant was given). */
  readonly linear: boolean;
}

/** Highest order whose rooted-tree conditions are checked (200 trees up to order 8). */
export const MAX_CHECKED_ORDER = 8;

/**
 * Relative tolerance of the consistency checks, against the sum of the magnitudes of the
 * terms (16 ε ≈ 3.6·10⁻¹⁵): coefficients given as correctly rounded float64 values satisfy their
 * identities to a few units of roundoff (the worst among greybox's tableaux is 0.6 ε), while a
 * wrong digit anywhere shows up many orders of magnitude above it.
 */
const TOLERANCE = 16 * Number.EPSILON;

/**
 * The Butcher tableau of an explicit Runge–Kutta method, with an optional embedded pair and
 * dense output. Immutable and final (wrap it, do not subclass it).
 *
 * The constructor checks, and throws a `RangeError` naming the tableau and the failed identity:
 * `a` is strictly lower triangular; each row of `a` sums to cᵢ; Σbᵢ = 1; Σ(bᵢ − b̂ᵢ) = 0; the
 * rooted-tree order conditions of b up to `order` and of b̂ up to `embeddedOrder` (both capped at
 * {@link MAX_CHECKED_ORDER}); for the dense output bᵢ(1) = bᵢ, Σbᵢ(θ) = θ and its order
 * conditions; for FSAL, that the last row of `a` is b with b_s = 0 and c_s = 1.
 *
 * @example
 * ```ts
 * // Heun's method with an Euler error estimate and its quadratic dense output.
 * const heun = new ButcherTableau({
 *   name: 'heun',
 *   c: [0, 1],
 *   a: [[], [1]],
 *   b: [1 / 2, 1 / 2],
 *   bHat: [1, 0],
 *   order: 2,
 *   embeddedOrder: 1,
 *   interpolant: { order: 2, weights: [[1, -1 / 2], [0, 1 / 2]] },
 * });
 * heun.stages; // 2
 * ```
 */
export class ButcherTableau {
  readonly name: string;
  /** Number of stages s of a step (extra dense-output stages not counted). */
  readonly stages: number;
  readonly c: readonly number[];
  /** Row i has exactly i entries (strictly lower triangular, ragged). */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  /** Embedded weights b̂, or null without an error estimate. */
  readonly bHat: readonly number[] | null;
  /** Error weights e = b − b̂, or null without an error estimate. */
  readonly errorWeights: readonly number[] | null;
  readonly order: number;
  /** 0 when there is no embedded solution. */
  readonly embeddedOrder: number;
  readonly fsal: boolean;
  readonly interpolant: Interpolant;

  constructor(spec: ButcherTableauSpec) {
    if (new.target !== ButcherTableau) {
      throw new TypeError('ButcherTableau is final: wrap it in your own object instead of subclassing');
    }
    const name = spec.name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError('ButcherTableau: give the tableau a non-empty name (used in messages)');
    }
    const where = `ButcherTableau '${name}'`;
    const s = spec.b.length;
    if (s < 1) throw new RangeError(`${where}: b is empty; a method needs at least one stage`);
    checkVector(spec.b, 'b', s, where);
    checkVector(spec.c, 'c', s, where);
    if (spec.a.length !== s) {
      throw new RangeError(
        `${where}: a has ${spec.a.length} rows but b has ${s} stages; give one row per stage`,
      );
    }
    const a = spec.a.map((row, i) => lowerRow(row, i, s, `a[${i}]`, where));
    checkOrder(spec.order, 'order', where);
    const { bHat, errorWeights, embeddedOrder } = embeddedWeights(spec, where);
    a.forEach((row, i) => {
      checkRowSum(row, spec.c[i], `row ${i} of a`, `c[${i}]`, where);
    });
    const sumB = sumOf(spec.b);
    if (!close(sumB, 1, sumAbs(spec.b))) {
      throw new RangeError(`${where}: the weights b sum to ${sumB}, not 1 (the method is not consistent)`);
    }
    if (errorWeights !== null) {
      const sumE = sumOf(errorWeights);
      if (!close(sumE, 0, sumAbs(spec.b) + sumAbs(bHat!))) {
        throw new RangeError(
          `${where}: the error weights b − b̂ sum to ${sumE}, not 0 (the embedded weights b̂ must also sum to 1)`,
        );
      }
    }
    const fsal = spec.fsal ?? false;
    if (fsal) checkFsal(spec, a[s - 1], where);
    const interpolant = buildInterpolant(spec, where);
    checkOrderConditions(spec, a, bHat, embeddedOrder, interpolant, where);

    this.name = name;
    this.stages = s;
    this.c = Object.freeze(spec.c.slice());
    this.a = Object.freeze(a.map((row) => Object.freeze(row)));
    this.b = Object.freeze(spec.b.slice());
    this.bHat = bHat === null ? null : Object.freeze(bHat);
    this.errorWeights = errorWeights === null ? null : Object.freeze(errorWeights);
    this.order = spec.order;
    this.embeddedOrder = embeddedOrder;
    this.fsal = fsal;
    this.interpolant = interpolant;
    Object.freeze(this);
  }
}

function checkVector(v: readonly number[], what: string, s: number, where: string): void {
  if (v.length !== s) {
    throw new RangeError(`${where}: ${what} has ${v.length} entries but the method has ${s} stages`);
  }
  v.forEach((x, i) => {
    if (!Number.isFinite(x))
      throw new RangeError(`${where}: ${what}[${i}] is ${x}; coefficients must be finite`);
  });
}

function checkOrder(order: number, what: string, where: string): void {
  if (!Number.isInteger(order) || order < 1) {
    throw new RangeError(`${where}: ${what} ${order} must be a positive integer`);
  }
}

/** The embedded weights b̂ and e = b − b̂ from whichever the spec gives (checked against each other). */
function embeddedWeights(
  spec: ButcherTableauSpec,
  where: string,
): { bHat: number[] | null; errorWeights: number[] | null; embeddedOrder: number } {
  const embeddedOrder = spec.embeddedOrder ?? 0;
  const { b, bHat: givenHat, errorWeights: givenE } = spec;
  if (givenHat === undefined && givenE === undefined) {
    if (embeddedOrder !== 0) {
      throw new RangeError(
        `${where}: embeddedOrder ${embeddedOrder} without embedded weights; give bHat or errorWeights, or omit embeddedOrder`,
      );
    }
    return { bHat: null, errorWeights: null, embeddedOrder: 0 };
  }
  checkOrder(embeddedOrder, 'embeddedOrder', where);
  if (givenHat !== undefined) checkVector(givenHat, 'bHat', b.length, where);
  if (givenE !== undefined) checkVector(givenE, 'errorWeights', b.length, where);
  const bHat = givenHat !== undefined ? givenHat.slice() : b.map((bi, i) => bi - givenE![i]);
  const errorWeights = givenE !== undefined ? givenE.slice() : b.map((bi, i) => bi - bHat[i]);
  if (givenHat !== undefined && givenE !== undefined) {
    b.forEach((bi, i) => {
      const want = bi - givenHat[i];
      if (!close(errorWeights[i], want, Math.abs(bi) + Math.abs(givenHat[i]))) {
        throw new RangeError(
          `${where}: errorWeights[${i}] = ${errorWeights[i]} but b[${i}] − bHat[${i}] = ${want}; ` +
            'error weights are e = b − b̂ (give one of them, or fix the sign)',
        );
      }
    });
  }
  return { bHat, errorWeights, embeddedOrder };
}

/** A stage's node is the sum of its row of a. */
function checkRowSum(row: readonly number[], c: number, what: string, node: string, where: string): void {
  let sum = 0;
  let mag = Math.abs(c);
  for (const v of row) {
    sum += v;
    mag += Math.abs(v);
  }
  if (!close(sum, c, mag)) {
    throw new RangeError(
      `${where}: ${what} sums to ${sum} but ${node} = ${c}; the nodes must be the row sums (cᵢ = Σⱼ aᵢⱼ)`,
    );
  }
}

/** First same as last: the last stage is evaluated at (t + h, y₁), so y₁ is its input. */
function checkFsal(spec: ButcherTableauSpec, last: readonly number[], where: string): void {
  const s = spec.b.length;
  if (s < 2 || spec.c[s - 1] !== 1 || spec.b[s - 1] !== 0 || last.some((v, j) => v !== spec.b[j])) {
    throw new RangeError(
      `${where}: fsal needs the last stage to be f(t + h, y₁): c[${s - 1}] = 1, the last row of a equal to b ` +
        `and b[${s - 1}] = 0 exactly; set fsal: false or fix the last row`,
    );
  }
}

/**
 * The rooted-tree conditions of b (to `order`), of b̂ (to `embeddedOrder`) and, coefficient by
 * coefficient in θ, of the dense output (to its order), on the tableau extended by the extra stages.
 */
function checkOrderConditions(
  spec: ButcherTableauSpec,
  a: readonly (readonly number[])[],
  bHat: readonly number[] | null,
  embeddedOrder: number,
  interpolant: Interpolant,
  where: string,
): void {
  const extra = interpolant.extraStages;
  const S = a.length + extra.length;
  const allA = [...a, ...extra.map((e) => e.a)];
  const capped = (order: number) => Math.min(order, MAX_CHECKED_ORDER);
  const phi = elementaryWeights(allA, S, capped(Math.max(spec.order, embeddedOrder, interpolant.order)));
  checkConditions(pad(spec.b, S), phi, capped(spec.order), 'b', where);
  if (bHat !== null) checkConditions(pad(bHat, S), phi, capped(embeddedOrder), 'b̂', where);
  const K = interpolant.weights[0].length;
  for (let k = 1; k <= K; k++) {
    const column = interpolant.weights.map((row) => row[k - 1]);
    checkConditions(column, phi, capped(interpolant.order), `θ^${k} of b(θ)`, where, k);
  }
}

/** Row i of a strictly lower-triangular matrix, as exactly `i` entries. */
function lowerRow(row: readonly number[], i: number, width: number, what: string, where: string): number[] {
  if (row.length > width) {
    throw new RangeError(
      `${where}: ${what} has ${row.length} entries, more than the ${width} stages before it allows`,
    );
  }
  const out = new Array<number>(i).fill(0);
  row.forEach((v, j) => {
    if (!Number.isFinite(v))
      throw new RangeError(`${where}: ${what}[${j}] is ${v}; coefficients must be finite`);
    if (j >= i && v !== 0) {
      throw new RangeError(
        `${where}: ${what}[${j}] = ${v} lies on or above the diagonal; an explicit method's a is strictly ` +
          `lower triangular (stage ${i} may use only stages 0 … ${i - 1})`,
      );
    }
    if (j < i) out[j] = v;
  });
  return out;
}

function buildInterpolant(spec: ButcherTableauSpec, where: string): Interpolant {
  const s = spec.b.length;
  const given = spec.interpolant;
  if (given === undefined) {
    return Object.freeze({
      order: 1,
      weights: Object.freeze(spec.b.map((bi) => Object.freeze([bi]))),
      extraStages: Object.freeze([]),
      linear: true,
    });
  }
  checkOrder(given.order, 'interpolant.order', where);
  if (given.order > spec.order) {
    throw new RangeError(
      `${where}: interpolant.order ${given.order} exceeds the method's order ${spec.order}; a dense output cannot be more accurate than the steps`,
    );
  }
  const extraSpecs = given.extraStages ?? [];
  const extraStages = extraSpecs.map((e, j) => {
    const i = s + j;
    const what = `interpolant.extraStages[${j}]`;
    if (!Number.isFinite(e.c))
      throw new RangeError(`${where}: ${what}.c is ${e.c}; coefficients must be finite`);
    const row = lowerRow(e.a, i, i, `${what}.a`, where);
    checkRowSum(row, e.c, `${what}.a`, `${what}.c`, where);
    return Object.freeze({ c: e.c, a: Object.freeze(row) });
  });
  const S = s + extraStages.length;
  if (given.weights.length !== S) {
    throw new RangeError(
      `${where}: interpolant.weights has ${given.weights.length} rows for ${s} stages + ${extraStages.length} extra stages; give one polynomial per stage`,
    );
  }
  const K = Math.max(1, ...given.weights.map((row) => row.length));
  const weights = given.weights.map((row, i) => {
    row.forEach((v, k) => {
      if (!Number.isFinite(v)) {
        throw new RangeError(
          `${where}: interpolant.weights[${i}][${k}] is ${v}; coefficients must be finite`,
        );
      }
    });
    const out = new Array<number>(K).fill(0);
    row.forEach((v, k) => {
      out[k] = v;
    });
    return Object.freeze(out);
  });
  // b(1) = b on the main stages, 0 on the extra stages.
  for (let i = 0; i < S; i++) {
    const want = i < s ? spec.b[i] : 0;
    const at1 = sumOf(weights[i]);
    if (!close(at1, want, sumAbs(weights[i]) + Math.abs(want))) {
      throw new RangeError(
        `${where}: interpolant weight b${i}(θ) at θ = 1 is ${at1} but should be ${want} ` +
          `(${i < s ? `b[${i}]: the dense output must end at y₁` : 'extra stages do not enter y₁'})`,
      );
    }
  }
  // Σᵢ bᵢ(θ) = θ.
  for (let k = 0; k < K; k++) {
    let sum = 0;
    let mag = 0;
    for (let i = 0; i < S; i++) {
      sum += weights[i][k];
      mag += Math.abs(weights[i][k]);
    }
    if (!close(sum, k === 0 ? 1 : 0, mag + 1)) {
      throw new RangeError(
        `${where}: the interpolant weights' θ^${k + 1} coefficients sum to ${sum}, not ${k === 0 ? 1 : 0}; ` +
          'Σᵢ bᵢ(θ) must equal θ',
      );
    }
  }
  return Object.freeze({
    order: given.order,
    weights: Object.freeze(weights),
    extraStages: Object.freeze(extraStages),
    linear: false,
  });
}

function close(x: number, want: number, magnitude: number): boolean {
  return Math.abs(x - want) <= TOLERANCE * Math.max(magnitude, Number.MIN_VALUE);
}

function sumOf(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

function sumAbs(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += Math.abs(x);
  return s;
}

function pad(v: readonly number[], S: number): number[] {
  const out = new Array<number>(S).fill(0);
  v.forEach((x, i) => {
    out[i] = x;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rooted trees and elementary weights.

/** A rooted tree: its number of vertices ρ, density γ, and its subtrees (indices into the list). */
export interface RootedTree {
  readonly order: number;
  readonly gamma: number;
  readonly children: readonly number[];
  /** Butcher's bracket notation, e.g. `[τ²]`, `[[τ]]`. */
  readonly label: string;
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** All rooted trees up to MAX_CHECKED_ORDER vertices, by increasing order (1, 1, 2, 4, 9, 20, 48, 115). */
const TREES: readonly RootedTree[] = rootedTrees(MAX_CHECKED_ORDER);

/** Rooted trees up to `maxOrder` vertices; each is a multiset of smaller trees under a root. */
export function rootedTrees(maxOrder: number): RootedTree[] {
  const trees: RootedTree[] = [{ order: 1, gamma: 1, children: [], label: 'τ' }];
  for (let n = 2; n <= maxOrder; n++) {
    const last = trees.length - 1; // every tree so far has order ≤ n − 1
    const children: number[] = [];
    const emit = () => {
      let gamma = n;
      for (const id of children) gamma *= trees[id].gamma;
      trees.push({ order: n, gamma, children: children.slice(), label: bracket(children, trees) });
    };
    // Children as non-increasing index sequences whose orders sum to n − 1.
    const grow = (remaining: number, maxId: number) => {
      if (remaining === 0) {
        emit();
        return;
      }
      for (let id = maxId; id >= 0; id--) {
        if (trees[id].order > remaining) continue;
        children.push(id);
        grow(remaining - trees[id].order, id);
        children.pop();
      }
    };
    grow(n - 1, last);
  }
  return trees;
}

function bracket(children: readonly number[], trees: readonly RootedTree[]): string {
  let out = '[';
  for (let q = 0; q < children.length; ) {
    let r = q;
    while (r < children.length && children[r] === children[q]) r++;
    const count = r - q;
    out +=
      trees[children[q]].label +
      (count > 1 ? String(count).replace(/\d/g, (d) => SUPERSCRIPT[Number(d)]) : '');
    q = r;
  }
  return `${out}]`;
}

/** Φᵢ(τ) and the same with |aᵢⱼ| (for error scales), for trees up to `maxOrder`. */
interface ElementaryWeights {
  readonly phi: Float64Array[];
  readonly phiAbs: Float64Array[];
  readonly count: number;
}

function elementaryWeights(
  a: readonly (readonly number[])[],
  S: number,
  maxOrder: number,
): ElementaryWeights {
  let count = 0;
  while (count < TREES.length && TREES[count].order <= maxOrder) count++;
  const phi: Float64Array[] = [];
  const phiAbs: Float64Array[] = [];
  const aPhi: Float64Array[] = [];
  const aPhiAbs: Float64Array[] = [];
  for (let id = 0; id < count; id++) {
    const p = new Float64Array(S).fill(1);
    const pa = new Float64Array(S).fill(1);
    for (const child of TREES[id].children) {
      for (let i = 0; i < S; i++) {
        p[i] *= aPhi[child][i];
        pa[i] *= aPhiAbs[child][i];
      }
    }
    const ap = new Float64Array(S);
    const apa = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      let v = 0;
      let va = 0;
      for (let j = 0; j < i; j++) {
        v += a[i][j] * p[j];
        va += Math.abs(a[i][j]) * pa[j];
      }
      ap[i] = v;
      apa[i] = va;
    }
    phi.push(p);
    phiAbs.push(pa);
    aPhi.push(ap);
    aPhiAbs.push(apa);
  }
  return { phi, phiAbs, count };
}

/**
 * Checks Σ wᵢΦᵢ(τ) = [ρ(τ) = power]/γ(τ) for trees up to `order` (`power` defaults to ρ(τ),
 * i.e. the plain condition 1/γ; the θ^power coefficient of a dense output uses the indicator).
 */
function checkConditions(
  w: readonly number[],
  ew: ElementaryWeights,
  order: number,
  what: string,
  where: string,
  power: number | null = null,
): void {
  for (let id = 0; id < ew.count; id++) {
    const tree = TREES[id];
    if (tree.order > order) break;
    const want = power === null || power === tree.order ? 1 / tree.gamma : 0;
    let sum = 0;
    let mag = want;
    const p = ew.phi[id];
    const pa = ew.phiAbs[id];
    for (let i = 0; i < w.length; i++) {
      sum += w[i] * p[i];
      mag += Math.abs(w[i]) * pa[i];
    }
    if (!close(sum, want, mag)) {
      const claimed = power === null ? `order ${order}` : `dense-output order ${order}`;
      throw new RangeError(
        `${where}: ${what} fails the order-${tree.order} condition for the tree ${tree.label} ` +
          `(Σ wᵢΦᵢ = ${sum}, should be ${want === 0 ? '0' : `1/${tree.gamma}`}); ${claimed} is claimed — ` +
          'check the coefficients or claim a lower order',
      );
    }
  }
}
