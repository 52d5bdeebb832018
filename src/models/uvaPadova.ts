import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';
import { type UvaPatient, type UvaPatientName, uvaPatients } from './data/uvaPatients.js';

/** The patient whose parameters are the model's defaults. */
export const uvaDefaultPatient: UvaPatientName = 'adolescent#001';

/** The patient fields that are parameters of the model, with their declared bounds and meaning. */
const PARAMS = [
  // Gastro-intestinal tract
  ['kabs', 'in [0, inf] scale log', 'intestinal absorption rate constant (1/min)'],
  ['kmax', 'in [0, inf] scale log', 'maximal gastric emptying rate constant (1/min)'],
  ['kmin', 'in [0, inf] scale log', 'minimal gastric emptying rate constant (1/min)'],
  ['b', 'in [0, 1] scale logit', 'meal fraction where kgut has fallen halfway to kmin'],
  ['d', 'in [0, 1] scale logit', 'meal fraction where kgut has recovered halfway to kmax'],
  ['f', 'in [0, 1] scale logit', 'fraction of absorbed glucose appearing in plasma'],
  // Glucose
  ['kp1', 'in [0, inf] scale log', 'EGP at zero glucose and insulin (mg/kg/min)'],
  ['kp2', 'in [0, inf] scale log', 'liver glucose effectiveness (1/min)'],
  ['kp3', 'in [0, inf] scale log', 'insulin action on the liver (mg/kg/min per pmol/L)'],
  ['Fsnc', 'in [0, inf] scale log', 'insulin-independent glucose utilization (mg/kg/min)'],
  ['ke1', 'in [0, inf] scale log', 'renal glomerular filtration rate (1/min)'],
  ['ke2', 'in [0, inf] scale log', 'renal threshold of glucose (mg/kg)'],
  ['k1', 'in [0, inf] scale log', 'plasma to tissue glucose rate constant (1/min)'],
  ['k2', 'in [0, inf] scale log', 'tissue to plasma glucose rate constant (1/min)'],
  ['Vm0', 'in [0, inf] scale log', 'insulin-independent maximal utilization (mg/kg/min)'],
  ['Vmx', 'in [0, inf] scale log', 'insulin-dependent utilization (mg/kg/min per pmol/L)'],
  ['Km0', 'in [0, inf] scale log', 'Michaelis-Menten constant of utilization (mg/kg)'],
  ['Vg', 'in [0, inf] scale log', 'glucose distribution volume (dL/kg)'],
  // Insulin
  ['m1', 'in [0, inf] scale log', 'liver to plasma insulin rate constant (1/min)'],
  ['m2', 'in [0, inf] scale log', 'plasma to liver insulin rate constant (1/min)'],
  ['m4', 'in [0, inf] scale log', 'peripheral insulin degradation (1/min)'],
  ['m30', 'in [0, inf] scale log', 'hepatic insulin degradation (1/min)'],
  ['Vi', 'in [0, inf] scale log', 'insulin distribution volume (L/kg)'],
  ['Ib', 'in [0, inf] scale log', 'basal plasma insulin concentration (pmol/L)'],
  ['p2u', 'in [0, inf] scale log', 'insulin action on utilization rate constant (1/min)'],
  ['ki', 'in [0, inf] scale log', 'delay of insulin action on production (1/min)'],
  ['kd', 'in [0, inf] scale log', 'subcutaneous insulin, compartment 1 to 2 (1/min)'],
  ['ka1', 'in [0, inf] scale log', 'absorption of non-monomeric s.c. insulin (1/min)'],
  ['ka2', 'in [0, inf] scale log', 'absorption of monomeric s.c. insulin (1/min)'],
  ['ksc', 'in [0, inf] scale log', 'subcutaneous glucose rate constant (1/min)'],
  // Basal steady state: the initial values
  ['Gpb', 'in [0, inf] scale log', 'basal plasma glucose (mg/kg)'],
  ['Gtb', 'in [0, inf] scale log', 'basal tissue glucose (mg/kg)'],
  ['Ipb', 'in [0, inf] scale log', 'basal plasma insulin (pmol/kg)'],
  ['Ilb', 'in [0, inf] scale log', 'basal liver insulin (pmol/kg)'],
  ['isc1ss', 'in [0, inf] scale log', 'basal non-monomeric s.c. insulin (pmol/kg)'],
  ['isc2ss', 'in [0, inf] scale log', 'basal monomeric s.c. insulin (pmol/kg)'],
] as const satisfies readonly (readonly [keyof UvaPatient, string, string])[];

