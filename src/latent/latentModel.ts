/**
 * Latent ODE models with an encoder (Qian, Zame, Fleuren, Elbers & van der Schaar, NeurIPS
 * 2021, "Integrating expert ODEs into neural ODEs: pharmacology and disease progression"):
 * an LSTM reads the start of a patient's history backwards and gives a distribution over the
 * initial latent states; an ODE decoder (expert equations, neural latent states, or both)
 * carries them forward under the patient's doses; a linear readout maps the latents to the
 * observations. Trained by maximizing the evidence lower bound (ELBO).
 */
import { add, mul, sub } from '../autodiff/ops/binary.js';
import { slice } from '../autodiff/ops/layout.js';
import { linear } from '../autodiff/ops/linalg.js';
import { sum } from '../autodiff/ops/reduce.js';
import { exp, square } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import type { NetWeights } from '../hybrid/netRuntime.js';
import { type Lstm, lstm } from '../nn/lstm.js';
import type { RecurrentParams } from '../nn/recurrent.js';
import { NDArray } from '../tensor/ndarray.js';
import { normal, type RngKey, splitKey, uniform } from '../tensor/random.js';
import type { LatentDecoder, LatentDose } from './decoder.js';

/** One patient: observations on the dataset's time grid (NaN = missing) and doses. */
export interface LatentPatient {
  /** Observations [T·K] row-major by time; NaN marks a missing entry. */
  readonly x: Float64Array;
  readonly doses: readonly LatentDose[];
}

/** Patients observed on one shared time grid. */
export interface LatentDataset {
  /** The time grid t₁ < … < t_T (the solve starts at t₁). */
  readonly times: Float64Array;
  /** Observed dimensions K. */
  readonly nObs: number;
  readonly patients: readonly LatentPatient[];
}

/** Options of {@link LatentModel}. */
export interface LatentModelOptions {
  /** Number of leading time points the encoder reads (k ≥ 1). */
  readonly history: number;
  /** Hidden size of the LSTM encoder (default 32). */
  readonly encoderHidden?: number;
  /** Rate r of the Exponential(r) prior on every initial latent (default 100). */
  readonly priorRate?: number;
  /** Initial spread s of the posterior of log z₀ (default 0.5). */
  readonly initialSpread?: number;
}

const MODEL_KEYS = ['history', 'encoderHidden', 'priorRate', 'initialSpread'];

/** Trainable parameters of a {@link LatentModel}. */
export type LatentParams = {
  /** LSTM (PyTorch names) and the head mapping its last hidden state to (μ, ρ) [2L]. */
  readonly encoder: {
    readonly lstm: RecurrentParams;
    readonly head: { readonly weight: Tensor; readonly bias: Tensor };
  };
  /** The decoder's networks (empty for a purely mechanistic decoder). */
  readonly nets: NetWeights;
  /** Readout x̂ = W·z + c: `weight` [K, L], `bias` [K]. */
  readonly readout: { readonly weight: Tensor; readonly bias: Tensor };
  /** log σₖ of the Gaussian observation noise, [K]. */
  readonly logNoise: Tensor;
};

