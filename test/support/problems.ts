/**
 * ODE test problems for the solvers, as batched {@link VectorField}s with analytic Jacobians
 * and hand-written vector–Jacobian products, and their reference solutions.
 *
 * Non-stiff: the DETEST problems of classes A–E (all 25) from
 *   T. E. Hull, W. H. Enright, B. M. Fellen, A. E. Sedgwick, "Comparing numerical methods for
 *   ordinary differential equations", SIAM J. Numer. Anal. 9(4):603–637, 1972,
 * as coded in W. H. Enright, J. D. Pryce, "Two FORTRAN packages for assessing initial value
 * methods", ACM TOMS 13(1):1–27, 1987 (all on t ∈ [0, 20]). References at t = 20 are in
 * test/fixtures/ode/detest-references.json (scripts/gen-detest-references.py): closed forms
 * where the problem has one (21 of 25) and mpmath's Taylor-series integrator at 32 digits
 * otherwise (B1, C5, E2, E3), each checked against an independent computation to ≤ 1e-18
 * (E1: 2e-16, its published y0 being rounded), with SciPy's DOP853 at rtol = atol = 1e-13
 * alongside for comparison.
 *
 * Stiff: ROBER, HIRES, VDPOL, OREGO of the Test Set for IVP Solvers (F. Mazzia, F. Iavernaro,
 * C. Magherini, release 2.4, https://archimede.uniba.it/~testset/, problem files rober.f,
 * hires.f, vdpol.f, orego.f; the same problems as in E. Hairer, G. Wanner, Solving Ordinary
 * Differential Equations II, §IV.10), with the published reference final states in
 * test/fixtures/ode/stiff-references.json. VDPOL is the test set's scaled form
 * y₁' = y₂, y₂' = ((1 − y₁²)y₂ − y₁)/ε with ε = 1e-6 on [0, 2], which is the unscaled
 * x'' − μ(1 − x²)x' + x = 0 with μ = 1000 on [0, 2000] under t = μτ, y₂ = μ·x' (ε = 1/μ²).
 *
 * Conventions of {@link VectorField}: arrays are full-size and row-major by trajectory; a call
 * works on the listed `rows`. `jac` writes every entry of the dense dim×dim block; `vjp`
 * overwrites yBar and accumulates into pBar. Problems with rate constants expose them as
 * parameters (the stiff four, and A4, B1, B5, E2, E3 of DETEST); the others have nParams 0.
 */
import { readFileSync } from 'node:fs';
import type { VectorField } from '../../src/ode/field.js';

type Arr = Float64Array;

/** One test problem: a vector field, an interval, an initial state and nominal parameters. */
export interface OdeProblem {
  /** 'A1' … 'E5', 'ROBER', 'HIRES', 'VDPOL', 'OREGO'. */
  readonly id: string;
  readonly description: string;
  readonly field: VectorField;
  readonly t0: number;
  readonly t1: number;
  readonly y0: Float64Array;
  /** Nominal parameters (length field.nParams). */
  readonly p: Float64Array;
  readonly paramNames: readonly string[];
  readonly stiff: boolean;
  /** Where the problem's definition comes from. */
  readonly source: string;
}

/**
 * A problem for one trajectory, with offsets into full-size arrays. `jac` and `jacP` write
 * every entry of their dense row-major blocks (dim×dim and dim×nParams). `vjp`, when given,
 * computes yBar = Jᵀw (overwriting) and pBar += J_pᵀw by hand, with w and yBar at offset yo
 * and pBar at offset po; otherwise the field forms them from `jac` and `jacP`.
 */
interface RowProblem {
  dim: number;
  nParams: number;
  f(t: number, y: Arr, yo: number, p: Arr, po: number, out: Arr, oo: number): void;
  jac(t: number, y: Arr, yo: number, p: Arr, po: number, J: Arr, jo: number): void;
  jacP?(t: number, y: Arr, yo: number, p: Arr, po: number, Jp: Arr, jo: number): void;
  vjp?(t: number, y: Arr, yo: number, p: Arr, po: number, w: Arr, yBar: Arr, pBar: Arr): void;
}

/** The batched field of a per-trajectory problem. */
function batched(def: RowProblem): VectorField {
  const D = def.dim;
  const P = def.nParams;
  const J = new Float64Array(D * D);
  const Jp = new Float64Array(Math.max(1, D * P));
  const row = (i: number, rows: Int32Array | null): number => (rows === null ? i : rows[i]);
  return {
    dim: D,
    nParams: P,
    f(t, y, p, out, n, rows) {
      for (let i = 0; i < n; i++) {
        const b = row(i, rows);
        def.f(t[b], y, b * D, p, b * P, out, b * D);
      }
    },
    vjp(t, y, p, outBar, yBar, pBar, n, rows) {
      for (let i = 0; i < n; i++) {
        const b = row(i, rows);
        const o = b * D;
        if (def.vjp !== undefined) {
          def.vjp(t[b], y, o, p, b * P, outBar, yBar, pBar);
          continue;
        }
        def.jac(t[b], y, o, p, b * P, J, 0);
        for (let j = 0; j < D; j++) {
          let s = 0;
          for (let r = 0; r < D; r++) s += J[r * D + j] * outBar[o + r];
          yBar[o + j] = s;
        }
        if (P > 0 && def.jacP !== undefined) {
          def.jacP(t[b], y, o, p, b * P, Jp, 0);
          for (let k = 0; k < P; k++) {
            let s = 0;
            for (let r = 0; r < D; r++) s += Jp[r * P + k] * outBar[o + r];
            pBar[b * P + k] += s;
          }
        }
      }
    },
    jvp(t, y, p, yDot, pDot, out, n, rows) {
      for (let i = 0; i < n; i++) {
        const b = row(i, rows);
        const o = b * D;
        def.jac(t[b], y, o, p, b * P, J, 0);
        if (P > 0 && def.jacP !== undefined) def.jacP(t[b], y, o, p, b * P, Jp, 0);
        for (let r = 0; r < D; r++) {
          let s = 0;
          for (let j = 0; j < D; j++) s += J[r * D + j] * yDot[o + j];
          if (P > 0 && def.jacP !== undefined)
            for (let k = 0; k < P; k++) s += Jp[r * P + k] * pDot[b * P + k];
          out[o + r] = s;
        }
      }
    },
    jac(t, y, p, Jout, n, rows) {
      for (let i = 0; i < n; i++) {
        const b = row(i, rows);
        def.jac(t[b], y, b * D, p, b * P, Jout, b * D * D);
      }
    },
  };
}

