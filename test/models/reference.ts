/**
 * Independent reference implementations of the zoo models in plain TypeScript, written from the
 * published equations (REPRODUCTIONS.md R1, R3, R4, R6 and the textbook forms), not from the
 * model texts. Symbols are looked up by name, so a reordering of declarations in a model text
 * cannot hide a mistake.
 *
 * Each right-hand side is returned as the list of its additive terms per state (expanded into
 * monomials where the equation has a sum inside a product), so that a test can bound the
 * rounding error of a sum by a multiple of Σ|terms| rather than of the possibly cancelling
 * total. A clamped derivative is the empty list.
 */

/** Values by name. */
export type Values = Readonly<Record<string, number>>;

/** The additive terms of each state's derivative, by state name. */
export type Terms = Record<string, number[]>;

/** A model's reference: right-hand side terms, initial values and observables. */
export interface Reference {
  rhs(t: number, y: Values, p: Values, u: Values, c: Values): Terms;
  initial(p: Values, c: Values): Values;
  observe(t: number, y: Values, p: Values, u: Values, c: Values): Values;
}

/** Σ terms. */
export function total(terms: readonly number[]): number {
  let s = 0;
  for (const x of terms) s += x;
  return s;
}

/** Σ |terms|: the scale against which the rounding error of the sum is measured. */
export function magnitude(terms: readonly number[]): number {
  let s = 0;
  for (const x of terms) s += Math.abs(x);
  return s;
}

/** R1: θ'' = −ω0² sin θ − α θ'. */
const pendulum: Reference = {
  rhs: (_t, y, p) => ({
    theta: [y.omega],
    omega: [-p.w0 * p.w0 * Math.sin(y.theta), -p.alpha * y.omega],
  }),
  initial: () => ({ theta: 1, omega: 0 }),
  observe: (_t, y) => ({ angle: y.theta }),
};

/** R3: x' = αx − βxy, y' = γxy − δy. */
const lotkaVolterra: Reference = {
  rhs: (_t, y, p) => ({
    x: [p.alpha * y.x, -p.beta * y.x * y.y],
    y: [p.gamma * y.x * y.y, -p.delta * y.y],
  }),
  initial: () => ({ x: 0.44249296, y: 4.6280594 }),
  observe: (_t, y) => ({ prey: y.x, predator: y.y }),
};

/** Depot → central with first-order absorption ka and elimination CL/V. */
const pkOneCompartment: Reference = {
  rhs: (_t, y, p) => ({
    depot: [-p.ka * y.depot],
    central: [p.ka * y.depot, -(p.CL / p.V) * y.central],
  }),
  initial: () => ({ depot: 0, central: 0 }),
  observe: (_t, y, p) => ({ concentration: y.central / p.V }),
};

/** Depot → central ⇄ peripheral; elimination CL/V1 from central, exchange Q. */
const pkTwoCompartment: Reference = {
  rhs: (_t, y, p) => {
    const k10 = p.CL / p.V1;
    const k12 = p.Q / p.V1;
    const k21 = p.Q / p.V2;
    return {
      depot: [-p.ka * y.depot],
      central: [p.ka * y.depot, -k10 * y.central, -k12 * y.central, k21 * y.peripheral],
      peripheral: [k12 * y.central, -k21 * y.peripheral],
    };
  },
  initial: () => ({ depot: 0, central: 0, peripheral: 0 }),
  observe: (_t, y, p) => ({ concentration: y.central / p.V1 }),
};

/**
 * R4 (Qian et al. 2021): D, I, A, C with C' = k_el·Dose(t) − k_el·C, where Dose(t) is carried
 * as the state Dose with Dose' = −k_el·Dose.
 */
const covidDexamethasone: Reference = {
  rhs: (_t, y, p) => {
    const { D, I, A, C, Dose } = y;
    return {
      D: [p.k_dp * D, -p.k_dci * D * A * A, -p.k_dcr * D * I],
      I: [
        p.k_id * D,
        -p.k_io * I,
        p.k_if * D * I,
        (p.e_max * I * I) / (p.ec50 * p.ec50 + I * I),
        -p.k_dexa * C * I,
      ],
      A: [p.k_imm * I],
      C: [p.k_el * Dose, -p.k_el * C],
      Dose: [-p.k_el * Dose],
    };
  },
  initial: () => ({ D: 0.01, I: 0.01, A: 0.01, C: 0, Dose: 0 }),
  observe: () => ({}),
};

/** Gastric emptying rate of R6: the tanh formula for D̄ > 0, kmax for D̄ = 0. */
export function uvaKgut(qsto: number, dbar: number, p: Values): number {
  if (!(dbar > 0)) return p.kmax;
  const alpha = 5 / (2 * dbar * (1 - p.b));
  const beta = 5 / (2 * dbar * p.d);
  return (
    p.kmin +
    ((p.kmax - p.kmin) / 2) *
      (Math.tanh(alpha * (qsto - p.b * dbar)) - Math.tanh(beta * (qsto - p.d * dbar)) + 2)
  );
}

