/**
 * A virtual type-1-diabetes cohort for the HGS glucose benchmark: the UVA/Padova 2008 model
 * (src/models/uvaPadova.ts) with simglucose's 30 virtual patients, random daily meal
 * scenarios, meal boluses from each patient's carbohydrate ratio (Quest.csv) with dosing
 * errors, basal insulin at the patient's steady-state rate times a daily factor, and CGM every
 * 5 minutes with simglucose's Johnson-SU sensor noise (GuardianRT parameters from
 * sensor_params.csv, AR(1) correlated). Integrated with classical RK4 at 1-minute steps
 * (simglucose's control interval), inputs held constant over each minute, the meal-size
 * memory D̄ computed as simglucose's stepper does.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel } from '../../../src/expr/compile.js';
import { type UvaPatientName, uvaPatients } from '../../../src/models/data/uvaPatients.js';
import { uvaPadovaModel, uvaPadovaPatientValues } from '../../../src/models/uvaPadova.js';
import type { ForecastSet } from '../../../src/sparsity/mnode.js';
import { gauss, rng } from './synthetic.js';

const dataDir = fileURLToPath(new URL('../../../../shared/data/simglucose/', import.meta.url));

/** Every patient's carbohydrate ratio (g/U) from simglucose's Quest.csv. */
export function carbRatios(): Map<string, number> {
  const lines = readFileSync(`${dataDir}Quest.csv`, 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  const name = head.indexOf('Name');
  const cr = head.indexOf('CR');
  return new Map(
    lines.slice(1).map((l) => {
      const f = l.split(',');
      return [f[name], Number(f[cr])];
    }),
  );
}

/** The GuardianRT sensor's noise parameters from sensor_params.csv. */
export function sensorParams(): {
  pacf: number;
  gamma: number;
  lambda: number;
  delta: number;
  xi: number;
  min: number;
  max: number;
} {
  const lines = readFileSync(`${dataDir}sensor_params.csv`, 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  const row = lines
    .slice(1)
    .map((l) => l.split(','))
    .find((f) => f[0] === 'GuardianRT');
  if (row === undefined) throw new Error('sensor_params.csv has no GuardianRT row');
  const get = (k: string) => Number(row[head.indexOf(k)]);
  return {
    pacf: get('PACF'),
    gamma: get('gamma'),
    lambda: get('lambda'),
    delta: get('delta'),
    xi: get('xi'),
    min: get('min'),
    max: get('max'),
  };
}

/** One simulated patient-day at 5-minute resolution. */
export interface PatientDay {
  readonly patient: string;
  /** CGM readings (mg/dL), one per 5 min (288 per day, at minutes 5, 10, …). */
  readonly cgm: Float64Array;
  /** Noise-free CGM (Gs/Vg) at the same times. */
  readonly truth: Float64Array;
  /** Carbohydrate eaten in each 5-min interval (g). */
  readonly cho: Float64Array;
  /** Insulin delivered in each 5-min interval (U), basal included. */
  readonly insulin: Float64Array;
}

/**
 * Simulates `days` days for each patient (after a 6-hour run-in from the basal steady state),
 * all trajectories batched through the compiled right-hand side.
 */
export function simulateCohort(
  patients: readonly UvaPatientName[],
  days: number,
  seed: number,
): PatientDay[] {
  const model = uvaPadovaModel();
  const compiled = compileModel(model);
  const D = model.dim;
  const P = model.params.length;
  const B = patients.length * days;
  const CR = carbRatios();
  const sensor = sensorParams();
  const r = rng(seed);
  const runIn = 360;
  const minutes = runIn + days * 1440;
  // Per trajectory: parameters, covariates, state.
  const p = new Float64Array(B * P);
  const c = new Float64Array(B * model.covariates.length);
  const y = new Float64Array(B * D);
  const bw = new Float64Array(B);
  const vg = new Float64Array(B);
  const basal = new Float64Array(B);
  const cr = new Float64Array(B);
  const traj: { patient: string; dayStart: number }[] = [];
  patients.forEach((name, i) => {
    const v = uvaPadovaPatientValues(name, model);
    const info = uvaPatients.find((q) => q.name === name)!;
    const ratio = CR.get(name);
    if (ratio === undefined) throw new Error(`Quest.csv has no carbohydrate ratio for ${name}`);
    for (let d = 0; d < days; d++) {
      const b = i * days + d;
      p.set(v.params, b * P);
      c.set(v.covariates, b * model.covariates.length);
      y.set(v.initialState, b * D);
      bw[b] = info.BW;
      vg[b] = info.Vg;
      basal[b] = info.u2ss;
      cr[b] = ratio;
      traj.push({ patient: name, dayStart: d });
    }
  });
  // Each trajectory simulates one day (after the run-in): independent scenarios.
  // Meal plan per trajectory: [start minute, grams].
  const meals: [number, number][][] = [];
  const boluses: Map<number, number>[] = []; // minute → units
  const basalFactor = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const scale = bw[b] < 50 ? 0.6 : 1; // children and light adolescents eat less
    const plan: [number, number][] = [
      [runIn + 7 * 60 + Math.round((r() - 0.5) * 120), scale * (30 + 50 * r())],
      [runIn + 12 * 60 + Math.round((r() - 0.5) * 120), scale * (50 + 50 * r())],
      [runIn + 18 * 60 + Math.round((r() - 0.5) * 120), scale * (50 + 60 * r())],
    ];
    if (r() < 0.6) plan.push([runIn + 15 * 60 + Math.round((r() - 0.5) * 120), scale * (10 + 25 * r())]);
    if (r() < 0.3) plan.push([runIn + 21 * 60 + Math.round((r() - 0.5) * 60), scale * (10 + 25 * r())]);
    plan.sort((a, b2) => a[0] - b2[0]);
    meals.push(plan);
    const bol = new Map<number, number>();
    for (const [t, g] of plan) {
      if (g < 20 && r() < 0.5) continue; // small snacks often without a bolus
      const error = 0.75 + 0.5 * r(); // dosing error ±25%
      const delay = r() < 0.2 ? Math.round(r() * 30) : 0; // sometimes bolused late
      bol.set(t + delay, (bol.get(t + delay) ?? 0) + (g / cr[b]) * error);
    }
    boluses.push(bol);
    basalFactor[b] = 0.85 + 0.3 * r();
  }
  const u = new Float64Array(B * 3); // CHO mg/min, insulin pmol/kg/min, Dbar mg
  const remaining = new Float64Array(B); // grams left of the current meal
  const eatingPrev = new Uint8Array(B);
  const dbar = new Float64Array(B);
  const mealIdx = new Int32Array(B);
  const k1 = new Float64Array(B * D);
  const k2 = new Float64Array(B * D);
  const k3 = new Float64Array(B * D);
  const k4 = new Float64Array(B * D);
  const tmp = new Float64Array(B * D);
  const t = new Float64Array(B);
  const samples = days > 0 ? 288 : 0;
  const out = Array.from({ length: B }, () => ({
    truth: new Float64Array(samples),
    cho: new Float64Array(samples),
    insulin: new Float64Array(samples),
  }));
  for (let m = 0; m < minutes; m++) {
    for (let b = 0; b < B; b++) {
      const plan = meals[b];
      while (mealIdx[b] < plan.length && plan[mealIdx[b]][0] <= m) {
        remaining[b] += plan[mealIdx[b]][1];
        mealIdx[b]++;
      }
      const grams = Math.min(5, remaining[b]); // ≤ 5 g/min
      remaining[b] -= grams;
      const cho = grams * 1000;
      const eating = cho > 0 ? 1 : 0;
      // simglucose's D̄: stomach content at meal start, plus what is eaten since (this minute included).
      if (eating && !eatingPrev[b]) dbar[b] = y[b * D] + y[b * D + 1];
      if (eating) dbar[b] += cho;
      eatingPrev[b] = eating;
      const bolusU = boluses[b].get(m) ?? 0;
      const rate = basal[b] * (m >= runIn ? basalFactor[b] : 1) + (bolusU * 6000) / bw[b];
      u[b * 3] = cho;
      u[b * 3 + 1] = rate;
      u[b * 3 + 2] = dbar[b];
      if (m >= runIn) {
        const s = Math.floor((m - runIn) / 5);
        out[b].cho[s] += grams;
        out[b].insulin[s] += (rate * bw[b]) / 6000;
      }
    }
    // RK4 over one minute.
    compiled.rhs(t, y, p, u, c, k1, B);
    for (let i = 0; i < y.length; i++) tmp[i] = y[i] + 0.5 * k1[i];
    compiled.rhs(t, tmp, p, u, c, k2, B);
    for (let i = 0; i < y.length; i++) tmp[i] = y[i] + 0.5 * k2[i];
    compiled.rhs(t, tmp, p, u, c, k3, B);
    for (let i = 0; i < y.length; i++) tmp[i] = y[i] + k3[i];
    compiled.rhs(t, tmp, p, u, c, k4, B);
    for (let i = 0; i < y.length; i++) y[i] += (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) / 6;
    const next = m + 1;
    if (next > runIn && (next - runIn) % 5 === 0) {
      const s = (next - runIn) / 5 - 1;
      for (let b = 0; b < B; b++) out[b].truth[s] = y[b * D + 12] / vg[b];
    }
  }
  // CGM noise: AR(1) standard normal e, Johnson-SU transform, clipped to the sensor's range.
  return out.map((o, b) => {
    const cgm = new Float64Array(samples);
    let e = gauss(r);
    for (let s = 0; s < samples; s++) {
      e = sensor.pacf * e + Math.sqrt(1 - sensor.pacf ** 2) * gauss(r);
      const noise = sensor.xi + sensor.lambda * Math.sinh((e - sensor.gamma) / sensor.delta);
      cgm[s] = Math.min(sensor.max, Math.max(sensor.min, o.truth[s] + noise));
    }
    return { patient: traj[b].patient, cgm, truth: o.truth, cho: o.cho, insulin: o.insulin };
  });
}

/** Scales that make the network inputs O(1): CGM (mg/dL) → (CGM − center)/scale, CHO g/5 min, insulin U/5 min. */
export const glucoseScales = { center: 140, scale: 50, cho: 25, insulin: 1 } as const;

/**
 * Forecast windows from patient-days: `history` samples (42 = 210 min) then `horizon`
 * (12 = 60 min), starting every `stride` samples. Observations are scaled CGM; inputs scaled
 * CHO and insulin over each 5-minute interval.
 */
export function glucoseWindows(
  days: readonly PatientDay[],
  history: number,
  horizon: number,
  stride: number,
): ForecastSet {
  const rows: { d: PatientDay; s: number }[] = [];
  for (const d of days)
    for (let s = 0; s + history + horizon <= d.cgm.length; s += stride) rows.push({ d, s });
  const n = rows.length;
  const H = history;
  const T = horizon;
  const hist = new Float64Array(n * H * 3);
  const fut = new Float64Array(n * T * 2);
  const tgt = new Float64Array(n * T);
  const { center, scale, cho, insulin } = glucoseScales;
  rows.forEach(({ d, s }, w) => {
    for (let q = 0; q < H; q++) {
      const o = (w * H + q) * 3;
      hist[o] = (d.cgm[s + q] - center) / scale;
      hist[o + 1] = d.cho[s + q] / cho;
      hist[o + 2] = d.insulin[s + q] / insulin;
    }
    for (let q = 0; q < T; q++) {
      // Interval s+H+q runs from sample s+H+q−1 to s+H+q: its inputs lead to target s+H+q.
      fut[(w * T + q) * 2] = d.cho[s + H + q] / cho;
      fut[(w * T + q) * 2 + 1] = d.insulin[s + H + q] / insulin;
      tgt[w * T + q] = (d.cgm[s + H + q] - center) / scale;
    }
  });
  return {
    observed: ['Gs'],
    inputs: ['CHO', 'insulin'],
    n,
    historyLength: H,
    horizon: T,
    history: hist,
    future: fut,
    target: tgt,
  };
}