function problem(
  id: string,
  description: string,
  def: RowProblem,
  y0: readonly number[],
  t1: number,
  options: { p?: readonly number[]; paramNames?: readonly string[]; stiff?: boolean; source: string },
): OdeProblem {
  const p = Float64Array.from(options.p ?? []);
  if (y0.length !== def.dim || p.length !== def.nParams) throw new Error(`problem ${id}: inconsistent sizes`);
  return {
    id,
    description,
    field: batched(def),
    t0: 0,
    t1,
    y0: Float64Array.from(y0),
    p,
    paramNames: options.paramNames ?? [],
    stiff: options.stiff ?? false,
    source: options.source,
  };
}

// ---------------------------------------------------------------------------------------------
// DETEST, classes A–E (Hull, Enright, Fellen, Sedgwick 1972), all on [0, 20].

const DETEST_SOURCE =
  'Hull, Enright, Fellen, Sedgwick, SIAM J. Numer. Anal. 9(4):603–637 (1972); code of Enright & Pryce, ACM TOMS 13(1):1–27 (1987)';

/** Problems without parameters and with a constant or simple Jacobian. */
function scalarA(f: (t: number, y: number) => number, dfdy: (t: number, y: number) => number): RowProblem {
  return {
    dim: 1,
    nParams: 0,
    f: (t, y, yo, _p, _po, out, oo) => {
      out[oo] = f(t, y[yo]);
    },
    jac: (t, y, yo, _p, _po, J, jo) => {
      J[jo] = dfdy(t, y[yo]);
    },
  };
}

/** A linear autonomous system y' = A·y with a constant dense A. */
function linear(A: Float64Array, D: number): RowProblem {
  return {
    dim: D,
    nParams: 0,
    f: (_t, y, yo, _p, _po, out, oo) => {
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) {
          const a = A[i * D + j];
          if (a !== 0) s += a * y[yo + j];
        }
        out[oo + i] = s;
      }
    },
    jac: (_t, _y, _yo, _p, _po, J, jo) => {
      J.set(A, jo);
    },
  };
}

/** C1 (kind 'c1'), C2 ('c2'): chains; C3, C4 ('tri'): the second-difference matrix. */
function chainMatrix(kind: 'c1' | 'c2' | 'tri', D: number): Float64Array {
  const A = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    if (kind === 'tri') {
      A[i * D + i] = -2;
      if (i > 0) A[i * D + i - 1] = 1;
      if (i < D - 1) A[i * D + i + 1] = 1;
    } else if (kind === 'c1') {
      if (i < D - 1) A[i * D + i] = -1;
      if (i > 0) A[i * D + i - 1] = 1;
    } else {
      // y₁' = −y₁, yᵢ' = (i−1)yᵢ₋₁ − i·yᵢ (i = 2…9), y₁₀' = 9y₉ (1-based).
      if (i < D - 1) A[i * D + i] = -(i + 1);
      if (i > 0) A[i * D + i - 1] = i;
    }
  }
  return A;
}

/**
 * ∂(x/|x|³)/∂x = I/r³ − 3xxᵀ/r⁵ for a 3-vector (or a 2-vector when z = 0 and n = 2), added
 * times `s` into J at (row, col) with leading dimension ld.
 */
function addKeplerBlock(x: number[], n: number, s: number, J: Arr, at: number, ld: number): void {
  let r2 = 0;
  for (let i = 0; i < n; i++) r2 += x[i] * x[i];
  const r = Math.sqrt(r2);
  const ir3 = 1 / (r2 * r);
  const ir5 = ir3 / r2;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) J[at + i * ld + j] += s * ((i === j ? ir3 : 0) - 3 * x[i] * x[j] * ir5);
}

/** D1–D5: the two-body orbit with eccentricity e: y = (x, y, x', y'). */
function orbit(): RowProblem {
  return {
    dim: 4,
    nParams: 0,
    f: (_t, y, yo, _p, _po, out, oo) => {
      const x = y[yo];
      const z = y[yo + 1];
      const r2 = x * x + z * z;
      const ir3 = 1 / (r2 * Math.sqrt(r2));
      out[oo] = y[yo + 2];
      out[oo + 1] = y[yo + 3];
      out[oo + 2] = -x * ir3;
      out[oo + 3] = -z * ir3;
    },
    jac: (_t, y, yo, _p, _po, J, jo) => {
      J.fill(0, jo, jo + 16);
      J[jo + 2] = 1;
      J[jo + 7] = 1;
      addKeplerBlock([y[yo], y[yo + 1]], 2, -1, J, jo + 8, 4);
    },
  };
}

const C5_K2 = 2.95912208286;
const C5_M0 = 1.00000597682;
const C5_M = [0.954786104043e-3, 0.285583733151e-3, 0.437273164546e-4, 0.517759138449e-4, 0.277777777778e-5];

/**
 * C5: five outer planets about the sun (heliocentric, with the indirect term); y = (positions
 * of the 5 bodies, 3 each; then their velocities). Time unit 100 days.
 */
