import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';

/**
 * Source text of the expert model of COVID-19 under dexamethasone used by the latent
 * hybridisation model (Qian, Zame, Fleuren, Elbers & van der Schaar, NeurIPS 2021,
 * "Integrating expert ODEs into neural ODEs: pharmacology and disease progression";
 * REPRODUCTIONS.md R4):
 *
 *   D' = k_dp·D − k_dci·D·A² − k_dcr·D·I                                  (disease)
 *   I' = k_id·D − k_io·I + k_if·D·I + e_max·I²/(ec50² + I²) − k_dexa·C·I  (innate immune reaction)
 *   A' = k_imm·I                                                         (adaptive immunity)
 *   C' = k_el·Dose(t) − k_el·C                                            (dexamethasone level)
 *
 * with Dose(t) = Σⱼ amountⱼ·exp(−k_el·(t − τⱼ))·1[t ≥ τⱼ] for doses amountⱼ given at τⱼ.
 * All rate constants, e_max and ec50 are 1 and the Hill exponent is 2, as in the authors'
 * code. Time in days; the states are dimensionless levels.
 *
 * **How the dose enters.** Dose(t) is exactly the solution of `Dose' = −k_el·Dose` with
 * `Dose(0) = 0` that jumps by amountⱼ at each τⱼ, so the model carries it as a fifth state
 * `Dose` fed by the bolus route `dexa`, and C' = k_el·Dose − k_el·C. This reproduces the
 * expert model exactly for any number of doses (C after one dose is
 * amount·k_el·(t − τ)·e^{−k_el(t − τ)}, the one-compartment absorption curve with equal
 * absorption and elimination rates). A bolus straight into C could not: it would make C a pure
 * exponential amount·e^{−k_el(t − τ)}, which is Dose(t) itself, not the expert C. The expert
 * latents of R4 remain D, I, A, C; `Dose` is determined by the dosing history and starts at 0.
 *
 * Initial values 0.01 for D, I, A are the mean of R4's Exponential(scale 0.01) initial
 * distribution (an encoder supplies them in R4); C and Dose start at 0. The model declares no
 * observable: R4 observes the states only through a random linear map.
 */
export const covidDexamethasoneSource = `
model covidDexamethasone "COVID-19 disease progression under dexamethasone (Qian et al. 2021 expert model)"

param k_dp   = 1 in [0, inf] scale log   # disease growth
param k_dci  = 1 in [0, inf] scale log   # disease clearance by adaptive immunity
param k_dcr  = 1 in [0, inf] scale log   # disease clearance by the innate immune reaction
param k_id   = 1 in [0, inf] scale log   # innate immune activation by disease
param k_io   = 1 in [0, inf] scale log   # innate immune decay
param k_if   = 1 in [0, inf] scale log   # innate immune amplification by disease
param e_max  = 1 in [0, inf] scale log   # maximal innate self-stimulation
param ec50   = 1 in [0, inf] scale log   # innate level of half-maximal self-stimulation
param k_dexa = 1 in [0, inf] scale log   # suppression of the innate reaction by the drug
param k_imm  = 1 in [0, inf] scale log   # build-up of adaptive immunity
param k_el   = 1 in [0, inf] scale log   # dexamethasone absorption and elimination rate

state D    = 0.01   # disease
state I    = 0.01   # innate immune reaction
state A    = 0.01   # adaptive immunity
state C    = 0      # dexamethasone level
state Dose = 0      # Dose(t): the administered amounts, decaying at rate k_el

d/dt D    = k_dp * D - k_dci * D * A^2 - k_dcr * D * I
d/dt I    = k_id * D - k_io * I + k_if * D * I + e_max * I^2 / (ec50^2 + I^2) - k_dexa * C * I
d/dt A    = k_imm * I
d/dt C    = k_el * Dose - k_el * C
d/dt Dose = -k_el * Dose

dose dexa -> Dose bolus   # a dexamethasone dose (amount)
`;

/**
 * The COVID-19 dexamethasone expert model of Qian et al. (NeurIPS 2021): disease D, innate
 * immune reaction I, adaptive immunity A, drug level C, plus the state `Dose` = Dose(t) fed by
 * the bolus route `dexa` (see {@link covidDexamethasoneSource} for why). All constants 1.
 *
 * @returns A fresh parsed {@link Model} of {@link covidDexamethasoneSource}.
 * @example
 * ```ts
 * const m = covidDexamethasoneModel();
 * m.states.map((s) => s.name);          // ['D', 'I', 'A', 'C', 'Dose']
 * m.doses.map((d) => [d.name, d.kind]); // [['dexa', 'bolus']]
 * ```
 */
export function covidDexamethasoneModel(): Model {
  return parseModel(covidDexamethasoneSource, { file: 'covidDexamethasone.gbx' });
}
