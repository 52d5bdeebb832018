/**
 * Random evaluation points for the zoo models: states, parameters, inputs and covariates by
 * name, drawn from physically sensible ranges (including the clamps' and kinks' other sides),
 * or — for finite differences — from smooth regions away from every kink.
 */
import type { Model } from '../../src/expr/model.js';
import { uvaPatients } from '../../src/models/data/uvaPatients.js';
import { uvaPatientParamNames, type ZooName } from '../../src/models/index.js';
import { uvaEgp, type Values } from './reference.js';

/** One evaluation point, every symbol by name. */
export interface Point {
  readonly t: number;
  readonly y: Values;
  readonly p: Values;
  readonly u: Values;
  readonly c: Values;
}

/** How to draw points for one model. */
export interface Case {
  /** A random point; `smooth` keeps it away from kinks and clamps (for finite differences). */
  sample(rng: () => number, model: Model, smooth: boolean): Point;
  /** Typical magnitude of each state, the unit of finite-difference steps. */
  readonly scale: Values;
}

const uniform = (rng: () => number, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Each default value times a log-uniform factor in [1/2, 2]. */
function perturbed(rng: () => number, decls: readonly { name: string; value: number }[]): Values {
  const out: Record<string, number> = {};
  for (const d of decls) out[d.name] = d.value * 2 ** uniform(rng, -1, 1);
  return out;
}

function ranges(rng: () => number, r: Readonly<Record<string, readonly [number, number]>>): Values {
  const out: Record<string, number> = {};
  for (const [k, [lo, hi]] of Object.entries(r)) out[k] = uniform(rng, lo, hi);
  return out;
}

/** A model without kinks: states and inputs uniform in ranges, parameters around their defaults. */
function smoothCase(
  states: Readonly<Record<string, readonly [number, number]>>,
  scale: Values,
  inputs: Readonly<Record<string, readonly [number, number]>> = {},
): Case {
  return {
    scale,
    sample: (rng, model) => ({
      t: uniform(rng, 0, 10),
      y: ranges(rng, states),
      p: perturbed(rng, model.params),
      u: ranges(rng, inputs),
      c: perturbed(
        rng,
        model.covariates.map((c) => ({ name: c.name, value: c.defaultValue ?? 1 })),
      ),
    }),
  };
}

const CLAMPED = ['Gp', 'Gt', 'Ip', 'Il', 'Isc1', 'Isc2', 'Gs'] as const;

/**
 * UVA/Padova: a random virtual patient's parameters (each ×[0.9, 1.1]), states over their
 * physiological ranges. Rough points put clamped states below zero with probability 0.15,
 * D̄ = 0 with probability 0.3 and cover both sides of the renal threshold and of EGP = 0.
 * Smooth points keep clamped states positive, Gp ≥ 5 % away from ke2 and |EGP| ≥ 0.3.
 */
const uvaPadova: Case = {
  scale: {
    Qsto1: 1e4,
    Qsto2: 1e4,
    Qgut: 1e4,
    Gp: 200,
    Gt: 150,
    Ip: 5,
    X: 50,
    I1: 100,
    Id: 100,
    Il: 3,
    Isc1: 100,
    Isc2: 100,
    Gs: 200,
  },
  sample(rng, model, smooth) {
    const patient = uvaPatients[Math.floor(rng() * uvaPatients.length)];
    const p: Record<string, number> = {};
    for (const decl of model.params) p[decl.name] = decl.value * uniform(rng, 0.9, 1.1);
    for (const name of uvaPatientParamNames) p[name] = patient[name] * uniform(rng, 0.9, 1.1);
    const c = { BW: patient.BW * uniform(rng, 0.9, 1.1) };
    for (;;) {
      const y: Record<string, number> = {
        Qsto1: uniform(rng, 0, 5e4),
        Qsto2: uniform(rng, 0, 5e4),
        Qgut: uniform(rng, 0, 2e4),
        Gp: uniform(rng, 30, 800),
        Gt: uniform(rng, 30, 400),
        Ip: uniform(rng, 1, 15),
        X: uniform(rng, -50, 300),
        I1: uniform(rng, 0, 500),
        Id: uniform(rng, 0, 500),
        Il: uniform(rng, 1, 15),
        Isc1: uniform(rng, 10, 1000),
        Isc2: uniform(rng, 10, 1000),
        Gs: uniform(rng, 30, 800),
      };
      if (!smooth) for (const s of CLAMPED) if (rng() < 0.15) y[s] = -uniform(rng, 0, 0.2) * y[s];
      const dbarZero = rng() < 0.3;
      const u = {
        CHO: rng() < 0.5 ? 0 : uniform(rng, 0, 5000),
        insulin: uniform(rng, 0, 100),
        Dbar: dbarZero ? 0 : uniform(rng, 1e4, 1.2e5),
      };
      if (smooth && (Math.abs(y.Gp - p.ke2) < 0.05 * p.ke2 || Math.abs(uvaEgp(y, p)) < 0.3)) continue;
      return { t: uniform(rng, 0, 1440), y, p, u, c };
    }
  },
};

/** How to draw points for every zoo model. */
export const cases: Record<ZooName, Case> = {
  pendulum: smoothCase({ theta: [-3, 3], omega: [-3, 3] }, { theta: 1, omega: 1 }),
  lotkaVolterra: smoothCase({ x: [0.1, 5], y: [0.1, 5] }, { x: 1, y: 1 }),
  pkOneCompartment: smoothCase({ depot: [0, 500], central: [0, 500] }, { depot: 100, central: 100 }),
  pkTwoCompartment: smoothCase(
    { depot: [0, 500], central: [0, 500], peripheral: [0, 500] },
    { depot: 100, central: 100, peripheral: 100 },
  ),
  covidDexamethasone: smoothCase(
    { D: [0.01, 3], I: [0.01, 3], A: [0.01, 3], C: [0, 3], Dose: [0, 10] },
    { D: 1, I: 1, A: 1, C: 1, Dose: 1 },
  ),
  uvaPadova,
  fitzhughNagumo: smoothCase({ v: [-2.5, 2.5], w: [-1, 2.5] }, { v: 1, w: 1 }),
  sir: smoothCase({ S: [0, 1], I: [0, 1], R: [0, 1] }, { S: 1, I: 1, R: 1 }),
};

/** Arrays for a batch of points, in the model's declaration order. */
export interface Packed {
  t: Float64Array;
  y: Float64Array;
  p: Float64Array;
  u: Float64Array;
  c: Float64Array;
}

function lookup(values: Values, name: string, what: string): number {
  const v = values[name];
  if (v === undefined) throw new Error(`test case: no value for ${what} "${name}"`);
  return v;
}

/** Packs named points into the row-major batch arrays of a compiled model. */
export function pack(model: Model, points: readonly Point[]): Packed {
  const rows = (decls: readonly { name: string }[], get: (q: Point) => Values, what: string) =>
    Float64Array.from(points.flatMap((q) => decls.map((d) => lookup(get(q), d.name, what))));
  return {
    t: Float64Array.from(points, (q) => q.t),
    y: rows(model.states, (q) => q.y, 'state'),
    p: rows(model.params, (q) => q.p, 'parameter'),
    u: rows(model.inputs, (q) => q.u, 'input'),
    c: rows(model.covariates, (q) => q.c, 'covariate'),
  };
}