/** A patient field that is a parameter of {@link uvaPadovaModel}. */
export type UvaParamName = (typeof PARAMS)[number][0];

/** The names of the model's parameters that come from the patient table, in declaration order. */
export const uvaPatientParamNames: readonly UvaParamName[] = PARAMS.map(([name]) => name);

/**
 * The CGM noise SD (mg/dL) of the observable: the marginal SD of simglucose's Johnson-SU
 * sensor noise (γ = −0.5444, λ = 15.9574, δ = 1.6898 in sensor_params.csv) is ≈ 12.06 mg/dL;
 * simglucose's noise is autocorrelated and skewed, the model's is i.i.d. Gaussian.
 */
const CGM_SD = 12;

/** Looks a virtual patient up by name. */
export function uvaPatient(name: UvaPatientName): UvaPatient {
  const patient = uvaPatients.find((p) => p.name === name);
  if (patient === undefined) throw new Error(`uvaPatient: no virtual patient named "${name}"`);
  return patient;
}

function paramLines(patient: UvaPatient): string {
  const width = Math.max(...PARAMS.map(([name]) => name.length));
  return PARAMS.map(
    ([name, bounds, meaning]) =>
      `param ${name.padEnd(width)} = ${patient[name]} ${bounds} fixed   # ${meaning}`,
  ).join('\n');
}

