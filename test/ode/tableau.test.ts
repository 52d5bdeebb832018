/**
 * Butcher tableaux check themselves when built: every shipped tableau passes, and corrupted
 * copies fail with a message that names the tableau and the broken identity. The rooted trees
 * behind the order conditions are checked against their known counts and densities.
 */
import { describe, expect, it } from 'vitest';
import { bosh3Tableau } from '../../src/ode/methods/bosh3.js';
import { dopri5Tableau } from '../../src/ode/methods/dopri5.js';
import { eulerTableau } from '../../src/ode/methods/euler.js';
import { heunTableau } from '../../src/ode/methods/heun.js';
import { midpointTableau } from '../../src/ode/methods/midpoint.js';
import { rk4Tableau } from '../../src/ode/methods/rk4.js';
import { rk38Tableau } from '../../src/ode/methods/rk38.js';
import { tsit5Tableau } from '../../src/ode/methods/tsit5.js';
import { vern7Tableau } from '../../src/ode/methods/vern7.js';
import {
  ButcherTableau,
  type ButcherTableauSpec,
  type InterpolantSpec,
  MAX_CHECKED_ORDER,
  rootedTrees,
} from '../../src/ode/tableau.js';

const shipped = [
  eulerTableau,
  midpointTableau,
  heunTableau,
  rk4Tableau,
  rk38Tableau,
  bosh3Tableau,
  dopri5Tableau,
  tsit5Tableau,
  vern7Tableau,
];

/** A mutable copy of a tableau's coefficients, for corrupting. */
interface MutableSpec {
  name: string;
  c: number[];
  a: number[][];
  b: number[];
  bHat?: number[];
  errorWeights?: number[];
  order: number;
  embeddedOrder?: number;
  fsal: boolean;
  interpolant?: { order: number; weights: number[][]; extraStages: { c: number; a: number[] }[] };
}

function specOf(t: ButcherTableau): MutableSpec {
  const spec: MutableSpec = {
    name: t.name,
    c: t.c.slice(),
    a: t.a.map((row) => row.slice()),
    b: t.b.slice(),
    order: t.order,
    fsal: t.fsal,
  };
  if (t.bHat !== null) {
    spec.bHat = t.bHat.slice();
    spec.embeddedOrder = t.embeddedOrder;
  }
  if (!t.interpolant.linear) {
    spec.interpolant = {
      order: t.interpolant.order,
      weights: t.interpolant.weights.map((row) => row.slice()),
      extraStages: t.interpolant.extraStages.map((e) => ({ c: e.c, a: e.a.slice() })),
    };
  }
  return spec;
}

function build(spec: MutableSpec): ButcherTableau {
  return new ButcherTableau(spec);
}

describe('rooted trees', () => {
  const trees = rootedTrees(MAX_CHECKED_ORDER);
  it('has the known number of trees of each order (OEIS A000081)', () => {
    const counts = new Array<number>(MAX_CHECKED_ORDER).fill(0);
    for (const t of trees) counts[t.order - 1]++;
    expect(counts).toEqual([1, 1, 2, 4, 9, 20, 48, 115]);
  });
  it('has the known densities γ up to order 4', () => {
    const byOrder = (n: number) =>
      trees
        .filter((t) => t.order === n)
        .map((t) => `${t.label}:${t.gamma}`)
        .sort();
    expect(byOrder(3)).toEqual(['[[τ]]:6', '[τ²]:3']);
    expect(byOrder(4)).toEqual(['[[[τ]]]:24', '[[τ²]]:12', '[[τ]τ]:8', '[τ³]:4'].sort());
  });
  it('has densities γ with Σ n!/(σ(τ)γ(τ)) = (n − 1)! over the trees of each order n (monotone labellings)', () => {
    // σ([τ₁^m₁ … τₖ^mₖ]) = Π mᵢ!·σ(τᵢ)^mᵢ, the symmetry factor (Hairer, Nørsett & Wanner I, §II.2).
    const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
    const sigma: number[] = [];
    for (const t of trees) {
      let s = 1;
      for (let q = 0; q < t.children.length; ) {
        let r = q;
        while (r < t.children.length && t.children[r] === t.children[q]) r++;
        s *= factorial(r - q) * sigma[t.children[q]] ** (r - q);
        q = r;
      }
      sigma.push(s);
    }
    for (let n = 1; n <= MAX_CHECKED_ORDER; n++) {
      let sum = 0;
      trees.forEach((t, id) => {
        if (t.order === n) sum += factorial(n) / (sigma[id] * t.gamma);
      });
      expect(sum, `order ${n}`).toBe(factorial(n - 1));
    }
  });
});

