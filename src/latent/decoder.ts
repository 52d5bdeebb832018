/**
 * The ODE decoder of a latent model: a model-language model (mechanistic equations, neural
 * latent states, dosing routes) solved for a batch of patients from given initial latents,
 * as one differentiable tensor operation. Its gradient with respect to the initial latents and
 * the network weights is the discrete adjoint of the solve (exact for the computed solution).
 */
import { Tensor } from '../autodiff/tensor.js';
import { customVjp } from '../autodiff/transforms.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { type CompiledModel, compileModel } from '../expr/compile.js';
import type { Model } from '../expr/model.js';
import { type NetWeights, TensorNetRuntime } from '../hybrid/netRuntime.js';
import { doseTarget } from '../hybrid/subject.js';
import { discreteAdjoint } from '../ode/adjoint.js';
import { type Controller, pid } from '../ode/controller.js';
import type { Method } from '../ode/method.js';
import { tsit5 } from '../ode/methods/tsit5.js';
import { modelField } from '../ode/modelField.js';
import { type Dose, type Solution, saveAt, solve } from '../ode/solve.js';
import { NDArray } from '../tensor/ndarray.js';
import { type RngKey, rngKey } from '../tensor/random.js';

/** One dose given to a patient: `amount` into the decoder's dose route at `time`. */
export interface LatentDose {
  readonly time: number;
  readonly amount: number;
}

/** Options of {@link LatentDecoder}. */
export interface LatentDecoderOptions {
  /**
   * The states whose initial values come from outside (the encoder), in order; they are also
   * what the decoder returns. Every other state starts at the model's initial value.
   */
  readonly latents: readonly string[];
  /** The dose route (a `dose` declaration or a state name) that {@link LatentDose}s go into. */
  readonly doseRoute?: string;
  /** Integration method (default tsit5; an explicit Runge–Kutta method or kvaerno5). */
  readonly method?: Method;
  /** Step-size controller (default pid({ rtol: 1e-6, atol: 1e-8 })). */
  readonly controller?: Controller;
  /** Most steps per trajectory (default 10 000). */
  readonly maxSteps?: number;
}

const DECODER_KEYS = ['latents', 'doseRoute', 'method', 'controller', 'maxSteps'];

/**
 * The decoder of a latent ODE model (Qian et al., NeurIPS 2021): the states
 * y(t) of `model` with y(t₀)[latents] = z₀ (the other states at their declared initial
 * values), saved at shared times t₁ ≤ … ≤ t_T, for a batch of patients each with its own
 * doses. The model's parameters are frozen at their declared values; its networks (`net`
 * declarations, e.g. neural latent states `d/dt z = tanh(G.o)`) are trainable.
 *
 * {@link LatentDecoder.trajectories} is a tensor operation z₀ [B, L], weights ↦
 * y[B, T, L]: the backward pass runs the discrete adjoint of the recorded solve with the
 * incoming cotangent ȳ as the saved-value cotangent, giving ∂L/∂z₀ (the adjoint state at t₀
 * on the latent components) and ∂L/∂weights (accumulated by the network runtime through the
 * compiled vector–Jacobian products).
 *
 * @example
 * ```ts
 * const model = parseModel(`
 *   state x = 1
 *   state z = 0
 *   net G(x, z) -> (o) : mlp(identity)
 *   d/dt x = -x
 *   d/dt z = tanh(G.o)
 * `);
 * const dec = new LatentDecoder(model, { latents: ['x', 'z'] });
 * const weights = dec.initWeights(rngKey(0));
 * const y = dec.trajectories(tensor([[1, 0.5]]), weights, Float64Array.of(0, 1, 2), [[]]);
 * y.shape; // [1, 3, 2]
 * ```
 */
export class LatentDecoder {
  readonly model: Model;
  readonly compiled: CompiledModel;
  readonly nets: TensorNetRuntime;
  /** State indices of the latents. */
  readonly latentIndex: readonly number[];
  /** State index the doses go into (−1 without a dose route). */
  readonly doseState: number;
  readonly method: Method;
  readonly controller: Controller;
  readonly maxSteps: number;
  private readonly params: Float64Array;
  private readonly initial: Float64Array;