function fiveBody(): RowProblem {
  const pos = (y: Arr, yo: number, j: number): number[] => [
    y[yo + 3 * j],
    y[yo + 3 * j + 1],
    y[yo + 3 * j + 2],
  ];
  const cube = (v: number[]): number => {
    const r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    return r2 * Math.sqrt(r2);
  };
  return {
    dim: 30,
    nParams: 0,
    f: (_t, y, yo, _p, _po, out, oo) => {
      const x: number[][] = [];
      const r3: number[] = [];
      for (let j = 0; j < 5; j++) {
        x.push(pos(y, yo, j));
        r3.push(cube(x[j]));
      }
      for (let i = 0; i < 15; i++) out[oo + i] = y[yo + 15 + i];
      for (let j = 0; j < 5; j++) {
        for (let c = 0; c < 3; c++) {
          let s = (-(C5_M0 + C5_M[j]) * x[j][c]) / r3[j];
          for (let k = 0; k < 5; k++) {
            if (k === j) continue;
            const d3 = cube([x[k][0] - x[j][0], x[k][1] - x[j][1], x[k][2] - x[j][2]]);
            s += C5_M[k] * ((x[k][c] - x[j][c]) / d3 - x[k][c] / r3[k]);
          }
          out[oo + 15 + 3 * j + c] = C5_K2 * s;
        }
      }
    },
    jac: (_t, y, yo, _p, _po, J, jo) => {
      const D = 30;
      J.fill(0, jo, jo + D * D);
      for (let i = 0; i < 15; i++) J[jo + i * D + 15 + i] = 1;
      const x: number[][] = [];
      for (let j = 0; j < 5; j++) x.push(pos(y, yo, j));
      for (let j = 0; j < 5; j++) {
        const rowAt = jo + (15 + 3 * j) * D;
        // ∂a_j/∂x_j = k2·(−(m0 + m_j)·G(x_j) − Σ_{k≠j} m_k·G(x_k − x_j))
        addKeplerBlock(x[j], 3, -C5_K2 * (C5_M0 + C5_M[j]), J, rowAt + 3 * j, D);
        for (let k = 0; k < 5; k++) {
          if (k === j) continue;
          const dkj = [x[k][0] - x[j][0], x[k][1] - x[j][1], x[k][2] - x[j][2]];
          addKeplerBlock(dkj, 3, -C5_K2 * C5_M[k], J, rowAt + 3 * j, D);
          // ∂a_j/∂x_k = k2·m_k·(G(x_k − x_j) − G(x_k))
          addKeplerBlock(dkj, 3, C5_K2 * C5_M[k], J, rowAt + 3 * k, D);
          addKeplerBlock(x[k], 3, -C5_K2 * C5_M[k], J, rowAt + 3 * k, D);
        }
      }
    },
  };
}

/** A second-order equation y'' = g(t, y, y') written as the system (y, y'). */
function secondOrder(
  nParams: number,
  g: (t: number, u: number, v: number, p: Arr, po: number) => number,
  dg: (t: number, u: number, v: number, p: Arr, po: number) => [number, number],
  dgdp?: (t: number, u: number, v: number, p: Arr, po: number, out: number[]) => void,
): RowProblem {
  const gp = new Array<number>(nParams).fill(0);
  return {
    dim: 2,
    nParams,
    f: (t, y, yo, p, po, out, oo) => {
      out[oo] = y[yo + 1];
      out[oo + 1] = g(t, y[yo], y[yo + 1], p, po);
    },
    jac: (t, y, yo, p, po, J, jo) => {
      const [du, dv] = dg(t, y[yo], y[yo + 1], p, po);
      J[jo] = 0;
      J[jo + 1] = 1;
      J[jo + 2] = du;
      J[jo + 3] = dv;
    },
    jacP:
      dgdp === undefined
        ? undefined
        : (t, y, yo, p, po, Jp, jo) => {
            dgdp(t, y[yo], y[yo + 1], p, po, gp);
            for (let k = 0; k < nParams; k++) {
              Jp[jo + k] = 0;
              Jp[jo + nParams + k] = gp[k];
            }
          },
  };
}

/** The DETEST problem ids of classes A–E. */
export const DETEST_IDS = [
  'A1',
  'A2',
  'A3',
  'A4',
  'A5',
  'B1',
  'B2',
  'B3',
  'B4',
  'B5',
  'C1',
  'C2',
  'C3',
  'C4',
  'C5',
  'D1',
  'D2',
  'D3',
  'D4',
  'D5',
  'E1',
  'E2',
  'E3',
  'E4',
  'E5',
] as const;
export type DetestId = (typeof DETEST_IDS)[number];