/** The encoder's posterior q(z₀) for a batch: log z₀ ~ N(μ, σ²) per latent. */
export interface LatentPosterior {
  /** μ [B, L]. */
  readonly mu: Tensor;
  /** log σ [B, L]. */
  readonly logSigma: Tensor;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A latent ODE model: encoder q(z₀ | x₁…x_k, doses), ODE decoder z(t), readout x̂ = W·z + c.
 *
 * **Encoder.** An LSTM runs backwards in time over the first k time points; its input at
 * tⱼ is [xⱼ ⊙ mⱼ, mⱼ, dⱼ] (missing entries zeroed, the mask mⱼ, the amount dⱼ dosed in
 * [tⱼ, tⱼ₊₁)). Its final hidden state h gives (μ, ρ) = head(h), and
 *
 *     log z₀ ~ N(μ + log(1/r), σ²),   σ = s·exp(ρ),
 *
 * a log-normal posterior, so every initial latent is positive (mean e^{μ + σ²/2}/r > 0),
 * centred at the prior mean 1/r at initialization.
 *
 * **Decoder.** The {@link LatentDecoder}'s model from z(t₁) = z₀, with the patient's doses
 * (e.g. expert equations with frozen parameters plus neural latents
 * z_m' = tanh(Linear([z_e, z_m])) — the latent hybrid model).
 *
 * **ELBO** per patient, with one reparameterized sample z₀ = exp(μ' + σ·ε), ε ~ N(0, I)
 * from the seeded generator, and the masked Gaussian likelihood over the observed entries:
 *
 *     ELBO = Σ_{j,k: observed} log N(x_jk | x̂_jk, σₖ²) − [log q(z₀) − log p(z₀)],
 *     log q(z₀) = Σ_l (−log z₀l − log σ_l − ½ log 2π − ½ ε_l²),
 *     log p(z₀) = Σ_l (log r − r·z₀l)          (Exponential(r) prior),
 *
 * the KL term estimated by Monte Carlo with the same sample. {@link LatentModel.loss} is
 * −ELBO averaged over the patients of the batch.
 *
 * @example
 * ```ts
 * const decoder = new LatentDecoder(covidLatentModel('lhm'), covidLatentOptions('lhm'));
 * const lm = new LatentModel(decoder, 20, { history: 5 });
 * const params = lm.init(rngKey(0));
 * const value = lm.loss(params, data, [0, 1, 2], rngKey(1)).item();
 * ```
 */
export class LatentModel {
  readonly decoder: LatentDecoder;
  readonly nObs: number;
  readonly history: number;
  readonly priorRate: number;
  readonly initialSpread: number;
  readonly encoder: Lstm;

  constructor(decoder: LatentDecoder, nObs: number, options: LatentModelOptions) {
    for (const k of Object.keys(options)) {
      if (!MODEL_KEYS.includes(k))
        throw new TypeError(`LatentModel: unknown option "${k}"; the options are ${MODEL_KEYS.join(', ')}`);
    }
    if (!Number.isInteger(nObs) || nObs < 1)
      throw new RangeError(`LatentModel: nObs must be a positive integer, got ${nObs}`);
    if (!Number.isInteger(options.history) || options.history < 1)
      throw new RangeError(
        `LatentModel: history must be a positive integer (time points read), got ${options.history}`,
      );
    this.decoder = decoder;
    this.nObs = nObs;
    this.history = options.history;
    this.priorRate = options.priorRate ?? 100;
    this.initialSpread = options.initialSpread ?? 0.5;
    if (!(this.priorRate > 0))
      throw new RangeError(`LatentModel: priorRate must be > 0, got ${this.priorRate}`);
    if (!(this.initialSpread > 0))
      throw new RangeError(`LatentModel: initialSpread must be > 0, got ${this.initialSpread}`);
    this.encoder = lstm({ inputSize: 2 * nObs + 1, hiddenSize: options.encoderHidden ?? 32 });
  }

  /** Number of latents L. */
  get nLatents(): number {
    return this.decoder.nLatents;
  }

  /**
   * Fresh parameters: PyTorch-style LSTM, a head with small weights (U(±0.01/√H)) and zero
   * bias (so q(z₀) starts at log z₀ ~ N(log(1/r), s²)), Glorot networks, readout U(±1/√L),
   * σₖ = 1.
   */
  init(key: RngKey): LatentParams {
    const [k1, k2, k3, k4] = splitKey(key, 4);
    const L = this.nLatents;
    const H = this.encoder.hiddenSize;
    const K = this.nObs;
    const a = 0.01 / Math.sqrt(H);
    const r = 1 / Math.sqrt(L);
    const [r1, r2] = splitKey(k4, 2);
    return {
      encoder: {
        lstm: this.encoder.init(k1),
        head: {
          weight: new Tensor(uniform(k2, [2 * L, H], -a, a)),
          bias: new Tensor(NDArray.zeros([2 * L])),
        },
      },
      nets: this.decoder.initWeights(k3),
      readout: { weight: new Tensor(uniform(r1, [K, L], -r, r)), bias: new Tensor(uniform(r2, [K], -r, r)) },
      logNoise: new Tensor(NDArray.zeros([K])),
    };
  }

  /** The encoder's posterior for the patients `idx` of `data`, reading the first `history` time points. */
  encode(params: LatentParams, data: LatentDataset, idx: readonly number[]): LatentPosterior {
    checkData(data, this.nObs, this.history);
    const B = idx.length;
    const k = this.history;
    const K = this.nObs;
    const F = 2 * K + 1;
    const T = data.times.length;
    const feats = new Float64Array(B * k * F);
    idx.forEach((p, b) => {
      const patient = data.patients[p];
      for (let s = 0; s < k; s++) {
        const j = k - 1 - s; // backwards in time
        const o = (b * k + s) * F;
        for (let c = 0; c < K; c++) {
          const v = patient.x[j * K + c];
          const seen = !Number.isNaN(v);
          feats[o + c] = seen ? v : 0;
          feats[o + K + c] = seen ? 1 : 0;
        }
        const lo = data.times[j];
        const hi = j + 1 < T ? data.times[j + 1] : Number.POSITIVE_INFINITY;
        for (const d of patient.doses) if (d.time >= lo && d.time < hi) feats[o + 2 * K] += d.amount;
      }
    });
    const x = new Tensor(new NDArray(feats, [B, k, F]));
    const { last } = this.encoder.apply(params.encoder.lstm, x);
    const out = linear(last, params.encoder.head.weight, params.encoder.head.bias);
    const L = this.nLatents;
    const mu = add(slice(out, [{}, { start: 0, stop: L }]), Math.log(1 / this.priorRate));
    const logSigma = add(slice(out, [{}, { start: L, stop: 2 * L }]), Math.log(this.initialSpread));
    return { mu, logSigma };
  }

  /**
   * Predicted observations x̂ [B, T, K] from initial latents z0 [B, L] (a differentiable
   * tensor) for the patients `idx`.
   */
  decode(params: LatentParams, data: LatentDataset, idx: readonly number[], z0: Tensor): Tensor {
    const doses = idx.map((p) => data.patients[p].doses);
    const z = this.decoder.trajectories(z0, params.nets, data.times, doses);
    return linear(z, params.readout.weight, params.readout.bias);
  }

  /**
   * −ELBO averaged over the patients `idx` (see the class documentation), with
   * ε ~ N(0, I) drawn from `key`; differentiable in `params`.
   */
  loss(params: LatentParams, data: LatentDataset, idx: readonly number[], key: RngKey): Tensor {
    const B = idx.length;
    const L = this.nLatents;
    const eps = new Tensor(normal(key, [B, L]));
    return this.lossWithNoise(params, data, idx, eps);
  }

  /** {@link LatentModel.loss} with the standard-normal draws ε [B, L] given (for tests). */
  lossWithNoise(params: LatentParams, data: LatentDataset, idx: readonly number[], eps: Tensor): Tensor {
    const B = idx.length;
    const L = this.nLatents;
    if (B === 0) throw new RangeError('LatentModel.loss: no patients in the batch');
    if (eps.rank !== 2 || eps.shape[0] !== B || eps.shape[1] !== L)
      throw new RangeError(`LatentModel.loss: eps must be [${B}, ${L}], got [${eps.shape.join(', ')}]`);
    const { mu, logSigma } = this.encode(params, data, idx);
    const logZ = add(mu, mul(exp(logSigma), eps));
    const z0 = exp(logZ);
    const xHat = this.decode(params, data, idx, z0);
    const { values, mask } = observed(data, idx, this.nObs);
    // Masked Gaussian log-likelihood: Σ m·(−½((x − x̂)/σ)² − log σ − ½ log 2π).
    const r = mul(sub(values, xHat), mask);
    const inv = exp(mul(params.logNoise, -1));
    const quad = mul(square(mul(r, inv)), -0.5);
    const norm = mul(mask, add(params.logNoise, HALF_LOG_2PI));
    const logLik = sub(sum(quad), sum(norm));
    // Monte Carlo KL: log q(z₀) − log p(z₀).
    const logQ = sub(mul(sum(add(logZ, logSigma)), -1), sum(mul(square(eps), 0.5)));
    const logQfull = sub(logQ, B * L * HALF_LOG_2PI);
    const logP = sub(B * L * Math.log(this.priorRate), mul(sum(z0), this.priorRate));
    const kl = sub(logQfull, logP);
    return mul(sub(kl, logLik), 1 / B);
  }

  /**
   * Point predictions x̂ [B·T·K] (no gradient) for the patients `idx`: the decoder from the
   * posterior median z₀ = e^{μ'} given the first `history` time points.
   */
  predict(
    params: LatentParams,
    data: LatentDataset,
    idx: readonly number[] = allIndices(data),
  ): Float64Array {
    const out = new Float64Array(idx.length * data.times.length * this.nObs);
    const chunk = 100;
    for (let s = 0; s < idx.length; s += chunk) {
      const part = idx.slice(s, s + chunk);
      const { mu } = this.encode(params, data, part);
      const xHat = this.decode(params, data, part, exp(mu));
      out.set(xHat.value.data, s * data.times.length * this.nObs);
    }
    return out;
  }
}

/**
 * 0, 1, …, patients − 1: every patient of a dataset.
 *
 * @example
 * ```ts
 * allIndices({ times: Float64Array.of(0), nObs: 1, patients: [{ x: Float64Array.of(1), doses: [] }] }); // [0]
 * ```
 */
export function allIndices(data: LatentDataset): number[] {
  return Array.from({ length: data.patients.length }, (_, i) => i);
}

/** Observed values (missing → 0) and the 0/1 mask, each [B, T, K], as constants. */
function observed(data: LatentDataset, idx: readonly number[], K: number): { values: Tensor; mask: Tensor } {
  const T = data.times.length;
  const v = new Float64Array(idx.length * T * K);
  const m = new Float64Array(idx.length * T * K);
  idx.forEach((p, b) => {
    const x = data.patients[p].x;
    for (let i = 0; i < T * K; i++) {
      const seen = !Number.isNaN(x[i]);
      v[b * T * K + i] = seen ? x[i] : 0;
      m[b * T * K + i] = seen ? 1 : 0;
    }
  });
  return {
    values: new Tensor(new NDArray(v, [idx.length, T, K])),
    mask: new Tensor(new NDArray(m, [idx.length, T, K])),
  };
}

/**
 * Checks a dataset against a model: K observed dimensions, at least `history` time points,
 * increasing times, T·K values per patient; throws a RangeError naming the problem.
 *
 * @example
 * ```ts
 * checkData(data, 20, 5); // throws if data.nObs !== 20, or fewer than 5 time points, …
 * ```
 */
export function checkData(data: LatentDataset, nObs: number, history: number): void {
  const T = data.times.length;
  if (data.nObs !== nObs)
    throw new RangeError(`latent model: the dataset has ${data.nObs} observed dimensions, the model ${nObs}`);
  if (T < history)
    throw new RangeError(`latent model: the encoder reads ${history} time points but the grid has ${T}`);
  for (let j = 1; j < T; j++) {
    if (!(data.times[j] > data.times[j - 1]))
      throw new RangeError(
        `latent model: times must increase (index ${j}: ${data.times[j - 1]} then ${data.times[j]})`,
      );
  }
  data.patients.forEach((p, i) => {
    if (p.x.length !== T * nObs)
      throw new RangeError(
        `latent model: patient ${i} has ${p.x.length} values, expected T·K = ${T}·${nObs}`,
      );
  });
}