  constructor(model: Model, options: LatentDecoderOptions) {
    for (const k of Object.keys(options)) {
      if (!DECODER_KEYS.includes(k))
        throw new TypeError(
          `LatentDecoder: unknown option "${k}"; the options are ${DECODER_KEYS.join(', ')}`,
        );
    }
    if (options.latents.length === 0)
      throw new RangeError('LatentDecoder: latents must name at least one state');
    this.model = model;
    this.latentIndex = options.latents.map((name) => {
      const i = model.states.findIndex((s) => s.name === name);
      if (i < 0) {
        throw new RangeError(
          `LatentDecoder: latent "${name}" is not a state of model ${model.name}; its states are ${model.states.map((s) => s.name).join(', ')}`,
        );
      }
      return i;
    });
    if (new Set(this.latentIndex).size !== this.latentIndex.length)
      throw new RangeError(`LatentDecoder: latents list a state twice (${options.latents.join(', ')})`);
    this.doseState =
      options.doseRoute === undefined ? -1 : doseTarget(model, options.doseRoute, 'LatentDecoder doseRoute');
    this.nets = new TensorNetRuntime(model, TensorNetRuntime.init(model, rngKey(0)));
    this.compiled = compileModel(model, { nets: this.nets });
    if (this.compiled.nInputs > 0 || this.compiled.nCovariates > 0) {
      throw new RangeError(
        `LatentDecoder: model ${model.name} has inputs or covariates; a latent decoder takes only doses (declare a dose route and a state that carries the input)`,
      );
    }
    this.method = options.method ?? tsit5();
    this.controller = options.controller ?? pid({ rtol: 1e-6, atol: 1e-8 });
    this.maxSteps = options.maxSteps ?? 10_000;
    this.params = model.defaultParams();
    this.initial = new Float64Array(model.dim);
    this.compiled.initial(this.params, new Float64Array(0), this.initial, 1);
  }

  /** Number of latents L. */
  get nLatents(): number {
    return this.latentIndex.length;
  }

  /** Glorot-initialized weights of the model's networks (empty for a purely mechanistic model). */
  initWeights(key: RngKey): NetWeights {
    return TensorNetRuntime.init(this.model, key);
  }

  /**
   * The latent states y(tⱼ)[latents] for each patient b, as a differentiable tensor
   * [B, T, L]; `z0` is [B, L], `doses[b]` the doses of patient b. The solve starts at
   * t₀ = times[0]; a dose at a save time acts after that save. A trajectory that fails
   * (non-finite state, too many steps) yields NaN in its rows.
   */
  trajectories(
    z0: Tensor,
    weights: NetWeights,
    times: Float64Array,
    doses: readonly (readonly LatentDose[])[],
  ): Tensor {
    const L = this.nLatents;
    if (z0.rank !== 2 || z0.shape[1] !== L) {
      throw new RangeError(
        `LatentDecoder.trajectories: z0 must be [batch, ${L}], got [${z0.shape.join(', ')}]`,
      );
    }
    const B = z0.shape[0];
    if (doses.length !== B)
      throw new RangeError(`LatentDecoder.trajectories: ${doses.length} dose lists for ${B} patients`);
    if (times.length === 0) throw new RangeError('LatentDecoder.trajectories: no save times');
    if (this.doseState < 0 && doses.some((d) => d.length > 0))
      throw new RangeError('LatentDecoder.trajectories: doses given but the decoder has no doseRoute');
    const weightTree = weights as Tree;
    const leaves = treeLeaves(weightTree);
    let recorded: { solution: Solution; p: Float64Array } | null = null;
    const op = customVjp(
      'latentOdeSolve',
      ([z, ...w]) => {
        this.nets.setWeights(treeUnflatten(weightTree, w) as NetWeights);
        const run = this.run(z.value.data, times, doses, true);
        recorded = run;
        return new Tensor(this.latentsOf(run.solution, B, times.length));
      },
      (g) => {
        if (recorded === null) throw new Error('latentOdeSolve: backward before forward');
        const { solution, p } = recorded;
        const D = this.model.dim;
        const T = times.length;
        const gd = g.value.data;
        const savedBar = Array.from({ length: B }, (_, b) => {
          const s = new Float64Array(T * D);
          for (let j = 0; j < T; j++)
            for (let l = 0; l < L; l++) s[j * D + this.latentIndex[l]] = gd[(b * T + j) * L + l];
          return s;
        });
        this.nets.setWeights(treeUnflatten(weightTree, leaves) as NetWeights);
        this.nets.zeroGradients();
        const adj = discreteAdjoint(this.fieldFor(B), solution, this.method, p, savedBar);
        const z0Bar = new Float64Array(B * L);
        for (let b = 0; b < B; b++)
          for (let l = 0; l < L; l++) z0Bar[b * L + l] = adj.y0[b * D + this.latentIndex[l]];
        const grads = this.nets.gradients();
        const wBar = treeLeaves(Object.fromEntries(Object.keys(weights).map((k) => [k, grads[k]])) as Tree);
        return [new Tensor(new NDArray(z0Bar, [B, L])), ...wBar];
      },
    );
    return op(z0, ...leaves);
  }

