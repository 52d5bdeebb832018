/**
 * Mathematical properties of the zoo models, checked on the compiled right-hand sides:
 * conservation laws, energy dissipation, mass balance and equilibria.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import type { Model } from '../../src/expr/model.js';
import {
  covidDexamethasoneModel,
  fitzhughNagumoModel,
  lotkaVolterraModel,
  pendulumModel,
  pkOneCompartmentModel,
  pkTwoCompartmentModel,
  sirModel,
} from '../../src/models/index.js';
import { testRng } from '../support/fd.js';

/** f(y) of a model with no inputs or covariates, at its default parameters unless given. */
function field(model: Model) {
  const c = compileModel(model);
  return (y: readonly number[], p: Float64Array = model.defaultParams()) => {
    const out = new Float64Array(model.dim);
    c.rhs(new Float64Array(1), Float64Array.from(y), p, new Float64Array(0), new Float64Array(0), out, 1);
    return out;
  };
}

const EPS = 2 ** -52;

describe('zoo model properties', () => {
  it('pendulum: energy ω²/2 + ω0²(1 − cos θ) decays at rate α·ω²', () => {
    const m = pendulumModel();
    const f = field(m);
    const [w0, alpha] = m.defaultParams();
    const rng = testRng(1);
    for (let k = 0; k < 100; k++) {
      const th = 6 * rng() - 3;
      const om = 6 * rng() - 3;
      const [dth, dom] = f([th, om]);
      const dE = om * dom + w0 * w0 * Math.sin(th) * dth;
      expect(Math.abs(dE + alpha * om * om)).toBeLessThanOrEqual(
        16 * EPS * (w0 * w0 + om * om) * Math.abs(om),
      );
    }
  });

  it('Lotka–Volterra: H = γx − δ ln x + βy − α ln y is conserved', () => {
    const m = lotkaVolterraModel();
    const f = field(m);
    const [alpha, beta, gamma, delta] = m.defaultParams();
    const rng = testRng(2);
    for (let k = 0; k < 100; k++) {
      const x = 0.1 + 5 * rng();
      const y = 0.1 + 5 * rng();
      const [dx, dy] = f([x, y]);
      const dH = (gamma - delta / x) * dx + (beta - alpha / y) * dy;
      const scale = (gamma + delta / x) * Math.abs(dx) + (beta + alpha / y) * Math.abs(dy) + x * y;
      expect(Math.abs(dH)).toBeLessThanOrEqual(16 * EPS * scale);
    }
  });

  it('PK models: total amount changes only by elimination CL·C', () => {
    const rng = testRng(3);
    const one = pkOneCompartmentModel();
    const f1 = field(one);
    const two = pkTwoCompartmentModel();
    const f2 = field(two);
    const p1 = one.defaultParams();
    const p2 = two.defaultParams();
    const CL1 = p1[one.paramIndex('CL')];
    const V = p1[one.paramIndex('V')];
    const CL2 = p2[two.paramIndex('CL')];
    const V1 = p2[two.paramIndex('V1')];
    for (let k = 0; k < 100; k++) {
      const [a, b, c] = [500 * rng(), 500 * rng(), 500 * rng()];
      const d1 = f1([a, b]);
      expect(d1[0] + d1[1]).toBeCloseTo((-CL1 / V) * b, 10);
      const d2 = f2([a, b, c]);
      expect(d2[0] + d2[1] + d2[2]).toBeCloseTo((-CL2 / V1) * b, 10);
    }
  });

  it('SIR: S + I + R is conserved', () => {
    const f = field(sirModel());
    const rng = testRng(4);
    for (let k = 0; k < 100; k++) {
      const [s, i, r] = [rng(), rng(), rng()];
      const d = f([s, i, r]);
      expect(Math.abs(d[0] + d[1] + d[2])).toBeLessThanOrEqual(4 * EPS * Math.abs(d[0]));
    }
  });

  it('FitzHugh–Nagumo: both derivatives vanish at the equilibrium of the nullclines', () => {
    const m = fitzhughNagumoModel();
    const f = field(m);
    const [a, b, , I] = m.defaultParams();
    // v − v³/3 − (v + a)/b + I = 0 has one real root for b < 1 (Newton from v = 0).
    let v = 0;
    for (let k = 0; k < 50; k++) v -= (v - v ** 3 / 3 - (v + a) / b + I) / (1 - v * v - 1 / b);
    const w = (v + a) / b;
    const d = f([v, w]);
    expect(Math.abs(d[0])).toBeLessThan(1e-14);
    expect(Math.abs(d[1])).toBeLessThan(1e-14);
  });

  it('COVID-19 dexamethasone: Dose decays at k_el and feeds C; D = 0 is invariant', () => {
    const m = covidDexamethasoneModel();
    const f = field(m);
    const rng = testRng(5);
    for (let k = 0; k < 50; k++) {
      const y = [0, rng(), rng(), rng(), 10 * rng()];
      const d = f(y);
      expect(d[0]).toBe(0); // no disease stays no disease
      expect(d[4]).toBe(-y[4]); // k_el = 1
      expect(d[3]).toBeCloseTo(y[4] - y[3], 15);
    }
  });
});