function detestDef(id: DetestId): {
  description: string;
  def: RowProblem;
  y0: number[];
  p?: number[];
  names?: string[];
} {
  switch (id) {
    case 'A1':
      return {
        description: "y' = −y (exponential decay)",
        def: scalarA(
          (_t, y) => -y,
          () => -1,
        ),
        y0: [1],
      };
    case 'A2':
      return {
        description: "y' = −y³/2 (a special Riccati equation)",
        def: scalarA(
          (_t, y) => (-y * y * y) / 2,
          (_t, y) => -1.5 * y * y,
        ),
        y0: [1],
      };
    case 'A3':
      return {
        description: "y' = y·cos t (oscillatory)",
        def: scalarA(
          (t, y) => y * Math.cos(t),
          (t) => Math.cos(t),
        ),
        y0: [1],
      };
    case 'A4':
      return {
        description: "y' = r·y·(1 − y/K), r = 1/4, K = 20 (logistic curve)",
        def: {
          dim: 1,
          nParams: 2,
          f: (_t, y, yo, p, po, out, oo) => {
            const u = y[yo];
            out[oo] = p[po] * u * (1 - u / p[po + 1]);
          },
          jac: (_t, y, yo, p, po, J, jo) => {
            J[jo] = p[po] * (1 - (2 * y[yo]) / p[po + 1]);
          },
          jacP: (_t, y, yo, p, po, Jp, jo) => {
            const u = y[yo];
            const K = p[po + 1];
            Jp[jo] = u * (1 - u / K);
            Jp[jo + 1] = (p[po] * u * u) / (K * K);
          },
        },
        y0: [1],
        p: [0.25, 20],
        names: ['r', 'K'],
      };
    case 'A5':
      return {
        description: "y' = (y − t)/(y + t) (spiral curve)",
        def: scalarA(
          (t, y) => (y - t) / (y + t),
          (t, y) => (2 * t) / ((y + t) * (y + t)),
        ),
        y0: [4],
      };
    case 'B1':
      return {
        description:
          "y₁' = a(y₁ − y₁y₂), y₂' = −b(y₂ − y₁y₂), a = 2, b = 1 (growth of two conflicting populations)",
        def: {
          dim: 2,
          nParams: 2,
          f: (_t, y, yo, p, po, out, oo) => {
            const u = y[yo];
            const v = y[yo + 1];
            out[oo] = p[po] * (u - u * v);
            out[oo + 1] = -p[po + 1] * (v - u * v);
          },
          jac: (_t, y, yo, p, po, J, jo) => {
            const u = y[yo];
            const v = y[yo + 1];
            J[jo] = p[po] * (1 - v);
            J[jo + 1] = -p[po] * u;
            J[jo + 2] = p[po + 1] * v;
            J[jo + 3] = -p[po + 1] * (1 - u);
          },
          jacP: (_t, y, yo, _p, _po, Jp, jo) => {
            const u = y[yo];
            const v = y[yo + 1];
            Jp[jo] = u - u * v;
            Jp[jo + 1] = 0;
            Jp[jo + 2] = 0;
            Jp[jo + 3] = -(v - u * v);
          },
        },
        y0: [1, 3],
        p: [2, 1],
        names: ['a', 'b'],
      };
    case 'B2':
      return {
        description: 'linear chemical reaction (3×3 constant coefficients)',
        def: linear(Float64Array.from([-1, 1, 0, 1, -2, 1, 0, 1, -1]), 3),
        y0: [2, 0, 1],
      };
    case 'B3':
      return {
        description: "y₁' = −y₁, y₂' = y₁ − y₂², y₃' = y₂² (nonlinear chemical reaction)",
        def: {
          dim: 3,
          nParams: 0,
          f: (_t, y, yo, _p, _po, out, oo) => {
            const a = y[yo];
            const b = y[yo + 1];
            out[oo] = -a;
            out[oo + 1] = a - b * b;
            out[oo + 2] = b * b;
          },
          jac: (_t, y, yo, _p, _po, J, jo) => {
            J.fill(0, jo, jo + 9);
            const b = y[yo + 1];
            J[jo] = -1;
            J[jo + 3] = 1;
            J[jo + 4] = -2 * b;
            J[jo + 7] = 2 * b;
          },
        },
        y0: [1, 0, 0],
      };
    case 'B4':
      return {
        description:
          "y₁' = −y₂ − y₁y₃/r, y₂' = y₁ − y₂y₃/r, y₃' = y₁/r, r = √(y₁² + y₂²) (integral surface of a torus)",
        def: {
          dim: 3,
          nParams: 0,
          f: (_t, y, yo, _p, _po, out, oo) => {
            const a = y[yo];
            const b = y[yo + 1];
            const c = y[yo + 2];
            const r = Math.sqrt(a * a + b * b);
            out[oo] = -b - (a * c) / r;
            out[oo + 1] = a - (b * c) / r;
            out[oo + 2] = a / r;
          },
          jac: (_t, y, yo, _p, _po, J, jo) => {
            const a = y[yo];
            const b = y[yo + 1];
            const c = y[yo + 2];
            const r2 = a * a + b * b;
            const r = Math.sqrt(r2);
            const ir3 = 1 / (r2 * r);
            // ∂(a/r)/∂a = b²/r³, ∂(a/r)/∂b = −ab/r³, ∂(b/r)/∂a = −ab/r³, ∂(b/r)/∂b = a²/r³.
            J[jo] = -c * b * b * ir3;
            J[jo + 1] = -1 + c * a * b * ir3;
            J[jo + 2] = -a / r;
            J[jo + 3] = 1 + c * a * b * ir3;
            J[jo + 4] = -c * a * a * ir3;
            J[jo + 5] = -b / r;
            J[jo + 6] = b * b * ir3;
            J[jo + 7] = -a * b * ir3;
            J[jo + 8] = 0;
          },
        },
        y0: [3, 0, 0],
      };
    case 'B5':
      return {
        description: "y₁' = y₂y₃, y₂' = −y₁y₃, y₃' = −c·y₁y₂, c = 0.51 (Euler's equations of a rigid body)",
        def: {
          dim: 3,
          nParams: 1,
          f: (_t, y, yo, p, po, out, oo) => {
            const a = y[yo];
            const b = y[yo + 1];
            const c = y[yo + 2];
            out[oo] = b * c;
            out[oo + 1] = -a * c;
            out[oo + 2] = -p[po] * a * b;
          },
          jac: (_t, y, yo, p, po, J, jo) => {
            const a = y[yo];
            const b = y[yo + 1];
            const c = y[yo + 2];
            const k = p[po];
            J[jo] = 0;
            J[jo + 1] = c;
            J[jo + 2] = b;
            J[jo + 3] = -c;
            J[jo + 4] = 0;
            J[jo + 5] = -a;
            J[jo + 6] = -k * b;
            J[jo + 7] = -k * a;
            J[jo + 8] = 0;
          },
          jacP: (_t, y, yo, _p, _po, Jp, jo) => {
            Jp[jo] = 0;
            Jp[jo + 1] = 0;
            Jp[jo + 2] = -y[yo] * y[yo + 1];
          },
        },
        y0: [0, 1, 1],
        p: [0.51],
        names: ['c'],
      };
    case 'C1':
      return {
        description: 'radioactive decay chain, 10 equations',
        def: linear(chainMatrix('c1', 10), 10),
        y0: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      };
    case 'C2':
      return {
        description: 'radioactive decay chain with rates 1…9, 10 equations',
        def: linear(chainMatrix('c2', 10), 10),
        y0: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      };
    case 'C3':
      return {
        description: 'second-difference (tridiagonal −2, 1) system, 10 equations',
        def: linear(chainMatrix('tri', 10), 10),
        y0: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      };
    case 'C4':
      return {
        description: 'second-difference (tridiagonal −2, 1) system, 51 equations',
        def: linear(chainMatrix('tri', 51), 51),
        y0: [1, ...new Array<number>(50).fill(0)],
      };
    case 'C5':
      return {
        description: 'five-body problem: the outer planets about the sun, 30 equations',
        def: fiveBody(),
        y0: [
          3.42947415189, 3.35386959711, 1.35494901715, 6.6414554255, 5.97156957878, 2.18231499728,
          11.2630437207, 14.6952576794, 6.27960525067, -30.1552268759, 1.65699966404, 1.43785752721,
          -21.123835338, 28.4465098142, 15.3882659679, -0.557160570446, 0.505696783289, 0.230578543901,
          -0.415570776342, 0.365682722812, 0.169143213293, -0.325325669158, 0.189706021964, 0.087726532278,
          -0.024047625417, -0.287659532608, -0.117219543175, -0.176860753121, -0.216393453025,
          -0.014864789309,
        ],
      };
    case 'D1':
    case 'D2':
    case 'D3':
    case 'D4':
    case 'D5': {
      const e = { D1: 0.1, D2: 0.3, D3: 0.5, D4: 0.7, D5: 0.9 }[id];
      return {
        description: `two-body orbit, eccentricity ${e}`,
        def: orbit(),
        y0: [1 - e, 0, 0, Math.sqrt((1 + e) / (1 - e))],
      };
    }
    case 'E1':
      return {
        description: "y'' + y'/(t+1) + (1 − 0.25/(t+1)²)·y = 0 (Bessel's equation, order 1/2, shifted)",
        def: secondOrder(
          0,
          (t, u, v) => -(v / (t + 1) + (1 - 0.25 / ((t + 1) * (t + 1))) * u),
          (t) => [-(1 - 0.25 / ((t + 1) * (t + 1))), -1 / (t + 1)],
        ),
        // As published (the second rounds to the double 0.09540051444747447).
        y0: [0.671396707141803, Number.parseFloat('0.09540051444747446')],
      };
    case 'E2':
      return {
        description: "y'' = μ(1 − y²)y' − y, μ = 1 (Van der Pol)",
        def: secondOrder(
          1,
          (_t, u, v, p, po) => p[po] * (1 - u * u) * v - u,
          (_t, u, v, p, po) => [-2 * p[po] * u * v - 1, p[po] * (1 - u * u)],
          (_t, u, v, _p, _po, out) => {
            out[0] = (1 - u * u) * v;
          },
        ),
        y0: [2, 0],
        p: [1],
        names: ['mu'],
      };
    case 'E3':
      return {
        description: "y'' = α·y³ − y + A·sin(ωt), α = 1/6, A = 2, ω = 2.78535 (Duffing)",
        def: secondOrder(
          3,
          (t, u, _v, p, po) => p[po] * u * u * u - u + p[po + 1] * Math.sin(p[po + 2] * t),
          (_t, u, _v, p, po) => [3 * p[po] * u * u - 1, 0],
          (t, u, _v, p, po, out) => {
            out[0] = u * u * u;
            out[1] = Math.sin(p[po + 2] * t);
            out[2] = p[po + 1] * t * Math.cos(p[po + 2] * t);
          },
        ),
        y0: [0, 0],
        p: [1 / 6, 2, 2.78535],
        names: ['alpha', 'A', 'omega'],
      };
    case 'E4':
      return {
        description: "y'' = 0.032 − 0.4·y'²",
        def: secondOrder(
          0,
          (_t, _u, v) => 0.032 - 0.4 * v * v,
          (_t, _u, v) => [0, -0.8 * v],
        ),
        y0: [30, 0],
      };
    case 'E5':
      return {
        description: "y'' = √(1 + y'²)/(25 − t)",
        def: secondOrder(
          0,
          (t, _u, v) => Math.sqrt(1 + v * v) / (25 - t),
          (t, _u, v) => [0, v / (Math.sqrt(1 + v * v) * (25 - t))],
        ),
        y0: [0, 0],
      };
  }
}