/**
 * Source text of the UVA/Padova 2008 type-1-diabetes simulator model (Dalla Man, Rizza &
 * Cobelli 2007, "Meal simulation model of the glucose-insulin system", IEEE TBME 54:1740;
 * Kovatchev et al. 2009, J. Diabetes Sci. Technol. 3:44), in the form of REPRODUCTIONS.md R6,
 * which is that of simglucose's `T1DPatient.model` (https://github.com/jxx123/simglucose).
 * Time in minutes. 13 states, in the order of simglucose's CSV:
 *
 * | state | meaning | unit |
 * |---|---|---|
 * | Qsto1, Qsto2 | solid and liquid glucose in the stomach | mg |
 * | Qgut | glucose in the intestine | mg |
 * | Gp, Gt | glucose in plasma and in slowly equilibrating tissues | mg/kg |
 * | Ip | plasma insulin | pmol/kg |
 * | X | insulin action on glucose utilization | pmol/L |
 * | I1, Id | delayed insulin signals acting on glucose production | pmol/L |
 * | Il | liver insulin | pmol/kg |
 * | Isc1, Isc2 | non-monomeric and monomeric subcutaneous insulin | pmol/kg |
 * | Gs | subcutaneous glucose | mg/kg |
 *
 * Equations (p.* the patient's parameters):
 *
 *   Qsto1' = −kmax·Qsto1 + CHO
 *   Qsto2' = kmax·Qsto1 − kgut·Qsto2
 *   Qgut'  = kgut·Qsto2 − kabs·Qgut
 *   kgut   = kmin + (kmax − kmin)/2·[tanh(α(Qsto − b·D̄)) − tanh(β(Qsto − d·D̄)) + 2],
 *            Qsto = Qsto1 + Qsto2, α = 5/(2·D̄·(1 − b)), β = 5/(2·D̄·d);  kgut = kmax if D̄ = 0
 *   Gp'    = max(EGP, 0) + Ra − Fsnc − E − k1·Gp + k2·Gt,   EGP = kp1 − kp2·Gp − kp3·Id,
 *            Ra = f·kabs·Qgut/BW,   E = ke1·(Gp − ke2) if Gp > ke2 else 0
 *   Gt'    = −(Vm0 + Vmx·X)·Gt/(Km0 + Gt) + k1·Gp − k2·Gt
 *   Ip'    = −(m2 + m4)·Ip + m1·Il + ka1·Isc1 + ka2·Isc2,   I = Ip/Vi
 *   X'     = −p2u·X + p2u·(I − Ib)
 *   I1'    = −ki·(I1 − I),   Id' = −ki·(Id − I1)
 *   Il'    = −(m1 + m30)·Il + m2·Ip
 *   Isc1'  = insulin − (ka1 + kd)·Isc1,   Isc2' = kd·Isc1 − ka2·Isc2
 *   Gs'    = −ksc·Gs + ksc·Gp;   CGM = Gs/Vg (mg/dL)
 *
 * **Clamps.** As in simglucose, the derivatives of Gp, Gt, Ip, Il, Isc1, Isc2 and Gs are set to
 * zero while that state is negative (`d/dt Gp = if Gp >= 0 then … else 0`); Qsto1, Qsto2, Qgut,
 * X, I1 and Id are not clamped (X may be negative; the others stay non-negative on their own).
 * Together with max(EGP, 0) and the renal threshold these are the model's kinks: the
 * right-hand side is continuous but not differentiable there.
 *
 * **Inputs.** `CHO` is the carbohydrate ingestion rate in mg/min (simglucose's actions are in
 * g/min: multiply by 1000; meals are eaten at ≤ 5 g/min). `insulin` is the subcutaneous insulin
 * delivery rate in pmol/kg/min, basal included (from U/min: × 6000/BW; the patient's basal rate
 * is u2ss pmol/kg/min). Both are piecewise constant (`interp step`), as simglucose holds its
 * actions over each 1-minute step.
 *
 * **Why the meal size D̄ is an input.** D̄ (mg) is the stomach content Qsto1 + Qsto2 at the start
 * of the current meal plus the carbohydrate eaten since that start. It is a piecewise-constant
 * quantity with a memory of discrete events (the meal onset) and of the state at those events,
 * so it is no function of the current state and inputs, and the language has no events; it
 * is therefore supplied as the step input `Dbar`, computed by whoever builds the meal scenario
 * exactly as simglucose's `T1DPatient.step` does: start at 0; on the first minute of a meal
 * (CHO rises from 0) set it to the current Qsto1 + Qsto2; while eating add each minute's CHO
 * (in mg, the current minute included); keep the value after the meal until the next one
 * starts. With D̄ = 0 (no meal yet) kgut = kmax. Gradients do not flow through D̄ (simglucose
 * treats it as a constant too).
 *
 * **Guarding D̄ = 0.** α and β divide by D̄, so the formula uses `Dpos = if Dbar > 0 then Dbar
 * else 1`: the meal branch stays finite when D̄ = 0 (where `kgut = kmax` is selected), and no
 * NaN reaches a derivative.
 *
 * **Parameters.** Body weight `BW` (kg) is a covariate; every other patient quantity is a
 * `fixed` parameter whose default is that of {@link uvaDefaultPatient} (adolescent#001) in
 * simglucose's `vpatient_params.csv` (MIT license, Copyright (c) 2017 Jinyu Xie; see
 * `data/uvaPatients.ts`). The initial state is the patient's basal steady state (the CSV's x0
 * columns equal Gpb, Gtb, Ipb, Ib, Ilb, isc1ss, isc2ss for every patient), so `initial` gives
 * each patient's own steady state, where the right-hand side vanishes under the basal insulin
 * rate u2ss with CHO = 0 and D̄ = 0. Use {@link uvaPadovaPatientValues} for any of the 30
 * patients. The CGM noise `cgm_sd` = 12 mg/dL approximates the SD of simglucose's sensor
 * noise (which is autocorrelated and Johnson-SU distributed, not i.i.d. Gaussian).
 *
 * **R6 and simglucose.** R6's equations and simglucose's `model()` agree term by term. The
 * differences are of form only: simglucose takes CHO in g/min and insulin in U/min and converts
 * them inside (here the inputs are already in R6's units); simglucose computes D̄ inside its
 * stepper (here an input); R6 says "several derivatives are clamped" without naming them (here
 * the seven that simglucose clamps). Early simglucose releases added D̄'s eaten part in grams
 * to a stomach content in mg (simglucose issue #41); R6 and this model use mg throughout.
 */