/** EGP of R6 (before the max with 0). */
export function uvaEgp(y: Values, p: Values): number {
  return p.kp1 - p.kp2 * y.Gp - p.kp3 * y.Id;
}

/**
 * R6's UVA/Padova 2008 equations, with simglucose's clamps: the derivatives of Gp, Gt, Ip, Il,
 * Isc1, Isc2, Gs vanish while that state is negative.
 */
const uvaPadova: Reference = {
  rhs: (_t, y, p, u, c) => {
    const { Qsto1, Qsto2, Qgut, Gp, Gt, Ip, X, I1, Id, Il, Isc1, Isc2, Gs } = y;
    const kgut = uvaKgut(Qsto1 + Qsto2, u.Dbar, p);
    const Ra = (p.f * p.kabs * Qgut) / c.BW;
    // max(EGP, 0), expanded into its monomials when positive.
    const egp = uvaEgp(y, p) > 0 ? [p.kp1, -p.kp2 * Gp, -p.kp3 * Id] : [];
    // Renal excretion ke1·(Gp − ke2) above the threshold.
    const renal = Gp > p.ke2 ? [-p.ke1 * Gp, p.ke1 * p.ke2] : [];
    const I = Ip / p.Vi;
    const clamp = (x: number, terms: number[]) => (x >= 0 ? terms : []);
    return {
      Qsto1: [-p.kmax * Qsto1, u.CHO],
      Qsto2: [p.kmax * Qsto1, -kgut * Qsto2],
      Qgut: [kgut * Qsto2, -p.kabs * Qgut],
      Gp: clamp(Gp, [...egp, Ra, -p.Fsnc, ...renal, -p.k1 * Gp, p.k2 * Gt]),
      Gt: clamp(Gt, [(-p.Vm0 * Gt) / (p.Km0 + Gt), (-p.Vmx * X * Gt) / (p.Km0 + Gt), p.k1 * Gp, -p.k2 * Gt]),
      Ip: clamp(Ip, [-p.m2 * Ip, -p.m4 * Ip, p.m1 * Il, p.ka1 * Isc1, p.ka2 * Isc2]),
      X: [-p.p2u * X, p.p2u * I, -p.p2u * p.Ib],
      I1: [-p.ki * I1, p.ki * I],
      Id: [-p.ki * Id, p.ki * I1],
      Il: clamp(Il, [-p.m1 * Il, -p.m30 * Il, p.m2 * Ip]),
      Isc1: clamp(Isc1, [u.insulin, -p.ka1 * Isc1, -p.kd * Isc1]),
      Isc2: clamp(Isc2, [p.kd * Isc1, -p.ka2 * Isc2]),
      Gs: clamp(Gs, [-p.ksc * Gs, p.ksc * Gp]),
    };
  },
  // The basal steady state (simglucose's x0 columns).
  initial: (p) => ({
    Qsto1: 0,
    Qsto2: 0,
    Qgut: 0,
    Gp: p.Gpb,
    Gt: p.Gtb,
    Ip: p.Ipb,
    X: 0,
    I1: p.Ib,
    Id: p.Ib,
    Il: p.Ilb,
    Isc1: p.isc1ss,
    Isc2: p.isc2ss,
    Gs: p.Gpb,
  }),
  observe: (_t, y, p) => ({ CGM: y.Gs / p.Vg }),
};

/** v' = v − v³/3 − w + I_ext, w' = (v + a − b·w)/τ. */
const fitzhughNagumo: Reference = {
  rhs: (_t, y, p) => ({
    v: [y.v, -(y.v * y.v * y.v) / 3, -y.w, p.I_ext],
    w: [y.v / p.tau, p.a / p.tau, (-p.b * y.w) / p.tau],
  }),
  initial: () => ({ v: -1, w: 1 }),
  observe: (_t, y) => ({ voltage: y.v }),
};

/** SIR on population fractions. */
const sir: Reference = {
  rhs: (_t, y, p) => ({
    S: [-p.beta * y.S * y.I],
    I: [p.beta * y.S * y.I, -p.gamma * y.I],
    R: [p.gamma * y.I],
  }),
  initial: (p) => ({ S: 1 - p.i0, I: p.i0, R: 0 }),
  observe: (_t, y) => ({ prevalence: y.I }),
};

/** The references by zoo name. */
export const references = {
  pendulum,
  lotkaVolterra,
  pkOneCompartment,
  pkTwoCompartment,
  covidDexamethasone,
  uvaPadova,
  fitzhughNagumo,
  sir,
} as const satisfies Record<string, Reference>;
