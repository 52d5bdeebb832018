/**
 * The three decoders of the COVID-19 dexamethasone experiment of Qian et al. (NeurIPS 2021;
 * REPRODUCTIONS.md R4), written in the model language from one definition, the expert model
 * of `src/models/covidDexamethasone.ts`:
 *
 * - `'lhm'`: the latent hybrid model — the expert equations (parameters frozen) plus neural
 *   latent states z_m' = tanh(Linear([z_e, z_m])), z_e = (D, I, A, C);
 * - `'expert'`: the expert equations alone (4 latents);
 * - `'node'`: a neural ODE z' = MLP([z, Dose(t)]) (7 → 60 → 6, tanh) that sees the same
 *   dosing signal Dose(t) as the expert model.
 */
import type { Model } from '../expr/model.js';
import { parseModel } from '../expr/parse.js';
import { covidDexamethasoneSource } from '../models/covidDexamethasone.js';
import type { LatentDecoderOptions } from './decoder.js';

/** Which decoder: latent hybrid, expert only, or neural ODE. */
export type CovidLatentKind = 'lhm' | 'expert' | 'node';

/** Options of {@link covidLatentSource}. */
export interface CovidLatentOptions {
  /** Neural latent states of the latent hybrid model (default 2). */
  readonly neuralLatents?: number;
  /** Latent states of the neural ODE (default 6). */
  readonly nodeLatents?: number;
  /** Hidden width of the neural ODE's MLP (default 60). */
  readonly nodeHidden?: number;
}

const range = (n: number, f: (i: number) => string): string[] =>
  Array.from({ length: n }, (_, i) => f(i + 1));

/**
 * Model-language source of a decoder of the COVID-19 experiment (see the module
 * documentation). The latent hybrid model is the expert source with these lines added:
 *
 *     state z1 = 0
 *     state z2 = 0
 *     net G(D, I, A, C, z1, z2) -> (g1, g2) : mlp(identity)
 *     d/dt z1 = tanh(G.g1)
 *     d/dt z2 = tanh(G.g2)
 *
 * @example
 * ```ts
 * covidLatentSource('lhm').includes('net G(D, I, A, C, z1, z2)'); // true
 * ```
 */
export function covidLatentSource(kind: CovidLatentKind, options: CovidLatentOptions = {}): string {
  const m = options.neuralLatents ?? 2;
  const n = options.nodeLatents ?? 6;
  const h = options.nodeHidden ?? 60;
  if (!Number.isInteger(m) || m < 0)
    throw new RangeError(`covidLatentSource: neuralLatents must be an integer ≥ 0, got ${m}`);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`covidLatentSource: nodeLatents must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(h) || h < 1)
    throw new RangeError(`covidLatentSource: nodeHidden must be an integer ≥ 1, got ${h}`);
  if (kind === 'expert' || (kind === 'lhm' && m === 0)) return covidDexamethasoneSource;
  if (kind === 'lhm') {
    const z = range(m, (i) => `z${i}`);
    const g = range(m, (i) => `g${i}`);
    return [
      covidDexamethasoneSource,
      '# neural latent states of the latent hybrid model',
      ...z.map((s) => `state ${s} = 0`),
      `net G(D, I, A, C, ${z.join(', ')}) -> (${g.join(', ')}) : mlp(identity)`,
      ...z.map((s, i) => `d/dt ${s} = tanh(G.${g[i]})`),
      '',
    ].join('\n');
  }
  if (kind !== 'node')
    throw new RangeError(`covidLatentSource: kind must be 'lhm', 'expert' or 'node', got "${kind}"`);
  const z = range(n, (i) => `z${i}`);
  const o = range(n, (i) => `o${i}`);
  return [
    'model covidNeuralOde "neural ODE latent model with the dexamethasone dosing signal as input"',
    'param k_el = 1 in [0, inf] scale log fixed   # dexamethasone elimination rate (as in the expert model)',
    ...z.map((s) => `state ${s} = 0`),
    'state Dose = 0   # Dose(t), the administered amounts decaying at rate k_el',
    `net N(${z.join(', ')}, Dose) -> (${o.join(', ')}) : mlp(${h}, tanh)`,
    ...z.map((s, i) => `d/dt ${s} = N.${o[i]}`),
    'd/dt Dose = -k_el * Dose',
    'dose dexa -> Dose bolus',
    '',
  ].join('\n');
}

/**
 * The parsed decoder model of {@link covidLatentSource}.
 *
 * @example
 * ```ts
 * covidLatentModel('node').states.length; // 7 (z1…z6 and Dose)
 * ```
 */
export function covidLatentModel(kind: CovidLatentKind, options: CovidLatentOptions = {}): Model {
  return parseModel(covidLatentSource(kind, options), { file: `covid-${kind}.gbx` });
}

/**
 * The latents (encoder-initialized states, read by the readout) and the dose route of each
 * decoder: (D, I, A, C, z1…z_m), (D, I, A, C) or (z1…z_n); doses go into `dexa`.
 *
 * @example
 * ```ts
 * covidLatentOptions('lhm').latents; // ['D', 'I', 'A', 'C', 'z1', 'z2']
 * ```
 */
export function covidLatentOptions(
  kind: CovidLatentKind,
  options: CovidLatentOptions = {},
): LatentDecoderOptions {
  const m = options.neuralLatents ?? 2;
  const n = options.nodeLatents ?? 6;
  const latents =
    kind === 'expert'
      ? ['D', 'I', 'A', 'C']
      : kind === 'lhm'
        ? ['D', 'I', 'A', 'C', ...range(m, (i) => `z${i}`)]
        : range(n, (i) => `z${i}`);
  return { latents, doseRoute: 'dexa' };
}