export const uvaPadovaSource = `
model uvaPadova "UVA/Padova 2008 type-1-diabetes glucose-insulin model (simglucose's form)"

covariate BW = ${uvaPatient(uvaDefaultPatient).BW}   # body weight (kg)

${paramLines(uvaPatient(uvaDefaultPatient))}
param cgm_sd = ${CGM_SD} in [0, inf] scale log fixed   # CGM noise SD (mg/dL)

input CHO      interp step   # carbohydrate ingestion rate (mg/min)
input insulin  interp step   # subcutaneous insulin delivery rate (pmol/kg/min)
input Dbar     interp step   # meal size: stomach content at meal start + eaten since (mg)

state Qsto1 = 0        # solid glucose in the stomach (mg)
state Qsto2 = 0        # liquid glucose in the stomach (mg)
state Qgut  = 0        # glucose in the intestine (mg)
state Gp    = Gpb      # plasma glucose (mg/kg)
state Gt    = Gtb      # tissue glucose (mg/kg)
state Ip    = Ipb      # plasma insulin (pmol/kg)
state X     = 0        # insulin action on glucose utilization (pmol/L)
state I1    = Ib       # delayed insulin signal (pmol/L)
state Id    = Ib       # delayed insulin action on production (pmol/L)
state Il    = Ilb      # liver insulin (pmol/kg)
state Isc1  = isc1ss   # non-monomeric subcutaneous insulin (pmol/kg)
state Isc2  = isc2ss   # monomeric subcutaneous insulin (pmol/kg)
state Gs    = Gpb      # subcutaneous glucose (mg/kg)

# Gastric emptying: kgut falls from kmax towards kmin while the stomach holds between
# d*Dbar and b*Dbar, and is kmax before the first meal (Dbar = 0).
let Qsto  = Qsto1 + Qsto2
let Dpos  = if Dbar > 0 then Dbar else 1   # keeps the unused branch finite at Dbar = 0
let alpha = 5 / (2 * Dpos * (1 - b))
let beta  = 5 / (2 * Dpos * d)
let kgut  = if Dbar > 0 then kmin + (kmax - kmin) / 2 * (tanh(alpha * (Qsto - b * Dbar)) - tanh(beta * (Qsto - d * Dbar)) + 2) else kmax

let Ra  = f * kabs * Qgut / BW                            # rate of glucose appearance (mg/kg/min)
let EGP = kp1 - kp2 * Gp - kp3 * Id                       # endogenous glucose production (mg/kg/min)
let E   = if Gp > ke2 then ke1 * (Gp - ke2) else 0        # renal excretion (mg/kg/min)
let Uid = (Vm0 + Vmx * X) * Gt / (Km0 + Gt)               # insulin-dependent utilization (mg/kg/min)
let I   = Ip / Vi                                         # plasma insulin concentration (pmol/L)

d/dt Qsto1 = -kmax * Qsto1 + CHO
d/dt Qsto2 = kmax * Qsto1 - kgut * Qsto2
d/dt Qgut  = kgut * Qsto2 - kabs * Qgut
d/dt Gp    = if Gp >= 0 then max(EGP, 0) + Ra - Fsnc - E - k1 * Gp + k2 * Gt else 0
d/dt Gt    = if Gt >= 0 then -Uid + k1 * Gp - k2 * Gt else 0
d/dt Ip    = if Ip >= 0 then -(m2 + m4) * Ip + m1 * Il + ka1 * Isc1 + ka2 * Isc2 else 0
d/dt X     = -p2u * X + p2u * (I - Ib)
d/dt I1    = -ki * (I1 - I)
d/dt Id    = -ki * (Id - I1)
d/dt Il    = if Il >= 0 then -(m1 + m30) * Il + m2 * Ip else 0
d/dt Isc1  = if Isc1 >= 0 then insulin - (ka1 + kd) * Isc1 else 0
d/dt Isc2  = if Isc2 >= 0 then kd * Isc1 - ka2 * Isc2 else 0
d/dt Gs    = if Gs >= 0 then -ksc * Gs + ksc * Gp else 0

obs CGM = Gs / Vg ~ normal(cgm_sd)   # continuous glucose monitor reading (mg/dL)
`;