describe('shipped tableaux', () => {
  it('all pass their own validation and are immutable', () => {
    for (const t of shipped) {
      expect(() => build(specOf(t))).not.toThrow();
      expect(Object.isFrozen(t)).toBe(true);
      expect(Object.isFrozen(t.b)).toBe(true);
      expect(Object.isFrozen(t.a[1])).toBe(true);
      expect(Object.isFrozen(t.interpolant.weights)).toBe(true);
    }
  });

  it('store a as exactly i entries per row and keep b̂ and e = b − b̂ consistent', () => {
    for (const t of shipped) {
      t.a.forEach((row, i) => {
        expect(row.length).toBe(i);
      });
      if (t.bHat !== null && t.errorWeights !== null) {
        t.b.forEach((bi, i) => {
          const scale = Math.abs(bi) + Math.abs(t.bHat![i]);
          expect(Math.abs(bi - t.bHat![i] - t.errorWeights![i])).toBeLessThanOrEqual(Number.EPSILON * scale);
        });
      }
    }
  });

  it('cannot claim one order more than they have', () => {
    for (const t of [
      eulerTableau,
      midpointTableau,
      heunTableau,
      rk4Tableau,
      rk38Tableau,
      bosh3Tableau,
      dopri5Tableau,
      tsit5Tableau,
    ]) {
      const spec = specOf(t);
      spec.order += 1;
      if (spec.interpolant !== undefined)
        spec.interpolant.order = Math.min(spec.interpolant.order, spec.order);
      expect(() => build(spec), t.name).toThrow(new RegExp(`b fails the order-${t.order + 1} condition`));
    }
  });

  it('cannot claim a higher embedded or dense-output order', () => {
    const e = specOf(dopri5Tableau);
    e.embeddedOrder = 5;
    expect(() => build(e)).toThrow(/b̂ fails the order-5 condition for the tree/);
    const d = specOf(dopri5Tableau);
    d.interpolant!.order = 5;
    expect(() => build(d)).toThrow(
      /θ\^\d of b\(θ\) fails the order-5 condition .* dense-output order 5 is claimed/,
    );
  });

  it('subclassing is refused', () => {
    class Sub extends ButcherTableau {}
    expect(() => new Sub(specOf(heunTableau))).toThrow(/final/);
  });
});

