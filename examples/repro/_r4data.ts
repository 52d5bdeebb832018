/**
 * The synthetic COVID-19 dexamethasone cohort of R4 (Qian et al., NeurIPS 2021; see
 * ../shared/REPRODUCTIONS.md R4), shared by examples/repro/r4.ts and its tests.
 */

import { parseModel } from '../../src/expr/parse.js';
import { LatentDecoder } from '../../src/latent/decoder.js';
import type { LatentDataset, LatentPatient } from '../../src/latent/latentModel.js';
import { covidDexamethasoneSource } from '../../src/models/covidDexamethasone.js';
import { pid } from '../../src/ode/controller.js';
import {
  bernoulli,
  exponential,
  normal,
  type RngKey,
  randint,
  splitKey,
  uniform,
} from '../../src/tensor/random.js';

/** The generated cohort and the truth it came from. */
export interface CovidCohort {
  readonly data: LatentDataset;
  /** The hidden mechanism's W [6·2] (row i: state i of D, I, A, C, h1, h2). */
  readonly W: Float64Array;
  /** The observation map B [20·7]. */
  readonly B: Float64Array;
  /** All true states [patients·T·7] (D, I, A, C, Dose, h1, h2). */
  readonly states: Float64Array;
}

const STATE_NAMES = ['D', 'I', 'A', 'C', 'h1', 'h2'];

/** Model text of the ground truth: the expert model plus h' = tanh(z·W), z = (D, I, A, C, h1, h2). */
export function covidTruthSource(W: Float64Array): string {
  const eq = (j: number) => STATE_NAMES.map((s, i) => `(${W[i * 2 + j]}) * ${s}`).join(' + ');
  return [
    covidDexamethasoneSource,
    'state h1 = 0',
    'state h2 = 0',
    `d/dt h1 = tanh(${eq(0)})`,
    `d/dt h2 = tanh(${eq(1)})`,
    '',
  ].join('\n');
}

/**
 * Generates `n` patients as R4 describes: hidden states h' = tanh(z·W), W (6×2) standard
 * Gaussian times a Bernoulli(0.5) mask, divided by 6; z₀ ~ Exponential(scale 0.01) for each of
 * the 6 latents; one dose per patient at an integer time in 0..13 with amount U(0, 10);
 * t = 0..14; x = B·[z; 1] + ε with B (20×7) Gaussian times Bernoulli(0.5) and ε ~ N(0, 0.2²);
 * each dimension standardized over the cohort; each entry missing with probability 0.5.
 */
export function generateCovidCohort(key: RngKey, n: number): CovidCohort {
  const [kW, kWm, kB, kBm, kz, kt, ka, ke, km] = splitKey(key, 9);
  const wn = normal(kW, [6, 2]).data;
  const wm = bernoulli(kWm, [6, 2], 0.5).data;
  const W = Float64Array.from(wn, (v, i) => (v * wm[i]) / 6);
  const bn = normal(kB, [20, 7]).data;
  const bm = bernoulli(kBm, [20, 7], 0.5).data;
  const B = Float64Array.from(bn, (v, i) => v * bm[i]);
  const truth = parseModel(covidTruthSource(W), { file: 'covid-truth.gbx' });
  const decoder = new LatentDecoder(truth, {
    latents: STATE_NAMES,
    doseRoute: 'dexa',
    controller: pid({ rtol: 1e-9, atol: 1e-12 }),
    maxSteps: 100_000,
  });
  const times = Float64Array.from({ length: 15 }, (_, i) => i);
  const T = times.length;
  const z0 = exponential(kz, [n, 6], 100).data;
  const doseTimes = randint(kt, [n], 0, 14);
  const amounts = uniform(ka, [n], 0, 10).data;
  const doses = Array.from({ length: n }, (_, b) => [{ time: doseTimes[b], amount: amounts[b] }]);
  const states = decoder.states(z0, {}, times, doses);
  const D = truth.dim;
  const index = STATE_NAMES.map((s) => truth.stateIndex(s));
  const K = 20;
  const raw = new Float64Array(n * T * K);
  const noise = normal(ke, [n * T * K], 0, 0.2).data;
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < T; j++) {
      const z = index.map((i) => states[(b * T + j) * D + i]);
      for (let k = 0; k < K; k++) {
        let v = B[k * 7 + 6];
        for (let i = 0; i < 6; i++) v += B[k * 7 + i] * z[i];
        raw[(b * T + j) * K + k] = v + noise[(b * T + j) * K + k];
      }
    }
  }
  if (!raw.every(Number.isFinite))
    throw new Error('generateCovidCohort: a simulated trajectory is not finite');
  // Standardize each dimension over the cohort (a dimension with B's row all zero is pure noise).
  for (let k = 0; k < K; k++) {
    let s = 0;
    let s2 = 0;
    for (let i = k; i < raw.length; i += K) s += raw[i];
    const mean = s / (n * T);
    for (let i = k; i < raw.length; i += K) s2 += (raw[i] - mean) ** 2;
    const sd = Math.sqrt(s2 / (n * T - 1)) || 1;
    for (let i = k; i < raw.length; i += K) raw[i] = (raw[i] - mean) / sd;
  }
  const missing = bernoulli(km, [n * T * K], 0.5).data;
  const patients: LatentPatient[] = Array.from({ length: n }, (_, b) => ({
    x: Float64Array.from({ length: T * K }, (_, i) =>
      missing[b * T * K + i] === 1 ? Number.NaN : raw[b * T * K + i],
    ),
    doses: doses[b],
  }));
  return { data: { times, nObs: K, patients }, W, B, states };
}

/** The patients `from`…`to − 1` of a dataset. */
export function patientRange(data: LatentDataset, from: number, to: number): LatentDataset {
  return { times: data.times, nObs: data.nObs, patients: data.patients.slice(from, to) };
}