/** A DETEST problem (classes A–E), on [0, 20] with its published initial values. */
export function detest(id: DetestId): OdeProblem {
  const d = detestDef(id);
  return problem(id, d.description, d.def, d.y0, 20, {
    p: d.p,
    paramNames: d.names,
    source: DETEST_SOURCE,
  });
}

// ---------------------------------------------------------------------------------------------
// Hairer's stiff problems, as in the Test Set for IVP Solvers (release 2.4).

const TESTSET =
  'Test Set for IVP Solvers, release 2.4 (Mazzia, Iavernaro, Magherini), https://archimede.uniba.it/~testset/';

/**
 * ROBER: Robertson's chemical reaction on [0, 1e11], y0 = (1, 0, 0), parameters
 * (k1, k2, k3) = (0.04, 3e7, 1e4): y₁' = −k1·y₁ + k3·y₂y₃, y₂' = k1·y₁ − k3·y₂y₃ − k2·y₂²,
 * y₃' = k2·y₂².
 */
export function rober(): OdeProblem {
  const def: RowProblem = {
    dim: 3,
    nParams: 3,
    f: (_t, y, yo, p, po, out, oo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      out[oo] = -k1 * y1 + k3 * y2 * y3;
      out[oo + 1] = k1 * y1 - k3 * y2 * y3 - k2 * y2 * y2;
      out[oo + 2] = k2 * y2 * y2;
    },
    jac: (_t, y, yo, p, po, J, jo) => {
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      J[jo] = -k1;
      J[jo + 1] = k3 * y3;
      J[jo + 2] = k3 * y2;
      J[jo + 3] = k1;
      J[jo + 4] = -k3 * y3 - 2 * k2 * y2;
      J[jo + 5] = -k3 * y2;
      J[jo + 6] = 0;
      J[jo + 7] = 2 * k2 * y2;
      J[jo + 8] = 0;
    },
    jacP: (_t, y, yo, _p, _po, Jp, jo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      Jp[jo] = -y1;
      Jp[jo + 1] = 0;
      Jp[jo + 2] = y2 * y3;
      Jp[jo + 3] = y1;
      Jp[jo + 4] = -y2 * y2;
      Jp[jo + 5] = -y2 * y3;
      Jp[jo + 6] = 0;
      Jp[jo + 7] = y2 * y2;
      Jp[jo + 8] = 0;
    },
    vjp: (_t, y, yo, p, po, w, yBar, pBar) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      // ⟨w, f⟩ = k1·y₁·d21 − k3·y₂y₃·d21 + k2·y₂²·d32
      const d21 = w[yo + 1] - w[yo];
      const d32 = w[yo + 2] - w[yo + 1];
      yBar[yo] = k1 * d21;
      yBar[yo + 1] = -k3 * y3 * d21 + 2 * k2 * y2 * d32;
      yBar[yo + 2] = -k3 * y2 * d21;
      pBar[po] += y1 * d21;
      pBar[po + 1] += y2 * y2 * d32;
      pBar[po + 2] -= y2 * y3 * d21;
    },
  };
  return problem('ROBER', "Robertson's chemical reaction", def, [1, 0, 0], 1e11, {
    p: [0.04, 3e7, 1e4],
    paramNames: ['k1', 'k2', 'k3'],
    stiff: true,
    source: `${TESTSET}, problem rober.f; Hairer & Wanner II §IV.10`,
  });
}