  /**
   * All states y(tⱼ) for each patient (no gradient), [B·T·dim] row-major; for inspection
   * and plotting.
   */
  states(
    z0: Float64Array,
    weights: NetWeights,
    times: Float64Array,
    doses: readonly (readonly LatentDose[])[],
  ): Float64Array {
    this.nets.setWeights(weights);
    const B = doses.length;
    const { solution } = this.run(z0, times, doses, false);
    const D = this.model.dim;
    const out = new Float64Array(B * times.length * D).fill(Number.NaN);
    solution.ys.forEach((ys, b) => {
      if (solution.status[b] === 'success') out.set(ys, b * times.length * D);
    });
    return out;
  }

  private fieldFor(n: number) {
    return modelField(this.compiled, { n });
  }

  private run(
    z0: Float64Array,
    times: Float64Array,
    doses: readonly (readonly LatentDose[])[],
    record: boolean,
  ): { solution: Solution; p: Float64Array } {
    const B = doses.length;
    const D = this.model.dim;
    const L = this.nLatents;
    const P = this.compiled.nParams;
    const p = new Float64Array(B * P);
    const y0 = new Float64Array(B * D);
    for (let b = 0; b < B; b++) {
      p.set(this.params, b * P);
      y0.set(this.initial, b * D);
      for (let l = 0; l < L; l++) y0[b * D + this.latentIndex[l]] = z0[b * L + l];
    }
    const t0 = times[0];
    const t1 = times[times.length - 1];
    const list: Dose[] = [];
    doses.forEach((ds, b) => {
      for (const d of ds) {
        if (!(d.time >= t0 && d.time <= t1) || !Number.isFinite(d.amount)) {
          throw new RangeError(
            `LatentDecoder: patient ${b} has a dose at t = ${d.time} (amount ${d.amount}); doses need finite amounts at times within [${t0}, ${t1}]`,
          );
        }
        list.push({ kind: 'bolus', trajectory: b, time: d.time, state: this.doseState, amount: d.amount });
      }
    });
    list.sort((a, c) => a.trajectory - c.trajectory || a.time - c.time);
    const solution = solve(this.fieldFor(B), y0, {
      method: this.method,
      controller: this.controller,
      t0,
      t1,
      params: p,
      saveat: saveAt.times(times),
      doses: list,
      maxSteps: this.maxSteps,
      recordForAdjoint: record,
    });
    return { solution, p };
  }

  private latentsOf(solution: Solution, B: number, T: number): NDArray {
    const L = this.nLatents;
    const D = this.model.dim;
    const out = new Float64Array(B * T * L);
    for (let b = 0; b < B; b++) {
      const ys = solution.ys[b];
      const ok = solution.status[b] === 'success' && ys.length === T * D;
      for (let j = 0; j < T; j++)
        for (let l = 0; l < L; l++)
          out[(b * T + j) * L + l] = ok ? ys[j * D + this.latentIndex[l]] : Number.NaN;
    }
    return new NDArray(out, [B, T, L]);
  }
}