describe('corrupted copies fail with a clear message', () => {
  const where = (name: string) => new RegExp(`^ButcherTableau '${name}': `);

  it('a row of a that does not sum to c', () => {
    const s = specOf(dopri5Tableau);
    s.a[3][1] += 1e-9;
    expect(() => build(s)).toThrow(where('dopri5'));
    expect(() => build(s)).toThrow(/row 3 of a sums to .* but c\[3\] = 0.8; the nodes must be the row sums/);
    const c = specOf(tsit5Tableau);
    c.c[4] = 0.98;
    expect(() => build(c)).toThrow(/row 4 of a sums to/);
  });

  it('a wrong eleventh digit deep inside vern7', () => {
    const s = specOf(vern7Tableau);
    // Move weight between two entries of a row (41.14… and −4.46…): the row sum stays, an order
    // condition breaks.
    s.a[7][3] += 1e-9;
    s.a[7][4] -= 1e-9;
    expect(() => build(s)).toThrow(/^ButcherTableau 'vern7': b fails the order-\d condition for the tree/);
  });

  it('weights that do not sum to 1', () => {
    const s = specOf(rk4Tableau);
    s.b[0] = 0.17;
    if (s.interpolant) s.interpolant = undefined;
    expect(() => build(s)).toThrow(/the weights b sum to 1.003.*, not 1/);
  });

  it('embedded weights that do not sum to 1', () => {
    const s = specOf(bosh3Tableau);
    s.bHat![3] = 0.13;
    expect(() => build(s)).toThrow(/the error weights b − b̂ sum to .*, not 0/);
  });

  it('error weights inconsistent with b̂', () => {
    const s = specOf(heunTableau);
    s.errorWeights = [0.5, -0.5]; // the sign of b̂ − b instead of b − b̂
    expect(() => build(s)).toThrow(/errorWeights\[0\] = 0.5 but b\[0\] − bHat\[0\] = -0.5/);
  });

  it('weights that keep Σb = 1 but break order 2', () => {
    const s = specOf(heunTableau);
    s.b = [0.6, 0.4];
    s.interpolant = undefined;
    expect(() => build(s)).toThrow(
      /b fails the order-2 condition for the tree \[τ\] \(Σ wᵢΦᵢ = 0.4, should be 1\/2\)/,
    );
  });

  it('an entry on or above the diagonal', () => {
    const s = specOf(rk4Tableau);
    s.a[1] = [0.5, 0.1];
    expect(() => build(s)).toThrow(/a\[1\]\[1\] = 0.1 lies on or above the diagonal/);
  });

  it('an FSAL claim whose last row is not b', () => {
    const s = specOf(dopri5Tableau);
    s.a[6][0] = 0.0911;
    s.a[6][2] += 35 / 384 - 0.0911; // keep the row sum
    expect(() => build(s)).toThrow(/fsal needs the last stage to be f\(t \+ h, y₁\)/);
    const r = specOf(rk4Tableau);
    r.fsal = true;
    expect(() => build(r)).toThrow(/fsal needs/);
  });

  it('a dense output that does not end at y₁', () => {
    const s = specOf(bosh3Tableau);
    s.interpolant!.weights[1][1] += 1e-6;
    expect(() => build(s)).toThrow(/interpolant weight b1\(θ\) at θ = 1 is .* but should be 0.333/);
  });

  it('a dense output whose weights do not sum to θ', () => {
    const s = specOf(tsit5Tableau);
    // Add 1e-6·(θ² − θ³) to one weight: b(1) is unchanged, Σbᵢ(θ) is not θ.
    s.interpolant!.weights[2][1] += 1e-6;
    s.interpolant!.weights[2][2] -= 1e-6;
    expect(() => build(s)).toThrow(
      /the interpolant weights' θ\^2 coefficients sum to .*, not 0; Σᵢ bᵢ\(θ\) must equal θ/,
    );
  });

  it('an extra stage whose row does not sum to its node', () => {
    const s = specOf(vern7Tableau);
    s.interpolant!.extraStages[2].c = 0.126;
    expect(() => build(s)).toThrow(
      /interpolant.extraStages\[2\].a sums to .* but interpolant.extraStages\[2\].c = 0.126/,
    );
  });

  it('shapes, non-finite values, names, orders', () => {
    const s = specOf(heunTableau);
    expect(() => build({ ...s, c: [0] })).toThrow(/c has 1 entries but the method has 2 stages/);
    expect(() => build({ ...s, a: [[]] })).toThrow(/a has 1 rows but b has 2 stages/);
    expect(() => build({ ...s, b: [Number.NaN, 1] })).toThrow(/b\[0\] is NaN; coefficients must be finite/);
    expect(() => build({ ...s, name: '' })).toThrow(/non-empty name/);
    expect(() => build({ ...s, order: 1.5 })).toThrow(/order 1.5 must be a positive integer/);
    expect(() => build({ ...s, bHat: undefined, embeddedOrder: 1 })).toThrow(
      /embeddedOrder 1 without embedded weights/,
    );
    const w = specOf(rk4Tableau);
    w.interpolant!.weights.pop();
    expect(() => build(w)).toThrow(/interpolant.weights has 4 rows for 4 stages \+ 1 extra stages/);
    const hi = specOf(heunTableau);
    hi.interpolant!.order = 3;
    expect(() => build(hi)).toThrow(/interpolant.order 3 exceeds the method's order 2/);
  });
});

describe('defaults', () => {
  it('without an interpolant: linear interpolation of order 1; without b̂: no error estimate', () => {
    const t = new ButcherTableau({
      name: 'ralston',
      c: [0, 2 / 3],
      a: [[], [2 / 3]],
      b: [1 / 4, 3 / 4],
      order: 2,
    });
    expect(t.interpolant.linear).toBe(true);
    expect(t.interpolant.order).toBe(1);
    expect(t.interpolant.weights).toEqual([[1 / 4], [3 / 4]]);
    expect(t.bHat).toBeNull();
    expect(t.errorWeights).toBeNull();
    expect(t.embeddedOrder).toBe(0);
    expect(t.fsal).toBe(false);
  });
});

/**
 * The dense output of Verner's 7(6) pair as first posted (2008; still in OrdinaryDiffEq.jl's
 * Vern7 and QuTiP's vern7): extra stages c = 1, 29/100, 1/8, 1/4, 53/100, 79/100 and their
 * weights, from Verner's RKV76.IIa.Efficient.00001675585.081206.CoeffsOnlyFLOAT. Verner withdrew
 * it in 2024 ("satisfied some but not all conditions of order 7").
 */
const VERN7_2008_INTERPOLANT: InterpolantSpec = {
  order: 7,
  extraStages: [
    { c: 1, a: vern7Tableau.b.slice() },
    {
      c: 29 / 100,
      a: [
        0.0523222769159969, 0, 0, 0.22495861826705715, 0.017443709248776376, -0.007669379876829393,
        0.03435896044073285, -0.0410209723009395, 0.025651133005205617, 0, -0.0160443457,
      ],
    },
    {
      c: 1 / 8,
      a: [
        0.053053341257859085, 0, 0, 0.12195301011401886, 0.017746840737602496, -0.0005928372667681495,
        0.008381833970853752, -0.01293369259698612, 0.009412056815253861, 0, -0.005353253107275676,
        -0.06666729992455811,
      ],
    },
    {
      c: 1 / 4,
      a: [
        0.03887903257436304, 0, 0, -0.0024403203308301317, -0.0013928917214672623, -0.00047446291558680135,
        0.00039207932413159514, -0.00040554733285128004, 0.00019897093147716726, 0, -0.00010278198793179169,
        0.03385661513870267, 0.1814893063199928,
      ],
    },
    {
      c: 53 / 100,
      a: [
        0.05723681204690013, 0, 0, 0.22265948066761182, 0.12344864200186899, 0.04006332526666491,
        -0.05269894848581452, 0.04765971214244523, -0.02138895885042213, 0, 0.015193891064036402,
        0.12060546716289655, -0.022779423016187374,
      ],
    },
    {
      c: 79 / 100,
      a: [
        0.051372038802756814, 0, 0, 0.5414214473439406, 0.350399806692184, 0.14193112269692182,
        0.10527377478429423, -0.031081847805874016, -0.007401883149519145, 0, -0.006377932504865363,
        -0.17325495908361865, -0.18228156777622026,
      ],
    },
  ],
  weights: [
    [
      1, -8.413387198332767, 33.675508884490895, -70.80159089484886, 80.64695108301298, -47.19413969837522,
      11.133813442539243,
    ],
    [],
    [],
    [
      0, 8.754921980674396, -88.4596828699771, 346.9017638429916, -629.2580030059837, 529.6773755604193,
      -167.35886986514018,
    ],
    [
      0, 8.913387586637922, -90.06081846893218, 353.1807459217058, -640.6476819744374, 539.2646279047156,
      -170.38809442991547,
    ],
    [
      0, 5.1733120298478, -52.271115900055385, 204.9853867374073, -371.8306118563603, 312.9880934374529,
      -98.89290352172495,
    ],
    [
      0, 16.79537744079696, -169.70040000059728, 665.4937727009246, -1207.1638892336007, 1016.1291515818546,
      -321.06001557237494,
    ],
    [
      0, -10.005997536098665, 101.1005433052275, -396.47391512378437, 719.1787707014183, -605.3681033918824,
      191.27439892797935,
    ],
    [
      0, 2.764708833638599, -27.934602637390462, 109.54779186137893, -198.7128113064482, 167.26633571640318,
      -52.85010499525706,
    ],
    [],
    [
      0, -2.1696320280163506, 22.016696037569876, -86.90152427798948, 159.22388973861476, -135.9618306534588,
      43.792401183280006,
    ],
    [
      0, -4.890070188793804, 22.75407737425176, -30.78034218537731, -2.797194317207249, 31.369456637508403,
      -15.655927320381801,
    ],
    [
      0, 10.862170929551967, -50.542971417827104, 68.37148040407511, 6.213326521632409, -69.68006323194157,
      34.776056794509195,
    ],
    [
      0, -11.37286691922923, 130.79058078246717, -488.65113677785604, 832.2148793276441, -664.7743368554426,
      201.79288044241662,
    ],
    [
      0, -5.919778732715007, 63.27679965889219, -265.432682088738, 520.1009254140611, -467.412109533902,
      155.3868452824017,
    ],
    [
      0, -10.492146197961823, 105.35538525188011, -409.43975011988937, 732.831448907654, -606.3044574733512,
      188.0495196316683,
    ],
  ],
};

describe("Verner's withdrawn 2008 Vern7 interpolant", () => {
  const spec = (order: number): ButcherTableauSpec => ({
    ...specOf(vern7Tableau),
    interpolant: { ...VERN7_2008_INTERPOLANT, order },
  });
  it('fails an order-7 condition', () => {
    expect(() => new ButcherTableau(spec(7))).toThrow(
      /θ\^2 of b\(θ\) fails the order-7 condition for the tree/,
    );
  });
  it('is of order 6', () => {
    expect(new ButcherTableau(spec(6)).interpolant.order).toBe(6);
  });
});