/**
 * HIRES: "High Irradiance RESponse" of photomorphogenesis, 8 equations on [0, 321.8122],
 * y0 = (1, 0, 0, 0, 0, 0, 0, 0.0057), parameters (k1 … k9, oks) = (1.71, 0.43, 8.32, 0.69,
 * 0.035, 8.32, 280, 0.69, 0.69, 0.0007) as in the test set's hires.f.
 */
export function hires(): OdeProblem {
  const def: RowProblem = {
    dim: 8,
    nParams: 10,
    f: (_t, y, yo, p, po, out, oo) => {
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      const k4 = p[po + 3];
      const k5 = p[po + 4];
      const k6 = p[po + 5];
      const k7 = p[po + 6];
      const k8 = p[po + 7];
      const k9 = p[po + 8];
      const oks = p[po + 9];
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const y4 = y[yo + 3];
      const y5 = y[yo + 4];
      const y6 = y[yo + 5];
      const y7 = y[yo + 6];
      const y8 = y[yo + 7];
      const r = k7 * y6 * y8;
      out[oo] = -k1 * y1 + k2 * y2 + k6 * y3 + oks;
      out[oo + 1] = k1 * y1 - (k2 + k3) * y2;
      out[oo + 2] = -(k6 + k1) * y3 + k2 * y4 + k5 * y5;
      out[oo + 3] = k3 * y2 + k1 * y3 - (k4 + k2) * y4;
      out[oo + 4] = -(k5 + k1) * y5 + k2 * (y6 + y7);
      out[oo + 5] = -r + k8 * y4 + k1 * y5 - k2 * y6 + k8 * y7;
      out[oo + 6] = r - (k2 + k8 + k9) * y7;
      out[oo + 7] = -r + (k2 + k8 + k9) * y7;
    },
    jac: (_t, y, yo, p, po, J, jo) => {
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      const k4 = p[po + 3];
      const k5 = p[po + 4];
      const k6 = p[po + 5];
      const k7 = p[po + 6];
      const k8 = p[po + 7];
      const k9 = p[po + 8];
      const y6 = y[yo + 5];
      const y8 = y[yo + 7];
      J.fill(0, jo, jo + 64);
      J[jo + 0] = -k1;
      J[jo + 1] = k2;
      J[jo + 2] = k6;
      J[jo + 8] = k1;
      J[jo + 9] = -(k2 + k3);
      J[jo + 18] = -(k6 + k1);
      J[jo + 19] = k2;
      J[jo + 20] = k5;
      J[jo + 25] = k3;
      J[jo + 26] = k1;
      J[jo + 27] = -(k4 + k2);
      J[jo + 36] = -(k5 + k1);
      J[jo + 37] = k2;
      J[jo + 38] = k2;
      J[jo + 43] = k8;
      J[jo + 44] = k1;
      J[jo + 45] = -k7 * y8 - k2;
      J[jo + 46] = k8;
      J[jo + 47] = -k7 * y6;
      J[jo + 53] = k7 * y8;
      J[jo + 54] = -(k2 + k8 + k9);
      J[jo + 55] = k7 * y6;
      J[jo + 61] = -k7 * y8;
      J[jo + 62] = k2 + k8 + k9;
      J[jo + 63] = -k7 * y6;
    },
    jacP: (_t, y, yo, _p, _po, Jp, jo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const y4 = y[yo + 3];
      const y5 = y[yo + 4];
      const y6 = y[yo + 5];
      const y7 = y[yo + 6];
      const y8 = y[yo + 7];
      Jp.fill(0, jo, jo + 80);
      const s = (i: number, k: number, v: number): void => {
        Jp[jo + 10 * i + k] = v;
      };
      s(0, 0, -y1);
      s(0, 1, y2);
      s(0, 5, y3);
      s(0, 9, 1);
      s(1, 0, y1);
      s(1, 1, -y2);
      s(1, 2, -y2);
      s(2, 0, -y3);
      s(2, 1, y4);
      s(2, 4, y5);
      s(2, 5, -y3);
      s(3, 0, y3);
      s(3, 1, -y4);
      s(3, 2, y2);
      s(3, 3, -y4);
      s(4, 0, -y5);
      s(4, 1, y6 + y7);
      s(4, 4, -y5);
      s(5, 0, y5);
      s(5, 1, -y6);
      s(5, 6, -y6 * y8);
      s(5, 7, y4 + y7);
      for (const [k, v] of [
        [1, -y7],
        [6, y6 * y8],
        [7, -y7],
        [8, -y7],
      ]) {
        s(6, k, v);
        s(7, k, -v);
      }
    },
    vjp: (_t, y, yo, p, po, w, yBar, pBar) => {
      const k1 = p[po];
      const k2 = p[po + 1];
      const k3 = p[po + 2];
      const k4 = p[po + 3];
      const k5 = p[po + 4];
      const k6 = p[po + 5];
      const k7 = p[po + 6];
      const k8 = p[po + 7];
      const k9 = p[po + 8];
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const y4 = y[yo + 3];
      const y5 = y[yo + 4];
      const y6 = y[yo + 5];
      const y7 = y[yo + 6];
      const y8 = y[yo + 7];
      const w1 = w[yo];
      const w2 = w[yo + 1];
      const w3 = w[yo + 2];
      const w4 = w[yo + 3];
      const w5 = w[yo + 4];
      const w6 = w[yo + 5];
      const w7 = w[yo + 6];
      const w8 = w[yo + 7];
      const d = w7 - w8 - w6; // coefficient of r = k7·y6·y8 in ⟨w, f⟩
      const c7 = w8 - w7; // coefficient of (k2 + k8 + k9)·y7
      yBar[yo] = -k1 * w1 + k1 * w2;
      yBar[yo + 1] = k2 * w1 - (k2 + k3) * w2 + k3 * w4;
      yBar[yo + 2] = k6 * w1 - (k6 + k1) * w3 + k1 * w4;
      yBar[yo + 3] = k2 * w3 - (k4 + k2) * w4 + k8 * w6;
      yBar[yo + 4] = k5 * w3 - (k5 + k1) * w5 + k1 * w6;
      yBar[yo + 5] = k2 * w5 - k2 * w6 + k7 * y8 * d;
      yBar[yo + 6] = k2 * w5 + k8 * w6 + (k2 + k8 + k9) * c7;
      yBar[yo + 7] = k7 * y6 * d;
      pBar[po] += -y1 * w1 + y1 * w2 - y3 * w3 + y3 * w4 - y5 * w5 + y5 * w6;
      pBar[po + 1] += y2 * w1 - y2 * w2 + y4 * w3 - y4 * w4 + (y6 + y7) * w5 - y6 * w6 + y7 * c7;
      pBar[po + 2] += -y2 * w2 + y2 * w4;
      pBar[po + 3] += -y4 * w4;
      pBar[po + 4] += y5 * w3 - y5 * w5;
      pBar[po + 5] += y3 * w1 - y3 * w3;
      pBar[po + 6] += y6 * y8 * d;
      pBar[po + 7] += (y4 + y7) * w6 + y7 * c7;
      pBar[po + 8] += y7 * c7;
      pBar[po + 9] += w1;
    },
  };
  return problem(
    'HIRES',
    'High Irradiance RESponse (plant physiology), 8 equations',
    def,
    [1, 0, 0, 0, 0, 0, 0, 0.0057],
    321.8122,
    {
      p: [1.71, 0.43, 8.32, 0.69, 0.035, 8.32, 280, 0.69, 0.69, 0.0007],
      paramNames: ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 'oks'],
      stiff: true,
      source: `${TESTSET}, problem hires.f; Hairer & Wanner II §IV.10`,
    },
  );
}