/**
 * The UVA/Padova 2008 glucose–insulin model of type-1 diabetes with adolescent#001's parameters
 * (see {@link uvaPadovaSource} for the equations, units, inputs `CHO` (mg/min), `insulin`
 * (pmol/kg/min) and `Dbar` (mg), the clamps and the data source).
 *
 * @returns A fresh parsed {@link Model} of {@link uvaPadovaSource}.
 * @example
 * ```ts
 * const m = uvaPadovaModel();
 * m.dim;                       // 13
 * m.inputs.map((u) => u.name); // ['CHO', 'insulin', 'Dbar']
 * m.observables[0].name;       // 'CGM'
 * ```
 */
export function uvaPadovaModel(): Model {
  return parseModel(uvaPadovaSource, { file: 'uvaPadova.gbx' });
}

/** A virtual patient's values laid out for a model: parameters, covariates and initial state. */
export interface UvaPatientValues {
  /** Parameter vector in the model's order (patient values; `cgm_sd` keeps its default). */
  readonly params: Float64Array;
  /** Covariate vector in the model's order ([BW]). */
  readonly covariates: Float64Array;
  /** The patient's basal initial state x0 from the CSV, in state order. */
  readonly initialState: Float64Array;
}

/**
 * The parameter and covariate vectors of a virtual patient for {@link uvaPadovaModel} (or a
 * model derived from it that keeps the parameter and covariate names).
 *
 * @param name - A patient of simglucose's table, e.g. `'child#003'`.
 * @param model - The model to lay the values out for (default: a fresh {@link uvaPadovaModel}).
 * @throws Error when the model lacks one of the patient parameters or the covariate BW.
 * @example
 * ```ts
 * const m = uvaPadovaModel();
 * const v = uvaPadovaPatientValues('adult#007', m);
 * v.covariates[0];                 // 91.229 (kg), adult#007's body weight
 * v.params[m.paramIndex('kabs')];  // adult#007's kabs
 * ```
 */
export function uvaPadovaPatientValues(
  name: UvaPatientName,
  model: Model = uvaPadovaModel(),
): UvaPatientValues {
  const patient = uvaPatient(name);
  const params = model.defaultParams();
  for (const field of uvaPatientParamNames) {
    const k = model.paramIndex(field);
    if (k < 0) throw new Error(`uvaPadovaPatientValues: the model has no parameter "${field}"`);
    params[k] = patient[field];
  }
  const bw = model.covariates.findIndex((c) => c.name === 'BW');
  if (bw < 0) throw new Error('uvaPadovaPatientValues: the model has no covariate "BW" (body weight)');
  const covariates = Float64Array.from(model.covariates, (c) => c.defaultValue ?? Number.NaN);
  covariates[bw] = patient.BW;
  return { params, covariates, initialState: Float64Array.from(patient.x0) };
}