/**
 * VDPOL: Van der Pol's equation in the test set's scaled form, y₁' = y₂,
 * y₂' = ((1 − y₁²)y₂ − y₁)/ε with ε = 1e-6 (μ = 1000), y0 = (2, 0), on [0, 2].
 */
export function vdpol(): OdeProblem {
  const def: RowProblem = {
    dim: 2,
    nParams: 1,
    f: (_t, y, yo, p, po, out, oo) => {
      const u = y[yo];
      const v = y[yo + 1];
      out[oo] = v;
      out[oo + 1] = ((1 - u * u) * v - u) / p[po];
    },
    jac: (_t, y, yo, p, po, J, jo) => {
      const u = y[yo];
      const v = y[yo + 1];
      const e = p[po];
      J[jo] = 0;
      J[jo + 1] = 1;
      J[jo + 2] = (-2 * u * v - 1) / e;
      J[jo + 3] = (1 - u * u) / e;
    },
    jacP: (_t, y, yo, p, po, Jp, jo) => {
      const u = y[yo];
      const v = y[yo + 1];
      const e = p[po];
      Jp[jo] = 0;
      Jp[jo + 1] = -((1 - u * u) * v - u) / (e * e);
    },
    vjp: (_t, y, yo, p, po, w, yBar, pBar) => {
      const u = y[yo];
      const v = y[yo + 1];
      const e = p[po];
      const w1 = w[yo];
      const w2 = w[yo + 1];
      yBar[yo] = (w2 * (-2 * u * v - 1)) / e;
      yBar[yo + 1] = w1 + (w2 * (1 - u * u)) / e;
      pBar[po] -= (w2 * ((1 - u * u) * v - u)) / (e * e);
    },
  };
  return problem('VDPOL', "Van der Pol's equation, ε = 1e-6 (μ = 1000), scaled form", def, [2, 0], 2, {
    p: [1e-6],
    paramNames: ['eps'],
    stiff: true,
    source: `${TESTSET}, problem vdpol.f; Hairer & Wanner II §IV.10`,
  });
}

/**
 * OREGO: the Oregonator (Belousov–Zhabotinskii reaction), y0 = (1, 2, 3) on [0, 360],
 * parameters (s, q, w) = (77.27, 8.375e-6, 0.161): y₁' = s(y₂ + y₁(1 − q·y₁ − y₂)),
 * y₂' = (y₃ − (1 + y₁)y₂)/s, y₃' = w(y₁ − y₃).
 */
export function orego(): OdeProblem {
  const def: RowProblem = {
    dim: 3,
    nParams: 3,
    f: (_t, y, yo, p, po, out, oo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const s = p[po];
      const q = p[po + 1];
      const w = p[po + 2];
      out[oo] = s * (y2 + y1 * (1 - q * y1 - y2));
      out[oo + 1] = (y3 - (1 + y1) * y2) / s;
      out[oo + 2] = w * (y1 - y3);
    },
    jac: (_t, y, yo, p, po, J, jo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const s = p[po];
      const q = p[po + 1];
      const w = p[po + 2];
      J[jo] = s * (1 - 2 * q * y1 - y2);
      J[jo + 1] = s * (1 - y1);
      J[jo + 2] = 0;
      J[jo + 3] = -y2 / s;
      J[jo + 4] = -(1 + y1) / s;
      J[jo + 5] = 1 / s;
      J[jo + 6] = w;
      J[jo + 7] = 0;
      J[jo + 8] = -w;
    },
    jacP: (_t, y, yo, p, po, Jp, jo) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const s = p[po];
      const q = p[po + 1];
      Jp[jo] = y2 + y1 * (1 - q * y1 - y2);
      Jp[jo + 1] = -s * y1 * y1;
      Jp[jo + 2] = 0;
      Jp[jo + 3] = -(y3 - (1 + y1) * y2) / (s * s);
      Jp[jo + 4] = 0;
      Jp[jo + 5] = 0;
      Jp[jo + 6] = 0;
      Jp[jo + 7] = 0;
      Jp[jo + 8] = y1 - y3;
    },
    vjp: (_t, y, yo, p, po, wb, yBar, pBar) => {
      const y1 = y[yo];
      const y2 = y[yo + 1];
      const y3 = y[yo + 2];
      const s = p[po];
      const q = p[po + 1];
      const w = p[po + 2];
      const b1 = wb[yo];
      const b2 = wb[yo + 1];
      const b3 = wb[yo + 2];
      yBar[yo] = s * (1 - 2 * q * y1 - y2) * b1 - (y2 / s) * b2 + w * b3;
      yBar[yo + 1] = s * (1 - y1) * b1 - ((1 + y1) / s) * b2;
      yBar[yo + 2] = b2 / s - w * b3;
      pBar[po] += (y2 + y1 * (1 - q * y1 - y2)) * b1 - ((y3 - (1 + y1) * y2) / (s * s)) * b2;
      pBar[po + 1] -= s * y1 * y1 * b1;
      pBar[po + 2] += (y1 - y3) * b3;
    },
  };
  return problem('OREGO', 'the Oregonator (Belousov–Zhabotinskii reaction)', def, [1, 2, 3], 360, {
    p: [77.27, 8.375e-6, 0.161],
    paramNames: ['s', 'q', 'w'],
    stiff: true,
    source: `${TESTSET}, problem orego.f; Hairer & Wanner II §IV.10`,
  });
}

/** The stiff problem ids. */
export const STIFF_IDS = ['ROBER', 'HIRES', 'VDPOL', 'OREGO'] as const;
export type StiffId = (typeof STIFF_IDS)[number];

/** A stiff problem by id. */
export function stiff(id: StiffId): OdeProblem {
  return { ROBER: rober, HIRES: hires, VDPOL: vdpol, OREGO: orego }[id]();
}

/** Every problem: the 25 DETEST problems, then the 4 stiff ones. */
export function allProblems(): OdeProblem[] {
  return [...DETEST_IDS.map(detest), ...STIFF_IDS.map(stiff)];
}

/**
 * Full-size arrays for `n` copies of a problem at its initial point: t [n], y [n·dim],
 * p [n·nParams].
 */
export function tile(prob: OdeProblem, n: number): { t: Float64Array; y: Float64Array; p: Float64Array } {
  const D = prob.field.dim;
  const P = prob.field.nParams;
  const t = new Float64Array(n).fill(prob.t0);
  const y = new Float64Array(n * D);
  const p = new Float64Array(n * P);
  for (let b = 0; b < n; b++) {
    y.set(prob.y0, b * D);
    p.set(prob.p, b * P);
  }
  return { t, y, p };
}

// ---------------------------------------------------------------------------------------------
// Reference solutions (test/fixtures/ode/).

/** One problem's entry in test/fixtures/ode/detest-references.json. */
export interface DetestReference {
  t0: number;
  t1: number;
  y0: number[];
  params: number[];
  /** f(t0, y0, params) as computed by the generating script (cross-checks the definitions). */
  f_y0: number[];
  /** The reference state at t1. */
  final: number[];
  /** f(t1, final, params) as computed by the generating script. */
  f_final: number[];
  /** 'closed form' or 'mpmath.odefun Taylor series at 32 digits'. */
  method: string;
  /** The closed form, when there is one. */
  closed_form?: string;
  /** Largest |final_i − other_i|/max(|final|) against an independent computation. */
  est_rel_err: number;
  [key: string]: unknown;
}

export interface DetestReferences {
  description: string;
  problems: Record<DetestId, DetestReference>;
  [key: string]: unknown;
}

/** One problem's entry in test/fixtures/ode/stiff-references.json. */
export interface StiffReference {
  t0: number;
  t1: number;
  y0: number[];
  params: number[];
  /** The published reference state at t1, as numbers. */
  final: number[];
  /** The published reference state, digit for digit as printed in the source. */
  final_published: string[];
  source: string;
  /** f(t0, y0) and f(t1, final) as computed by the generating script (cross-checks the definitions). */
  f_y0: number[];
  f_final: number[];
  [key: string]: unknown;
}

export interface StiffReferences {
  description: string;
  problems: Record<StiffId, StiffReference>;
  /** Settings shared by every implementation of the stiff_rober / stiff_hires benchmarks. */
  benchmark: {
    rtol: number;
    atol: Record<string, number | number[]>;
    max_rel_err: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/ode/${name}`, import.meta.url), 'utf8')) as T;
}

/** test/fixtures/ode/detest-references.json. */
export function detestReferences(): DetestReferences {
  return readFixture<DetestReferences>('detest-references.json');
}

/** test/fixtures/ode/stiff-references.json. */
export function stiffReferences(): StiffReferences {
  return readFixture<StiffReferences>('stiff-references.json');
}

/**
 * Largest componentwise relative error max_i |y_i − ref_i|/|ref_i| (the measure of the
 * stiff benchmarks' params.max_rel_err); components with ref_i = 0 count absolutely.
 */
export function maxComponentRelErr(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(y[i] - ref[i]);
    e = Math.max(e, ref[i] === 0 ? d : d / Math.abs(ref[i]));
  }
  return e;
}
